/**
 * The plan role plans every root of the shared applied staging: each root's refresh (every
 * resource, data source and remote state, the S3 backend's state read) goes through a gateway
 * that authorizes each call as tandem-staging-plan, as a pull request's plan runs on AWS.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planAsRole, startRoleRun, type RoleRun } from "../src/iam/as-role.ts";
import { loadManifest } from "../src/iam/env.ts";
import { sharedSandbox, sharedSandboxName } from "../src/shared.ts";
import { findTool, sandboxUnavailable } from "../src/toolchain.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const skip = findTool("terraform", repoRoot) ? sandboxUnavailable(repoRoot) : "no terraform binary";
if (skip) console.warn(`sandbox plan-role test skipped: ${skip}`);

let roles: RoleRun | undefined;
afterAll(() => roles?.close());

describe.skipIf(skip)("the plan role", () => {
  it(
    "plans every root of the applied staging with no call denied and nothing unexpected",
    { timeout: 40 * 60_000 },
    async () => {
      const { prepared } = await sharedSandbox(repoRoot, "terraform");
      const denials: string[] = [];
      const manifest = loadManifest(repoRoot, "staging");
      roles = await startRoleRun(
        repoRoot,
        sharedSandboxName("terraform"),
        manifest,
        prepared,
        (line) => {
          if (line.startsWith("gateway: denied")) denials.push(line);
        },
      );
      const plans = await planAsRole(prepared, roles);
      const calls = Object.fromEntries(plans.map((p) => [p.root, roles!.calls(p.accessKeyId)]));
      console.log(JSON.stringify({ plans, calls, denials }, null, 2));
      expect(denials).toEqual([]);
      expect(plans.filter((p) => p.code === 1)).toEqual([]);
      // What the role's plan changes is what a re-plan of the applied roots changes: known gaps.
      expect(plans.flatMap((p) => p.unexpected)).toEqual([]);
      // Every root made its reads as the role: each session's calls were judged.
      for (const plan of plans) expect(calls[plan.root]?.allowed, plan.root).toBeGreaterThan(0);
    },
  );
});
