import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, test } from "vitest";
import { withLock } from "../src/lock.ts";

const dir = mkdtempSync(join(tmpdir(), "tandem-shared-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the shared sandbox's lock", () => {
  test("callers run one after the other, and the lock is gone after each", async () => {
    const lock = join(dir, "one-at-a-time.lock");
    const events: string[] = [];
    const caller = (name: string) =>
      withLock(lock, async () => {
        events.push(`${name} in`);
        expect(existsSync(lock)).toBe(true);
        await sleep(300);
        events.push(`${name} out`);
        return name;
      });
    expect(await Promise.all([caller("a"), caller("b")])).toEqual(["a", "b"]);
    expect(events).toEqual(["a in", "a out", "b in", "b out"]);
    expect(existsSync(lock)).toBe(false);
  });

  test("is released when the action fails", async () => {
    const lock = join(dir, "failing.lock");
    await expect(withLock(lock, () => Promise.reject(new Error("apply failed")))).rejects.toThrow(
      "apply failed",
    );
    expect(existsSync(lock)).toBe(false);
  });

  test("a lock left by a process that has ended is taken over", async () => {
    const lock = join(dir, "stale.lock");
    const ended = spawnSync(process.execPath, ["-e", ""]).pid!;
    writeFileSync(lock, String(ended));
    const started = Date.now();
    expect(await withLock(lock, () => Promise.resolve("taken over"))).toBe("taken over");
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
