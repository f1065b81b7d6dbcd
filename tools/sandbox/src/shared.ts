import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { isAlive, motoStatus, pollUntil, SandboxError, sandboxDir, stopMoto } from "./moto.ts";
import {
  prepareSandbox,
  sandboxApply,
  type PreparedSandbox,
  type SandboxOptions,
  type SandboxReport,
} from "./sandbox.ts";
import type { ToolName } from "./toolchain.ts";

/** The environment every shared sandbox applies. */
export const SHARED_ENVIRONMENT = "staging";

/** An applied sandbox that several tests use: its handle for tool processes and its apply's report. */
export interface SharedSandbox {
  readonly prepared: PreparedSandbox;
  readonly report: SandboxReport;
}

interface SharedRecord extends SharedSandbox {
  readonly fingerprint: string;
}

const LOCK_WAIT_MS = 40 * 60_000;

/** The name of the shared sandbox of `tool`, for `tandem sandbox down --name …`. */
export const sharedSandboxName = (tool: ToolName) => `shared-${tool}`;

/**
 * The applied staging of `tool` that every test needing an applied environment shares. The
 * first caller applies it under a lock; other callers (test processes Nx runs side by side)
 * wait for that one apply and attach. A sandbox whose emulator has stopped, or that was applied
 * from other roots or another emulator, is applied again. The emulator keeps running after the
 * caller ends: the test command stops it (`tandem sandbox down --name shared-<tool>`). A test
 * that changes the sandbox restores what it changed.
 */
export async function sharedSandbox(
  repoRoot: string,
  tool: ToolName,
  progress?: (line: string) => void,
): Promise<SharedSandbox> {
  const name = sharedSandboxName(tool);
  return withLock(`${sandboxDir(repoRoot, name)}.lock`, async () => {
    const fingerprint = await sandboxFingerprint(repoRoot);
    const recorded = await liveRecord(repoRoot, name);
    if (recorded?.fingerprint === fingerprint) return recorded;
    await stopMoto(repoRoot, name);
    rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
    const options: SandboxOptions = {
      repoRoot,
      environment: SHARED_ENVIRONMENT,
      tool,
      name,
      ...(progress ? { progress } : {}),
    };
    const report = await sandboxApply(options);
    // The handle for tool processes, on the same emulator and tree: its bootstrap plans no change.
    const prepared = await prepareSandbox(options);
    const record: SharedRecord = { fingerprint, prepared, report };
    writeFileSync(recordFile(repoRoot, name), `${JSON.stringify(record, null, 2)}\n`);
    return record;
  });
}

const recordFile = (repoRoot: string, name: string) =>
  join(sandboxDir(repoRoot, name), "shared.json");

/** The recorded shared sandbox if the emulator it was applied on still runs. */
async function liveRecord(repoRoot: string, name: string): Promise<SharedRecord | undefined> {
  const file = recordFile(repoRoot, name);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as SharedRecord;
  const server = await motoStatus(repoRoot, name);
  return server?.pid === record.prepared.server.pid ? record : undefined;
}

/** sha256 of what an apply depends on: the environment's synthesized roots and the emulator's code. */
async function sandboxFingerprint(repoRoot: string): Promise<string> {
  const hash = createHash("sha256");
  const { files } = await synthesizeTree(
    repoRoot,
    environmentFiles(repoRoot, [SHARED_ENVIRONMENT]),
  );
  for (const path of [...files.keys()].sort()) hash.update(`${path}\0`).update(files.get(path)!);
  const moto = join(repoRoot, "tools/sandbox/moto");
  for (const entry of readdirSync(moto, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".py")) continue;
    const file = join(entry.parentPath, entry.name);
    hash.update(`${file}\0`).update(readFileSync(file));
  }
  return hash.digest("hex");
}

/**
 * Runs `action` holding `lock` (a file with the holder's pid), across processes: a lock whose
 * process is gone is taken over.
 */
export async function withLock<T>(lock: string, action: () => Promise<T>): Promise<T> {
  mkdirSync(join(lock, ".."), { recursive: true });
  const locked = await pollUntil(() => tryLock(lock), { deadlineMs: LOCK_WAIT_MS, everyMs: 500 });
  if (!locked) throw new SandboxError(`${lock} is still held by process ${holderOf(lock)}`);
  try {
    return await action();
  } finally {
    rmSync(lock, { force: true });
  }
}

function tryLock(lock: string): boolean {
  try {
    writeFileSync(lock, String(process.pid), { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const holder = holderOf(lock);
    if (holder > 0 && !isAlive(holder)) rmSync(lock, { force: true });
    return false;
  }
}

function holderOf(lock: string): number {
  try {
    return Number(readFileSync(lock, "utf8"));
  } catch {
    return 0;
  }
}
