import { execFileSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, test } from "vitest";
import {
  motoStatus,
  pollUntil,
  SandboxError,
  sandboxDir,
  startMoto,
  startPrivateMoto,
  stopMoto,
} from "../src/moto.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const name = `test-moto-${process.pid}`;
const python = join(repoRoot, ".venv", "bin", "python");
const installed = existsSync(python);
if (!installed) {
  console.warn(
    "sandbox moto tests skipped: no .venv with moto (bash .ci/run or `tandem sandbox up` installs it)",
  );
}

afterAll(async () => {
  for (const sandbox of [name, `${name}-ext`]) {
    await stopMoto(repoRoot, sandbox);
    rmSync(sandboxDir(repoRoot, sandbox), { recursive: true, force: true });
  }
});

/** Runs `code` (ESM that may import the sandbox's sources) in a process of its own; its stdout. */
async function inSecondProcess(code: string): Promise<string> {
  const bundle = await build({
    stdin: { contents: code, resolveDir: import.meta.dirname, loader: "ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "silent",
  });
  return execFileSync(process.execPath, ["--input-type=module"], {
    input: bundle.outputFiles[0]!.text,
    encoding: "utf8",
    timeout: 30_000,
  });
}

const boto3 = (endpoint: string, script: string) =>
  execFileSync(python, ["-c", script, endpoint], { encoding: "utf8", timeout: 60_000 });

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("pollUntil", () => {
  test("asks until the answer is yes, or says no once the deadline passes", async () => {
    let asked = 0;
    expect(await pollUntil(() => ++asked === 3, { deadlineMs: 1_000, everyMs: 1 })).toBe(true);
    expect(asked).toBe(3);
    const started = Date.now();
    expect(await pollUntil(async () => false, { deadlineMs: 50, everyMs: 10 })).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});

describe.runIf(installed)("the emulator's lifecycle", () => {
  test("starts on loopback, is reused, and stops by exactly its pid", async () => {
    const server = await startMoto(repoRoot, { name, account: "210987654321" });
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await startMoto(repoRoot, { name, account: "210987654321" })).pid).toBe(server.pid);
    expect((await motoStatus(repoRoot, name))?.pid).toBe(server.pid);

    // It answers as the account it was started for, so roots keep the manifest's account.
    const identity = execFileSync(
      python,
      [
        "-c",
        "import boto3,sys; print(boto3.client('sts', region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='t', aws_secret_access_key='t').get_caller_identity()['Account'])",
        server.endpoint,
      ],
      { encoding: "utf8" },
    ).trim();
    expect(identity).toBe("210987654321");

    await expect(startMoto(repoRoot, { name, account: "123456789012" })).rejects.toThrow(
      SandboxError,
    );
    expect(await stopMoto(repoRoot, name)).toBe(true);
    expect(isAlive(server.pid)).toBe(false);
    expect(await motoStatus(repoRoot, name)).toBeUndefined();
    expect(await stopMoto(repoRoot, name)).toBe(false);
  });

  test("a second process attaches at once, whatever the state holds", async () => {
    const moto = await startPrivateMoto(repoRoot, { label: "test-attach" });
    try {
      // A Lambda function in the state: moto's own /moto-api/data.json then fails (it asks
      // Docker about the function), so a probe that serializes the state never answers.
      boto3(
        moto.endpoint,
        [
          "import boto3, io, json, sys, zipfile",
          "c = lambda s: boto3.client(s, region_name='us-east-1', endpoint_url=sys.argv[1], aws_access_key_id='t', aws_secret_access_key='t')",
          "trust = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Principal': {'Service': 'lambda.amazonaws.com'}, 'Action': 'sts:AssumeRole'}]}",
          "role = c('iam').create_role(RoleName='fn', AssumeRolePolicyDocument=json.dumps(trust))['Role']['Arn']",
          "code = io.BytesIO(); z = zipfile.ZipFile(code, 'w'); z.writestr('index.js', 'exports.handler = async () => 1'); z.close()",
          "c('lambda').create_function(FunctionName='f', Runtime='nodejs20.x', Role=role, Handler='index.handler', Code={'ZipFile': code.getvalue()})",
        ].join("\n"),
      );
      const dump = await fetch(`${moto.endpoint}/moto-api/data.json`);
      expect(dump.status).toBe(500);

      const out = await inSecondProcess(`
        import { motoStatus } from "../src/moto.ts";
        const started = performance.now();
        const server = await motoStatus(${JSON.stringify(repoRoot)}, ${JSON.stringify(moto.name)});
        console.log(JSON.stringify({ pid: server?.pid, ms: performance.now() - started }));
      `);
      const attached = JSON.parse(out) as { pid: number; ms: number };
      expect(attached.pid).toBe(moto.pid);
      expect(attached.ms).toBeLessThan(1_000);
    } finally {
      await moto.stop();
    }
    expect(existsSync(sandboxDir(repoRoot, moto.name))).toBe(false);
  });

  test("the extensions answer as the AWS API reference says", async () => {
    const server = await startMoto(repoRoot, { name: `${name}-ext` });
    try {
      const out = execFileSync(
        python,
        [join(import.meta.dirname, "extensions.py"), server.endpoint],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      const found = JSON.parse(out);
      expect(found.selection.SelectionName).toBe("everything");
      expect(found.listed).toEqual(["everything"]);
      expect(found.selection_after_delete).toBe("ResourceNotFoundException");
      expect(found.selection_of_missing_plan).toBe("ResourceNotFoundException");
      expect(found.replicas).toEqual([{ RegionName: "us-west-2", ReplicaStatus: "ACTIVE" }]);
      expect(found.replica_table).toBe("ACTIVE");
      expect(found.domain).toMatchObject({
        DomainNameStatus: "AVAILABLE",
        HostedZoneId: "Z1UJRXOUMOOFQ8",
        ApiGatewayDomainName: expect.stringMatching(
          /^d-\d+\.execute-api\.us-east-1\.amazonaws\.com$/,
        ),
      });
      expect(found.domain_mtls).toBe(false);
      expect(found.query_log_arn_as_given).toBe(true);
      expect(found.alarm_health_check).toEqual({
        Type: "CLOUDWATCH_METRIC",
        Inverted: false,
        Disabled: false,
        EnableSNI: false,
        AlarmIdentifier: { Region: "us-west-2", Name: "p-region-health" },
        InsufficientDataHealthStatus: "LastKnownStatus",
      });
      expect(found.managed_policy).toBe("AWSLambdaVPCAccessExecutionRole");
      expect(found.conditional_deny_skipped).toBe(true);
      expect(["AccessDenied", "403"]).toContain(found.unconditional_deny);
    } finally {
      await stopMoto(repoRoot, `${name}-ext`);
    }
  });
});
