import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import semver from "semver";
import { parseCommandArgs } from "../args.ts";
import { CompositionError, quote, UsageError } from "../errors.ts";
import { readRegularFile, type Command } from "../io.ts";
import { DOMAINS, type Domain } from "../manifest/schema.ts";
import { readReleasedModule } from "../modules/artifact.ts";
import { buildModules } from "../modules/build.ts";
import { removeLeftovers, writeNewFolder } from "../write.ts";

const USAGE = `tandem release <domain>... (domains: ${DOMAINS.join(", ")})`;
const HELP = `Snapshots each named module's current source at its package.json version into
modules/<domain>/releases/<version>/. A snapshot is immutable: the same content again is a
no-op, different content under an existing version is refused. The version must be a semver
version (such as 1.2.0); nothing is written outside the module's releases/ folder.`;

/**
 * Snapshots each module's current source at its package.json version into
 * modules/<domain>/releases/<version>/. A snapshot is immutable: the same content again is a
 * no-op, different content under an existing version is refused.
 */
export const releaseCommand: Command = async (argv, io) => {
  const { positionals } = parseCommandArgs(argv, {}, USAGE, { positionals: true, help: HELP });
  if (positionals.length === 0) throw new UsageError("name at least one module", USAGE);
  const unknown = positionals.filter((d) => !(DOMAINS as readonly string[]).includes(d));
  if (unknown.length > 0)
    throw new UsageError(`unknown module ${unknown.map(quote).join(", ")}`, USAGE);

  const domains = [...new Set(positionals)] as Domain[];
  const versions = new Map(domains.map((d) => [d, releaseVersion(io.root, d)]));
  const { modules } = await buildModules(io.root);
  let refused = 0;
  for (const domain of domains) {
    const version = versions.get(domain)!;
    const built = modules[domain];
    const releases = releasesFolder(io.root, domain);
    removeLeftovers(releases, ".staging-"); // of killed runs
    if (existsSync(join(releases, version))) {
      if (
        readReleasedModule(io.root, `modules/${domain}/releases/${version}`).sha256 === built.sha256
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
    writeNewFolder(releases, version, built.files);
    io.stdout(`released ${domain}@${version} -> modules/${domain}/releases/${version}/\n`);
  }
  return refused > 0 ? 1 : 0;
};

/** The module's package.json version, accepted only as a plain semver version. */
function releaseVersion(root: string, domain: Domain): string {
  const file = `modules/${domain}/package.json`;
  const read = readRegularFile(join(root, file), 1024 * 1024, "package.json");
  if ("problem" in read) throw new CompositionError(`${file}: ${read.problem}`);
  let version: unknown;
  try {
    version = (JSON.parse(new TextDecoder().decode(read.bytes)) as { version?: unknown }).version;
  } catch (error) {
    throw new CompositionError(`${file}: not valid JSON (${(error as Error).message})`);
  }
  if (typeof version !== "string" || semver.valid(version) !== version) {
    const shown = typeof version === "string" ? quote(version) : String(version);
    throw new CompositionError(
      `${file}: version ${shown} is not a semver version such as 1.2.0; a release folder is named by it`,
    );
  }
  return version;
}

/**
 * modules/<domain>/releases, refusing one that is a link leading out of the module's folder
 * (a release writes only under its module).
 */
function releasesFolder(root: string, domain: Domain): string {
  const module = realpathSync(join(root, "modules", domain));
  const releases = join(module, "releases");
  if (existsSync(releases)) {
    const inside = relative(module, realpathSync(releases));
    if (inside.startsWith("..") || isAbsolute(inside))
      throw new CompositionError(
        `modules/${domain}/releases leads outside modules/${domain}; a release writes only under it`,
      );
  }
  return releases;
}
