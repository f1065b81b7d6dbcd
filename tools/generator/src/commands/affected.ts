import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Deployment } from "../compose/deployments.ts";
import { environmentFiles } from "../environments.ts";
import { resolveCommit, withTreeAt } from "../git.ts";
import type { Command } from "../io.ts";
import { synthesizeTree, synthesizeValid, type SynthesizedEnvironment } from "../synth.ts";

const USAGE = "tandem affected --base <ref> [--head <ref>] [--json]";

export interface AffectedDeployment {
  environment: string;
  name: string;
  region: string;
  role: Deployment["role"];
}

/**
 * Deployments whose synthesized content (sha256 of the root and the modules it calls) differs
 * between `base` and `head` (default: the working tree). Both trees are synthesized by this
 * generator, so only what reaches Terraform counts: comments and docs change nothing.
 */
export const affectedCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { base: { type: "string" }, head: { type: "string" }, json: { type: "boolean" } },
    USAGE,
  );
  if (!values.base) throw new UsageError(`--base is required\nusage: ${USAGE}`);
  // Unknown refs are usage errors: find them before spending a synthesis.
  for (const ref of [values.base, values.head]) if (ref) resolveCommit(io.cwd, ref);
  const head = values.head
    ? await withTreeAt(io.cwd, values.head, (root) => synthesizeValid(root, environmentFiles(root)))
    : await synthesizeTree(io.cwd, environmentFiles(io.cwd)).then((out) => out.environments);
  const base = await withTreeAt(io.cwd, values.base, (root) =>
    synthesizeValid(root, environmentFiles(root)),
  );
  const affected = affectedDeployments(base, head);
  if (values.json) io.stdout(`${JSON.stringify({ deployments: affected }, null, 2)}\n`);
  else if (affected.length === 0) io.stdout("no deployment changed\n");
  else for (const d of affected) io.stdout(`${d.environment}/${d.name} (${d.role}, ${d.region})\n`);
  return 0;
};

export function affectedDeployments(
  base: SynthesizedEnvironment[],
  head: SynthesizedEnvironment[],
): AffectedDeployment[] {
  const before = new Map(
    base.flatMap((env) => env.deployments.map((d) => [`${env.name}/${d.name}`, d.sha256])),
  );
  return head.flatMap((env) =>
    env.deployments
      .filter((d) => before.get(`${env.name}/${d.name}`) !== d.sha256)
      .map((d) => ({ environment: env.name, name: d.name, region: d.region, role: d.role })),
  );
}
