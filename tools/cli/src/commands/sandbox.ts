import { parseCommandArgs } from "../args.ts";
import { printable, quote, UsageError } from "@tandem/generator";
import { EXIT, type Command, type CommandContext } from "../command.ts";

const USAGE = "tandem sandbox up|down|status|apply|plan|drill|env|outage [options]";
const APPLY_USAGE =
  "tandem sandbox apply|plan --env <env> [--root <name> [--refresh=false] [--exclude <address>]] " +
  "[--tool terraform|tofu] [--name <sandbox>] [--timeout <seconds>] [--as-admin] [--json]";
const HELP = `An offline AWS for the DR stack: moto's server on 127.0.0.1 (with the extensions in
tools/sandbox/moto), each root applied for real with its S3 backend on the emulator.
  up / down / status   start, stop (by its pid) or show the emulator
  apply                synthesize, apply bootstrap, then every root in order, then re-plan
  plan                 a fresh plan of every root of an applied sandbox
  plan|apply --root    one root of an applied sandbox, as the runbook's commands run it
                       (--refresh=false, OpenTofu's --exclude), through the sandbox's gateway
  outage               lose a region (--region <r>), or give it back (--restore)
  drill                the DR drill on the emulation (see tandem sandbox drill --help)
  env                  a role's credentials on the sandbox, as a GitHub job gets them
apply and plan run every root but the bootstrap as the environment's roles through the IAM
gateway: applies as tandem-<env>-apply, plans as tandem-<env>-plan (--root too); --as-admin
runs them with the account's admin test credentials instead.
Exit 0 only when nothing unexpected happened; known gaps are in tools/sandbox/known-gaps.json.`;

/** `tandem sandbox`: hands each subcommand to the sandbox library, loaded only when run. */
export const sandboxCommand: Command = async (argv, io) => {
  const [sub, ...rest] = argv;
  if (sub === "drill") return (await import("./sandbox-drill.ts")).sandboxDrillCommand(rest, io);
  if (sub === "env") return (await import("./sandbox-env.ts")).sandboxEnvCommand(rest, io);
  if (sub === "outage") return (await import("./sandbox-outage.ts")).sandboxOutageCommand(rest, io);
  if (sub === "up" || sub === "down" || sub === "status") return emulator(sub, rest, io);
  if (sub === "apply" || sub === "plan") return roots(sub, rest, io);
  parseCommandArgs(sub === undefined ? [] : [sub, ...rest], {}, USAGE, { help: HELP });
  throw new UsageError(
    sub === undefined ? "a subcommand is required" : `unknown subcommand ${quote(sub)}`,
    USAGE,
  );
};

async function emulator(sub: "up" | "down" | "status", argv: string[], io: CommandContext) {
  const usage = `tandem sandbox ${sub} [--name <sandbox>] [--json]`;
  const { values } = parseCommandArgs(
    argv,
    { name: { type: "string" }, json: { type: "boolean" } },
    usage,
  );
  const sandbox = await import("@tandem/sandbox");
  const name = values.name ?? sandbox.DEFAULT_NAME;
  return guarded(io, async () => {
    if (sub === "down") {
      const stopped = await sandbox.stopMoto(io.root, name);
      io.stdout(stopped ? `sandbox ${name}: stopped\n` : `sandbox ${name}: not running\n`);
      return EXIT.ok;
    }
    const server =
      sub === "up"
        ? await sandbox.startMoto(io.root, { name })
        : await sandbox.motoStatus(io.root, name);
    const lost = sandbox.lostRegions(io.root, name);
    if (values.json)
      io.stdout(`${JSON.stringify({ name, running: !!server, ...server, lost }, null, 2)}\n`);
    else if (server)
      io.stdout(
        `sandbox ${name}: moto on ${server.endpoint} (pid ${server.pid}, account ${server.account})\n`,
      );
    else io.stdout(`sandbox ${name}: not running\n`);
    if (!values.json && lost.length > 0) io.stdout(`sandbox ${name}: lost ${lost.join(", ")}\n`);
    return sub === "status" && !server ? EXIT.invalid : EXIT.ok;
  });
}

