import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { quote, UsageError } from "@tandem/generator";
import { EXIT, type Command, type CommandIo } from "../command.ts";

const USAGE =
  "tandem drill --env <env> [--mode switchover|failover] [--dry-run] [--json] [--summary <file.md>] | --env <env> --issuer";

export interface DrillReportLike {
  passed: boolean;
}

/** Prints the report (JSON or Markdown), appends the Markdown to --summary, and gives the exit code. */
export function emitReport(
  report: DrillReportLike,
  markdownText: string,
  values: { json?: boolean; summary?: string },
  io: CommandIo,
): number {
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : markdownText);
  if (values.summary) appendFileSync(resolve(io.cwd, values.summary), `${markdownText}\n`);
  return report.passed ? EXIT.ok : EXIT.invalid;
}

export function parseMode(
  mode: string | undefined,
  usage = USAGE,
): "switchover" | "failover" | undefined {
  if (mode === undefined || mode === "switchover" || mode === "failover") return mode;
  throw new UsageError(`--mode must be switchover or failover, not ${quote(mode)}`, usage);
}

/**
 * Failover accepts data loss, so it runs only where the manifest schedules it (and the
 * manifest's rules keep it out of production's schedule).
 */
export function refuseUnscheduledFailover(
  mode: "switchover" | "failover" | undefined,
  environment: { file: string; manifest: { drill: { mode: string } } },
  usage = USAGE,
): void {
  const scheduled = environment.manifest.drill.mode;
  if (mode === "failover" && scheduled !== "failover")
    throw new UsageError(
      `--mode failover accepts data loss; ${environment.file} schedules drill.mode: ${scheduled}, so only switchover runs here`,
      usage,
    );
}

/** The options `tandem drill` and `tandem sandbox drill` share. */
export const DRILL_OPTIONS = {
  env: { type: "string" },
  mode: { type: "string" },
  "dry-run": { type: "boolean" },
  json: { type: "boolean" },
  summary: { type: "string" },
} as const;

/**
 * A measured switchover of one environment on AWS and back, with rollback on any failure. With
 * --issuer it prints the issuer of the synthetic payments' bearer token (the manifest's
 * compute.auth.issuer, empty when it has none), so no workflow parses the manifest itself.
 */
export const drillCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { ...DRILL_OPTIONS, issuer: { type: "boolean" } } as const,
    USAGE,
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const mode = parseMode(values.mode);
  const drill = await import("@tandem/drill");
  const environment = drill.loadDrillEnvironment(io.root, values.env);
  if (values.issuer) {
    const { auth } = environment.manifest.compute as { auth?: { issuer: string } };
    io.stdout(`${auth?.issuer ?? ""}\n`);
    return EXIT.ok;
  }
  refuseUnscheduledFailover(mode, environment);
  const targets = await drill.drillTargets(io.root, environment);
  // A rehearsal's runner names a served emulation; a real run never sets the variable.
  const served = io.env[drill.DRILL_WORLD_VARIABLE];
  const { world, where } = served
    ? await drill.servedWorld(served, io.env).catch((error: Error) => {
        throw new UsageError(error.message); // the variable, not the drill: no stack trace
      })
    : { world: drill.awsWorld(io.env), where: undefined };
  const report = await drill.runDrill(world, targets, {
    mode: mode ?? targets.manifestMode,
    dryRun: values["dry-run"] ?? false,
    ...(where ? { where } : {}),
  });
  return emitReport(report, drill.markdown(report), values, io);
};
