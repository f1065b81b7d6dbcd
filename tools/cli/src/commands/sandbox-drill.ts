import { parseCommandArgs } from "../args.ts";
import { DRILL_OPTIONS, emitReport, parseMode, refuseUnscheduledFailover } from "./drill.ts";
import { UsageError } from "@tandem/generator";
import { type Command } from "../command.ts";

const USAGE =
  "tandem sandbox drill --env <env> [--mode switchover|failover] [--dry-run] [--json] [--summary <file.md>] [--speed <n>]";

/**
 * The drill, unchanged, on the emulated AWS: the real payment handler on moto, Route 53
 * checkers and Aurora switchover states as AWS documents them, on a clock `--speed` times fast.
 * With `--mode failover` the primary's region is lost mid-traffic as `tandem sandbox outage`
 * loses it, then comes back, and the drill fails back.
 * `tandem sandbox drill` hands its arguments (after `drill`) to this command.
 */
export const sandboxDrillCommand: Command = async (argv, io) => {
  const options = { ...DRILL_OPTIONS, speed: { type: "string" } } as const;
  const { values } = parseCommandArgs(argv, options, USAGE);
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const speed = values.speed === undefined ? undefined : Number(values.speed);
  if (speed !== undefined && !(speed >= 1 && speed <= 1000))
    throw new UsageError("--speed must be a number from 1 to 1000", USAGE);
  const mode = parseMode(values.mode, USAGE);
  const drill = await import("@tandem/drill");
  refuseUnscheduledFailover(mode, drill.loadDrillEnvironment(io.root, values.env), USAGE);
  // The handler's logs go to stderr: stdout is the report.
  const restoreConsole = drill.redirectConsole(io.stderr);
  const report = await drill
    .runSandboxDrill({
      root: io.root,
      env: values.env,
      ...(mode ? { mode } : {}),
      dryRun: values["dry-run"] ?? false,
      ...(speed ? { speed } : {}),
    })
    .finally(restoreConsole);
  return emitReport(report, drill.markdown(report), values, io);
};
