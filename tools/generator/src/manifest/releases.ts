import { readdirSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import type { Domain } from "./schema.ts";

/** Released module versions: the directories `modules/<domain>/releases/<version>/` under a root. */
export class Releases {
  readonly #root: string;
  readonly #cache = new Map<Domain, string[]>();

  constructor(root: string) {
    this.#root = root;
  }

  /** Released versions of `domain`, ascending; none when the folder does not exist yet. */
  versions(domain: Domain): string[] {
    let versions = this.#cache.get(domain);
    if (!versions) {
      versions = this.#read(domain);
      this.#cache.set(domain, versions);
    }
    return versions;
  }

  #read(domain: Domain): string[] {
    try {
      return readdirSync(join(this.#root, "modules", domain, "releases"), { withFileTypes: true })
        .filter((entry) => entry.isDirectory() && semver.valid(entry.name) === entry.name)
        .map((entry) => entry.name)
        .sort(semver.compare);
    } catch {
      return [];
    }
  }
}

export type Resolution = { version: string } | { problem: string };

/** Resolves an exact version or a semver range to a released version of `domain`. */
export function resolveVersion(domain: Domain, wanted: string, releases: Releases): Resolution {
  const exact = semver.valid(wanted);
  const range = exact ? null : semver.validRange(wanted);
  if (!exact && !range)
    return {
      problem: `\`${wanted}\` must be an exact version (1.2.3), a semver range (^1.2.0) or \`workspace\``,
    };
  const available = releases.versions(domain);
  const found = exact
    ? available.find((v) => v === exact)
    : semver.maxSatisfying(available, wanted);
  if (found) return { version: found };
  const what = exact ? `${exact} is not released` : `no released version satisfies \`${wanted}\``;
  if (available.length === 0)
    return { problem: `${what}: modules/${domain}/releases/ has no versions yet` };
  return { problem: `${what}; released: ${available.join(", ")}` };
}
