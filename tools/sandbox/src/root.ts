/**
 * One root of an applied sandbox, planned or applied as the runbook's commands do it: `plan`
 * (with the runbook's arguments, e.g. `-refresh=false`) and `apply` of that plan. It runs in a
 * copy of the root's folder beside it (the sandbox's tree stays as other commands use it) whose
 * override sends every call, the S3 backend's included, to `endpoint`: the sandbox's gateway,
 * where a lost region is lost (outage.ts).
 */
import { rmSync } from "node:fs";
import {
  emptyLog,
  plannedChanges,
  readEvent,
  type PlannedChange,
  type ShowJson,
} from "./events.ts";
import { roleOverride, startRoleRun, type RoleCredentialsForTool } from "./iam/as-role.ts";
import { keyVariables } from "./iam/env.ts";
import { HEALTH_PATH, type CallCounts } from "./iam/gateway.ts";
import { ensureGateway } from "./iam/process.ts";
import { loadManifest } from "./iam/session.ts";
import { isAlive, pollUntil, SandboxError } from "./moto.ts";
import { lostRegions } from "./outage.ts";
import { copyRootWithOverride } from "./overrides.ts";
import { runTool, type RunResult } from "./run.ts";
import {
  prepareSandbox,
  type PreparedSandbox,
  type SandboxOptions,
  type SandboxRoot,
} from "./sandbox.ts";

export type RootCommand = "plan" | "apply";

export interface RootRunOptions {
  /** The deployment's name (deployments.json), e.g. `us-west-2`. */
  readonly root: string;
  readonly command: RootCommand;
  /** The runbook's arguments to `plan`: `-refresh=false`, OpenTofu's `-exclude=<address>`. */
  readonly planArgs?: readonly string[];
  /** Where every call of the root goes: the sandbox's gateway. */
  readonly endpoint: string;
  /** Names the copy of the root's folder, so runs side by side never share one. */
  readonly label: string;
  readonly timeoutMs?: number;
  /** A role's session the root runs with; the admin test credentials without it. */
  readonly credentials?: RoleCredentialsForTool;
}

export interface RootRun {
  readonly root: string;
  readonly command: RootCommand;
  readonly ok: boolean;
  /** The step that failed, when one did. */
  readonly failedAt?: "init" | "plan" | "apply";
  readonly seconds: number;
  /** What the plan changes (an apply applied exactly these). */
  readonly changes: PlannedChange[];
  /** Terraform's error diagnostics, each with the resource it names. */
  readonly errors: { readonly address?: string; readonly message: string }[];
}

const DEFAULT_TIMEOUT_MS = 600_000;

