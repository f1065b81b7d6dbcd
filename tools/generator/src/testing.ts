import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { DOMAINS, type Domain } from "./manifest/schema.ts";

/** The repository this package lives in (test support: roots whose released versions resolve). */
export const REPO = join(import.meta.dirname, "../../..");

const created: string[] = [];
afterAll(() => {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory removed after the test file. */
export function scratch(prefix = "tandem-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}

/** The versions this repository has released of `domain`, so the example manifests resolve. */
function releasedHere(domain: Domain): string[] {
  return readdirSync(join(REPO, "modules", domain, "releases"));
}

/** A root with the versions this repository has released, which the example manifests pin. */
export function releasedRoot(overrides: Partial<Record<Domain, string[]>> = {}): string {
  return releaseRoot({
    ...Object.fromEntries(DOMAINS.map((d) => [d, releasedHere(d)])),
    ...overrides,
  });
}

/** A repository root whose modules have the given released versions (1.0.0 for every domain by default). */
export function releaseRoot(versions: Partial<Record<Domain, string[]>> = {}): string {
  const root = scratch("tandem-root-");
  for (const domain of DOMAINS) {
    for (const version of versions[domain] ?? ["1.0.0"]) {
      mkdirSync(join(root, "modules", domain, "releases", version), { recursive: true });
    }
  }
  return root;
}
