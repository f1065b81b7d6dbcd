import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import {
  environmentFiles,
  ManifestProblems,
  loadEnvironments,
  describeStale,
  planWorkflowUpdates,
  workflowEnvironment,
  WorkflowFileError,
  writeFileAtomically,
} from "@tandem/generator";
import { type Command } from "../command.ts";

const USAGE = "tandem workflows [--check]";
const HELP = `Rewrites the parts of .github/workflows/ that come from the manifests (between
"# tandem:generated begin <name>" and "# tandem:generated end <name>"): the drill crons and the
schedule-to-environment map, the environment lists of workflow_dispatch, and the map of each
environment's account and regions that role ARNs are built from. Everything else is kept as is.

  --check   write nothing; exit 1 naming each stale block and the lines that differ`;

/** The repository root; `root` is given by `run`, `cwd` where a caller predates it. */
const rootOf = (io: { cwd: string; root?: string }): string => io.root ?? io.cwd;

export const workflowsCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(argv, { check: { type: "boolean" } }, USAGE, {
    help: HELP,
  });
  const root = rootOf(io);
  const { environments, problems } = loadEnvironments(environmentFiles(root), { root });
  if (problems.length > 0) throw new ManifestProblems(problems);
  let updates;
  try {
    updates = planWorkflowUpdates(root, environments.map(workflowEnvironment));
  } catch (error) {
    if (!(error instanceof WorkflowFileError)) throw error;
    io.stderr(`${error.message}\nnothing was written\n`);
    return 1;
  }
  const stale = updates.filter((u) => u.stale.length > 0);
  if (values.check) {
    if (stale.length === 0) {
      io.stdout("workflows are up to date with the manifests\n");
      return 0;
    }
    io.stderr(`${stale.flatMap(describeStale).join("\n")}\nrun \`tandem workflows\` to update\n`);
    return 1;
  }
  for (const update of stale) writeFileAtomically(join(root, update.file), update.after);
  io.stdout(
    stale.length === 0
      ? "workflows are up to date with the manifests\n"
      : stale.map((u) => `updated ${u.file} (${u.stale.map((b) => b.name).join(", ")})\n`).join(""),
  );
  return 0;
};
