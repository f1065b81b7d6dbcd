import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import {
  gapForError,
  gapForReplan,
  gapsUsedBy,
  loadKnownGaps,
  loadProviderWaits,
  waitFor,
  type KnownGap,
  type ProviderWait,
} from "./gaps.ts";
import { emptyLog, plannedChanges, readEvent, type ShowJson, type UiLog } from "./events.ts";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { DEFAULT_NAME, SandboxError, sandboxDir, startMoto, type MotoServer } from "./moto.ts";
import { OVERRIDE_FILE, overrideFor, type OverrideOptions } from "./overrides.ts";
import { runTool, type RunResult } from "./run.ts";
import { startRoleRun, type RoleRun } from "./iam/as-role.ts";
import type { CallCounts } from "./iam/gateway.ts";
import { loadManifest, type RoleKind } from "./iam/session.ts";
import { providerEnv, requireTool, type Tool, type ToolName } from "./toolchain.ts";

export interface SandboxOptions {
  readonly repoRoot: string;
  readonly environment: string;
  readonly tool?: ToolName;
  /** Which sandbox (default `default`): each has its own emulator and working tree. */
  readonly name?: string;
  /** Time limit of one Terraform command on one root. */
  readonly rootTimeoutSeconds?: number;
  /** Progress lines while Terraform runs. */
  readonly progress?: (line: string) => void;
  /**
   * Every root with the account's admin test credentials, straight to the emulator. Without it
   * every root but the bootstrap runs as the environment's roles through the IAM gateway:
   * applies as `tandem-<env>-apply`, plans and re-plans as `tandem-<env>-plan` (`-lock=false`).
   */
  readonly asAdmin?: boolean;
}

export interface SandboxRoot {
  readonly name: string;
  readonly role: string;
  readonly region: string;
  /** The root's folder in the sandbox's tree, with the override beside main.tf.json. */
  readonly dir: string;
}

/** A sandbox ready for Terraform: emulator up, roots written, bootstrap root applied. */
export interface PreparedSandbox {
  readonly name: string;
  readonly server: MotoServer;
  readonly tool: Tool;
  /** A folder shaped like the repository (modules/, dist/) holding the sandbox's roots. */
  readonly tree: string;
  /** The environment for every tool process: emulator endpoints and test credentials only. */
  readonly env: Record<string, string>;
  readonly bootstrap: SandboxRoot;
  /** The environment's deployments in apply order (deployments.json). */
  readonly roots: SandboxRoot[];
  readonly bootstrapReport: RootReport;
}

export interface RootReport {
  readonly name: string;
  readonly role: string;
  readonly region: string;
  planned: number;
  created: number;
  readonly unexpected: { address: string; error: string }[];
  readonly gaps: string[];
  readonly replan: { address: string; action: string; attributes: string[]; gap?: string }[];
  readonly seconds: Record<string, number>;
  /** The resources that took longest to apply, each with the provider's fixed wait that explains it. */
  slowest: SlowResource[];
  /** Who each step ran as: a role's ARN, or `admin` (the account's admin test credentials). */
  readonly ranAs: Partial<Record<"apply" | "replan", string>>;
  /** With the roles: the calls each step made through the gateway (allowed, denied, not evaluated). */
  readonly calls: Partial<Record<"apply" | "replan", CallCounts>>;
}

export interface SlowResource {
  readonly address: string;
  readonly seconds: number;
  /** The id of the listed fixed wait of the provider (known-gaps.json `waits`), if one explains it. */
  readonly wait?: string;
}

export interface SandboxReport {
  readonly environment: string;
  readonly tool: ToolName;
  readonly toolVersion: string;
  readonly account: string;
  readonly endpoint: string;
  readonly roots: RootReport[];
  readonly seconds: number;
  /** The resources that took longest to apply, over every root (`<root>: <address>`). */
  readonly slowest: SlowResource[];
  readonly ok: boolean;
}

const DEFAULT_ROOT_TIMEOUT_SECONDS = 600;
const SLOWEST = 10;
/**
 * Resources Terraform works on at once (its default is 10). The provider spends most of a
 * sandbox apply in fixed sleeps (known-gaps.json `waits`) while moto answers in milliseconds,
 * so more resources in flight overlap more of those sleeps.
 */
