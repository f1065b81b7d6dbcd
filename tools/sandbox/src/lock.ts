import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, pollUntil, SandboxError } from "./moto.ts";

const LOCK_WAIT_MS = 40 * 60_000;

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
