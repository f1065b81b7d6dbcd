import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";
import { OVERRIDE_FILE, overrideFor } from "../src/overrides.ts";
import { runTool } from "../src/run.ts";
import { findTool, providerEnv, TOOLS } from "../src/toolchain.ts";

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

/**
 * prod's us-east-1 root as synthesized, reduced to what the checks read (its provider, its quota
 * data sources, its provider lock): planned by each tool against quotas set on the emulator.
 */
const ROOT = "environments/prod/us-east-1";
const tools = TOOLS.map((name) => findTool(name, repoRoot)).filter((t) => t !== undefined);

describe.runIf(installed && tools.length > 0)("prod's quota checks fail the plan", () => {
  let moto: PrivateMoto;
  let dir: string;
  beforeAll(async () => {
    const { files } = await synthesizeTree(repoRoot, environmentFiles(repoRoot, ["prod"]));
    const text = (path: string) => new TextDecoder().decode(files.get(`${ROOT}/${path}`)!);
    const root = JSON.parse(text("main.tf.json")) as {
      terraform: { required_providers: unknown };
      provider: { aws: { alias?: string }[] };
      data: unknown;
    };
    moto = await startPrivateMoto(repoRoot, { label: "test-quotas-plan", account: "210987654321" });
    dir = mkdtempSync(join(tmpdir(), "tandem-quotas-"));
    const checks = {
      terraform: { required_providers: root.terraform.required_providers },
      provider: root.provider,
      data: root.data,
    };
    for (const tool of tools) {
      const folder = join(dir, tool.name);
      mkdirSync(folder);
      writeFileSync(join(folder, "main.tf.json"), JSON.stringify(checks));
      writeFileSync(
        join(folder, OVERRIDE_FILE),
        JSON.stringify(overrideFor({ provider: root.provider }, moto.endpoint)),
      );
      writeFileSync(join(folder, ".terraform.lock.hcl"), text(".terraform.lock.hcl"));
    }
  }, 180_000);
  afterAll(async () => {
    await moto?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const setQuota = async (service: string, code: string, value: number) => {
    const url = `${moto.endpoint}/tandem/quotas/us-east-1/${service}/${code}`;
    const response = await fetch(url, { method: "PUT", body: JSON.stringify({ Value: value }) });
    expect(response.status).toBe(200);
  };

  /** The tools wrap and frame a diagnostic's lines: its words, one space apart. */
  const words = (text: string) => text.replace(/[\s│]+/g, " ");

  test.each(tools)(
    "$name: passes at the defaults and at 305, fails at 304 naming the quota, the need and the fix",
    { timeout: 300_000 },
    async (tool) => {
      const cwd = join(dir, tool.name);
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: cwd,
        CHECKPOINT_DISABLE: "1",
        ...providerEnv(cwd),
      };
      const run = (args: string[]) => runTool(tool.bin, args, { cwd, env, timeoutMs: 120_000 });
      const plan = () => run(["plan", "-input=false", "-no-color", "-lock=false"]);
      const init = await run(["init", "-input=false", "-no-color"]);
      expect(init.code, init.stderr).toBe(0);
      await setQuota("ec2", "L-0263D0A3", 5);

      await setQuota("lambda", "L-B99A9384", 1000);
      expect((await plan()).code).toBe(0);

      await setQuota("lambda", "L-B99A9384", 304);
      const refused = await plan();
      expect(refused.code).toBe(1);
      const message = words(refused.stderr);
      expect(message).toContain(
        "Lambda concurrent executions (Service Quotas lambda L-B99A9384) in us-east-1 of account 210987654321 is 304, below the 305 the Tandem environments there need (prod 205 + 100 Lambda keeps unreserved)",
      );
      expect(message).toContain(
        "aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value 305 --region us-east-1",
      );
      expect(message.match(/Error: Resource postcondition failed/g)).toHaveLength(1);

      await setQuota("lambda", "L-B99A9384", 305);
      expect((await plan()).code).toBe(0);

      await setQuota("ec2", "L-0263D0A3", 2);
      const eips = await plan();
      expect(eips.code).toBe(1);
      expect(words(eips.stderr)).toContain(
        "EC2-VPC Elastic IPs (Service Quotas ec2 L-0263D0A3) in us-east-1 of account 210987654321 is 2, below the 3",
      );
    },
  );
});
