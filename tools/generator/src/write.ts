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
import { dirname, join } from "node:path";

/*
 * Output that a reader sees whole or not at all.
 *
 * Each top-level output folder (`dist/modules`, `dist/environments`, and whatever else synthesis
 * returns) is a symbolic link to a generation folder beside it, `dist/.<target>.<id>`. A synth
 * writes new generations completely, then replaces each link with rename(2), which is atomic:
 * a reader of `dist/environments/<env>/<root>` finds the old root or the new one, never a
 * half-written folder or none. The generation folders sit directly in `dist/`, so a root is at
 * the same depth below the repository as `dist/environments/<env>/<root>` and its relative
 * module sources (`../../../../modules/<domain>/releases/<v>`) resolve from the real path too.
 * Anything else in `dist/` (the sandbox's state) is never touched.
 *
 * The links are replaced one after another, so a journal (`dist/.publish.json`, naming every new
 * generation) is written before the first: a run killed between two renames is completed by the
 * next run, which finds the journal, so a mix of old and new never outlives the killed process.
 * Generations and staging folders of killed runs are removed by the next run.
 */

const JOURNAL = ".publish.json";
const LOCK = ".publish.lock";
/** How long a publish waits for another one (Nx runs `synth --env` targets in parallel). */
const LOCK_WAIT_MS = 60_000;
const GENERATION = /^\.(.+)\.([0-9a-z]+)-(\d+)-([0-9a-z]+)$/;

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

interface Journal {
  pid: number;
  /** target -> generation folder name */
  links: Record<string, string>;
}

export interface PublishOptions {
  /**
   * Paths below `outDir` (such as `environments/staging`) to carry over from the current
   * output into the new generation when the new files do not cover them (`synth --env`).
   */
  carry?: string[];
  /** The files are the whole output: links to targets no longer produced are removed. */
  complete?: boolean;
}

/**
 * Publishes `files` (paths relative to `outDir`) as the new output: each top-level folder they
 * fall in (and each of `targets`, even when empty) becomes a new generation, swapped in by link.
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
  recover(outDir);
  const all = [...new Set([...targets, ...[...files.keys()].map((path) => path.split("/")[0]!)])];
  const id = `${Date.now().toString(36)}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const links: Record<string, string> = {};
  try {
    for (const target of all) {
      const generation = `.${target}.${id}`;
      links[target] = generation;
      mkdirSync(join(outDir, generation));
      for (const path of options.carry ?? []) {
        const [head, ...rest] = path.split("/");
        if (head === target && rest.length > 0)
          carryOver(outDir, target, rest.join("/"), generation);
      }
    }
    for (const [path, bytes] of files) {
      const [target, ...rest] = path.split("/");
      const file = join(outDir, links[target!]!, ...rest);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, bytes);
    }
  } catch (error) {
    for (const generation of Object.values(links))
      rmSync(join(outDir, generation), { recursive: true, force: true });
    throw error;
  }
  const retired = options.complete ? managedTargets(outDir).filter((t) => !all.includes(t)) : [];
  writeJournal(outDir, { pid: process.pid, links });
  swap(outDir, links);
  for (const target of retired) rmSync(join(outDir, target), { force: true });
  rmSync(join(outDir, JOURNAL), { force: true });
  removeUnlinked(outDir);
}

/** Copies `target/sub` of the current output into `generation`, without Terraform's caches. */
function carryOver(outDir: string, target: string, sub: string, generation: string): void {
  const from = join(outDir, target, sub);
  if (!existsSync(from)) return;
  cpSync(from, join(outDir, generation, sub), {
    recursive: true,
    filter: (source) => !source.split("/").includes(".terraform"),
  });
}

function writeJournal(outDir: string, journal: Journal): void {
  const temporary = join(outDir, `${JOURNAL}.${process.pid}`);
  writeFileSync(temporary, JSON.stringify(journal));
  renameSync(temporary, join(outDir, JOURNAL));
}

/** Points each target at its generation; a folder left by an older tandem is moved aside once. */
function swap(outDir: string, links: Record<string, string>): void {
  for (const [target, generation] of Object.entries(links)) {
    const current = join(outDir, target);
    if (!existsSync(join(outDir, generation))) continue; // recovered: already removed
    if (isRealFolder(current)) renameSync(current, join(outDir, ownedName(`.${target}.legacy-`)));
    const link = join(outDir, `${generation}.link`);
    rmSync(link, { force: true });
    symlinkSync(generation, link, "dir");
    renameSync(link, current);
  }
}

function isRealFolder(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Completes a publish whose process died between two renames (run before every publish). */
export function recover(outDir: string): void {
  const file = join(outDir, JOURNAL);
  let journal: Journal;
  try {
    journal = JSON.parse(readFileSync(file, "utf8")) as Journal;
  } catch {
    return;
  }
  if (isAlive(journal.pid) && journal.pid !== process.pid) return;
  swap(outDir, journal.links);
  rmSync(file, { force: true });
}

/** Targets that are links this module made (`<target>` -> `.<target>.<id>`). */
function managedTargets(outDir: string): string[] {
  return readdirSync(outDir).filter((name) => linkTarget(join(outDir, name)) !== undefined);
}

function linkTarget(path: string): string | undefined {
  try {
    const target = readlinkSync(path);
    return GENERATION.test(target) ? target : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes generations no link points at (replaced ones, and those of killed runs), folders
 * moved aside from older tandems, and stale journals; never one a live run is still writing.
 */
function removeUnlinked(outDir: string): void {
  const linked = new Set(managedTargets(outDir).map((t) => linkTarget(join(outDir, t))));
  for (const name of readdirSync(outDir)) {
    const match = GENERATION.exec(name.replace(/\.link$/, ""));
    const legacy = /^\.(.+)\.legacy-(\d+)-/.exec(name);
    const pid = Number(match?.[3] ?? legacy?.[2] ?? /^\.publish\.json\.(\d+)$/.exec(name)?.[1]);
    if (!pid || linked.has(name)) continue;
    if (pid === process.pid || !isAlive(pid))
      rmSync(join(outDir, name), { recursive: true, force: true });
  }
}

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
