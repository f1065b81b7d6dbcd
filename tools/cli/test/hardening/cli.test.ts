// Issue 13, classes 5 (nothing a manifest or an argument says becomes a workflow command or
// drives the terminal), 8 (use from anywhere in the repository, odd folder names) and 9
// (help on every subcommand, one usage-error format, no stray folders, exports that exist).
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { bareRepo, REPO, scratchRepo, tandem, tempDir } from "../e2e/scratch.ts";

const COMMANDS = ["validate", "synth", "preview", "affected", "release", "docs"];

/** No output line a GitHub Actions runner would execute, and no raw control character. */
function expectInert(output: string): void {
  for (const line of output.split("\n")) expect(line, line).not.toMatch(/^\s*::/);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
}

describe("user text is printed escaped (class 5)", () => {
  let repo: string;
  beforeAll(() => {
    repo = scratchRepo();
  });

  it.each([
    ["a key with a newline and a workflow command", '"x\\n::warning file=a.yaml::pwned": 1\n'],
    ["a key with a carriage return", '"x\\r::error::pwned": 1\n'],
    ["a key with terminal escapes", '"\\e[31mred\\e[0m\\e]0;title\\a": 1\n'],
    ["a value with a newline in an enum", 'tier: "nope\\n::set-output name=x::y"\n'],
  ])("%s: every line stays inert, in a terminal and under GitHub Actions", async (_, line) => {
    const file = join(repo, "environments/staging.yaml");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace(/^tier: .*\n/m, "").concat(line));
    try {
      for (const env of [{}, { GITHUB_ACTIONS: "true" }] as Record<string, string>[]) {
        const result = await tandem(repo, ["validate"], env);
        expect(result.code).toBe(1);
        expectInert(result.stderr);
        // only our own annotations start with `::`, and they are escaped as a whole
        const commands = result.stdout.split("\n").filter((l) => l.startsWith("::"));
        for (const command of commands) expect(command).toMatch(/^::error file=[^\n]*$/);
        expectInert(result.stdout.replace(/^::error [^\n]*$/gm, ""));
      }
    } finally {
      writeFileSync(file, original);
    }
  });

  it("escapes arguments echoed in usage errors", async () => {
    for (const argv of [
      ["synth", "--env", "x\n::warning::pwned"],
      ["\u001b]0;title\u0007\n::error::x"],
      ["affected", "--base", "HEAD\n::warning::y"],
      ["release", "dns\n::warning::z"],
      ["validate", "missing\n::warning::w.yaml"],
      ["synth", "--\u001b[2J"],
    ]) {
      const result = await tandem(repo, argv);
      expect(result.code, argv.join(" ")).toBe(2);
      expectInert(result.stderr);
      expect(result.stderr).toMatch(/\\n::|\\u001b/);
    }
  });

  it("a file name that begins with `::` cannot start a line", async () => {
    const dir = join(repo, "odd");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "::warning::x.yaml"), "name: [\n");
    const result = await tandem(dir, ["validate", "::warning::x.yaml"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^\.\/::warning::x\.yaml:\d+:\d+: /);
    expectInert(result.stderr);
  });
});

