import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { DOMAINS, buildModules } from "@tandem/generator";
import { type Command } from "../command.ts";

/** Writes modules/<domain>/README.md from the module itself; `--check` fails when one is stale. */
export const docsCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { check: { type: "boolean" } },
    "tandem docs [--check]",
    {
      help: "Regenerates each module's README (its inputs/outputs table) from the module itself;\n--check fails (exit 1) when one is stale and writes nothing.",
    },
  );
  const { modules } = await buildModules(io.root);
  const stale: string[] = [];
  for (const domain of DOMAINS) {
    const readme = modules[domain].files.get("README.md")!;
    const file = join(io.root, "modules", domain, "README.md");
    const current = existsSync(file) ? readFileSync(file) : undefined;
    if (current && Buffer.compare(current, readme) === 0) continue;
    stale.push(`modules/${domain}/README.md`);
    if (!values.check) writeFileSync(file, readme);
  }
  if (values.check && stale.length > 0) {
    io.stderr(`out of date (run \`tandem docs\`): ${stale.join(", ")}\n`);
    return 1;
  }
  io.stdout(
    stale.length === 0 ? "module READMEs are up to date\n" : `updated ${stale.join(", ")}\n`,
  );
  return 0;
};
