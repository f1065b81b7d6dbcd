/**
 * A lost region in the sandbox: `dist/sandbox/<name>/outage.json` lists the regions taken away,
 * and the gateway (the endpoint every tool call is given) drops each request that reaches one,
 * by its SigV4 scope. Global services whose control plane lives in one region (AWS Fault
 * Isolation Boundaries, appendices A and B) fail with that region, whatever region the caller
 * signs for; Route 53's data plane (health check status) keeps answering.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { loadManifest } from "./iam/session.ts";
import { lostRegions, outageFile } from "./lost-regions.ts";
import { DEFAULT_NAME, SandboxError, sandboxDir } from "./moto.ts";

export { lostBy, lostRegions } from "./lost-regions.ts";

export interface OutageOptions {
  /** The environment whose region is lost: the region must be one of its two. */
  readonly environment: string;
  readonly region: string;
  readonly restore?: boolean;
  readonly name?: string;
}

/** Takes `region` away from sandbox `name` (or, with `restore`, gives it back); the regions lost now. */
export function setOutage(repoRoot: string, options: OutageOptions): string[] {
  const { environment, region, restore = false, name = DEFAULT_NAME } = options;
  const { primary, secondary } = loadManifest(repoRoot, environment).regions;
  if (region !== primary && region !== secondary) {
    throw new SandboxError(
      `--region ${region} is not a region of ${environment} (${primary}, ${secondary})`,
    );
  }
  if (!existsSync(sandboxDir(repoRoot, name))) {
    throw new SandboxError(`no sandbox ${name}: run \`tandem sandbox apply\` first`);
  }
  const before = lostRegions(repoRoot, name).filter((r) => r !== region);
  const lost = restore ? before : [...before, region].sort();
  const file = outageFile(repoRoot, name);
  if (lost.length === 0) rmSync(file, { force: true });
  else {
    // Written whole, then renamed: a reader never sees half of it.
    writeFileSync(`${file}.tmp`, `${JSON.stringify({ lost }, null, 2)}\n`);
    renameSync(`${file}.tmp`, file);
  }
  return lost;
}
