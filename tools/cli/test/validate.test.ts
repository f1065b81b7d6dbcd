import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { run as tandem } from "../src/cli.ts";
import { annotation } from "../src/commands/validate.ts";
import { REPO, releaseRoot, releasedRoot } from "@tandem/generator/testing";
import { type CommandIo } from "../src/command.ts";

/** A repository with the three example manifests and the versions released here. */
function repo(): string {
  const root = releasedRoot();
  mkdirSync(join(root, "environments"));
  for (const name of ["dev", "staging", "prod"]) {
    copyFileSync(
      join(REPO, "environments", `${name}.yaml`),
      join(root, "environments", `${name}.yaml`),
    );
  }
  return root;
}

async function run(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (t) => void out.push(t),
    stderr: (t) => void err.push(t),
    cwd,
    env,
  };
  const code = await tandem(["validate", ...argv], { ...io, root: cwd });
  return { code, stdout: out.join(""), stderr: err.join("") };
}

const BAD = `name: bad
account: 123456789012
regions: { primary: us-east-1, secondary: us-east-1 }
`;

describe("tandem validate", () => {
  it("passes the example manifests: exit 0, a summary on stdout, nothing on stderr", async () => {
    expect(await run([], repo())).toEqual({ code: 0, stdout: "3 manifests valid\n", stderr: "" });
  });

  it("prints every problem on stderr and a summary on stdout, exit 1", async () => {
    const root = repo();
    writeFileSync(join(root, "environments/bad.yaml"), BAD);
    const { code, stdout, stderr } = await run([], root);
    expect(code).toBe(1);
    const missing = [
      "domain",
      "objectives",
      "modules",
      "networking",
      "monitoring",
      "drill",
      "tags",
      "github",
    ];
    expect(stderr).toBe(
      [
        ...missing.map((key) => `environments/bad.yaml:1:1: ${key}: is required`),
        "environments/bad.yaml:2:10: account: must be a 12-digit AWS account id in quotes: unquoted, YAML reads it as a number (and drops leading zeros)",
        "environments/bad.yaml:3:43: regions.secondary: must differ from regions.primary (us-east-1): disaster recovery needs a second region",
      ]
        .map((line) => `${line}\n`)
        .join(""),
    );
    expect(stdout).toBe("10 problems in 1 of 4 manifests\n");
  });

  it("validates the files it is given, shown relative to the working directory", async () => {
    const root = repo();
    writeFileSync(join(root, "bad.yaml"), BAD);
    const relative = await run(["./environments/prod.yaml"], root);
    expect(relative).toEqual({ code: 0, stdout: "1 manifest valid\n", stderr: "" });
    const absolute = await run([join(root, "bad.yaml"), "environments/dev.yaml", "bad.yaml"], root);
    expect(absolute.code).toBe(1);
    expect(absolute.stderr).toMatch(/^bad\.yaml:1:1: /);
    expect(absolute.stdout).toMatch(/ in 1 of 2 manifests\n$/); // the same file given twice counts once
  });

  it("shows a file outside the working directory as given", async () => {
    const elsewhere = join(releaseRoot(), "bad.yaml");
    writeFileSync(elsewhere, BAD);
    const { stderr } = await run([elsewhere], repo());
    expect(stderr.startsWith(`${elsewhere}:1:1: `)).toBe(true);
  });

  it("prints JSON with --format json: the same problems, nothing else on stdout", async () => {
    const root = repo();
    writeFileSync(join(root, "environments/bad.yaml"), BAD);
    const text = await run([], root);
    const json = await run(["--format", "json"], root, { GITHUB_ACTIONS: "true" });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as {
      valid: boolean;
      problems: { file: string; line: number; col: number; path: string; message: string }[];
    };
    expect(report.valid).toBe(false);
    expect(
      report.problems
        .map((p) => `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}\n`)
        .join(""),
    ).toBe(text.stderr);
    // Annotations go to stderr so that stdout stays one JSON document.
    expect(
      json.stderr
        .split("\n")
        .filter(Boolean)
        .every((l) => l.startsWith("::error file=environments/bad.yaml,line=")),
    ).toBe(true);
    expect(JSON.parse((await run(["--format=json"], repo())).stdout)).toEqual({
      valid: true,
      problems: [],
    });
  });

  it("adds GitHub annotations on GITHUB_ACTIONS=true, and only then", async () => {
    const root = repo();
    writeFileSync(join(root, "environments/bad.yaml"), BAD);
    const plain = await run([], root, { GITHUB_ACTIONS: "false" });
    expect(plain.stdout).not.toContain("::error");
    const actions = await run([], root, { GITHUB_ACTIONS: "true" });
    expect(actions.code).toBe(1);
    expect(actions.stdout).toContain(
      "::error file=environments/bad.yaml,line=3,col=43::regions.secondary: must differ from regions.primary (us-east-1): disaster recovery needs a second region\n",
    );
    const annotations = actions.stdout.split("\n").filter((l) => l.startsWith("::error "));
    expect(annotations).toHaveLength(plain.stderr.trimEnd().split("\n").length);
  });

  it("escapes annotation values as the workflow-command format requires", () => {
    const problem = {
      file: "env,s/a:b.yaml",
      line: 2,
      col: 3,
      path: "tags.x",
      message: "100% sure\r\nnext",
    };
    expect(annotation(problem)).toBe(
      "::error file=env%2Cs/a%3Ab.yaml,line=2,col=3::tags.x: 100%25 sure%0D%0Anext",
    );
    expect(annotation({ ...problem, path: "" })).toBe(
      "::error file=env%2Cs/a%3Ab.yaml,line=2,col=3::100%25 sure%0D%0Anext",
    );
  });

  const USAGE = "\nusage: tandem validate [files...] [--format text|json]\n";
  it.each([
    [["--frmat", "json"], /^tandem validate: Unknown option '--frmat'[^\n]*$/],
    [["--format", "xml"], /^tandem validate: --format must be text or json, not "xml"$/],
    [["--format"], /^tandem validate: Option '--format <value>' argument missing/],
    [["environments/nope.yaml"], /^tandem validate: no such file: "environments\/nope\.yaml"$/],
    [["environments"], /^tandem validate: "environments" is a directory, not a manifest file$/],
    [["/dev/null"], /^tandem validate: "\/dev\/null" is a character device, not a manifest file$/],
  ])(
    "rejects %j as a usage error: the message and the usage on stderr, exit 2",
    async (argv, message) => {
      const result = await run(argv, repo());
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr.endsWith(USAGE)).toBe(true);
      expect(result.stderr.slice(0, -USAGE.length)).toMatch(message);
    },
  );

  it("is a usage error when there are no manifests to validate", async () => {
    const result = await run([], releaseRoot());
    expect(result).toEqual({
      code: 2,
      stdout: "",
      stderr: expect.stringMatching(
        /^tandem validate: no manifests: environments\/\*\.yaml matched nothing/,
      ),
    });
  });

  it("prints help with --help", async () => {
    const result = await run(["--help"], repo());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^usage: tandem validate \[files\.\.\.\] \[--format text\|json\]\n/,
    );
    expect(result.stdout).toContain("Exit status: 0 valid, 1 problems found, 2 usage error.");
  });

  it("writes nothing to disk", async () => {
    const root = repo();
    writeFileSync(join(root, "environments/bad.yaml"), BAD);
    const before = readdirSync(root, { recursive: true }).map(String).sort();
    await run([], root);
    await run(["--format", "json"], root, { GITHUB_ACTIONS: "true" });
    expect(readdirSync(root, { recursive: true }).map(String).sort()).toEqual(before);
  });
});
