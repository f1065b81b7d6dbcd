/**
 * The regions lost in a sandbox, as the gateway reads them on each request, and which requests
 * they take: `dist/sandbox/<name>/outage.json` (written by outage.ts). It imports nothing of the
 * generator, so the gateway's process bundle stays free of TypeScript sources.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_NAME, sandboxDir } from "./moto.ts";

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

export const outageFile = (repoRoot: string, name: string) =>
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
