import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DOMAINS, type Domain } from "../manifest/schema.ts";
import type { Toolchain } from "../toolchain.ts";
import { ownedName, removeLeftovers } from "../write.ts";
import { moduleFiles, parseModuleFiles, type ModuleFiles } from "./artifact.ts";
import { installedPackages, loadModuleSources, type ModuleSources } from "./load.ts";

export interface BuiltModules {
  readonly modules: Record<Domain, ModuleFiles>;
  readonly toolchain: Toolchain;
  /** Domains synthesized now (the rest came from the cache). */
  readonly synthesized: Domain[];
}

export interface BuildOptions {
  /** Where module sources come from (a seam for tests); loaded only on a cache miss. */
  load?: (root: string, signal?: AbortSignal) => Promise<ModuleSources>;
  /** Aborted when the output is no longer wanted (a manifest turned out invalid). */
  signal?: AbortSignal;
  env?: Record<string, string | undefined>;
  /** Where entries are kept (tests); default node_modules/.cache/tandem/modules. */
  cacheDir?: string;
}

/** Entries kept; the least recently used beyond this are removed (a few MiB at most). */
export const MAX_CACHE_ENTRIES = 48;
const FORMAT = "tandem-module-cache-1";

/**
 * Every module of the tree at `root`, from the cache where the content that produces it is
 * unchanged, so a synth with unchanged module sources loads neither esbuild's bundle of them
 * nor cdktf. The cache is `node_modules/.cache/tandem/modules/` of this installation; an entry
 * is keyed by sha256 over the module's sources and package.json, the kit's sources, the
 * installed packages (npm's lock of node_modules) and this generator's own code. Set
 * TANDEM_MODULE_CACHE=off to synthesize everything.
 */
export async function buildModules(
  root: string,
  options: BuildOptions = {},
): Promise<BuiltModules> {
  const enabled = (options.env ?? process.env).TANDEM_MODULE_CACHE !== "off";
  const dir = options.cacheDir ?? cacheDir();
  const shared = sharedInputs(root);
  const keys = Object.fromEntries(
    DOMAINS.map((d) => [
      d,
      hashOf([shared, treeDigest(join(root, "modules", d), ["src", "package.json"])]),
    ]),
  ) as Record<Domain, string>;
  const cached = enabled ? readEntries(dir, keys) : {};
  const missing = DOMAINS.filter((d) => !cached[d]);
  if (missing.length === 0) {
    const toolchain = cached[DOMAINS[0]]!.toolchain;
    return { modules: mapDomains((d) => cached[d]!.files), toolchain, synthesized: [] };
  }
  const sources = await (options.load ?? loadModuleSources)(root, options.signal);
  options.signal?.throwIfAborted();
  const toolchain: Toolchain = {
    requiredVersion: sources.kit.REQUIRED_TERRAFORM_VERSION,
    awsProvider: sources.kit.AWS_PROVIDER,
  };
  const built = withoutStrayOutdir(() =>
    Object.fromEntries(missing.map((d) => [d, moduleFiles(sources, d)])),
  ) as Partial<Record<Domain, ModuleFiles>>;
  if (enabled) {
    for (const d of missing) writeEntry(dir, keys[d], built[d]!, toolchain);
    prune(dir);
  }
  return {
    modules: mapDomains((d) => built[d] ?? cached[d]!.files),
    toolchain,
    synthesized: missing,
  };
}

function mapDomains<T>(value: (d: Domain) => T): Record<Domain, T> {
  return Object.fromEntries(DOMAINS.map((d) => [d, value(d)])) as Record<Domain, T>;
}

function hashOf(parts: string[]): string {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(`${part.length}\0${part}`);
  return hash.digest("hex");
}

