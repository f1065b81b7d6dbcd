/**
 * A lost region in the sandbox: `dist/sandbox/<name>/outage.json` lists the regions taken away,
 * and the gateway (the endpoint every tool call is given) drops each request that reaches one,
 * by its SigV4 scope. Global services whose control plane lives in one region (AWS Fault
 * Isolation Boundaries, appendices A and B) fail with that region, whatever region the caller
 * signs for; Route 53's data plane (health check status) keeps answering.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadManifest } from "./iam/session.ts";
import { DEFAULT_NAME, SandboxError, sandboxDir } from "./moto.ts";

/** The region that hosts each global service's control plane (the paper's appendices). */
const CONTROL_PLANE_HOME: Record<string, string> = {
  iam: "us-east-1",
  organizations: "us-east-1",
  account: "us-east-1",
  route53: "us-east-1",
  cloudfront: "us-east-1",
  shield: "us-east-1",
  globalaccelerator: "us-west-2",
  networkmanager: "us-west-2",
  "route53-recovery-control-config": "us-west-2",
};

/** Route 53's data plane answers from every edge location: a health check's status and last failure. */
const ROUTE53_DATA_PLANE = /\/healthcheck\/[^/]+\/(status|lastfailurereason)\/?$/;

export interface OutageRequest {
  /** The SigV4 scope's service and region; an unsigned request has neither and is served. */
  readonly service?: string;
  readonly region?: string;
  readonly path: string;
}

/** True when `request` reaches a region in `lost`: the gateway then drops it unanswered. */
export function lostBy(lost: readonly string[], request: OutageRequest): boolean {
  if (lost.length === 0 || !request.service) return false;
  const home = CONTROL_PLANE_HOME[request.service];
  if (home) {
    if (request.service === "route53" && ROUTE53_DATA_PLANE.test(request.path)) return false;
    return lost.includes(home);
  }
  return request.region !== undefined && lost.includes(request.region);
}

const outageFile = (repoRoot: string, name: string) =>
  join(sandboxDir(repoRoot, name), "outage.json");

/** The regions lost in sandbox `name`, as any process reads them. */
export function lostRegions(repoRoot: string, name = DEFAULT_NAME): string[] {
  const file = outageFile(repoRoot, name);
  if (!existsSync(file)) return [];
  try {
    return (JSON.parse(readFileSync(file, "utf8")) as { lost: string[] }).lost;
  } catch {
    return []; // being written: the next request reads it whole
  }
}

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
