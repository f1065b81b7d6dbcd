import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { printable, type Problem } from "../errors.ts";
import { findings as issueFindings, friendlyError, type Finding } from "./issues.ts";
import { Releases } from "./releases.ts";
import {
  cidrRules,
  distinctRegions,
  drillRule,
  moduleRules,
  nameMatchesFile,
  rtoRule,
  stateBucketRules,
  tagRules,
  vaultLockRules,
} from "./rules.ts";
import { githubRules } from "./github.ts";
import { manifestSchema, type Domain, type Manifest } from "./schema.ts";
import { locate, readSource, type Source } from "./source.ts";
import { lockFilePath, lockProblem } from "../toolchain.ts";

export {
  AWS_REGIONS,
  DOMAINS,
  manifestSchema,
  type Domain,
  type Manifest,
  type ManifestInput,
} from "./schema.ts";

export type { Problem } from "../errors.ts";

export interface Environment {
  file: string;
  manifest: Manifest;
  /** Each domain's resolved release version, or "workspace". */
  modules: Record<Domain, string>;
  /** The committed provider lock (`environments/<name>.terraform.lock.hcl`), when loaded. */
  providerLock?: string;
}

export interface LoadOptions {
  /** Repository root: released modules are `modules/<domain>/releases/<version>/` under it. */
  root: string;
  /** Directory that relative file names are resolved against; defaults to `root`. */
  cwd?: string;
  /**
   * Also read each manifest's committed provider lock (what synthesis writes into every root):
   * `require` it to lock `toolchain.aws`, or only `read` it where it exists (a tree from history).
   */
  providerLocks?: "require" | "read";
}

export interface LoadResult {
  environment?: Environment;
  problems: Problem[];
}

/**
 * `path/file.yaml:line:col: key.path: message`, always one line: keys and values quoted in the
 * message are the manifest's text, so control characters are escaped, and a file name that
 * begins with `:` is written `./:…`, so no line can be read as a GitHub Actions command.
 */
export function formatProblem(p: Problem): string {
  const file = printable(p.file);
  const where = file.startsWith(":") ? `./${file}` : file;
  const path = p.path === "" ? "" : `${printable(p.path)}: `;
  return `${where}:${p.line}:${p.col}: ${path}${printable(p.message)}`;
}

/** `a.b[0].c` */
function formatPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The manifest's committed lock, and a finding at `toolchain.aws` when it does not fit the pin. */
function providerLock(
  root: string,
  manifest: Manifest,
  mode: "require" | "read",
): { text?: string; findings: Finding[] } {
  const path = join(root, lockFilePath(manifest.name));
  const text = existsSync(path) ? readFileSync(path, "utf8") : undefined;
  const message =
    mode === "require" ? lockProblem(manifest.name, manifest.toolchain.aws, text) : undefined;
  return {
    ...(text === undefined ? {} : { text }),
    findings: message ? [{ path: ["toolchain", "aws"], message }] : [],
  };
}

function check(source: Source, file: string, releases: Releases, options: LoadOptions) {
  const data = source.data!;
  const parsed = manifestSchema.safeParse(data, { error: friendlyError });
  const modules = moduleRules(data, releases);
  const lock =
    options.providerLocks && parsed.success
      ? providerLock(options.root, parsed.data, options.providerLocks)
      : { findings: [] };
  const found: Finding[] = [
    ...(parsed.success ? [] : issueFindings(parsed.error.issues)),
    ...nameMatchesFile(data, file),
    ...distinctRegions(data),
    ...cidrRules(data),
    ...stateBucketRules(data),
    ...rtoRule(data, modules.modules?.dns),
    ...drillRule(data),
    ...vaultLockRules(data),
    ...tagRules(data),
    ...githubRules(data),
    ...modules.findings,
    ...lock.findings,
  ];
  return {
    found,
    manifest: parsed.success ? parsed.data : undefined,
    modules: modules.modules,
    providerLock: lock.text,
  };
}

function load(file: string, options: LoadOptions, releases: Releases): LoadResult {
  const source = readSource(resolve(options.cwd ?? options.root, file));
  const located = source.problems.map((p) => ({
    offset: p.offset,
    path: p.path,
    message: p.message,
  }));
  let environment: Environment | undefined;
  if (source.data && source.doc) {
    const { found, manifest, modules, providerLock } = check(source, file, releases, options);
    const doc = source.doc;
    located.push(
      ...found.map((f) => ({
        offset: locate(doc, f.path, f.at),
        path: f.path,
        message: f.message,
      })),
    );
    if (found.length === 0 && located.length === 0 && manifest && modules)
      environment = { file, manifest, modules, ...(providerLock ? { providerLock } : {}) };
  }
  const problems = located.map(({ offset, path, message }): Problem => {
    const { line, col } = source.lineCounter.linePos(Math.min(offset, source.text.length));
    return { file, line, col, path: formatPath(path), message };
  });
  problems.sort((a, b) => a.line - b.line || a.col - b.col);
  return environment ? { environment, problems } : { problems };
}

function internalError(file: string, error: unknown): LoadResult {
  const message = `internal error in the validator, please report it: ${error instanceof Error ? error.message : String(error)}`;
  return { problems: [{ file, line: 1, col: 1, path: "", message }] };
}

/** Loads and validates one manifest: the environment when valid, and every problem found. */
export function loadEnvironment(file: string, options: LoadOptions): LoadResult {
  return loadWith(file, options, new Releases(options.root));
}

function loadWith(file: string, options: LoadOptions, releases: Releases): LoadResult {
  try {
    return load(file, options, releases);
  } catch (error) {
    return internalError(file, error);
  }
}

/** Loads several manifests, reading the released module versions once. */
export function loadEnvironments(
  files: readonly string[],
  options: LoadOptions,
): { environments: Environment[]; problems: Problem[] } {
  const releases = new Releases(options.root);
  const results = files.map((file) => loadWith(file, options, releases));
  return {
    environments: results.flatMap((r) => (r.environment ? [r.environment] : [])),
    problems: results.flatMap((r) => r.problems),
  };
}
