import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteItemCommand, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
  type DBCluster,
  type GlobalCluster,
} from "@aws-sdk/client-rds";
import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
  type HealthCheck,
  type HealthCheckObservation,
} from "@aws-sdk/client-route-53";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { DRILL_LOCK_KEY } from "@tandem/module-kit/drill";
import type { DrillTargets, Role } from "./targets.ts";
import type { DrillWorld } from "./world.ts";

/** Route 53's control plane (health checks and their status) is in us-east-1. */
export const ROUTE53_REGION = "us-east-1";

export interface FoundCheck {
  id: string;
  host: string;
  path: string;
}

/** Each region's health check, found by the `Name` tag the dns module gives it. */
export async function findHealthChecks(
  world: DrillWorld,
  targets: DrillTargets,
): Promise<Partial<Record<Role, FoundCheck>>> {
  const route53 = world.clients(ROUTE53_REGION).route53;
  const checks: HealthCheck[] = [];
  let marker: string | undefined;
  do {
    const page = await route53.send(new ListHealthChecksCommand({ Marker: marker }));
    checks.push(...(page.HealthChecks ?? []));
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  const found: Partial<Record<Role, FoundCheck>> = {};
  for (let i = 0; i < checks.length; i += 10) {
    const batch = checks.slice(i, i + 10);
    const tags = await route53.send(
      new ListTagsForResourcesCommand({
        ResourceType: "healthcheck",
        ResourceIds: batch.map((c) => c.Id!),
      }),
    );
    for (const set of tags.ResourceTagSets ?? []) {
      const name = set.Tags?.find((t) => t.Key === "Name")?.Value;
      const role = (["primary", "secondary"] as const).find(
        (r) => targets.healthCheckNames[r] === name,
      );
      const check = batch.find((c) => c.Id === set.ResourceId);
      if (!role || !check) continue;
      // An alarm check (dns 2.0.0) requests nothing: the drill reads the region's own /health.
      const endpoint = check.HealthCheckConfig?.FullyQualifiedDomainName;
      found[role] = endpoint
        ? { id: check.Id!, host: endpoint, path: check.HealthCheckConfig?.ResourcePath ?? "/" }
        : { id: check.Id!, host: targets.regionHosts[role], path: "/health" };
    }
  }
  return found;
}

export async function observations(
  world: DrillWorld,
  check: FoundCheck,
): Promise<HealthCheckObservation[]> {
  const status = await world
    .clients(ROUTE53_REGION)
    .route53.send(new GetHealthCheckStatusCommand({ HealthCheckId: check.id }));
  return status.HealthCheckObservations ?? [];
}

/** The global cluster, asked in `region` (the primary's, unless it is the one lost). */
export async function describeGlobalCluster(
  world: DrillWorld,
  targets: DrillTargets,
  region = targets.regions.primary,
): Promise<GlobalCluster> {
  const result = await world.clients(region).rds.send(
    new DescribeGlobalClustersCommand({
      GlobalClusterIdentifier: targets.globalClusterIdentifier,
    }),
  );
  const cluster = result.GlobalClusters?.[0];
  if (!cluster) throw new Error(`global cluster ${targets.globalClusterIdentifier} not found`);
  return cluster;
}

/** The environment's Aurora cluster in `region`, or undefined when there is none. */
export async function regionalCluster(
  world: DrillWorld,
  targets: DrillTargets,
  region: string,
): Promise<DBCluster | undefined> {
  try {
    const result = await world
      .clients(region)
      .rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier: targets.clusterIdentifier }));
    return result.DBClusters?.[0];
  } catch (error) {
    if ((error as Error).name === "DBClusterNotFoundFault") return undefined;
    throw error;
  }
}

/** `arn:aws:rds:<region>:<account>:cluster:<id>` */
export const arnRegion = (arn: string | undefined) => arn?.split(":")[3];
export const arnClusterId = (arn: string) => arn.split(":").slice(6).join(":");

export function member(cluster: GlobalCluster, region: string) {
  return cluster.GlobalClusterMembers?.find((m) => arnRegion(m.DBClusterArn) === region);
}

export function writerRegion(cluster: GlobalCluster): string | undefined {
  return arnRegion(cluster.GlobalClusterMembers?.find((m) => m.IsWriter)?.DBClusterArn);
}

/** The global cluster is settled (no switchover or failover in progress) with `region` writing. */
export function settledWithWriter(cluster: GlobalCluster, region: string): boolean {
  return (
    !cluster.FailoverState?.Status &&
    cluster.Status === "available" &&
    writerRegion(cluster) === region
  );
}

