import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { environmentFiles } from "../environments.ts";
import type { Command } from "../io.ts";
import { synthesizeTree } from "../synth.ts";
import { writeTreeAtomically } from "../write.ts";

const USAGE = "tandem synth [--env <name>]...";

/** Writes dist/modules/<domain>/ and, per environment, its roots and deployments.json. */
export const synthCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(argv, { env: { type: "string", multiple: true } }, USAGE);
  const started = performance.now();
  const output = await synthesizeTree(io.cwd, environmentFiles(io.cwd, values.env));
  const targets = [
    "modules",
    "bootstrap",
    ...output.environments.map((env) => `environments/${env.name}`),
  ];
  writeTreeAtomically(join(io.cwd, "dist"), output.files, targets);
  for (const env of output.environments) {
    const names = env.deployments.map((d) => `${d.name} (${d.role})`).join(", ");
    io.stdout(`${env.name}: ${names} -> dist/environments/${env.name}/\n`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  io.stdout(
    `synthesized ${Object.keys(output.modules).length} modules and ${output.environments.length} environments in ${seconds} s\n`,
  );
  return 0;
};
