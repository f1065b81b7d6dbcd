import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { environmentFiles, synthesizeTree, publishOutput } from "@tandem/generator";
import { type Command } from "../command.ts";

const USAGE = "tandem synth [--env <name>]...";
const HELP = `Writes every module to dist/modules/<domain>/ and, per environment, its roots to
dist/environments/<env>/<deployment>/main.tf.json plus deployments.json. The output is replaced
as a whole (a reader sees the old output or the new one); an environment whose manifest is gone
disappears from dist/. With --env, only the named environments are synthesized again.`;

const envName = (file: string) => file.slice("environments/".length, -".yaml".length);

/** Writes dist/modules/<domain>/ and, per environment, its roots and deployments.json. */
export const synthCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(argv, { env: { type: "string", multiple: true } }, USAGE, {
    help: HELP,
  });
  const started = performance.now();
  const output = await synthesizeTree(io.root, environmentFiles(io.root, values.env));
  const written = new Set(output.environments.map((env) => env.name));
  const others = values.env ? environmentFiles(io.root).map(envName) : [];
  publishOutput(join(io.root, "dist"), output.files, ["modules", "environments"], {
    carry: others.filter((name) => !written.has(name)).map((name) => `environments/${name}`),
    complete: !values.env,
  });
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
