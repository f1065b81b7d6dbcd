import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Replaces each of `targets` (folders relative to `outDir`) with the files under it, all
 * written first into one temporary folder beside them and then renamed into place, so a
 * failure leaves the previous output intact and a reader never sees a half-written folder.
 */
export function writeTreeAtomically(
  outDir: string,
  files: ReadonlyMap<string, Uint8Array>,
  targets: string[],
): void {
  mkdirSync(outDir, { recursive: true });
  const staging = mkdtempSync(join(outDir, ".staging-"));
  try {
    for (const [path, bytes] of files) {
      const file = join(staging, "new", path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
    for (const target of targets) {
      const next = join(staging, "new", target);
      const current = join(outDir, target);
      mkdirSync(next, { recursive: true });
      mkdirSync(dirname(current), { recursive: true });
      if (existsSync(current)) renameSync(current, join(staging, `old-${targets.indexOf(target)}`));
      renameSync(next, current);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
