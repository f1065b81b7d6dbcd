import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import semver from "semver";
import { CompositionError, quote } from "./errors.ts";
import { readRegularFile } from "./files.ts";
import type { Domain } from "./manifest/schema.ts";
import { readReleasedModule } from "./modules/artifact.ts";
import { buildModules } from "./modules/build.ts";
import { removeLeftovers, writeNewFolder } from "./write.ts";

export interface ReleaseOutcome {
  domain: Domain;
  version: string;
  /** released: written now; unchanged: the same content was released; refused: other content. */
  outcome: "released" | "unchanged" | "refused";
}

/**
 * Snapshots each module's current source at its package.json version into
 * modules/<domain>/releases/<version>/. A snapshot is immutable: the same content again is a
 * no-op, different content under an existing version is refused.
 */
export async function releaseModules(root: string, domains: Domain[]): Promise<ReleaseOutcome[]> {
  const versions = new Map(domains.map((d) => [d, releaseVersion(root, d)]));
  const { modules } = await buildModules(root);
  return domains.map((domain) => {
    const version = versions.get(domain)!;
    const built = modules[domain];
    const releases = releasesFolder(root, domain);
    removeLeftovers(releases, ".staging-"); // of killed runs
    if (existsSync(join(releases, version))) {
      const same =
        readReleasedModule(root, `modules/${domain}/releases/${version}`).sha256 === built.sha256;
      return { domain, version, outcome: same ? "unchanged" : "refused" };
    }
    writeNewFolder(releases, version, built.files);
    return { domain, version, outcome: "released" };
  });
}

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