/** Every member replicates: none left `pending-resync` by a failover. */
export function inSync(cluster: GlobalCluster): boolean {
  return (cluster.GlobalClusterMembers ?? []).every(
    (m) => m.SynchronizationStatus !== "pending-resync",
  );
}

export async function moveDatabase(
  world: DrillWorld,
  targets: DrillTargets,
  toArn: string,
  mode: "switchover" | "failover",
): Promise<void> {
  // Asked in the target's region: in a failover the writer's region may answer nothing.
  const rds = world.clients(arnRegion(toArn)!).rds;
  const ids = {
    GlobalClusterIdentifier: targets.globalClusterIdentifier,
    TargetDbClusterIdentifier: toArn,
  };
  if (mode === "switchover") await rds.send(new SwitchoverGlobalClusterCommand(ids));
  else await rds.send(new FailoverGlobalClusterCommand({ ...ids, AllowDataLoss: true }));
}

/** The largest AuroraGlobalDBReplicationLag (ms) of the last five minutes, published in the secondary region. */
export async function replicationLagMs(
  world: DrillWorld,
  region: string,
  clusterId: string,
): Promise<number | undefined> {
  const now = world.clock.now();
  const result = await world.clients(region).cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: "AWS/RDS",
      MetricName: "AuroraGlobalDBReplicationLag",
      Dimensions: [{ Name: "DBClusterIdentifier", Value: clusterId }],
      StartTime: new Date(now - 5 * 60_000),
      EndTime: new Date(now),
      Period: 60,
      Statistics: ["Maximum"],
    }),
  );
  const points = (result.Datapoints ?? []).map((p) => p.Maximum ?? 0);
  return points.length ? Math.max(...points) : undefined;
}

export async function readFlag(world: DrillWorld, targets: DrillTargets, region: string) {
  const result = await world
    .clients(region)
    .ssm.send(new GetParameterCommand({ Name: targets.flagParameterName }));
  return result.Parameter?.Value ?? "";
}

export async function writeFlag(
  world: DrillWorld,
  targets: DrillTargets,
  region: string,
  value: "true" | "false",
): Promise<void> {
  await world.clients(region).ssm.send(
    new PutParameterCommand({
      Name: targets.flagParameterName,
      Value: value,
      Type: "String",
      Overwrite: true,
    }),
  );
}

const LOCK_KEY = { pk: { S: DRILL_LOCK_KEY } };

/** Who holds the environment's drill lock (an item in the payments table), if anyone does. */
export async function lockHolder(world: DrillWorld, targets: DrillTargets) {
  const item = await world
    .clients(targets.regions.primary)
    .dynamodb.send(
      new GetItemCommand({ TableName: targets.tableName, Key: LOCK_KEY, ConsistentRead: true }),
    );
  const expires = Number(item.Item?.expiresAt?.N ?? 0);
  return item.Item && expires * 1000 > world.clock.now()
    ? { holder: item.Item.holder?.S ?? "unknown", expiresAt: expires }
    : undefined;
}

export async function takeLock(
  world: DrillWorld,
  targets: DrillTargets,
  holder: string,
  seconds: number,
): Promise<void> {
  const now = Math.floor(world.clock.now() / 1000);
  await world.clients(targets.regions.primary).dynamodb.send(
    new PutItemCommand({
      TableName: targets.tableName,
      Item: { ...LOCK_KEY, holder: { S: holder }, expiresAt: { N: String(now + seconds) } },
      ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
      ExpressionAttributeValues: { ":now": { N: String(now) } },
    }),
  );
}

export async function releaseLock(world: DrillWorld, targets: DrillTargets, holder: string) {
  await world.clients(targets.regions.primary).dynamodb.send(
    new DeleteItemCommand({
      TableName: targets.tableName,
      Key: LOCK_KEY,
      ConditionExpression: "holder = :holder",
      ExpressionAttributeValues: { ":holder": { S: holder } },
    }),
  );
}

export async function readPayment(
  world: DrillWorld,
  targets: DrillTargets,
  region: string,
  key: string,
): Promise<string | undefined> {
  const item = await world.clients(region).dynamodb.send(
    new GetItemCommand({
      TableName: targets.tableName,
      Key: { pk: { S: `payment#${key}` } },
      ConsistentRead: true,
    }),
  );
  return item.Item?.response?.S;
}