/** Plans (and for `apply`, applies that plan of) one root of `prepared` through `endpoint`. */
export async function runRoot(
  prepared: PreparedSandbox,
  options: RootRunOptions,
): Promise<RootRun> {
  const root = rootNamed(prepared, options.root);
  const copy = `${root.dir}.${options.label}`;
  const started = performance.now();
  const result = (fields: Omit<RootRun, "root" | "command" | "seconds">): RootRun => ({
    root: root.name,
    command: options.command,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    ...fields,
  });
  const { credentials } = options;
  // A copy of a shared sandbox names its own endpoint (the shared gateway, when it runs as the roles).
  const from = "endpoint" in prepared ? String(prepared.endpoint) : prepared.server.endpoint;
  copyRootWithOverride(root.dir, copy, (override) =>
    credentials
      ? JSON.stringify(
          roleOverride(
            JSON.parse(override) as Record<string, unknown>,
            from,
            options.endpoint,
            credentials,
          ),
        )
      : override.replaceAll(from, options.endpoint),
  );
  // The environment's endpoint and, as a role, keys too: an override without keys takes them there.
  const env = {
    ...prepared.env,
    ...(prepared.env.AWS_ENDPOINT_URL ? { AWS_ENDPOINT_URL: options.endpoint } : {}),
    ...(credentials ? keyVariables(credentials) : {}),
  };
  try {
    const run = (args: string[], onLine?: (line: string) => void) =>
      runTool(prepared.tool.bin, args, {
        cwd: copy,
        env,
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(onLine ? { onLine } : {}),
      });
    const init = await run(["init", "-input=false", "-no-color"]);
    if (init.code !== 0 || init.timedOut) {
      return result({ ok: false, failedAt: "init", changes: [], errors: [outputError(init)] });
    }
    const planLog = emptyLog();
    const plan = await run(
      [
        "plan",
        "-input=false",
        "-json",
        "-parallelism=50",
        // A plan takes no lock, as the pipeline's plans do; an apply locks.
        ...(options.command === "plan" ? ["-lock=false"] : []),
        ...(options.planArgs ?? []),
        "-out=tandem-root.tfplan",
      ],
      (line) => readEvent(planLog, line),
    );
    if (plan.code !== 0 || plan.timedOut) {
      const errors = planLog.errors.length ? planLog.errors.map(diagnostic) : [outputError(plan)];
      return result({ ok: false, failedAt: "plan", changes: [], errors });
    }
    const shown = await run(["show", "-json", "tandem-root.tfplan"]);
    const changes = plannedChanges(JSON.parse(shown.stdout) as ShowJson);
    if (options.command === "plan") return result({ ok: true, changes, errors: [] });
    const applyLog = emptyLog();
    const apply = await run(
      ["apply", "-input=false", "-json", "-parallelism=50", "tandem-root.tfplan"],
      (line) => readEvent(applyLog, line),
    );
    const failed = apply.code !== 0 || apply.timedOut;
    const errors = applyLog.errors.map(diagnostic);
    if (failed && errors.length === 0) errors.push(outputError(apply));
    return result({ ok: !failed, ...(failed ? { failedAt: "apply" } : {}), changes, errors });
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

/** The root called `name`, or a clear error naming the roots there are. */
export function rootNamed(prepared: Pick<PreparedSandbox, "roots">, name: string): SandboxRoot {
  const root = prepared.roots.find((r) => r.name === name);
  if (!root) {
    const names = prepared.roots.map((r) => r.name).join(", ");
    throw new SandboxError(`no root ${name} in this environment: its roots are ${names}`);
  }
  return root;
}

/** The root's configuration and lock file, with an override whose every endpoint is `endpoint`. */
const diagnostic = (error: { address: string | undefined; message: string }) => ({
  ...(error.address ? { address: error.address } : {}),
  message: error.message,
});

function outputError(result: RunResult): { message: string } {
  const text = (result.stderr || result.stdout).trim();
  const last = text.split("\n").filter(Boolean).slice(-12).join("\n");
  return { message: result.timedOut ? `timed out and was stopped: ${last}` : last };
}

export interface SandboxRootOptions extends SandboxOptions {
  readonly root: string;
  readonly command: RootCommand;
  readonly planArgs?: readonly string[];
}

/**
 * `tandem sandbox plan|apply --root`: one root of the applied sandbox, through a gateway that
 * sees the sandbox's outage: as the plan role for `plan`, the apply role for `apply` (a gateway
 * of this command, which counts the session's calls), or with `asAdmin` the admin test
 * credentials through the sandbox's own gateway process.
 */
export async function sandboxRoot(options: SandboxRootOptions): Promise<RootRun & SandboxContext> {
  const prepared = await prepareSandbox(options);
  rootNamed(prepared, options.root); // before starting anything else
  const common = {
    root: options.root,
    command: options.command,
    label: `root-${process.pid}`,
    ...(options.planArgs ? { planArgs: options.planArgs } : {}),
    ...(options.rootTimeoutSeconds ? { timeoutMs: options.rootTimeoutSeconds * 1000 } : {}),
  };
  const context = {
    environment: options.environment,
    tool: prepared.tool.name,
  };
  const lost = () => lostRegions(options.repoRoot, prepared.name);
  if (options.asAdmin) {
    const gateway = await outageAwareGateway(options.repoRoot, prepared);
    const run = await runRoot(prepared, { ...common, endpoint: gateway.endpoint });
    return { ...context, lost: lost(), ranAs: "admin", ...run };
  }
  const manifest = loadManifest(options.repoRoot, options.environment);
  const progress = options.progress ?? (() => {});
  const roles = await startRoleRun(options.repoRoot, prepared.name, manifest, prepared, progress);
  try {
    const session = await roles.session(options.command);
    const run = await runRoot(prepared, {
      ...common,
      endpoint: roles.endpoint,
      credentials: session,
    });
    const calls = roles.calls(session.accessKeyId);
    return { ...context, lost: lost(), ranAs: session.role, calls, ...run };
  } finally {
    await roles.close();
  }
}

export interface SandboxContext {
  readonly environment: string;
  readonly tool: string;
  /** The regions lost while the root ran. */
  readonly lost: string[];
  /** The role's ARN the root ran as, or `admin` (the account's admin test credentials). */
  readonly ranAs: string;
  /** As a role: the session's calls through the gateway (allowed, denied, not evaluated). */
  readonly calls?: CallCounts;
}

/**
 * The sandbox's gateway process, one that drops a lost region's calls: a gateway started by an
 * older version of the sandbox (its health answer lists no lost regions) is replaced.
 */
async function outageAwareGateway(repoRoot: string, prepared: PreparedSandbox) {
  const record = await ensureGateway(repoRoot, prepared.name, prepared.server);
  if (await knowsOutages(record.endpoint)) return record;
  process.kill(record.pid, "SIGTERM");
  await pollUntil(() => !isAlive(record.pid), { deadlineMs: 5_000, everyMs: 50 });
  return ensureGateway(repoRoot, prepared.name, prepared.server);
}

async function knowsOutages(endpoint: string): Promise<boolean> {
  const answer = await fetch(`${endpoint}${HEALTH_PATH}`, { signal: AbortSignal.timeout(2_000) });
  return Array.isArray(((await answer.json()) as { lost?: unknown }).lost);
}