const PARALLELISM = "-parallelism=50";
const INIT_TIMEOUT_MS = 180_000;

/**
 * Starts (or reuses) the emulator, writes the environment's roots into the sandbox's tree with
 * an override beside each, and applies the account's bootstrap root (state buckets, roles), so
 * that `init` / `plan` / `apply` work in every root with `env`.
 */
export async function prepareSandbox(options: SandboxOptions): Promise<PreparedSandbox> {
  const { repoRoot, environment, name = DEFAULT_NAME } = options;
  const tool = requireTool(options.tool ?? "terraform", repoRoot);
  const output = await synthesizeTree(repoRoot, environmentFiles(repoRoot, [environment]));
  const synthesized = output.environments.find((e) => e.name === environment)!;
  const account = synthesized.manifest.account;
  const server = await startMoto(repoRoot, { name, account });
  const dir = sandboxDir(repoRoot, name);
  const tree = join(dir, "tree");
  startTree(tree, server);
  const { bootstrap, roots } = writeRoots(
    repoRoot,
    tree,
    output.files,
    environment,
    server.endpoint,
  );

  const env = toolEnv(dir, server.endpoint);
  const context = contextOf({ tool, env }, options);
  const bootstrapReport = await applyRoot(context, bootstrap, environment); // always as admin
  if (bootstrapReport.unexpected.length > 0) {
    const [first] = bootstrapReport.unexpected;
    throw new SandboxError(`the bootstrap root did not apply: ${first!.address}: ${first!.error}`);
  }
  return { name, server, tool, tree, env, bootstrap, roots, bootstrapReport };
}

/** Applies every root in order (bootstrap first), then re-plans each: the sandbox's verdict. */
export async function sandboxApply(options: SandboxOptions): Promise<SandboxReport> {
  const started = performance.now();
  const prepared = await prepareSandbox(options);
  return withRoles(prepared, options, async (context) => {
    const reports = [prepared.bootstrapReport];
    for (const root of prepared.roots) {
      const report = await applyRoot(context, root, options.environment);
      reports.push(report);
      if (report.unexpected.length > 0) break; // later roots read this one's outputs
    }
    const applied = prepared.roots.slice(0, reports.length - 1);
    // A re-plan only reads: the roots are planned side by side.
    const replans = reports.every((r) => r.unexpected.length === 0)
      ? prepared.roots.map((root, i) => replanRoot(context, root, reports[i + 1]!))
      : [];
    await Promise.all([
      ...replans,
      ...applied.map((root, i) => initOwnFolder(context, root, reports[i + 1]!)),
    ]);
    return reportOf(prepared, options, reports, started);
  });
}

/** A fresh plan of every root of an applied sandbox. */
export async function sandboxPlan(options: SandboxOptions): Promise<SandboxReport> {
  const started = performance.now();
  const prepared = await prepareSandbox(options);
  return withRoles(prepared, options, async (context) => {
    const reports = prepared.roots.map(emptyReport);
    await Promise.all(prepared.roots.map((root, i) => replanRoot(context, root, reports[i]!)));
    return reportOf(prepared, options, [prepared.bootstrapReport, ...reports], started);
  });
}

/** Runs `action` with the roles' gateway unless the options ask for the admin, closing it after. */
async function withRoles<T>(
  prepared: PreparedSandbox,
  options: SandboxOptions,
  action: (context: Context) => Promise<T>,
): Promise<T> {
  const context = contextOf(prepared, options);
  if (options.asAdmin) return action(context);
  const manifest = loadManifest(options.repoRoot, options.environment);
  const roles = await startRoleRun(
    options.repoRoot,
    prepared.name,
    manifest,
    prepared,
    options.progress ?? (() => {}),
  );
  try {
    return await action({ ...context, roles });
  } finally {
    await roles.close();
  }
}

interface Context {
  readonly tool: Tool;
  readonly env: Record<string, string>;
  readonly options: SandboxOptions;
  readonly gaps: KnownGap[];
  readonly waits: ProviderWait[];
  /** The roles' gateway, when the roots run as the roles. */
  readonly roles?: RoleRun;
}

const ADMIN = "admin";

/** Where a step on `root` runs, and as whom: the root's folder as admin, or a copy as the role. */
async function stepFolder(
  context: Context,
  root: SandboxRoot,
  as: RoleKind,
): Promise<{ dir: string; role: string; accessKeyId?: string }> {
  if (!context.roles || root.role === "bootstrap") return { dir: root.dir, role: ADMIN };
  return context.roles.folder(root, as);
}

