import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { ensureGateway } from "./iam/process.ts";
import { withLock } from "./lock.ts";
import { motoStatus, SandboxError, sandboxDir, stopMoto } from "./moto.ts";
import type { OverrideOptions } from "./overrides.ts";
import { runTool, type RunResult } from "./run.ts";
import {
  prepareSandbox,
  sandboxApply,
  writeRoots,
  type PreparedSandbox,
  type SandboxOptions,
  type SandboxReport,
} from "./sandbox.ts";
import type { ToolName } from "./toolchain.ts";

/** The environment every shared sandbox applies. */
export const SHARED_ENVIRONMENT = "staging";

/** An applied sandbox that several tests use: its handle for tool processes and its apply's report. */
export interface SharedSandbox {
  readonly prepared: PreparedSandbox;
  readonly report: SandboxReport;
}

interface SharedRecord extends SharedSandbox {
  readonly fingerprint: string;
}

/** The name of the shared sandbox of `tool`, for `tandem sandbox down --name …`. */
export const sharedSandboxName = (tool: ToolName) => `shared-${tool}`;

/**
 * The applied staging of `tool` that every test needing an applied environment shares. The
 * first caller applies it (every root but the bootstrap as the environment's roles) under a
 * lock; other callers (test processes Nx runs side by side) wait for that one apply and attach. A sandbox whose emulator has stopped, or that was applied
 * from other roots or another emulator, is applied again. The emulator keeps running after the
 * caller ends: the test command stops it (`tandem sandbox down --name shared-<tool>`). A test
 * that changes the sandbox restores what it changed.
 */
export async function sharedSandbox(
  repoRoot: string,
  tool: ToolName,
  progress?: (line: string) => void,
): Promise<SharedSandbox> {
  const name = sharedSandboxName(tool);
  return withLock(`${sandboxDir(repoRoot, name)}.lock`, async () => {
    const fingerprint = await sandboxFingerprint(repoRoot);
    const recorded = await liveRecord(repoRoot, name);
    if (recorded?.fingerprint === fingerprint) return recorded;
    await stopMoto(repoRoot, name);
    rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
    const options: SandboxOptions = {
      repoRoot,
      environment: SHARED_ENVIRONMENT,
      tool,
      name,
      ...(progress ? { progress } : {}),
    };
    const report = await sandboxApply(options);
    // The handle for tool processes, on the same emulator and tree: its bootstrap plans no change.
    const prepared = await prepareSandbox(options);
    const record: SharedRecord = { fingerprint, prepared, report };
    writeFileSync(recordFile(repoRoot, name), `${JSON.stringify(record, null, 2)}\n`);
    return record;
  });
}

export interface SandboxCopyOptions {
  /** The environment's manifest as the test changes it (the file is named `<environment>.yaml`). */
  readonly manifestFile: string;
  /** An empty folder for the roots synthesized from it. */
  readonly tree: string;
  /** The Terraform workspace of the copy: another key of each root's state bucket. */
  readonly workspace: string;
  /** The copy starts from the shared state (the default) or from none (a plan creates every resource). */
  readonly state?: "shared" | "empty";
  /**
   * For running as the environment's roles: every call goes through the sandbox's IAM gateway
   * with the credentials of the process's environment (none in the overrides, as a workflow
   * job's configured role), the admin test ones in `env` (`sandboxEnv` gives a role's), and the
   * workspaces' states under `<environment>/workspaces/`, inside the roles' state keys.
   */
  readonly asRoles?: boolean;
}

/** A test's copy: where its overrides point and how, to write later roots the same way. */
export interface SandboxCopy extends PreparedSandbox {
  readonly endpoint: string;
  readonly override: OverrideOptions;
}

/**
 * A test's own copy of the shared sandbox: the roots synthesized from `manifestFile`, on the
 * shared emulator, each on its own state in `workspace` (its `env` selects it). Plans and
 * applies there leave the shared state as it was, so tests beside it see what was applied; a
 * test removes the objects it creates and then drops the copy (`dropSandboxCopy`).
 */
export async function sandboxCopy(
  repoRoot: string,
  { prepared }: SharedSandbox,
  options: SandboxCopyOptions,
): Promise<SandboxCopy> {
  const { files } = await synthesizeTree(repoRoot, [options.manifestFile]);
  const { server } = prepared;
  const endpoint = options.asRoles
    ? (await ensureGateway(repoRoot, prepared.name, server)).endpoint
    : server.endpoint;
  const override: OverrideOptions = options.asRoles
    ? { credentials: "environment", workspaceKeyPrefix: `${SHARED_ENVIRONMENT}/workspaces` }
    : {};
  const written = writeRoots(repoRoot, options.tree, files, SHARED_ENVIRONMENT, endpoint, override);
  const env = {
    ...prepared.env,
    ...(options.asRoles ? { AWS_ENDPOINT_URL: endpoint } : {}),
  };
  await Promise.all(written.roots.map(({ dir }) => copyState({ ...prepared, env }, dir, options)));
  const copy = { ...prepared, ...written, tree: options.tree };
  return { ...copy, env: { ...env, TF_WORKSPACE: options.workspace }, endpoint, override };
}

