import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseCommandArgs } from "../args.ts";
import { UsageError } from "../errors.ts";
import type { Command } from "../io.ts";
import { DOMAINS, type Domain } from "../manifest/schema.ts";
import { moduleFiles, readReleasedModule } from "../modules/artifact.ts";
import { loadModuleSources } from "../modules/load.ts";
import { writeTreeAtomically } from "../write.ts";

const USAGE = `tandem release <domain>... (domains: ${DOMAINS.join(", ")})`;

/**
 * Snapshots each module's current source at its package.json version into
 * modules/<domain>/releases/<version>/. A snapshot is immutable: the same content again is a
 * no-op, different content under an existing version is refused.
 */
export const releaseCommand: Command = async (argv, io) => {
  const { positionals } = parseCommandArgs(argv, {}, USAGE, true);
  if (positionals.length === 0) throw new UsageError(`name at least one module\nusage: ${USAGE}`);
  const unknown = positionals.filter((d) => !(DOMAINS as readonly string[]).includes(d));
  if (unknown.length > 0)
    throw new UsageError(`unknown module ${unknown.join(", ")}\nusage: ${USAGE}`);

  const sources = await loadModuleSources(io.cwd);
  let refused = 0;
  for (const domain of positionals as Domain[]) {
    const version = packageVersion(io.cwd, domain);
    const built = moduleFiles(sources, domain);
    const releases = join(io.cwd, "modules", domain, "releases");
    if (existsSync(join(releases, version))) {
      if (
        readReleasedModule(io.cwd, `modules/${domain}/releases/${version}`).sha256 === built.sha256
      ) {
        io.stdout(`${domain}@${version} is already released with this content\n`);
      } else {
        io.stderr(
          `${domain}@${version} is already released with different content; bump the version (nx release) instead of overwriting\n`,
        );
        refused += 1;
      }
      continue;
    }
    const files = new Map([...built.files].map(([name, bytes]) => [`${version}/${name}`, bytes]));
    writeTreeAtomically(releases, files, [version]);
    io.stdout(`released ${domain}@${version} -> modules/${domain}/releases/${version}/\n`);
  }
  return refused > 0 ? 1 : 0;
};

function packageVersion(root: string, domain: Domain): string {
  const manifest = JSON.parse(
    readFileSync(join(root, "modules", domain, "package.json"), "utf8"),
  ) as { version: string };
  return manifest.version;
}
