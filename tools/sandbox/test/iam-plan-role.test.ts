/**
 * The plan role plans every root of the shared applied staging: each root's refresh (every
 * resource, data source and remote state, the S3 backend's state read) goes through a gateway
 * that authorizes each call as tandem-staging-plan, as a pull request's plan runs on AWS.
 */
import { join } from "node:path";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, describe, expect, it } from "vitest";
import { planAsRole } from "../src/iam/as-role.ts";
import { jobOf, loadManifest } from "../src/iam/env.ts";
import { startGateway, type Gateway } from "../src/iam/gateway.ts";
import { githubClaims, mintToken } from "../src/iam/oidc.ts";
import { sharedSandbox, sharedSandboxName } from "../src/shared.ts";
import { findTool, sandboxUnavailable } from "../src/toolchain.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const skip = findTool("terraform", repoRoot) ? sandboxUnavailable(repoRoot) : "no terraform binary";
if (skip) console.warn(`sandbox plan-role test skipped: ${skip}`);

let gateway: Gateway | undefined;
afterAll(() => gateway?.close());

describe.skipIf(skip)("the plan role", () => {
  it(
    "plans every root of the applied staging with no call denied and nothing unexpected",
    { timeout: 40 * 60_000 },
    async () => {
      const { prepared } = await sharedSandbox(repoRoot, "terraform");
      const name = sharedSandboxName("terraform");
      const denials: string[] = [];
      const unread = new Map<string, number>();
      gateway = await startGateway({
        repoRoot,
        name,
        moto: prepared.server,
        log: (line) => {
          if (line.startsWith("denied")) denials.push(line);
          const rest = /^not evaluated \(no action read\): (\S+ \S+ \/[^/]*)/.exec(line)?.[1];
          if (rest) unread.set(rest, (unread.get(rest) ?? 0) + 1);
        },
      });
      const manifest = loadManifest(repoRoot, "staging");
      const role = `arn:aws:iam::${manifest.account}:role/tandem-staging-plan`;
      const sts = new STSClient({
        endpoint: gateway.endpoint,
        region: manifest.regions.primary,
        credentials: { accessKeyId: "anonymous", secretAccessKey: "anonymous" },
      });
      const session = async () => {
        const token = await mintToken(
          repoRoot,
          name,
          githubClaims(jobOf(manifest, { as: "plan" })),
        );
        const { Credentials } = await sts.send(
          new AssumeRoleWithWebIdentityCommand({
            RoleArn: role,
            RoleSessionName: "plan",
            WebIdentityToken: token,
          }),
        );
        return {
          accessKeyId: Credentials!.AccessKeyId!,
          secretAccessKey: Credentials!.SecretAccessKey!,
          sessionToken: Credentials!.SessionToken!,
        };
      };
      const plans = await planAsRole(prepared, {
        endpoint: gateway.endpoint,
        label: `as-plan-${process.pid}`,
        credentials: session,
      });
      const calls = Object.fromEntries(
        plans.map((p) => [p.root, gateway!.calls.get(p.accessKeyId)]),
      );
      console.log(
        JSON.stringify(
          { role, plans, calls, denials, unread: Object.fromEntries(unread) },
          null,
          2,
        ),
      );
      expect(denials).toEqual([]);
      expect(plans.filter((p) => p.code === 1)).toEqual([]);
      // What the role's plan changes is what a re-plan of the applied roots changes: known gaps.
      expect(plans.flatMap((p) => p.unexpected)).toEqual([]);
      // Every root made its reads as the role: each session's calls were judged.
      for (const plan of plans) expect(calls[plan.root]?.allowed, plan.root).toBeGreaterThan(0);
    },
  );
});