const contextOf = (
  prepared: Pick<PreparedSandbox, "tool" | "env">,
  options: SandboxOptions,
): Context => ({
  tool: prepared.tool,
  env: prepared.env,
  options,
  gaps: loadKnownGaps(),
  waits: loadProviderWaits(),
});

function reportOf(
  prepared: PreparedSandbox,
  options: SandboxOptions,
  roots: RootReport[],
  started: number,
): SandboxReport {
  return {
    environment: options.environment,
    tool: prepared.tool.name,
    toolVersion: prepared.tool.version,
    account: prepared.server.account,
    endpoint: prepared.server.endpoint,
    roots,
    seconds: round((performance.now() - started) / 1000),
    slowest: slowestOf(
      roots.flatMap((r) => r.slowest.map((s) => ({ ...s, address: `${r.name}: ${s.address}` }))),
    ),
    ok: roots.length === prepared.roots.length + 1 && roots.every((r) => r.unexpected.length === 0),
  };
}

/**
 * The tree's states (the bootstrap's local one, the `.terraform` folders) describe one
 * emulator's resources: a tree left by an emulator that has since stopped starts over.
 */
function startTree(tree: string, server: MotoServer): void {
  const marker = join(tree, "emulator.json");
  const previous = existsSync(marker)
    ? (JSON.parse(readFileSync(marker, "utf8")) as MotoServer)
    : undefined;
  if (previous?.pid === server.pid && previous.port === server.port) return;
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  writeFileSync(marker, `${JSON.stringify(server)}\n`);
}

/**
 * Writes the synthesized `files` into `tree` with an override beside each root of `environment`
 * that points it at `endpoint` (the emulator, or its gateway); returns the roots, the
 * deployments in apply order.
 */
export function writeRoots(
  repoRoot: string,
  tree: string,
  files: ReadonlyMap<string, Uint8Array>,
  environment: string,
  endpoint: string,
  override: OverrideOptions = {},
): Pick<PreparedSandbox, "bootstrap" | "roots"> {
  writeTree(repoRoot, tree, files);
  const summary = JSON.parse(
    readFileSync(join(tree, "dist", "environments", environment, "deployments.json"), "utf8"),
  ) as { bootstrap: string; deployments: { name: string; role: string; region: string }[] };
  const bootstrap = {
    name: "bootstrap",
    role: "bootstrap",
    region: "",
    dir: join(tree, "dist", summary.bootstrap),
  };
  const roots = summary.deployments.map((d) => ({
    name: d.name,
    role: d.role,
    region: d.region,
    dir: join(tree, "dist", "environments", environment, d.name),
  }));
  for (const root of [bootstrap, ...roots]) writeOverride(root.dir, endpoint, override);
  return { bootstrap, roots };
}

/** The synthesized files under `tree/dist`, and `tree/modules` pointing at the releases. */
export function writeTree(
  repoRoot: string,
  tree: string,
  files: ReadonlyMap<string, Uint8Array>,
): void {
  for (const [path, bytes] of files) {
    const file = join(tree, "dist", path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, bytes);
  }
  // Roots call released modules as ../../../../modules/<domain>/releases/<v>: the same
  // relative path resolves here through this link.
  const modules = join(tree, "modules");
  if (!existsSync(modules)) symlinkSync(join(repoRoot, "modules"), modules);
}

function writeOverride(dir: string, endpoint: string, options: OverrideOptions): void {
  const root = JSON.parse(readFileSync(join(dir, "main.tf.json"), "utf8"));
  writeFileSync(
    join(dir, OVERRIDE_FILE),
    `${JSON.stringify(overrideFor(root, endpoint, options), null, 2)}\n`,
  );
}

/** Only what the tool needs: nothing of the caller's AWS configuration can leak through. */
function toolEnv(dir: string, endpoint: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? dir,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    ...providerEnv(dir),
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL: endpoint,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "3",
    ...debugLog(),
  };
}

/** TF_LOG / TF_LOG_PATH of the caller, so the provider's waits can be read in its debug log. */
function debugLog(): Record<string, string> {
  const { TF_LOG, TF_LOG_PATH } = process.env;
  return { ...(TF_LOG ? { TF_LOG } : {}), ...(TF_LOG_PATH ? { TF_LOG_PATH } : {}) };
}

