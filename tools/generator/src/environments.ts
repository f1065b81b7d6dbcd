import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "./errors.ts";

/** Manifest files of the tree at `root`, all of them or the named environments, sorted. */
export function environmentFiles(root: string, names?: string[]): string[] {
  const dir = join(root, "environments");
  const available = existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => file.endsWith(".yaml"))
        .map((file) => file.slice(0, -".yaml".length))
        .sort()
    : [];
  const unknown = (names ?? []).filter((name) => !available.includes(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown environment ${unknown.join(", ")}; available: ${available.join(", ") || "none"}`,
    );
  }
  return (names?.length ? [...new Set(names)].sort() : available).map((name) =>
    join("environments", `${name}.yaml`),
  );
}
