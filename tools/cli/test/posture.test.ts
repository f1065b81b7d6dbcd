/*
 * tandem posture: its usage, and the command itself against the drill's emulation (moto, the
 * emulated RDS, Route 53 and CloudWatch), reached through the SDK's own endpoint variables as
 * an operator's AWS environment would reach AWS, with one regional cluster detached.
 */
import { RemoveFromGlobalClusterCommand } from "@aws-sdk/client-rds";
import { afterEach, describe, expect, it, vi } from "vitest";
import { motoBinary, startEmulation } from "@tandem/drill";
import { REPO } from "@tandem/generator/testing";
import { tandem } from "./e2e/scratch.ts";

const hasMoto = motoBinary(REPO) !== undefined;

afterEach(() => vi.unstubAllEnvs());

describe("tandem posture", () => {
  it("needs --env", async () => {
    const { code, stderr, stdout } = await tandem(REPO, ["posture"]);
    expect(code).toBe(2);
    expect(stderr).toContain("tandem posture: --env is required");
    expect(stdout).toBe("");
  });

  it.skipIf(!hasMoto)(
    "exits 1 naming a detached cluster, and 0 when all is as the manifest says",
    async () => {
      const emulation = await startEmulation({ root: REPO, env: "staging" });
      try {
        const { endpoints, role, targets } = emulation;
        vi.stubEnv("AWS_ACCESS_KEY_ID", role.credentials.accessKeyId);
        vi.stubEnv("AWS_SECRET_ACCESS_KEY", role.credentials.secretAccessKey);
        vi.stubEnv("AWS_SESSION_TOKEN", role.credentials.sessionToken);
        vi.stubEnv("AWS_ENDPOINT_URL_RDS", endpoints.rds);
        vi.stubEnv("AWS_ENDPOINT_URL_ROUTE_53", endpoints.route53);
        vi.stubEnv("AWS_ENDPOINT_URL_CLOUDWATCH", endpoints.cloudwatch);
        vi.stubEnv("AWS_ENDPOINT_URL_SSM", endpoints.ssm);
        const clean = await tandem(REPO, ["posture", "--env", "staging"], process.env);
        expect(clean.stderr).toBe("");
        expect(clean.code).toBe(0);
        expect(clean.stdout).toContain("## DR posture: staging — ✅ as the manifest says");

        await emulation.world.clients("us-west-2").rds.send(
          new RemoveFromGlobalClusterCommand({
            GlobalClusterIdentifier: targets.globalClusterIdentifier,
            DbClusterIdentifier: `arn:aws:rds:us-west-2:${targets.account}:cluster:${targets.clusterIdentifier}`,
          }),
        );
        const detached = await tandem(REPO, ["posture", "--env", "staging", "--json"], process.env);
        expect(detached.code).toBe(1);
        expect(detached.stderr).toMatch(
          /^tandem posture: staging: us-west-2 cluster: payments-staging is detached from payments-staging /,
        );
        expect(detached.stderr.trim().split("\n")).toHaveLength(1);
        const report = JSON.parse(detached.stdout) as { ok: boolean; writerRegion: string };
        expect(report).toMatchObject({ ok: false, writerRegion: "us-east-1" });
      } finally {
        await emulation.close();
      }
    },
    90_000,
  );
});