/** Inputs every module shares: the kit, the installed packages and this generator. */
function sharedInputs(root: string): string {
  const packages = installedPackages();
  const lock = [
    join(packages, ".package-lock.json"),
    join(dirname(packages), "package-lock.json"),
  ].find((file) => existsSync(file));
  const generator = dirname(fileURLToPath(import.meta.url));
  return hashOf([
    FORMAT,
    treeDigest(join(root, "tools/module-kit"), ["src", "package.json"]),
    lock ? readFileSync(lock, "utf8") : "no lock",
    treeDigest(
      generator,
      readdirSync(generator).filter((f) => /\.(ts|mjs)$/.test(f)),
    ),
  ]);
}

/** sha256 over the names and bytes of `parts` (files or folders) under `dir`. */
function treeDigest(dir: string, parts: string[]): string {
  const hash = createHash("sha256");
  const add = (path: string) => {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      hash.update(`absent ${path.slice(dir.length)}\0`);
      return;
    }
    if (stats.isDirectory()) {
      for (const name of readdirSync(path).sort()) add(join(path, name));
    } else if (stats.isFile()) {
      const bytes = readFileSync(path);
      hash.update(`${path.slice(dir.length)}\0${bytes.length}\0`).update(bytes);
    }
  };
  for (const part of parts) add(join(dir, part));
  return hash.digest("hex");
}

/** node_modules/.cache/tandem/modules of the installation whose libraries synthesize. */
function cacheDir(): string {
  return join(installedPackages(), ".cache", "tandem", "modules");
}

interface Entry {
  files: ModuleFiles;
  toolchain: Toolchain;
}

interface StoredEntry {
  format: string;
  toolchain: Toolchain;
  files: Record<string, string>;
}

function readEntries(dir: string, keys: Record<Domain, string>): Partial<Record<Domain, Entry>> {
  const found: Partial<Record<Domain, Entry>> = {};
  for (const domain of DOMAINS) {
    const file = join(dir, `${keys[domain]}.json`);
    try {
      const stored = JSON.parse(readFileSync(file, "utf8")) as StoredEntry;
      if (stored.format !== FORMAT) continue;
      const files = new Map(
        Object.entries(stored.files).map(([name, base64]) => [
          name,
          new Uint8Array(Buffer.from(base64, "base64")),
        ]),
      );
      found[domain] = { files: parseModuleFiles(files, domain), toolchain: stored.toolchain };
      const now = new Date();
      utimesSync(file, now, now); // most recently used
    } catch {
      // absent or unreadable: synthesize it again
    }
  }
  return found;
}

function writeEntry(dir: string, key: string, files: ModuleFiles, toolchain: Toolchain): void {
  mkdirSync(dir, { recursive: true });
  const stored: StoredEntry = {
    format: FORMAT,
    toolchain,
    files: Object.fromEntries(
      [...files.files].map(([name, bytes]) => [name, Buffer.from(bytes).toString("base64")]),
    ),
  };
  const temporary = join(dir, ownedName(".write-"));
  writeFileSync(temporary, JSON.stringify(stored));
  renameSync(temporary, join(dir, `${key}.json`)); // whole or absent, even with parallel runs
}

/** Keeps the most recently used entries and removes what killed runs left half-written. */
function prune(dir: string): void {
  removeLeftovers(dir, ".write-");
  const entries = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .map((name) => ({ name, used: statSync(join(dir, name)).mtimeMs }))
    .sort((a, b) => b.used - a.used);
  for (const { name } of entries.slice(MAX_CACHE_ENTRIES)) rmSync(join(dir, name), { force: true });
}

/**
 * cdktf's App creates its `outdir` (the kit passes "unused") and a `stacks/` folder in it, in
 * the working directory, though a module is never written there: remove them when this
 * synthesis made them and they hold no file.
 */
function withoutStrayOutdir<T>(build: () => T): T {
  const stray = resolve("unused");
  const existed = existsSync(stray);
  try {
    return build();
  } finally {
    if (!existed && onlyFolders(stray)) rmSync(stray, { recursive: true, force: true });
  }
}

function onlyFolders(dir: string): boolean {
  try {
    return readdirSync(dir, { withFileTypes: true }).every(
      (entry) => entry.isDirectory() && onlyFolders(join(dir, entry.name)),
    );
  } catch {
    return false;
  }
}
