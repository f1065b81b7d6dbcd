/**
 * A lost region on a private emulator, through the gateway every tool call is given: each
 * service of the lost region is dropped, the other region is served, the global control planes
 * homed in us-east-1 (IAM, STS's global endpoint, Route 53's control plane) go with us-east-1
 * only, Route 53's data plane keeps answering, and restoring brings everything back.
 */
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type Gateway } from "../src/iam/gateway.ts";
import { ensureGateway } from "../src/iam/process.ts";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";
import { lostBy, lostRegions, setOutage } from "../src/outage.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const python = join(repoRoot, ".venv", "bin", "python");
const installed = existsSync(python);
if (!installed) console.warn("sandbox outage tests skipped: no .venv with moto");

const REGIONAL = [
  "dynamodb:ListTables",
  "ec2:DescribeVpcs",
  "sqs:ListQueues",
  "ssm:DescribeParameters",
  "rds:DescribeDBClusters",
  "sts:GetCallerIdentity",
];
const CONTROL_PLANES = ["iam:ListRoles", "route53:ListHostedZones", "route53:CreateHealthCheck"];
const DATA_PLANE = "route53:GetHealthCheckStatus";
const REGIONS = ["us-east-1", "us-west-2"] as const;

describe("lostBy", () => {
  it("keys regional services on the SigV4 scope and global ones on their control plane's home", () => {
    const lost = ["us-east-1"];
    expect(lostBy(lost, { service: "dynamodb", region: "us-east-1", path: "/" })).toBe(true);
    expect(lostBy(lost, { service: "dynamodb", region: "us-west-2", path: "/" })).toBe(false);
    expect(lostBy(lost, { service: "iam", region: "us-west-2", path: "/" })).toBe(true);
    expect(lostBy(["us-west-2"], { service: "iam", region: "us-west-2", path: "/" })).toBe(false);
    const status = "/2013-04-01/healthcheck/abc/status";
    expect(lostBy(lost, { service: "route53", region: "us-east-1", path: status })).toBe(false);
    expect(lostBy(lost, { path: "/" })).toBe(false); // unsigned: no region to judge
  });
});

describe.runIf(installed)("an outage through the gateway", () => {
  let moto: PrivateMoto;
  let gateway: Gateway;
  let healthCheck: string;
  const dropped: string[] = [];

  beforeAll(async () => {
    moto = await startPrivateMoto(repoRoot, { label: "outage" });
    gateway = await startGateway({
      repoRoot,
      name: moto.name,
      moto,
      log: (line) => dropped.push(line),
    });
    healthCheck = await boto3(
      `import boto3, sys; c = boto3.client("route53", region_name="us-east-1", endpoint_url=sys.argv[1], aws_access_key_id="test", aws_secret_access_key="test"); print(c.create_health_check(CallerReference="hc", HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "x.example.com"})["HealthCheck"]["Id"])`,
    );
    healthCheck = healthCheck.trim();
  }, 60_000);
  afterAll(async () => {
    await gateway?.close();
    await moto?.stop();
  });

  // Asynchronously: the gateway answers from this process's event loop.
  const run = async (args: string[]) =>
    (await promisify(execFile)(python, args, { encoding: "utf8", timeout: 120_000 })).stdout;
  const probe = async () =>
    JSON.parse(
      await run([join(import.meta.dirname, "outage_probe.py"), gateway.endpoint, healthCheck]),
    ) as { calls: Record<string, string>; slowestLostSeconds: number };
  const boto3 = (script: string) => run(["-c", script, gateway.endpoint]);

  /** What each call should see with `lost` taken away. */
  function expected(lost: readonly string[]): Record<string, string> {
    const entries = REGIONS.flatMap((region) => [
      ...REGIONAL.map((call) => [`${region} ${call}`, lost.includes(region)]),
      ...CONTROL_PLANES.map((call) => [`${region} ${call}`, lost.includes("us-east-1")]),
      [`${region} ${DATA_PLANE}`, false],
    ]);
    return Object.fromEntries(
      entries.map(([call, isLost]) => [call, isLost ? "lost" : "served"]),
    ) as Record<string, string>;
  }
  const seen = (calls: Record<string, string>) =>
    Object.fromEntries(Object.entries(calls).map(([c, o]) => [c, o.split(":")[0]!]));

  it("serves everything before any region is lost", async () => {
    expect(seen((await probe()).calls)).toEqual(expected([]));
  }, 120_000);

  it.each([["us-east-1"], ["us-west-2"]])(
    "with %s lost, drops its calls (and the control planes it homes) and serves the rest",
    async (region) => {
      expect(outage(region)).toEqual([region]);
      try {
        const { calls, slowestLostSeconds } = await probe();
        expect(seen(calls)).toEqual(expected([region]));
        // The connection is reset at once: a lost call never waits for a time-out.
        expect(slowestLostSeconds).toBeLessThan(1);
        console.log(JSON.stringify({ lost: region, calls, slowestLostSeconds }, null, 2));
      } finally {
        expect(outage(region, true)).toEqual([]);
      }
      expect(seen((await probe()).calls)).toEqual(expected([]));
      expect(dropped.some((line) => line.startsWith("lost region: dropped"))).toBe(true);
    },
    240_000,
  );

  it("is seen by the gateway's own process, as `tandem sandbox env` and --root start it", async () => {
    const record = await ensureGateway(repoRoot, moto.name, moto);
    try {
      const listTables = (region: string) =>
        run([
          "-c",
          `import boto3, sys; boto3.client("dynamodb", region_name=sys.argv[2], endpoint_url=sys.argv[1], aws_access_key_id="test", aws_secret_access_key="test").list_tables(); print("served")`,
          record.endpoint,
          region,
        ]).catch((error: Error) =>
          error.message.includes("ConnectionClosedError") ? "lost" : error.message,
        );
      outage("us-west-2");
      expect((await listTables("us-west-2")).trim()).toBe("lost");
      expect((await listTables("us-east-1")).trim()).toBe("served");
    } finally {
      outage("us-west-2", true);
      process.kill(record.pid, "SIGTERM");
    }
  }, 60_000);

  it("is kept in the sandbox's folder, where every process reads it", () => {
    outage("us-west-2");
    outage("us-east-1");
    try {
      const read = execFileSync(
        python,
        ["-c", "import json, sys; print(json.load(open(sys.argv[1]))['lost'])", outageJson()],
        { encoding: "utf8" },
      );
      expect(read.trim()).toBe("['us-east-1', 'us-west-2']");
      expect(lostRegions(repoRoot, moto.name)).toEqual(["us-east-1", "us-west-2"]);
    } finally {
      outage("us-east-1", true);
      outage("us-west-2", true);
    }
    expect(lostRegions(repoRoot, moto.name)).toEqual([]);
  });

  it("refuses a region the environment does not have, and a sandbox that does not exist", () => {
    expect(() => outage("eu-west-1")).toThrow(/not a region of staging \(us-east-1, us-west-2\)/);
    expect(() =>
      setOutage(repoRoot, { environment: "staging", name: "no-such-sandbox", region: "us-east-1" }),
    ).toThrow(/no sandbox no-such-sandbox/);
  });

  const outage = (region: string, restore = false) =>
    setOutage(repoRoot, { environment: "staging", name: moto.name, region, restore });
  const outageJson = () => join(repoRoot, "dist", "sandbox", moto.name, "outage.json");
});
