import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { run } from "../src/cli.ts";
import { REPO } from "@tandem/generator/testing";

/** A scratch copy of what the command reads: manifests, workflows, released modules (linked). */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "tandem-workflows-"));
  cpSync(join(REPO, "environments"), join(dir, "environments"), { recursive: true });
  cpSync(join(REPO, ".github"), join(dir, ".github"), { recursive: true });
  symlinkSync(join(REPO, "modules"), join(dir, "modules"));
  writeFileSync(join(dir, "package.json"), JSON.stringify({ workspaces: ["modules/*"] }));
  return dir;
}

async function tandem(dir: string, ...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await run(["workflows", ...argv], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    cwd: dir,
    root: dir,
    env: {},
  });
  return { code, stdout, stderr };
}

const read = (dir: string, file: string) => readFileSync(join(dir, file), "utf8");
const DRILL = ".github/workflows/drill.yml";

function edit(dir: string, file: string, from: string, to: string): void {
  const text = read(dir, file);
  if (!text.includes(from)) throw new Error(`${file} lacks ${from}`);
  writeFileSync(join(dir, file), text.replace(from, to));
}

describe("tandem workflows", () => {
  let dir: string;
  beforeEach(() => {
    dir = scratch();
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("--check passes on the repository as committed", async () => {
    expect(await tandem(REPO, "--check")).toEqual({
      code: 0,
      stdout: "workflows are up to date with the manifests\n",
      stderr: "",
    });
  });

  it("--check fails when a drill schedule changes, naming the file and the lines; writing fixes it", async () => {
    edit(dir, "environments/staging.yaml", 'schedule: "0 6 * * 1"', 'schedule: "30 7 * * 2"');
    const before = read(dir, DRILL);
    const check = await tandem(dir, "--check");
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`${DRILL}:`);
    expect(check.stderr).toContain('generated block "drill-schedule" is out of date');
    expect(check.stderr).toContain('    -   - cron: "0 6 * * 1" # staging');
    expect(check.stderr).toContain('    +   - cron: "30 7 * * 2" # staging');
    expect(check.stderr).toContain('generated block "drill-schedules" is out of date');
    expect(read(dir, DRILL)).toBe(before); // --check writes nothing

    const write = await tandem(dir);
    expect(write).toMatchObject({ code: 0, stderr: "" });
    expect(write.stdout).toBe(`updated ${DRILL} (drill-schedule, drill-schedules)\n`);
    const after = read(dir, DRILL);
    const crons = (parse(after) as { on: { schedule: { cron: string }[] } }).on.schedule;
    expect(crons.map((c) => c.cron).sort()).toEqual(["0 6 1 * *", "30 7 * * 2"]);
    // Only the generated lines moved: every other line is as it was.
    const changed = after.split("\n").filter((line) => !before.split("\n").includes(line));
    expect(changed).toEqual([
      '    - cron: "30 7 * * 2" # staging',
      '      "30 7 * * 2": ["staging"]',
    ]);
    expect(await tandem(dir, "--check")).toMatchObject({ code: 0 });
  });

  it("two environments on one schedule share a cron line", async () => {
    edit(dir, "environments/prod.yaml", 'schedule: "0 6 1 * *"', 'schedule: "0 6 * * 1"');
    expect((await tandem(dir)).code).toBe(0);
    expect(read(dir, DRILL)).toContain('- cron: "0 6 * * 1" # prod, staging');
    expect(read(dir, DRILL)).toContain('"0 6 * * 1": ["prod", "staging"]');
  });

  it("a new environment joins every generated list and map", async () => {
    const qa = read(dir, "environments/staging.yaml")
      .replace("name: staging", "name: qa")
      .replace('account: "123456789012"', 'account: "333333333333"')
      .replace('schedule: "0 6 * * 1"', 'schedule: "0 4 * * 3"');
    writeFileSync(join(dir, "environments/qa.yaml"), qa);
    expect((await tandem(dir, "--check")).code).toBe(1);
    const write = await tandem(dir);
    expect(write.code).toBe(0);
    for (const file of ["plan", "apply", "drift", "drill"]) {
      const w = parse(read(dir, `.github/workflows/${file}.yml`)) as {
        env: { TANDEM_ENVIRONMENTS: string };
      };
      expect(JSON.parse(w.env.TANDEM_ENVIRONMENTS).qa).toEqual({
        account: "333333333333",
        primary: "us-east-1",
        secondary: "us-west-2",
      });
    }
    const drill = parse(read(dir, DRILL)) as {
      on: {
        schedule: { cron: string }[];
        workflow_dispatch: { inputs: { environment: { options: string[] } } };
      };
    };
    expect(drill.on.schedule.map((s) => s.cron)).toContain("0 4 * * 3");
    expect(drill.on.workflow_dispatch.inputs.environment.options).toEqual([
      "dev",
      "prod",
      "qa",
      "staging",
    ]);
  });

  it("no drill enabled: no schedule at all, and the workflow stays valid YAML", async () => {
    for (const env of ["prod", "staging"])
      edit(dir, `environments/${env}.yaml`, "enabled: true", "enabled: false");
    expect((await tandem(dir)).code).toBe(0);
    const drill = parse(read(dir, DRILL)) as {
      on: Record<string, unknown>;
      env: Record<string, string>;
    };
    expect(Object.keys(drill.on)).toEqual(["workflow_dispatch"]);
    expect(drill.env.TANDEM_DRILL_SCHEDULES).toBe("{}");
  });

  it("an invalid manifest: located problems, exit 1, nothing written", async () => {
    edit(dir, "environments/staging.yaml", 'schedule: "0 6 * * 1"', 'schedule: "every monday"');
    const before = read(dir, DRILL);
    const result = await tandem(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^environments\/staging\.yaml:\d+:\d+: drill\.schedule: /m);
    expect(read(dir, DRILL)).toBe(before);
  });

  it.each([
    [
      "a missing end marker",
      [["  # tandem:generated end drill-schedules\n", ""]],
      'block "drill-schedules" has no end marker',
    ],
    [
      "an unknown block",
      [
        ["begin drill-schedule\n", "begin crons\n"],
        ["end drill-schedule\n", "end crons\n"],
      ],
      'unknown generated block "crons"',
    ],
  ])("%s: file:line, exit 1, nothing written", async (_, edits, message) => {
    for (const [from, to] of edits) edit(dir, DRILL, from!, to!);
    const before = read(dir, DRILL);
    const result = await tandem(dir);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^${DRILL}:\\d+: ${message}`, "m"));
    expect(result.stderr).toContain("nothing was written");
    expect(read(dir, DRILL)).toBe(before);
  });

  it("a workflow that lost a block says which", async () => {
    const text = read(dir, ".github/workflows/plan.yml").replace(/^.*tandem:generated.*\n/gm, "");
    writeFileSync(join(dir, ".github/workflows/plan.yml"), text);
    const result = await tandem(dir, "--check");
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      '.github/workflows/plan.yml:1: lacks the generated block(s) "environments"',
    );
  });

  it("--help explains, unknown options are usage errors", async () => {
    expect(await tandem(dir, "--help")).toMatchObject({ code: 0 });
    expect((await tandem(dir, "--frobnicate")).code).toBe(2);
  });
});
