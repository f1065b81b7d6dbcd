import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tandem as runTandem } from "./e2e/scratch.ts";

const repoRoot = join(import.meta.dirname, "../../..");

const tandem = (args: string[]) => runTandem(repoRoot, ["sandbox", "env", ...args], process.env);

/** The command's mistakes; its credentials are tested in tools/sandbox/test/iam-*.test.ts. */
describe("tandem sandbox env", () => {
  it.each([
    [["--as", "plan"], "--env is required"],
    [["--env", "staging", "--as", "admin"], '--as must be plan, apply or drill, not "admin"'],
    [
      ["--env", "staging", "--as", "plan", "--repository", "no-slash"],
      "--repository must be <owner>/<name>",
    ],
    [
      ["--env", "staging", "--as", "plan", "--environment", "x", "--no-environment"],
      "exclude each other",
    ],
  ])("%j is a usage error", async (args, message) => {
    const { code, stderr, stdout } = await tandem(args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe("");
  });

  it("exits 1 naming the command to run when the sandbox is not running", async () => {
    const { code, stderr } = await tandem([
      "--env",
      "staging",
      "--as",
      "plan",
      "--name",
      `absent-${process.pid}`,
    ]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `tandem sandbox env: sandbox absent-${process.pid} is not running: run \`tandem sandbox apply --env staging --name absent-${process.pid}\` first\n`,
    );
  });
});