async function roots(sub: "apply" | "plan", argv: string[], io: CommandContext) {
  const { values } = parseCommandArgs(
    argv,
    {
      env: { type: "string" },
      tool: { type: "string" },
      name: { type: "string" },
      timeout: { type: "string" },
      "as-admin": { type: "boolean" },
      root: { type: "string" },
      refresh: { type: "string" },
      exclude: { type: "string", multiple: true },
      json: { type: "boolean" },
    },
    APPLY_USAGE,
    { help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", APPLY_USAGE);
  const tool = values.tool ?? "terraform";
  if (tool !== "terraform" && tool !== "tofu") {
    throw new UsageError(`--tool must be terraform or tofu, not ${quote(tool)}`, APPLY_USAGE);
  }
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) {
    throw new UsageError("--timeout must be a whole number of seconds", APPLY_USAGE);
  }
  const planArgs = runbookArgs(values, tool);
  if (values.root !== undefined) {
    return oneRoot(io, {
      repoRoot: io.root,
      environment: values.env,
      tool,
      root: values.root,
      command: sub,
      planArgs,
      json: values.json === true,
      asAdmin: values["as-admin"] ?? false,
      ...(values.name ? { name: values.name } : {}),
      ...(timeout ? { rootTimeoutSeconds: timeout } : {}),
    });
  }
  if (planArgs.length > 0) {
    throw new UsageError("--refresh and --exclude apply to one root: add --root", APPLY_USAGE);
  }
  const sandbox = await import("@tandem/sandbox");
  const run = sub === "apply" ? sandbox.sandboxApply : sandbox.sandboxPlan;
  return guarded(io, async () => {
    const report = await run({
      repoRoot: io.root,
      environment: values.env!,
      tool,
      ...(values.name ? { name: values.name } : {}),
      ...(timeout ? { rootTimeoutSeconds: timeout } : {}),
      asAdmin: values["as-admin"] ?? false,
      // With --json, stdout carries the report alone.
      progress: (line) => (values.json ? io.stderr : io.stdout)(`${printable(line)}\n`),
    });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return report.ok ? EXIT.ok : EXIT.invalid;
  });
}

/** The runbook's plan arguments: `-refresh=false` (Terraform), `-exclude=<address>` (OpenTofu). */
function runbookArgs(
  values: { refresh?: string; exclude?: string[] },
  tool: "terraform" | "tofu",
): string[] {
  if (values.refresh !== undefined && values.refresh !== "false") {
    throw new UsageError(`--refresh takes only false, not ${quote(values.refresh)}`, APPLY_USAGE);
  }
  if (values.exclude && tool !== "tofu") {
    throw new UsageError("--exclude is OpenTofu's: add --tool tofu", APPLY_USAGE);
  }
  return [
    ...(values.refresh ? ["-refresh=false"] : []),
    ...(values.exclude ?? []).map((address) => `-exclude=${address}`),
  ];
}

type RootOptions = import("@tandem/sandbox").SandboxRootOptions & { readonly json: boolean };
type RootResult = Awaited<ReturnType<typeof import("@tandem/sandbox").sandboxRoot>>;

/** One root planned or applied through the sandbox's gateway; exit 0 when it succeeded. */
async function oneRoot(io: CommandContext, options: RootOptions): Promise<number> {
  const sandbox = await import("@tandem/sandbox");
  return guarded(io, async () => {
    const run = await sandbox.sandboxRoot(options);
    io.stdout(options.json ? `${JSON.stringify(run, null, 2)}\n` : renderRoot(run));
    return run.ok ? EXIT.ok : EXIT.invalid;
  });
}

/** What the root's plan changes or its errors, one a line. */
export function renderRoot(run: RootResult): string {
  const lost = run.lost.length > 0 ? `, ${run.lost.join(", ")} lost` : "";
  const lines = [
    `${run.environment}/${run.root}: ${run.command} with ${run.tool}${lost} (${run.seconds} s)`,
    `  as ${run.ranAs}${run.calls ? ` (${callsText(run.calls)})` : ""}`,
    ...run.changes.map((c) => `  ~ ${printable(c.address)} ${c.action}`),
    ...run.errors.map(
      (e) => `  ! ${e.address ? `${printable(e.address)}: ` : ""}${printable(e.message)}`,
    ),
    run.ok
      ? `ok: ${run.changes.length} change(s) ${run.command === "apply" ? "applied" : "planned"}`
      : `FAILED at ${run.failedAt}`,
  ];
  return `${lines.join("\n")}\n`;
}

type Report = Awaited<ReturnType<typeof import("@tandem/sandbox").sandboxApply>>;

/** A short table per root: what was planned and created, what went wrong, what re-plans. */
export function renderReport(report: Report): string {
  const lines = [
    `\n${report.environment} on the sandbox with ${report.tool} ${report.toolVersion} (${report.seconds} s)`,
  ];
  for (const root of report.roots) {
    const timing = Object.entries(root.seconds)
      .map(([step, seconds]) => `${step} ${seconds} s`)
      .join(", ");
    lines.push(
      `  ${root.name.padEnd(10)} planned ${String(root.planned).padStart(3)}  created ${String(root.created).padStart(3)}  ` +
        `unexpected ${root.unexpected.length}  re-plan ${root.replan.length}  (${timing})`,
    );
    const ranAs = Object.entries(root.ranAs).filter(([, who]) => who !== "admin");
    for (const [step, role] of ranAs) {
      const calls = root.calls[step as keyof typeof root.calls];
      const counts = calls ? ` (${callsText(calls)})` : "";
      lines.push(`    ${step} as ${role}${counts}`);
    }
    for (const u of root.unexpected)
      lines.push(`    ! ${printable(u.address)}: ${printable(u.error)}`);
    for (const r of root.replan) {
      lines.push(
        `    ~ ${printable(r.address)} ${r.action} ${r.attributes.join(", ")}${r.gap ? ` [gap ${r.gap}]` : ""}`,
      );
    }
    if (root.gaps.length > 0) lines.push(`    gaps: ${root.gaps.join(", ")}`);
  }
  lines.push(report.ok ? "ok: nothing unexpected" : "FAILED: see the unexpected lines above");
  return `${lines.join("\n")}\n`;
}

const callsText = (calls: { allowed: number; denied: number; unread: number }) =>
  `calls: ${calls.allowed} allowed, ${calls.denied} denied, ${calls.unread} not evaluated`;

/** A sandbox failure (no tool, moto would not start, another account) is one line, exit 1. */
async function guarded(io: CommandContext, action: () => Promise<number>): Promise<number> {
  const { SandboxError } = await import("@tandem/sandbox");
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof SandboxError)) throw error;
    io.stderr(`tandem sandbox: ${printable(error.message)}\n`);
    return EXIT.invalid;
  }
}
