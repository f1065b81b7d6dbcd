/**
 * What drill.yml's token step reaches in a rehearsal: the step, as the workflow writes it, run
 * with the runner's curl against the issuer's host served by the drill emulation's identity
 * provider. (`tandem drill` on the served emulation runs in the rehearsal's own test.)
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
});
