import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { startPrivateMoto } from "../src/moto.ts";

/** The Service Quotas extension, and the roots' quota checks planned on the emulator. */
const repoRoot = join(import.meta.dirname, "../../..");
const python = join(repoRoot, ".venv", "bin", "python");
const installed = existsSync(python);
if (!installed) console.warn("sandbox quota tests skipped: no .venv with moto");

describe.runIf(installed)("the Service Quotas extension", () => {
  test("answers the default and, once set, the applied value as the API reference says", async () => {
    const moto = await startPrivateMoto(repoRoot, { label: "test-quotas-ext" });
    try {
      const out = execFileSync(
        python,
        [join(import.meta.dirname, "quotas_probe.py"), moto.endpoint],
        { encoding: "utf8", timeout: 60_000 },
      );
      expect(JSON.parse(out)).toEqual({
        lambda_default: {
          QuotaName: "Concurrent executions",
          Value: 1000,
          QuotaArn: "arn:aws:servicequotas:us-east-1::lambda/L-B99A9384",
          Adjustable: true,
        },
        eip_default: { QuotaName: "EC2-VPC Elastic IPs", Value: 5 },
        // No applied value until one is set: the provider then keeps the default.
        lambda_applied_before: "NoSuchResourceException",
        set: 200,
        lambda_applied_after: 200,
        lambda_applied_arn: "arn:aws:servicequotas:us-east-1:123456789012:lambda/L-B99A9384",
        lambda_applied_other_region: "NoSuchResourceException",
        lambda_default_after: 1000,
        vpc_by_moto: 5,
      });
    } finally {
      await moto.stop();
    }
  });
});
