import { parseCommandArgs } from "../args.ts";
import {
  affectedDeployments,
  environmentFiles,
  resolveCommit,
  synthesizeAtRef,
  synthesizeTree,
  UsageError,
  withTreeAt,
} from "@tandem/generator";
import { type Command } from "../command.ts";

const USAGE = "tandem affected --base <ref> [--head <ref>] [--json]";
const HELP = `Lists the deployments whose synthesized content (sha256 of the root and the modules it
calls) differs between --base and --head (default: the working tree), as
{ "deployments": [...] } with --json, for a GitHub Actions matrix. A manifest with problems at
either side is an error (exit 1), its problems located as <ref>:<file>:line:col.`;

/** `tandem affected`: the generator's affectedDeployments between two refs, for a matrix. */
export const affectedCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { base: { type: "string" }, head: { type: "string" }, json: { type: "boolean" } },
    USAGE,
    { help: HELP },
  );
  if (!values.base) throw new UsageError("--base is required", USAGE);
  // Unknown refs are usage errors: find them before spending a synthesis.
  for (const ref of [values.base, values.head]) if (ref) resolveCommit(io.root, ref);
  const atRef = (ref: string) =>
    withTreeAt(io.root, ref, (root) => synthesizeAtRef(root, ref, environmentFiles(root)));
  const head = values.head
    ? await atRef(values.head)
    : (await synthesizeTree(io.root, environmentFiles(io.root))).environments;
  const base = await atRef(values.base);
  const affected = affectedDeployments(base, head);
  if (values.json) io.stdout(`${JSON.stringify({ deployments: affected }, null, 2)}\n`);
  else if (affected.length === 0) io.stdout("no deployment changed\n");
  else for (const d of affected) io.stdout(`${d.environment}/${d.name} (${d.role}, ${d.region})\n`);
  return 0;
};