function emptyReport(root: SandboxRoot): RootReport {
  const { name, role, region } = root;
  const empty = { planned: 0, created: 0, unexpected: [], gaps: [], replan: [], seconds: {} };
  return { name, role, region, ...empty, slowest: [], ranAs: {}, calls: {} };
}

async function applyRoot(
  context: Context,
  root: SandboxRoot,
  environment: string,
): Promise<RootReport> {
  const report = emptyReport(root);
  const label = `${environment}/${root.name}`;
  const progress = context.options.progress ?? (() => {});
  const step = await stepFolder(context, root, "apply");
  const { dir } = step;
  report.ranAs.apply = step.role;
  progress(`${label}: init as ${step.role}`);
  try {
    return await applySteps(context, root, dir, report, label);
  } finally {
    if (step.accessKeyId) report.calls.apply = context.roles!.calls(step.accessKeyId);
  }
}

async function applySteps(
  context: Context,
  root: SandboxRoot,
  dir: string,
  report: RootReport,
  label: string,
): Promise<RootReport> {
  const progress = context.options.progress ?? (() => {});
  const init = await tool(context, dir, ["init", "-input=false", "-no-color"], INIT_TIMEOUT_MS);
  report.seconds.init = round(init.seconds);
  if (failed(context, init, report, root, "init")) return report;

  const planLog = emptyLog();
  progress(`${label}: plan`);
  const planArgs = ["plan", "-input=false", PARALLELISM, "-json", "-out=tandem.tfplan"];
  const plan = await tool(context, dir, planArgs, undefined, planLog);
  report.seconds.plan = round(plan.seconds);
  report.planned = planLog.planned.size;
  if (failed(context, plan, report, root, "plan", planLog)) return report;

  const log = { ...emptyLog(), planned: planLog.planned };
  progress(`${label}: apply ${report.planned} change(s)`);
  const ticker = every(10_000, () =>
    progress(`${label}: applied ${log.applied.size}/${report.planned}`),
  );
  const apply = await tool(
    context,
    dir,
    ["apply", "-input=false", PARALLELISM, "-json", "tandem.tfplan"],
    undefined,
    log,
  );
  clearInterval(ticker);
  report.seconds.apply = round(apply.seconds);
  report.created = [...log.applied.keys()].filter((a) => log.planned.get(a) === "create").length;
  report.slowest = slowestOf(
    [...log.applied].map(([address, seconds]) => {
      const wait = waitFor(context.waits, address)?.id;
      return { address, seconds, ...(wait ? { wait } : {}) };
    }),
  );
  failed(context, apply, report, root, "apply", log);
  for (const gap of gapsUsedBy(context.gaps, [...log.planned.keys()])) addGap(report, gap.id);
  progress(`${label}: ${report.created} created, ${report.unexpected.length} unexpected`);
  return report;
}

/**
 * The root's own folder initialized with the admin test credentials after a role applied it in
 * a copy: other commands and the tests (`sandbox plan --as-admin`, the outage experiment, the
 * shared sandbox's users) run Terraform there as it is.
 */
async function initOwnFolder(
  context: Context,
  root: SandboxRoot,
  report: RootReport,
): Promise<void> {
  if (report.ranAs.apply === ADMIN) return;
  const init = await tool(
    context,
    root.dir,
    ["init", "-input=false", "-no-color"],
    INIT_TIMEOUT_MS,
  );
  if (init.code !== 0 || init.timedOut) {
    report.unexpected.push({
      address: root.name,
      error: `init of the root's own folder failed: ${lastLines(init)}`,
    });
  }
}

async function replanRoot(context: Context, root: SandboxRoot, report: RootReport): Promise<void> {
  const step = await stepFolder(context, root, "plan");
  report.ranAs.replan = step.role;
  context.options.progress?.(
    `${context.options.environment}/${root.name}: re-plan as ${step.role}`,
  );
  try {
    await replanSteps(context, root, step.dir, report, step.role !== ADMIN);
  } finally {
    if (step.accessKeyId) report.calls.replan = context.roles!.calls(step.accessKeyId);
  }
}

