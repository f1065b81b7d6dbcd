import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { run } from "../../src/cli.ts";
import { DOMAINS, type Domain, moduleFiles, loadModuleSources } from "@tandem/generator";
import { scratch } from "@tandem/generator/testing";
import { type CommandIo } from "../../src/command.ts";

/** The real repository this test file lives in. */
export const REPO = join(import.meta.dirname, "../../../..");
export { DOMAINS };

/** An empty temporary directory, removed after the test file. */
export const tempDir = (prefix = "tandem-e2e-"): string => scratch(prefix);

/** The top-level package.json that marks a folder as a Tandem repository's root. */
export const ROOT_PACKAGE = `${JSON.stringify({ name: "scratch", private: true, workspaces: ["modules/*", "tools/*"] })}\n`;

/** An empty folder that tandem takes for a repository root (it has the root package.json). */
export function bareRepo(prefix = "tandem-bare-"): string {
  const dir = tempDir(prefix);
  writeFileSync(join(dir, "package.json"), ROOT_PACKAGE);
  return dir;
}

/**
 * A git repository holding what synthesis reads of the real one (manifests, module sources,
 * releases and READMEs, the kit), with one commit. Returns its root.
 */
export function scratchRepo(prefix = "tandem-repo-"): string {
  const root = tempDir(prefix);
  const copy = (path: string) => cpSync(join(REPO, path), join(root, path), { recursive: true });
  copy("environments");
  for (const domain of DOMAINS) {
    for (const part of ["src", "package.json", "releases", "README.md"])
      copy(`modules/${domain}/${part}`);
  }
  copy("tools/module-kit/src");
  copy("tools/module-kit/package.json");
  copy("docs/manifest.md");
  writeFileSync(join(root, ".gitignore"), "dist/\n");
  writeFileSync(join(root, "package.json"), ROOT_PACKAGE);
  git(root, "init", "--quiet", "--initial-branch=main");
  git(root, "config", "user.name", "tandem e2e");
  git(root, "config", "user.email", "e2e@example.com");
  git(root, "config", "commit.gpgsign", "false");
  commit(root, "initial tree");
  return root;
}

export function git(repo: string, ...args: string[]): string {
  return execFileSync("git", ["-C", repo, ...args], { encoding: "utf8" }).trim();
}

/** Commits everything in the working tree and returns the new commit. */
export function commit(repo: string, message: string): string {
  git(repo, "add", "--all");
  git(repo, "commit", "--quiet", "--allow-empty", "-m", message);
  return git(repo, "rev-parse", "HEAD");
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tandem <argv>` in-process with `cwd` as the working directory. */
export async function tandem(
  cwd: string,
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<Result> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIo = {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    cwd,
    env,
  };
  const code = await run(argv, io);
  return { code, stdout: out.join(""), stderr: err.join("") };
}

/** Rewrites a file of `repo` (path relative to it); fails when the edit changes nothing. */
export function edit(repo: string, path: string, change: (text: string) => string): void {
  const file = join(repo, path);
  const before = readFileSync(file, "utf8");
  const after = change(before);
  if (after === before) throw new Error(`edit of ${path} changed nothing`);
  writeFileSync(file, after);
}

/**
 * Every file under `dir` as a reader sees it, by path relative to it (sorted), with its bytes:
 * links followed, hidden entries (dist/'s generation folders) left out.
 */
export function readTree(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      if (name.startsWith(".")) continue;
      const path = join(current, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path));
    }
  };
  if (existsSync(dir)) walk(dir);
  return new Map([...files].sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** The version `env`'s manifest pins for `domain` (as written: exact, range or workspace). */
export function pinnedVersion(repo: string, env: string, domain: Domain): string {
  const text = readFileSync(join(repo, "environments", `${env}.yaml`), "utf8");
  const pinned = new RegExp(`^\\s+${domain}: "?([^"\\s]+)"?`, "m").exec(text)?.[1];
  if (!pinned) throw new Error(`environments/${env}.yaml pins no ${domain} version`);
  return pinned;
}

/** Copies a released snapshot to a new version folder and returns the new folder (relative). */
export function copyRelease(repo: string, domain: string, from: string, to: string): string {
  const target = `modules/${domain}/releases/${to}`;
  mkdirSync(join(repo, target), { recursive: true });
  cpSync(join(repo, `modules/${domain}/releases/${from}`), join(repo, target), {
    recursive: true,
  });
  return target;
}

export function readJson<T = Record<string, unknown>>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

/** The parts of a module's main.tf.json the tests edit. */
export interface ModuleJson {
  variable: Record<string, { description?: string; default?: unknown }>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  output: Record<string, unknown>;
}

/** A module's main.tf.json, edited as data and written back. */
export function editModuleJson(file: string, change: (json: ModuleJson) => void): void {
  const json = readJson<ModuleJson>(file);
  change(json);
  writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
}

/** Every file under a folder of `repo`, by path relative to `repo`. */
function sourceFiles(repo: string, folder: string): string[] {
  return [...readTree(join(repo, folder)).keys()].map((path) => join(folder, path));
}

/**
 * Rewords the description of one of `domain`'s own variables in its source (the first whose
 * description is written out whole in exactly one source file), found from the module as built,
 * so the edit survives refactors of how variables are declared. Returns the variable and the
 * new description.
 */
export async function rewordVariable(
  repo: string,
  domain: Domain,
): Promise<{ variable: string; description: string }> {
  const json = moduleFiles(await loadModuleSources(repo), domain).json;
  const files = sourceFiles(repo, `modules/${domain}/src`).filter((f) => f.endsWith(".ts"));
  for (const [variable, { description }] of Object.entries(json.variable ?? {}).sort()) {
    if (!description) continue;
    const holding = files.filter((f) => readFileSync(join(repo, f), "utf8").includes(description));
    if (holding.length !== 1) continue;
    const reworded = `Reworded: ${description}`;
    edit(repo, holding[0]!, (text) => text.replace(description, reworded));
    return { variable, description: reworded };
  }
  throw new Error(`no variable description of ${domain} is written out whole in its source`);
}

/** Changes the first numeric variable default (`default: <n>`) in `domain`'s source. */
export function changeNumericDefault(repo: string, domain: Domain): void {
  const file = sourceFiles(repo, `modules/${domain}/src`).find((f) =>
    /\bdefault: \d+/.test(readFileSync(join(repo, f), "utf8")),
  );
  if (!file) throw new Error(`no numeric default in modules/${domain}/src`);
  edit(repo, file, (text) =>
    text.replace(/\bdefault: (\d+)/, (_, n) => `default: ${Number(n) + 1}`),
  );
}
