/*
 * tandem posture: its usage, and the command itself against the drill's emulation (moto, the
 * emulated RDS, Route 53 and CloudWatch), reached through the SDK's own endpoint variables as
 * an operator's AWS environment would reach AWS: clean, and with one regional cluster detached
 * (RemoveFromGlobalCluster through RDS's API is tested in tools/drill).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { motoBinary, startEmulation, type SandboxFault } from "@tandem/drill";
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

  /** `tandem posture --env staging` against a fresh emulation, reached as AWS is: by the SDK's variables. */
  async function posture(faults: SandboxFault[], args: string[] = []) {
    const emulation = await startEmulation({ root: REPO, env: "staging", faults });
    try {
      const { endpoints, role } = emulation;
      vi.stubEnv("AWS_ACCESS_KEY_ID", role.credentials.accessKeyId);
      vi.stubEnv("AWS_SECRET_ACCESS_KEY", role.credentials.secretAccessKey);
      vi.stubEnv("AWS_SESSION_TOKEN", role.credentials.sessionToken);
      vi.stubEnv("AWS_ENDPOINT_URL_RDS", endpoints.rds);
      vi.stubEnv("AWS_ENDPOINT_URL_ROUTE_53", endpoints.route53);
      vi.stubEnv("AWS_ENDPOINT_URL_CLOUDWATCH", endpoints.cloudwatch);
      vi.stubEnv("AWS_ENDPOINT_URL_SSM", endpoints.ssm);
      return await tandem(REPO, ["posture", "--env", "staging", ...args], process.env);
    } finally {
      await emulation.close();
    }
  }

  it.skipIf(!hasMoto)(
    "exits 0 when all is as the manifest says, and 1 naming a detached cluster",
    async () => {
      const clean = await posture([]);
      expect(clean.stderr).toBe("");
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain("## DR posture: staging — ✅ as the manifest says");

      const detached = await posture(["secondary-detached"], ["--json"]);
      expect(detached.code).toBe(1);
      expect(detached.stderr).toMatch(
        /^tandem posture: staging: us-west-2 cluster: payments-staging is detached from payments-staging /,
      );
      expect(detached.stderr.trim().split("\n")).toHaveLength(1);
      const report = JSON.parse(detached.stdout) as { ok: boolean; writerRegion: string };
      expect(report).toMatchObject({ ok: false, writerRegion: "us-east-1" });
    },
    90_000,
  );
});