async function replanSteps(
  context: Context,
  root: SandboxRoot,
  dir: string,
  report: RootReport,
  asPlanRole: boolean,
): Promise<void> {
  // A role's copy is new; the root's own folder may hold an init of roots synthesized since
  // (other modules, another lock), which the plan would refuse: init brings it up to date.
  const init = await tool(context, dir, ["init", "-input=false", "-no-color"], INIT_TIMEOUT_MS);
  report.seconds.replanInit = round(init.seconds);
  if (init.code !== 0 || init.timedOut) {
    report.unexpected.push({ address: root.name, error: `init failed: ${lastLines(init)}` });
    return;
  }
  const plan = await tool(context, dir, [
    "plan",
    "-input=false",
    // The plan role may not write the lock file: the pipeline's plans run without the lock.
    ...(asPlanRole ? ["-lock=false"] : []),
    PARALLELISM,
    "-no-color",
    "-detailed-exitcode",
    "-out=tandem-replan.tfplan",
  ]);
  report.seconds.replan = round(plan.seconds);
  if (plan.code === 1 || plan.timedOut) {
    report.unexpected.push({ address: root.name, error: `re-plan failed: ${lastLines(plan)}` });
    return;
  }
  if (plan.code === 0) return;
  const show = await tool(context, dir, ["show", "-json", "tandem-replan.tfplan"]);
  for (const change of plannedChanges(JSON.parse(show.stdout) as ShowJson)) {
    const gap = gapForReplan(context.gaps, change.address, change.attributes);
    report.replan.push({ ...change, ...(gap ? { gap: gap.id } : {}) });
    if (gap) addGap(report, gap.id);
    else {
      report.unexpected.push({
        address: change.address,
        error: `re-plan wants to ${change.action} (${change.attributes.join(", ")}), which no known gap explains`,
      });
    }
  }
}

/** Records a failed step; true when the root cannot go on. */
function failed(
  context: Context,
  result: RunResult,
  report: RootReport,
  root: SandboxRoot,
  step: string,
  log?: UiLog,
): boolean {
  for (const error of log?.errors ?? []) {
    const address = error.address ?? root.name;
    const gap = gapForError(context.gaps, address, error.message);
    if (gap) addGap(report, gap.id);
    else report.unexpected.push({ address, error: error.message });
  }
  if (log && step === "apply" && (result.code !== 0 || log.errors.length > 0)) {
    // What a failure kept from running is a failure too: a gap never hides it.
    for (const [address] of log.planned) {
      if (!log.applied.has(address) && !log.errored.has(address)) {
        report.unexpected.push({ address, error: "not applied: a resource it depends on failed" });
      }
    }
  }
  if (result.timedOut) {
    report.unexpected.push({ address: root.name, error: `${step} timed out and was stopped` });
  } else if (result.code !== 0 && !(log && log.errors.length > 0)) {
    report.unexpected.push({ address: root.name, error: `${step} failed: ${lastLines(result)}` });
  }
  return result.code !== 0 || result.timedOut;
}

function tool(
  context: Context,
  dir: string,
  args: string[],
  timeoutMs?: number,
  log?: UiLog,
): Promise<RunResult> {
  const limit =
    timeoutMs ?? (context.options.rootTimeoutSeconds ?? DEFAULT_ROOT_TIMEOUT_SECONDS) * 1000;
  return runTool(context.tool.bin, args, {
    cwd: dir,
    env: context.env,
    timeoutMs: limit,
    ...(log ? { onLine: (line: string) => readEvent(log, line) } : {}),
  });
}

function addGap(report: RootReport, id: string): void {
  if (!report.gaps.includes(id)) report.gaps.push(id);
}

function lastLines(result: RunResult): string {
  const text = (result.stderr || result.stdout).trim(); // every command runs with -no-color or -json
  return (
    text.split("\n").filter(Boolean).slice(-3).join(" ").slice(0, 500) || `exit ${result.code}`
  );
}

function every(ms: number, action: () => void): NodeJS.Timeout {
  const timer = setInterval(action, ms);
  timer.unref();
  return timer;
}

function slowestOf<T extends { seconds: number }>(resources: T[]): T[] {
  return [...resources].sort((a, b) => b.seconds - a.seconds).slice(0, SLOWEST);
}

const round = (seconds: number) => Math.round(seconds * 10) / 10;
