import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative, sep } from "node:path";

/*
 * Output that a reader sees whole or not at all, and never a mix of two runs.
 *
 * A synth writes the whole output as a new generation, `dist/.gen-<id>/dist/` (modules/,
 * environments/, bootstrap/), then points the one link `dist/current` at it with rename(2),
 * which is atomic. `dist/modules`, `dist/environments` and `dist/bootstrap` are fixed links
 * through it (`modules -> current/modules`), made once and never swapped, so every reader path
 * resolves through `current` and finds one generation: the old one or the new one.
 *
 * A generation is shaped like the repository, with `dist/.gen-<id>/modules` linking to the
 * repository's modules/: a root's real folder is `.gen-<id>/dist/environments/<env>/<root>`,
 * so its relative module sources resolve in the same generation (`../../../modules/<domain>`)
 * and in the repository (`../../../../modules/<domain>/releases/<v>`), also for Terraform,
 * whose working directory is the real folder. Anything else in `dist/` (the sandbox's state)
 * is never touched.
 *
 * Every publish holds `dist/.publish.lock`, so the generations and temporary links of a killed
 * run are the next run's to remove: a kill at any point leaves `current` on the old generation
 * or the new one.
 */

const CURRENT = "current";
const LOCK = ".publish.lock";
const GENERATION_PREFIX = ".gen-";
const LINK_PREFIX = ".link-";
/** Where a generation's roots find the repository's modules/ (released module sources). */
const REPOSITORY_MODULES = "../../modules";
/** How long a publish waits for another one (Nx runs `synth --env` targets in parallel). */
const LOCK_WAIT_MS = 60_000;
/**
 * What the previous layout left (a link per output folder to `.<target>.<id>`, a journal, and
 * folders moved aside): adopted and removed by the first publish in this layout.
 */
const PREVIOUS_LAYOUT = /^\.(?:publish\.json(?:\.\d+)?|[^.]+\.(?:legacy-|[0-9a-z]+-\d+-)[^/]*)$/;

/** Whether process `pid` is alive (a run that may still be writing). */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** `<prefix><pid>-…`: a name that says which process made it, so its leftovers can be found. */
export function ownedName(prefix: string): string {
  const random = Math.random().toString(36).slice(2, 10);
  return `${prefix}${process.pid}-${random}`;
}

/** Removes the entries of `dir` named `<prefix><pid>-…` whose process is gone. */
export function removeLeftovers(dir: string, prefix: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !isAlive(pid))
      rmSync(join(dir, name), { recursive: true, force: true });
  }
}

export interface PublishOptions {
  /**
   * Paths below `outDir` (such as `environments/staging`) to carry over from the current
   * output into the new generation when the new files do not cover them (`synth --env`).
   */
  carry?: string[];
  /**
   * The files are the whole output: folders of the current output they do not fall in are
   * dropped. Without it, such folders are carried over whole.
   */
  complete?: boolean;
}

/**
 * Publishes `files` (paths relative to `outDir`) as the new output: one generation holding the
 * top-level folders they fall in (and each of `targets`, even when empty), swapped in by one
 * rename of `dist/current`.
 */
export function publishOutput(
  outDir: string,
  files: ReadonlyMap<string, Uint8Array>,
  targets: string[],
  options: PublishOptions = {},
): void {
  mkdirSync(outDir, { recursive: true });
  withLock(outDir, () => publishLocked(outDir, files, targets, options));
}

function publishLocked(
  outDir: string,
  files: ReadonlyMap<string, Uint8Array>,
  targets: string[],
  options: PublishOptions,
): void {
  const names = [...new Set([...targets, ...[...files.keys()].map((path) => path.split("/")[0]!)])];
  adoptPreviousLayout(outDir, names);
  const kept = options.complete ? [] : currentFolders(outDir).filter((n) => !names.includes(n));
  const carry = [...(options.carry ?? []), ...kept];
  const generation = writeGeneration(outDir, files, names, carry, join(outDir, CURRENT));
  for (const name of readdirSync(join(outDir, generation, "dist")))
    linkThroughCurrent(outDir, name);
  const replaced = generationOf(outDir);
  replaceWithLink(outDir, CURRENT, `${generation}/dist`);
  removeUnused(outDir, [generation, replaced]);
}

/** The generation `dist/current` points at, if any. */
const generationOf = (outDir: string) => readLink(join(outDir, CURRENT))?.split("/")[0];

/**
 * Writes a new generation: the `names` folders, the `carry` paths copied from `source`, then
 * `files`. Returns its name; on failure nothing of it is left.
 */