/** The copy's workspace in the root at `dir`, holding the shared state unless it starts empty. */
async function copyState(
  prepared: PreparedSandbox,
  dir: string,
  { workspace, state = "shared" }: SandboxCopyOptions,
): Promise<void> {
  const terraform = (...args: string[]) => tool(prepared, dir, args);
  await terraform("init", "-input=false", "-no-color");
  const shared = state === "shared" ? (await terraform("state", "pull")).stdout : undefined;
  await terraform("workspace", "new", workspace); // and selects it
  if (shared === undefined) return;
  // `workspace new -state=<file>` leaves an S3 backend's new workspace empty: pushed instead.
  const file = join(dir, "shared.tfstate");
  writeFileSync(file, shared);
  await terraform("state", "push", file);
  rmSync(file);
  const copied = (await terraform("state", "pull")).stdout;
  if (lineageOf(copied) !== lineageOf(shared)) {
    throw new SandboxError(`the shared state of ${dir} was not copied into workspace ${workspace}`);
  }
}

const lineageOf = (state: string) => (JSON.parse(state) as { lineage?: string }).lineage;

/** Deletes the copy's states; the objects its applies created are the caller's to remove first. */
export async function dropSandboxCopy(copy: PreparedSandbox): Promise<void> {
  const workspace = copy.env.TF_WORKSPACE;
  if (!workspace) throw new SandboxError(`${copy.tree} is no copy of a shared sandbox`);
  const env = Object.fromEntries(Object.entries(copy.env).filter(([k]) => k !== "TF_WORKSPACE"));
  await Promise.all(
    copy.roots.map(async ({ dir }) => {
      await tool({ tool: copy.tool, env }, dir, ["workspace", "select", "default"]);
      await tool({ tool: copy.tool, env }, dir, ["workspace", "delete", "-force", workspace]);
    }),
  );
}

const TOOL_TIMEOUT_MS = 180_000;

async function tool(
  prepared: Pick<PreparedSandbox, "tool" | "env">,
  dir: string,
  args: string[],
): Promise<RunResult> {
  const result = await runTool(prepared.tool.bin, args, {
    cwd: dir,
    env: prepared.env,
    timeoutMs: TOOL_TIMEOUT_MS,
  });
  if (result.code === 0 && !result.timedOut) return result;
  const output = (result.stderr || result.stdout).trim().split("\n").slice(-3).join(" ");
  throw new SandboxError(`${prepared.tool.name} ${args[0]} in ${dir} failed: ${output}`);
}

const recordFile = (repoRoot: string, name: string) =>
  join(sandboxDir(repoRoot, name), "shared.json");

/** The recorded shared sandbox if the emulator it was applied on still runs. */
async function liveRecord(repoRoot: string, name: string): Promise<SharedRecord | undefined> {
  const file = recordFile(repoRoot, name);
  if (!existsSync(file)) return undefined;
  const record = JSON.parse(readFileSync(file, "utf8")) as SharedRecord;
  const server = await motoStatus(repoRoot, name);
  return server?.pid === record.prepared.server.pid ? record : undefined;
}

/**
 * Who applies the shared sandbox: every root but the bootstrap as the environment's roles. A
 * record applied otherwise (before, with the admin credentials) is applied again.
 */
const APPLIED_AS = "roles";

/**
 * sha256 of what an apply depends on: who applies it, the environment's synthesized roots and
 * the emulator's code and pinned packages.
 */
async function sandboxFingerprint(repoRoot: string): Promise<string> {
  const hash = createHash("sha256").update(`applied as ${APPLIED_AS}\0`);
  const { files } = await synthesizeTree(
    repoRoot,
    environmentFiles(repoRoot, [SHARED_ENVIRONMENT]),
  );
  for (const path of [...files.keys()].sort()) hash.update(`${path}\0`).update(files.get(path)!);
  const moto = join(repoRoot, "tools/sandbox/moto");
  const emulator = readdirSync(moto, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".py"))
    .map((entry) => join(entry.parentPath, entry.name));
  // Its pins too: moto answers from botocore's service models.
  for (const file of [...emulator, join(repoRoot, "tools/sandbox/requirements.txt")])
    hash.update(`${file}\0`).update(readFileSync(file));
  return hash.digest("hex");
}

/**
 * The shared environment's manifest with one more alarm email (a subscription in each regional
 * root), written to `dir` for a test's `sandboxCopy`; the file's path.
 */
export function manifestWithAlarmEmail(repoRoot: string, dir: string, email: string): string {
  const file = `${SHARED_ENVIRONMENT}.yaml`;
  const manifest = readFileSync(join(repoRoot, "environments", file), "utf8");
  const changed = manifest.replace("alarmEmails: [", `alarmEmails: [${email}, `);
  if (changed === manifest) throw new SandboxError(`environments/${file} lists no alarmEmails`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), changed);
  return join(dir, file);
}

/** The tool in the root `root` of `sandbox`, with its env (a copy's selects its workspace); its stdout. */
export function toolInRoot(
  sandbox: Pick<PreparedSandbox, "tool" | "roots" | "env">,
  root: string,
  ...args: string[]
): string {
  return execFileSync(sandbox.tool.bin, args, {
    cwd: sandbox.roots.find((r) => r.name === root)!.dir,
    env: { ...process.env, ...sandbox.env },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
}
