import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { DOMAINS, buildModules, manifestReference } from "@tandem/generator";
import { type Command } from "../command.ts";

/** Every generated document, by its path in the repository. */
async function generatedDocs(root: string): Promise<Map<string, Uint8Array>> {
  const { modules } = await buildModules(root);
  const docs = new Map<string, Uint8Array>(
    DOMAINS.map((domain) => [
      `modules/${domain}/README.md`,
      modules[domain].files.get("README.md")!,
    ]),
  );
  docs.set("docs/manifest.md", Buffer.from(manifestReference()));
  return docs;
}

/**
 * Writes each modules/<domain>/README.md from the module itself and docs/manifest.md from the
 * manifest schema; `--check` fails when one is stale.
 */
export const docsCommand: Command = async (argv, io) => {
  const { values } = parseCommandArgs(
    argv,
    { check: { type: "boolean" } },
    "tandem docs [--check]",
    {
      help: "Regenerates each module's README (its inputs/outputs table) from the module itself and\ndocs/manifest.md from the manifest schema; --check fails (exit 1) when one is stale and\nwrites nothing.",
    },
  );
  const stale: string[] = [];
  for (const [path, content] of await generatedDocs(io.root)) {
    const file = join(io.root, path);
    const current = existsSync(file) ? readFileSync(file) : undefined;
    if (current && Buffer.compare(current, content) === 0) continue;
    stale.push(path);
    if (values.check) continue;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  if (values.check && stale.length > 0) {
    io.stderr(`out of date (run \`tandem docs\`): ${stale.join(", ")}\n`);
    return 1;
  }
  io.stdout(stale.length === 0 ? "docs are up to date\n" : `updated ${stale.join(", ")}\n`);
  return 0;
};