function writeGeneration(
  outDir: string,
  files: ReadonlyMap<string, Uint8Array>,
  names: string[],
  carry: string[],
  source: string,
): string {
  const generation = `${GENERATION_PREFIX}${Date.now().toString(36)}-${randomId()}`;
  const tree = join(outDir, generation, "dist");
  try {
    mkdirSync(tree, { recursive: true });
    for (const name of names) mkdirSync(join(tree, name), { recursive: true });
    symlinkSync(REPOSITORY_MODULES, join(outDir, generation, "modules"), "dir");
    for (const path of carry) copyWithoutCaches(join(source, path), join(tree, path));
    for (const [path, bytes] of files) {
      const file = join(tree, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
  } catch (error) {
    rmSync(join(outDir, generation), { recursive: true, force: true });
    throw error;
  }
  return generation;
}

/** Copies the folder `from` (if it exists) to `to`, without Terraform's caches. */
function copyWithoutCaches(from: string, to: string): void {
  if (!existsSync(from)) return;
  cpSync(from, to, {
    recursive: true,
    filter: (path) => !relative(from, path).split(sep).includes(".terraform"),
  });
}

/**
 * Takes over an output of the previous layout (a link per folder to `.<folder>.<id>`, or an
 * older plain folder): copied into a generation that `current` points at before any of those
 * names becomes a fixed link, so switching them one by one changes nothing a reader sees (a
 * plain folder is missing for a moment: no rename replaces a folder with a link). A run killed
 * part-way is finished by the next.
 */
function adoptPreviousLayout(outDir: string, names: string[]): void {
  const previous = readdirSync(outDir).filter((name) => isPreviousOutput(outDir, name, names));
  if (previous.length === 0) return;
  if (readLink(join(outDir, CURRENT)) === undefined) {
    const generation = writeGeneration(outDir, new Map(), [], previous, outDir);
    replaceWithLink(outDir, CURRENT, `${generation}/dist`);
  }
  for (const name of previous) linkThroughCurrent(outDir, name);
}

function isPreviousOutput(outDir: string, name: string, names: string[]): boolean {
  const path = join(outDir, name);
  return PREVIOUS_LAYOUT.test(readLink(path) ?? "") || (names.includes(name) && isRealFolder(path));
}

/** Makes `dist/<name>` the fixed link `current/<name>`; a plain folder there is moved aside. */
function linkThroughCurrent(outDir: string, name: string): void {
  const path = join(outDir, name);
  if (readLink(path) === `${CURRENT}/${name}`) return;
  if (isRealFolder(path)) renameSync(path, join(outDir, `${GENERATION_PREFIX}aside-${randomId()}`));
  replaceWithLink(outDir, name, `${CURRENT}/${name}`);
}

/** Points `dist/<name>` at `target` in one rename, whatever link or file was there. */
function replaceWithLink(outDir: string, name: string, target: string): void {
  const link = join(outDir, `${LINK_PREFIX}${randomId()}`);
  symlinkSync(target, link, "dir");
  renameSync(link, join(outDir, name));
}

/** The top-level folders of the current generation. */
function currentFolders(outDir: string): string[] {
  try {
    return readdirSync(join(outDir, CURRENT));
  } catch {
    return [];
  }
}

/**
 * Removes every generation but `kept`, the current one and the one it just replaced (older
 * replaced ones, those of killed runs, folders moved aside), temporary links, fixed links to folders the
 * current generation does not have, and what the previous layout left. The replaced generation
 * stays until the next publish: a reader that resolved `current` just before the swap is still
 * opening its files. Run holding the lock: nobody else is writing.
 */
function removeUnused(outDir: string, kept: readonly (string | undefined)[]): void {
  const folders = new Set(currentFolders(outDir));
  for (const name of readdirSync(outDir)) {
    const unused =
      (name.startsWith(GENERATION_PREFIX) && !kept.includes(name)) ||
      name.startsWith(LINK_PREFIX) ||
      PREVIOUS_LAYOUT.test(name) ||
      (readLink(join(outDir, name)) === `${CURRENT}/${name}` && !folders.has(name));
    // rm removes a link itself, never what it points at (a generation's modules/ link)
    if (unused) rmSync(join(outDir, name), { recursive: true, force: true });
  }
}

function readLink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function isRealFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

const randomId = () => Math.random().toString(36).slice(2, 10);

/**
 * Runs `publish` holding `dist/.publish.lock`, so parallel synths (`nx run-many -t synth`
 * runs one per environment) publish one after another and none loses what another carried;
 * a lock whose process is gone is taken over.
 */
function withLock(outDir: string, publish: () => void): void {
  const lock = join(outDir, LOCK);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: "wx" });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSafe(lock));
      if (holder > 0 && !isAlive(holder)) rmSync(lock, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`${lock} is held by process ${holder}; is another synth running?`, {
          cause: error,
        });
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 25);
    }
  }
  try {
    publish();
  } finally {
    rmSync(lock, { force: true });
  }
}

function readFileSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Writes `files` as the new folder `name` under `parent`, which must not exist yet: staged
 * beside it and renamed into place, so the folder appears complete or not at all.
 */
export function writeNewFolder(
  parent: string,
  name: string,
  files: ReadonlyMap<string, Uint8Array>,
): void {
  mkdirSync(parent, { recursive: true });
  removeLeftovers(parent, ".staging-");
  const staging = join(parent, ownedName(".staging-"));
  try {
    for (const [path, bytes] of files) {
      const file = join(staging, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
    mkdirSync(staging, { recursive: true });
    renameSync(staging, join(parent, name));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
