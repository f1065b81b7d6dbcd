/**
 * What drill.yml's job reaches in a rehearsal: its token step, as the workflow writes it, run
 * with the runner's curl against the issuer's host served by the drill emulation's identity
 * provider; then `tandem drill` (the built CLI) on the emulation served to it.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { decodeJwt } from "jose";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sandboxUnavailable } from "@tandem/sandbox";
import { serveDrillWorld, type DrillWorldServed } from "../src/drill-world.ts";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const RUNNER = join(REPO_ROOT, "tools", "rehearsal", "runner");
const reason = sandboxUnavailable(REPO_ROOT);
if (reason) console.warn(`skipping the drill's served world: ${reason}`);

/** The token step of drill.yml's drill job, as written. */
function tokenStep(): string {
  const workflow = parse(
    readFileSync(join(REPO_ROOT, ".github", "workflows", "drill.yml"), "utf8"),
  );
  const steps = workflow.jobs.drill.steps as { id?: string; run?: string }[];
  return steps.find((s) => s.id === "token")!.run!;
}

describe.skipIf(reason !== undefined)("drill.yml's world in a rehearsal", () => {
  let dir: string;
  let served: DrillWorldServed;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "tandem-drill-world-"));
    served = await serveDrillWorld(REPO_ROOT, "staging", dir);
  }, 120_000);
  afterAll(async () => {
    await served?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function runTokenStep(secret: string) {
    const output = join(dir, `output-${secret.length}`);
    writeFileSync(output, "");
    const env = {
      PATH: [RUNNER, ...(process.env.PATH ?? "").split(delimiter)].join(delimiter),
      HOME: process.env.HOME ?? "",
      ...served.env,
      ENVIRONMENT: "staging",
      CLIENT_ID: served.client.id,
      CLIENT_SECRET: secret,
      SCOPE: "",
      GITHUB_OUTPUT: output,
    };
    const script = `set -eo pipefail\n${tokenStep()}`;
    try {
      const { stdout } = await promisify(execFile)("bash", ["-c", script], { env, cwd: REPO_ROOT });
      return { code: 0, stdout, output: readFileSync(output, "utf8") };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout + e.stderr, output: readFileSync(output, "utf8") };
    }
  }

  it("fetches the token from the issuer's host with the environment's client, as the step is written", async () => {
    const { code, stdout, output } = await runTokenStep(served.client.secret);
    expect(stdout).toContain("::add-mask::");
    expect(code).toBe(0);
    const token = /^token=(.+)$/m.exec(output)?.[1];
    const claims = decodeJwt(token!);
    expect(claims.iss).toBe("https://auth.staging.acme-payments.com");
    expect(claims.aud).toBe("payments-api");
  }, 60_000);

  it("refuses a wrong client secret: the step fails and outputs no token", async () => {
    const { code, stdout, output } = await runTokenStep(`${served.client.secret}x`);
    expect(code).not.toBe(0);
    expect(stdout).toContain("401");
    expect(output).toBe("");
  }, 60_000);

  it("runs tandem drill on the served emulation with the job's credentials and token", async () => {
    const token = /^token=(.+)$/m.exec((await runTokenStep(served.client.secret)).output)![1]!;
    const started = performance.now();
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, "tools", "cli", "bin", "tandem.mjs"), "drill", "--env", "staging", "--json"],
      {
        cwd: REPO_ROOT,
        maxBuffer: 16 << 20,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "",
          ...served.env,
          TANDEM_DRILL_TOKEN: token,
          // What the job's OIDC step exports: a session of the drill role (moto takes any key).
          AWS_ACCESS_KEY_ID: "ASIAREHEARSALDRILL01",
          AWS_SECRET_ACCESS_KEY: "rehearsal",
          AWS_SESSION_TOKEN: "rehearsal",
          AWS_REGION: "us-east-1",
          AWS_EC2_METADATA_DISABLED: "true",
        },
      },
    );
    const report = JSON.parse(stdout) as {
      passed: boolean;
      where: string;
      measured: { trafficRtoSeconds: number; rpoSeconds: number };
      objectives: { rtoSeconds: number; rpoSeconds: number };
    };
    console.log(
      `tandem drill on the served world: ${Math.round((performance.now() - started) / 1000)} s, RTO ${report.measured.trafficRtoSeconds} s, RPO ${report.measured.rpoSeconds} s`,
    );
    expect(report.where).toContain("TANDEM_DRILL_WORLD");
    expect(report.passed).toBe(true);
    expect(report.measured.trafficRtoSeconds).toBeLessThanOrEqual(report.objectives.rtoSeconds);
    expect(report.measured.rpoSeconds).toBeLessThanOrEqual(report.objectives.rpoSeconds);
  }, 300_000);
});
