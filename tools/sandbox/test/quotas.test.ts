import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";
import { OVERRIDE_FILE, overrideFor } from "../src/overrides.ts";
import { runTool } from "../src/run.ts";
import { findTool, providerEnv, TOOLS, type Tool } from "../src/toolchain.ts";

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
 * A synthesized regional root reduced to what the checks read (its provider, its quota data
 * sources, its provider lock), planned by each tool against quotas set on the emulator.
 */
interface Checks {
  readonly root: { provider: { aws: { alias?: string }[] } } & Record<string, unknown>;
  readonly lock: string;
}
const tools = TOOLS.map((name) => findTool(name, repoRoot)).filter((t) => t !== undefined);

describe.runIf(installed && tools.length > 0)("the quota checks fail the plan", () => {
  let dir: string;
  const checks = new Map<string, Checks>();
  const motos: PrivateMoto[] = [];

  beforeAll(async () => {
    const { files } = await synthesizeTree(
      repoRoot,
      environmentFiles(repoRoot, ["prod", "staging"]),
    );
    for (const root of ["prod/us-east-1", "staging/us-west-2"]) {
      const text = (file: string) =>
        new TextDecoder().decode(files.get(`environments/${root}/${file}`)!);
      const json = JSON.parse(text("main.tf.json")) as {
        terraform: { required_providers: unknown };
        provider: Checks["root"]["provider"];
        data: unknown;
      };
      const reduced = {
        terraform: { required_providers: json.terraform.required_providers },
        provider: json.provider,
        data: json.data,
      };
      checks.set(root, { root: reduced, lock: text(".terraform.lock.hcl") });
    }
    dir = mkdtempSync(join(tmpdir(), "tandem-quotas-"));
  }, 180_000);
  afterAll(async () => {
    for (const moto of motos) await moto.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const emulator = async (account: string) => {
    const moto = await startPrivateMoto(repoRoot, { label: "test-quotas-plan", account });
    motos.push(moto);
    return moto;
  };
  /** A folder holding a root's checks, with the override sending their calls to `endpoint`. */
  const folder = (
    root: string,
    name: string,
    endpoint: string,
    credentials?: Record<string, string>,
  ) => {
    const { root: json, lock } = checks.get(root)!;
    const path = join(dir, name);
    mkdirSync(path);
    const override = overrideFor(json, endpoint) as { provider: { aws: object[] } };
    override.provider.aws = override.provider.aws.map((p) => ({ ...p, ...credentials }));
    writeFileSync(join(path, "main.tf.json"), JSON.stringify(json));
    writeFileSync(join(path, OVERRIDE_FILE), JSON.stringify(override));
    writeFileSync(join(path, ".terraform.lock.hcl"), lock);
    return path;
  };
  /** Runs the tool in `cwd`: init once, then each `plan` (no lock, as the plan role plans). */
  const planner = async (tool: Tool, cwd: string) => {
    const env = { PATH: process.env.PATH ?? "", HOME: cwd, CHECKPOINT_DISABLE: "1" };
    const run = (args: string[]) =>
      runTool(tool.bin, args, { cwd, env: { ...env, ...providerEnv(cwd) }, timeoutMs: 120_000 });
    const init = await run(["init", "-input=false", "-no-color"]);
    expect(init.code, init.stderr).toBe(0);
    return () => run(["plan", "-input=false", "-no-color", "-lock=false"]);
  };
  const setQuota = async (moto: PrivateMoto, region: string, quota: string, value: number) => {
    const url = `${moto.endpoint}/tandem/quotas/${region}/${quota}`;
    const response = await fetch(url, { method: "PUT", body: JSON.stringify({ Value: value }) });
    expect(response.status).toBe(200);
  };
  /** The tools wrap and frame a diagnostic's lines: its words, one space apart. */
  const words = (text: string) => text.replace(/[\s│]+/g, " ");

  test.each(tools)(
    "$name, prod us-east-1: passes at the defaults and at 305, fails at 304 naming the quota, the need and the fix",
    { timeout: 300_000 },
    async (tool) => {
      const moto = await emulator("210987654321");
      const plan = await planner(tool, folder("prod/us-east-1", tool.name, moto.endpoint));
      const set = (quota: string, value: number) => setQuota(moto, "us-east-1", quota, value);

      expect((await plan()).code).toBe(0);

      await set("lambda/L-B99A9384", 304);
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

      await set("lambda/L-B99A9384", 305);
      expect((await plan()).code).toBe(0);

      await set("ec2/L-0263D0A3", 2);
      const eips = await plan();
      expect(eips.code).toBe(1);
      expect(words(eips.stderr)).toContain(
        "EC2-VPC Elastic IPs (Service Quotas ec2 L-0263D0A3) in us-east-1 of account 210987654321 is 2, below the 3",
      );
    },
  );

  test(
    "staging us-west-2: dev's share of the account and region counts (passes at 172, fails at 171)",
    { timeout: 300_000 },
    async () => {
      const moto = await emulator("123456789012");
      const plan = await planner(tools[0]!, folder("staging/us-west-2", "shared", moto.endpoint));
      await setQuota(moto, "us-west-2", "lambda/L-B99A9384", 172);
      expect((await plan()).code).toBe(0);
      await setQuota(moto, "us-west-2", "lambda/L-B99A9384", 171);
      const refused = await plan();
      expect(refused.code).toBe(1);
      expect(words(refused.stderr)).toContain(
        "is 171, below the 172 the Tandem environments there need (dev 16 + staging 56 + 100 Lambda keeps unreserved)",
      );
    },
  );
});
