// Where the stand-in keeps entries: <tool cache>/rehearsal-actions-cache/<key>/<index>, one
// folder per path of the `path` input, in order.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";

export const input = (name) => (process.env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
export const fail = (message) => {
  console.log(`::error title=actions/cache stand-in::${message}`);
  process.exit(1);
};

const root = join(
  process.env.RUNNER_TOOL_CACHE ?? fail("RUNNER_TOOL_CACHE is not set"),
  "rehearsal-actions-cache",
);
const folderOf = (key) => join(root, createHash("sha256").update(key).digest("hex"));

export function paths() {
  const list = input("path")
    .split("\n")
    .map((p) => p.trim())
    .filter(Boolean);
  const globbed = list.find((p) => /[*?[\]!]/.test(p));
  if (globbed) fail(`the stand-in caches plain paths only, not the pattern '${globbed}'`);
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  return list.map((p) => resolve(workspace, p.replace(/^~(?=\/)/, process.env.HOME ?? "~")));
}

/** The saved key `key` names exactly, else the newest whose key starts with a restore prefix. */
export function find(key, prefixes) {
  if (existsSync(join(folderOf(key), "done"))) return { key, exact: true };
  if (!existsSync(root)) return undefined;
  const saved = readdirSync(root)
    .map((hash) => join(root, hash))
    .filter((folder) => existsSync(join(folder, "done")))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    .map((folder) => ({ folder, key: readFileSync(join(folder, "key"), "utf8") }));
  for (const prefix of prefixes) {
    const match = saved.find((entry) => entry.key.startsWith(prefix));
    if (match) return { key: match.key, exact: false };
  }
  return undefined;
}

/** Hard links where the file system allows (seconds for node_modules), else a copy. */
function link(from, to) {
  rmSync(to, { recursive: true, force: true });
  mkdirSync(dirname(to), { recursive: true });
  try {
    execFileSync("cp", ["-al", from, to]);
  } catch {
    rmSync(to, { recursive: true, force: true });
    execFileSync("cp", ["-a", from, to]);
  }
}

export function restore(key, targets) {
  targets.forEach((target, index) => {
    const entry = join(folderOf(key), String(index));
    if (existsSync(entry)) link(entry, target);
  });
}

export function save(key, targets) {
  const folder = folderOf(key);
  if (existsSync(join(folder, "done"))) return false; // a cache entry is immutable, as on GitHub
  const partial = `${folder}.partial-${process.pid}`;
  mkdirSync(partial, { recursive: true });
  targets.forEach((target, index) => {
    if (existsSync(target)) link(target, join(partial, String(index)));
  });
  writeFileSync(join(partial, "key"), key);
  writeFileSync(join(partial, "done"), "");
  rmSync(folder, { recursive: true, force: true });
  renameSync(partial, folder);
  return true;
}
