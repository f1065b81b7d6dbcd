import type { GlobalCluster } from "@aws-sdk/client-rds";
import {
  arnClusterId,
  arnRegion,
  describeGlobalCluster,
  findHealthChecks,
  observations,
  readFlag,
  regionalCluster,
  replicationLagMs,
  writerRegion,
} from "./aws.ts";
import { healthyByFraction, isSuccess } from "./health.ts";
import type { DrillTargets, Role } from "./targets.ts";
import type { DrillWorld } from "./world.ts";

/** One thing the posture check looked at, and whether it is as the manifest wants it. */
export interface PostureFinding {
  check: string;
  ok: boolean;
  detail: string;
}

export interface PostureReport {
  environment: string;
  ok: boolean;
  checkedAt: string;
  /** The region whose cluster writes, as the global cluster says; null when it could not be read. */
  writerRegion: string | null;
  manifestPrimary: string;
  /** The region the manifest says writes: `database.writer`, else the primary. */
  manifestWriter: string;
  findings: PostureFinding[];
}

/**
 * The DR posture, read-only (Describe, List and Get calls only; no table item): the global
 * cluster's membership and writer against the manifest, each regional cluster still a member
 * (not detached, not promoted), replica health and lag, both Route 53 health checks, and the
 * drill flag. Every check runs; one that cannot read says so and counts as a problem.
 */
export async function checkPosture(
  world: DrillWorld,
  targets: DrillTargets,
): Promise<PostureReport> {
  const findings: PostureFinding[] = [];
  const record = async (check: string, body: () => Promise<PostureFinding[]>) => {
    try {
      findings.push(...(await body()));
    } catch (error) {
      findings.push({ check, ok: false, detail: `could not be read: ${(error as Error).message}` });
    }
  };
  let cluster: GlobalCluster | undefined;
  await record("global cluster", async () => {
    cluster = await readGlobalCluster(world, targets);
    return globalClusterFindings(cluster, targets);
  });
  for (const role of ["primary", "secondary"] as const)
    await record(`${targets.regions[role]} cluster`, () =>
      regionalFindings(world, targets, role, cluster),
    );
  await record("health checks", () => healthCheckFindings(world, targets));
  for (const region of Object.values(targets.regions))
    await record(`drill flag in ${region}`, async () => {
      const value = await readFlag(world, targets, region);
      return [
        {
          check: `drill flag in ${region}`,
          ok: value === "false",
          detail:
            value === "false"
              ? "false"
              : `${value}: ${region}'s /health fails on purpose; a drill is running, or one left it set`,
        },
      ];
    });
  return {
    environment: targets.environment,
    ok: findings.every((f) => f.ok),
    checkedAt: new Date(world.clock.now()).toISOString(),
    writerRegion: (cluster && writerRegion(cluster)) ?? null,
    manifestPrimary: targets.regions.primary,
    manifestWriter: targets.writerRegion,
    findings,
  };
}

/** Asked in the primary's region, else the secondary's: a lost region must not blind the check. */
async function readGlobalCluster(world: DrillWorld, targets: DrillTargets) {
  try {
    return await describeGlobalCluster(world, targets, targets.regions.primary);
  } catch {
    return describeGlobalCluster(world, targets, targets.regions.secondary);
  }
}

function globalClusterFindings(cluster: GlobalCluster, targets: DrillTargets): PostureFinding[] {
  const id = targets.globalClusterIdentifier;
  const moving = cluster.FailoverState?.Status;
  const writer = writerRegion(cluster);
  const wanted = targets.writerRegion;
  return [
    {
      check: "global cluster",
      ok: cluster.Status === "available" && !moving,
      detail: `${id} is ${cluster.Status}${moving ? ` (FailoverState ${moving}: a switchover or failover is under way)` : ""}`,
    },
    { check: "writer region", ok: writer === wanted, detail: writerDetail(writer, targets) },
  ];
}

