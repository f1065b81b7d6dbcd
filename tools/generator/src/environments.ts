import { existsSync, lstatSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { quote, UsageError } from "./errors.ts";

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
      `unknown environment ${unknown.map(quote).join(", ")}; available: ${available.join(", ") || "none"}`,
    );
  }
  return (names?.length ? [...new Set(names)].sort() : available).map((name) =>
    join("environments", `${name}.yaml`),
  );
}

/** Whether `dir` is a Tandem repository's top level: an nx.json or a package.json with workspaces. */
function isRepositoryRoot(dir: string): boolean {
  if (existsSync(join(dir, "nx.json"))) return true;
  const manifest = join(dir, "package.json");
  try {
    if (!lstatSync(manifest).isFile()) return false;
    return "workspaces" in (JSON.parse(readFileSync(manifest, "utf8")) as object);
  } catch {
    return false;
  }
}

/**
 * The repository's top-level folder holding `cwd`, found as git and nx find theirs: walking up
 * to the first folder with an nx.json or a package.json that declares workspaces. So every
 * command works from any subfolder; outside a repository it says where to run.
 */
export function findRepositoryRoot(cwd: string): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (isRepositoryRoot(dir)) return dir;
    if (dirname(dir) === dir) break;
  }
  throw new UsageError(
    `${quote(cwd)} is not inside a Tandem repository (no nx.json or package.json with workspaces above it); run tandem from the repository or one of its folders`,
  );
}
