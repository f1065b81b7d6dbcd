/** The GitHub CLI's stand-in (runner/gh), as apply.yml calls it, against the double. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitHubDouble } from "../src/github-double.ts";

const GH = fileURLToPath(new URL("../runner/gh", import.meta.url));
const github = new GitHubDouble("acme-payments", "payments-infra");
beforeAll(() => github.start());
afterAll(() => github.stop());

async function gh(args: string[], token = "ghs_rehearsal_7") {
  const env = { PATH: process.env.PATH ?? "", GH_TOKEN: token, GITHUB_API_URL: github.url };
  try {
    const { stdout, stderr } = await promisify(execFile)(GH, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe("gh api (the runner's stand-in)", () => {
  it("reads the deployments ledger as apply.yml does, strings from --jq printed raw", async () => {
    const applied = github.recordDeployment("staging", "c".repeat(40), "tandem:apply", "success");
    const path = "repos/acme-payments/payments-infra/deployments";
    const list = await gh([
      "api",
      `${path}?environment=staging&task=tandem:apply&per_page=100`,
      "--jq",
      '.[] | "\\(.id) \\(.sha)"',
    ]);
    expect(list).toEqual({ code: 0, stdout: `${applied.id} ${"c".repeat(40)}\n`, stderr: "" });
    const state = await gh([
      "api",
      `${path}/${applied.id}/statuses?per_page=1`,
      "--jq",
      ".[0].state",
    ]);
    expect(state.stdout).toBe("success\n");
    expect(github.calls.at(-1)).toMatchObject({ run: 7, method: "GET" });
  });

  it("fails as gh does on an HTTP error, and refuses what it does not stand in for", async () => {
    const missing = await gh(["api", "repos/acme-payments/payments-infra/deployments/1/statuses"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("gh: Not Found (HTTP 404)\n");
    const other = await gh(["pr", "list"]);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("only `gh api` is stood in for");
    expect((await gh(["api", "x"], "")).code).toBe(4);
  });
});
