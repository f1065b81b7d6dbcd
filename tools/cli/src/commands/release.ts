import { DOMAINS, quote, releaseModules, UsageError, type Domain } from "@tandem/generator";
import { parseCommandArgs } from "../args.ts";
import type { Command } from "../command.ts";

const USAGE = `tandem release <domain>... (domains: ${DOMAINS.join(", ")})`;
const HELP = `Snapshots each named module's current source at its package.json version into
modules/<domain>/releases/<version>/. A snapshot is immutable: the same content again is a
no-op, different content under an existing version is refused. The version must be a semver
version (such as 1.2.0); nothing is written outside the module's releases/ folder.`;

export const releaseCommand: Command = async (argv, io) => {
  const { positionals } = parseCommandArgs(argv, {}, USAGE, { positionals: true, help: HELP });
  if (positionals.length === 0) throw new UsageError("name at least one module", USAGE);
  const unknown = positionals.filter((d) => !(DOMAINS as readonly string[]).includes(d));
  if (unknown.length > 0)
    throw new UsageError(`unknown module ${unknown.map(quote).join(", ")}`, USAGE);

  const outcomes = await releaseModules(io.root, [...new Set(positionals)] as Domain[]);
  for (const { domain, version, outcome } of outcomes) {
    if (outcome === "released")
      io.stdout(`released ${domain}@${version} -> modules/${domain}/releases/${version}/\n`);
    else if (outcome === "unchanged")
      io.stdout(`${domain}@${version} is already released with this content\n`);
    else
      io.stderr(
        `${domain}@${version} is already released with different content; bump the version (nx release) instead of overwriting\n`,
      );
  }
  return outcomes.some((o) => o.outcome === "refused") ? 1 : 0;
};
