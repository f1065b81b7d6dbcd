import { appendFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { printable, UsageError } from "@tandem/generator";
import { EXIT, type Command } from "../command.ts";

const USAGE = "tandem posture --env <env> [--json] [--summary <file.md>]";
const HELP = `The DR posture of one environment on AWS, read-only: the global cluster's members and
writer against the manifest's primary, each regional cluster still a member (not detached or
promoted), replica sync and lag, both Route 53 health checks, the drill flag. Exits 1 and names
each problem when anything is not as the manifest says. Credentials and endpoints come from the
usual AWS environment (the drift workflow's plan role is enough).`;

/** `tandem posture`: reads the environment's DR posture and says what is not as the manifest says. */
export const postureCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { env: { type: "string" }, json: { type: "boolean" }, summary: { type: "string" } } as const,
    USAGE,
    { help: HELP },
  );
  if (!values.env) throw new UsageError("--env is required", USAGE);
  const drill = await import("@tandem/drill");
  const targets = await drill.drillTargets(
    io.root,
    drill.loadDrillEnvironment(io.root, values.env),
  );
  const report = await drill.checkPosture(drill.awsWorld(io.env), targets);
  const text = drill.postureMarkdown(report);
  io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : text);
  if (values.summary) appendFileSync(resolve(io.cwd, values.summary), `${text}\n`);
  for (const finding of report.findings.filter((f) => !f.ok))
    io.stderr(
      `tandem posture: ${report.environment}: ${finding.check}: ${printable(finding.detail)}\n`,
    );
  return report.ok ? EXIT.ok : EXIT.invalid;
};
