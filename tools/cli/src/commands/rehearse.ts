import { parseCommandArgs } from "../args.ts";
import { printable, quote, UsageError } from "@tandem/generator";
import { EXIT, type Command, type CommandContext } from "../command.ts";

const USAGE =
  "tandem rehearse --env <env> [--tool terraform|tofu] [--scenario <name>] [--keep] [--json]";
const HELP = `Runs the repository's own workflows, unchanged, with act on this machine (no Docker)
against an applied sandbox of the environment and a GitHub double on loopback, through a
scenario of events (default: a pull request adding an alarm email is planned and commented, a
second push edits the comment, the merge is applied, then drift runs clean and again after a
change out of band; pull-request: the first leg alone; back-to-back: two pull requests merged
one after the other). Progress goes to stderr; --json prints each run's event,
jobs, conclusion, seconds and what it posted. Exit 0 only when every run ended as the scenario
expects; a failed job is shown with its failing step's log.`;

/** `tandem rehearse`: hands the scenario to the rehearsal library, loaded only when run. */
export const rehearseCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    {
      env: { type: "string" },
      tool: { type: "string" },
      scenario: { type: "string" },
      keep: { type: "boolean" },
      json: { type: "boolean" },
    },
    USAGE,
    { help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const tool = values.tool ?? "terraform";
  if (tool !== "terraform" && tool !== "tofu")
    throw new UsageError(`--tool must be terraform or tofu, not ${quote(tool)}`, USAGE);
  const rehearsal = await import("@tandem/rehearsal");
  const scenario = values.scenario ?? "default";
  if (!Object.hasOwn(rehearsal.SCENARIOS, scenario))
    throw new UsageError(
      `unknown scenario ${quote(scenario)}; known: ${Object.keys(rehearsal.SCENARIOS).join(", ")}`,
      USAGE,
    );
  const report = await guarded(io, () =>
    rehearsal.rehearse({
      repoRoot: io.root,
      environment: values.env!,
      tool,
      scenario,
      keep: values.keep ?? false,
      progress: (line) => io.stderr(`${line}\n`),
    }),
  );
  if (typeof report === "number") return report;
  if (values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout(summary(report));
  return report.ok ? EXIT.ok : EXIT.invalid;
};

type Report = Awaited<ReturnType<(typeof import("@tandem/rehearsal"))["rehearse"]>>;

function summary(report: Report): string {
  const lines = report.runs.flatMap((run) => [
    `${run.ok ? "ok  " : "FAIL"} ${run.workflow} on ${run.event} (${run.leg}): ${run.conclusion}, ${run.seconds} s`,
    ...run.jobs.map((job) => `       ${job.name}: ${job.result} (${job.seconds} s)`),
    ...run.posted.map((p) => `       posted ${p.method} ${p.path} ${p.status}`),
    ...run.problems.map((problem) => `       ${problem.replaceAll("\n", "\n         ")}`),
  ]);
  const verdict = report.ok ? "as expected" : "NOT as expected";
  const kept = report.kept ? `; kept in ${report.kept}` : "";
  return `${lines.join("\n")}\nrehearsal ${report.scenario} of ${report.environment} with ${report.tool}: ${verdict} in ${report.seconds} s${kept}\n`;
}

/** A rehearsal or sandbox that cannot run is a message and exit 1, never a stack trace. */
async function guarded<T>(io: CommandContext, action: () => Promise<T>): Promise<T | number> {
  const [{ RehearsalError }, { SandboxError }] = await Promise.all([
    import("@tandem/rehearsal"),
    import("@tandem/sandbox"),
  ]);
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof RehearsalError) && !(error instanceof SandboxError)) throw error;
    io.stderr(`tandem rehearse: ${error.message.split("\n").map(printable).join("\n")}\n`);
    return EXIT.invalid;
  }
}