function writerDetail(writer: string | undefined, targets: DrillTargets): string {
  const { primary } = targets.regions;
  const wanted = targets.writerRegion;
  if (writer === wanted)
    return `${wanted}, as the manifest says${wanted === primary ? "" : " (database.writer: failed over, not failed back)"}`;
  if (writer === primary)
    return `${primary} writes, but the manifest says ${wanted} (database.writer): after the switchover back, remove database.writer (docs/runbook.md)`;
  return `${writer ?? "no region"} writes, but the manifest says ${wanted}: after a failover set database.writer: ${writer ?? "<region>"} before applying a regional root, or switch back (docs/runbook.md)`;
}

/** The region's cluster: a member of the global cluster, available, in sync, its lag under the RPO. */
async function regionalFindings(
  world: DrillWorld,
  targets: DrillTargets,
  role: Role,
  cluster: GlobalCluster | undefined,
): Promise<PostureFinding[]> {
  const region = targets.regions[role];
  const check = `${region} cluster`;
  const own = await regionalCluster(world, targets, region);
  if (!own) return [{ check, ok: false, detail: `no cluster ${targets.clusterIdentifier}` }];
  const member = cluster?.GlobalClusterMembers?.find((m) => arnRegion(m.DBClusterArn) === region);
  if (!member || own.GlobalClusterIdentifier !== targets.globalClusterIdentifier)
    return [
      {
        check,
        ok: false,
        detail: `${own.DBClusterIdentifier} is detached from ${targets.globalClusterIdentifier} (a standalone cluster${own.GlobalClusterIdentifier ? ` of ${own.GlobalClusterIdentifier}` : ""}, writable once promoted): nothing replicates to or from it, and the plan's ignore_changes on global_cluster_identifier hides it`,
      },
    ];
  const findings: PostureFinding[] = [
    {
      check,
      ok: own.Status === "available" && member.SynchronizationStatus !== "pending-resync",
      detail: `${member.IsWriter ? "writer" : "secondary"}, ${own.Status}, ${member.SynchronizationStatus ?? "connected"}`,
    },
  ];
  if (!member.IsWriter)
    findings.push(await lagFinding(world, targets, region, member.DBClusterArn!));
  return findings;
}

async function lagFinding(
  world: DrillWorld,
  targets: DrillTargets,
  region: string,
  arn: string,
): Promise<PostureFinding> {
  const lag = await replicationLagMs(world, region, arnClusterId(arn));
  const limit = targets.objectives.rpoSeconds * 1000;
  return {
    check: `${region} replication lag`,
    ok: lag !== undefined && lag < limit,
    detail:
      lag === undefined
        ? "no AuroraGlobalDBReplicationLag in the last 5 minutes"
        : `${lag} ms (RPO ${limit} ms)`,
  };
}

async function healthCheckFindings(
  world: DrillWorld,
  targets: DrillTargets,
): Promise<PostureFinding[]> {
  const checks = await findHealthChecks(world, targets);
  const findings: PostureFinding[] = [];
  for (const role of ["primary", "secondary"] as const) {
    const check = `${targets.regions[role]} health check`;
    const found = checks[role];
    if (!found) {
      findings.push({
        check,
        ok: false,
        detail: `none tagged Name=${targets.healthCheckNames[role]}`,
      });
      continue;
    }
    const seen = await observations(world, found);
    const healthy = seen.filter(isSuccess).length;
    findings.push({
      check,
      ok: healthyByFraction(healthy, seen.length),
      detail: `${found.id}: ${healthy} of ${seen.length} checkers report healthy (Route 53 needs more than 18 %)`,
    });
  }
  return findings;
}

/** The report as Markdown, for a job summary. */
export function postureMarkdown(report: PostureReport): string {
  const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const problems = report.findings.filter((f) => !f.ok).length;
  return [
    `## DR posture: ${report.environment} — ${report.ok ? "✅ as the manifest says" : `❌ ${problems} problem(s)`}`,
    "",
    `Checked ${report.checkedAt}; writer ${report.writerRegion ?? "unknown"}, the manifest's ${report.manifestWriter} (primary ${report.manifestPrimary}).`,
    "",
    "| Check | Result | Detail |",
    "| --- | --- | --- |",
    ...report.findings.map(
      (f) => `| ${cell(f.check)} | ${f.ok ? "ok" : "**problem**"} | ${cell(f.detail)} |`,
    ),
    "",
  ].join("\n");
}
