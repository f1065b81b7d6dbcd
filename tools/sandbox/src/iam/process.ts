/**
 * The gateway as a process of its own beside a sandbox's emulator, so that credentials printed
 * by `tandem sandbox env` keep working after the command ends. It is recorded in
 * `dist/sandbox/<name>/gateway.json` and ends by itself when its emulator ends.
 */
import { spawn } from "node:child_process";
import { openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { isAlive, pollUntil, SandboxError, sandboxDir, type MotoServer } from "../moto.ts";
import { withLock } from "../lock.ts";
import { HEALTH_PATH } from "./gateway.ts";
import { gatewayFile, readRecord, type GatewayRecord } from "./record.ts";

const STARTUP_DEADLINE_MS = 15_000;

/** The sandbox's gateway in front of `moto`, started when none answers for this emulator. */
export function ensureGateway(
  repoRoot: string,
  name: string,
  moto: MotoServer,
): Promise<GatewayRecord> {
  // Two callers at once must share one gateway: the sessions it mints live in its memory.
  return withLock(`${gatewayFile(repoRoot, name)}.lock`, () => startOrReuse(repoRoot, name, moto));
}

async function startOrReuse(
  repoRoot: string,
  name: string,
  moto: MotoServer,
): Promise<GatewayRecord> {
  const recorded = readRecord(repoRoot, name);
  if (recorded?.motoPid === moto.pid && (await answers(recorded))) return recorded;
  if (recorded && isAlive(recorded.pid) && recorded.motoPid !== moto.pid) {
    process.kill(recorded.pid, "SIGTERM"); // it fronted an emulator that has been replaced
  }
  rmSync(gatewayFile(repoRoot, name), { force: true });
  const dir = sandboxDir(repoRoot, name);
  const script = join(dir, "gateway.mjs");
  await build({
    // From the repository, as moto's extensions are: the CLI runs bundled, elsewhere than src/.
    entryPoints: [join(repoRoot, "tools/sandbox/src/iam/serve.ts")],
    outfile: script,
    bundle: true,
    platform: "node",
    format: "esm",
    packages: "external",
    logLevel: "silent",
  });
  const log = openSync(join(dir, "gateway.log"), "a");
  const child = spawn(process.execPath, [script, repoRoot, name, JSON.stringify(moto)], {
    detached: true,
    stdio: ["ignore", log, log],
    // The SDK's notice that Node 20 support ends would open every log the gateway writes.
    env: { PATH: process.env.PATH ?? "", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  child.unref();
  const started = await pollUntil(
    async () => {
      const record = readRecord(repoRoot, name);
      return record !== undefined && record.pid === child.pid && (await answers(record));
    },
    { deadlineMs: STARTUP_DEADLINE_MS, everyMs: 50 },
  );
  if (!started) {
    throw new SandboxError(
      `the IAM gateway (pid ${child.pid}) did not start; see dist/sandbox/${name}/gateway.log`,
    );
  }
  return readRecord(repoRoot, name)!;
}

async function answers(record: GatewayRecord): Promise<boolean> {
  if (!isAlive(record.pid)) return false;
  try {
    const response = await fetch(`${record.endpoint}${HEALTH_PATH}`, {
      signal: AbortSignal.timeout(2_000),
    });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