describe("use from anywhere in the repository (class 8)", () => {
  let repo: string;
  beforeAll(() => {
    // A checkout under a folder name with spaces and non-ASCII characters.
    const parent = tempDir("tandem-räum mit leerzeichen-");
    repo = join(parent, "zahlungen ✓ repo");
    cpSync(scratchRepo(), repo, { recursive: true });
  });

  it("validates from environments/ as from the top, paths shown relative to where it runs", async () => {
    const top = await tandem(repo, ["validate"]);
    const inside = await tandem(join(repo, "environments"), ["validate"]);
    expect(top).toEqual({ code: 0, stdout: "3 manifests valid\n", stderr: "" });
    expect(inside).toEqual(top);
    const named = await tandem(join(repo, "environments"), ["validate", "prod.yaml"]);
    expect(named).toEqual({ code: 0, stdout: "1 manifest valid\n", stderr: "" });
  });

  it("synthesizes from modules/<domain>/src into the repository's dist/", async () => {
    const result = await tandem(join(repo, "modules/dns/src"), ["synth", "--env", "prod"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("-> dist/environments/prod/");
    expect(existsSync(join(repo, "dist/environments/prod/global/main.tf.json"))).toBe(true);
    expect(existsSync(join(repo, "modules/dns/src/dist"))).toBe(false);
  });

  it("previews and compares refs from a subfolder", async () => {
    const preview = await tandem(join(repo, "tools/module-kit"), ["preview", "--env", "dev"]);
    expect(preview.code).toBe(0);
    const affected = await tandem(join(repo, "environments"), ["affected", "--base", "HEAD"]);
    expect(affected).toEqual({ code: 0, stdout: "no deployment changed\n", stderr: "" });
  });

  it("outside any repository, says where to run, exit 2", async () => {
    const nowhere = tempDir("tandem-nowhere-");
    const result = await tandem(nowhere, ["synth"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^tandem synth: ".*tandem-nowhere-.*" is not inside a Tandem repository .*run tandem from the repository or one of its folders\n$/,
    );
  });

  it("builds and runs the CLI from a folder with spaces and non-ASCII characters", () => {
    const place = join(tempDir("tandem-bau "), "ordner mit ümlaut");
    // the repository's files as a checkout has them (the CLI bundles sources from several tools)
    const listed = execFileSync("git", ["-C", REPO, "ls-files", "-co", "--exclude-standard"], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    for (const path of listed.split("\n").filter(Boolean)) {
      if (!existsSync(join(REPO, path))) continue; // deleted in the working tree
      mkdirSync(dirname(join(place, path)), { recursive: true });
      copyFileSync(join(REPO, path), join(place, path));
    }
    symlinkSync(realpathSync(join(REPO, "node_modules")), join(place, "node_modules"));
    const build = spawnSync(process.execPath, [join(place, "tools/cli/build.mjs")], {
      encoding: "utf8",
    });
    expect(build.stderr).toBe("");
    expect(build.status).toBe(0);
    const help = spawnSync(process.execPath, [join(place, "tools/cli/bin/tandem.mjs"), "-h"], {
      encoding: "utf8",
      cwd: place,
    });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: tandem <command>/);
  }, 60_000);
});

describe("help and messages a person expects (class 9)", () => {
  const cwd = bareRepo();

  it.each(COMMANDS)("%s --help and -h print its usage and options, exit 0, anywhere", async (c) => {
    for (const flag of ["--help", "-h"]) {
      const result = await tandem(tempDir(), [c, flag]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe("");
      expect(result.stdout).toMatch(new RegExp(`^usage: tandem ${c}\\b`));
      expect(result.stdout).toContain("-h, --help");
    }
  });

  it.each(COMMANDS)("%s: a usage error has one format, the message then the usage", async (c) => {
    const result = await tandem(cwd, [c, "--nope"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      new RegExp(`^tandem ${c}: [^\\n]+\\nusage: tandem ${c}\\b[^\\n]*\\n$`),
    );
  });

  describe("synthesis leaves no stray folder in the working directory", () => {
    const previous = process.cwd();
    afterEach(() => process.chdir(previous));

    it("no unused/ from cdktf's App", async () => {
      const repo = scratchRepo();
      const elsewhere = tempDir("tandem-cwd-");
      process.chdir(elsewhere);
      process.env.TANDEM_MODULE_CACHE = "off"; // so cdktf really synthesizes
      try {
        expect((await tandem(repo, ["synth", "--env", "dev"])).code).toBe(0);
      } finally {
        delete process.env.TANDEM_MODULE_CACHE;
      }
      expect(existsSync(join(elsewhere, "unused"))).toBe(false);
      expect(existsSync(join(repo, "unused"))).toBe(false);
    });
  });

  it("the packages' bin and exports point at files that exist", () => {
    for (const pkg of ["tools/cli", "tools/generator"]) {
      const manifest = JSON.parse(readFileSync(join(REPO, pkg, "package.json"), "utf8")) as {
        bin?: Record<string, string>;
        exports?: Record<string, string>;
      };
      const paths = [
        ...Object.values(manifest.bin ?? {}),
        ...Object.values(manifest.exports ?? {}),
      ];
      for (const path of paths)
        expect(existsSync(join(REPO, pkg, path)), `${pkg}: ${path}`).toBe(true);
    }
  });
});
