import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tandem as runTandem } from "./e2e/scratch.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const name = `test-outage-cli-${process.pid}`;
const folder = join(repoRoot, "dist", "sandbox", name);
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const tandem = (args: string[]) => runTandem(repoRoot, ["sandbox", ...args], process.env);

/** The commands' mistakes and the outage's record; what a lost region does is tested in tools/sandbox. */
describe("tandem sandbox outage and plan|apply --root", () => {
  it.each([
    [["outage", "--region", "us-east-1"], "--env is required"],
    [["outage", "--env", "staging"], "--region is required"],
    [["plan", "--env", "staging", "--refresh=false"], "--refresh and --exclude apply to one root"],
    [
      ["plan", "--env", "staging", "--root", "us-west-2", "--refresh=true"],
      "--refresh takes only false",
    ],
    [
      ["plan", "--env", "staging", "--root", "us-west-2", "--exclude", "a.b"],
      "--exclude is OpenTofu's",
    ],
  ])("%j is a usage error", async (args, message) => {
    const { code, stderr, stdout } = await tandem(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe("");
  });

  it("refuses a region that is none and a sandbox that does not exist, in one line", async () => {
    const typo = await tandem([
      "outage",
      "--env",
      "staging",
      "--region",
      "useast1",
      "--name",
      name,
    ]);
    expect(typo).toMatchObject({ code: 1, stdout: "" });
    expect(typo.stderr).toBe(
      "tandem sandbox: --region useast1 is not a region of staging (us-east-1, us-west-2)\n",
    );
    const none = await tandem([
      "outage",
      "--env",
      "staging",
      "--region",
      "us-east-1",
      "--name",
      name,
    ]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain(`no sandbox ${name}`);
  });

  it("records a lost region that status shows, until --restore", async () => {
    mkdirSync(folder, { recursive: true });
    expect(
      await tandem(["outage", "--env", "staging", "--region", "us-east-1", "--name", name]),
    ).toMatchObject({
      code: 0,
      stdout: `sandbox ${name}: lost us-east-1\n`,
    });
    const status = await tandem(["status", "--name", name, "--json"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ running: false, lost: ["us-east-1"] });
    const text = await tandem(["status", "--name", name]);
    expect(text.stdout).toContain(`sandbox ${name}: lost us-east-1`);
    const restored = await tandem([
      "outage",
      "--env",
      "staging",
      "--region",
      "us-east-1",
      "--restore",
      "--name",
      name,
    ]);
    expect(restored.stdout).toBe(`sandbox ${name}: no region lost\n`);
    expect(JSON.parse((await tandem(["status", "--name", name, "--json"])).stdout).lost).toEqual(
      [],
    );
  });
});
