import { TerraformIterator, Token } from "cdktf";
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
} from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import type { ModuleStack } from "@tandem/module-kit";

type Role = "primary" | "secondary";
const BOTH: Role[] = ["primary", "secondary"];
const LAG_THRESHOLD = "${var.replication_lag_threshold_ms}";

/** Traffic-driven metrics are absent when nothing happens, which is not an incident. */
const QUIET_IS_OK = "notBreaching";
/** Metrics that a healthy system always publishes: silence means the thing stopped. */
const SILENCE_IS_FAILURE = "breaching";

/** One regional alarm: the metric, when it fires, and the inputs it needs. */
export interface AlarmSpec {
  /** Terraform name; the alarm is named `<name>-<role>-<id with hyphens>`. */
  id: string;
  roles: Role[];
  requires: string[];
  description: string;
  metric: Pick<
    CloudwatchMetricAlarmConfig,
    "namespace" | "metricName" | "dimensions" | "statistic" | "extendedStatistic"
  >;
  threshold: number;
  /** Fires above the threshold unless said otherwise. */
  comparison?: "GreaterThanThreshold" | "LessThanThreshold";
  period: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: string;
}

/** Sustained, not a blip: 3 of the last 5 one-minute periods. */
const SUSTAINED = { period: 60, evaluationPeriods: 5, datapointsToAlarm: 3 };

/**
 * What compute's region check (2.2.0 and later) publishes once a minute in each region; the
 * compute module's handler contract says the same (HEALTH_METRICS).
 */
export const HEALTH_METRICS = {
  namespace: "Tandem/Health",
  peer: "PeerHealthy",
  dimension: "Region",
} as const;

export const REGIONAL_ALARMS: AlarmSpec[] = [
  {
    id: "lambda_errors",
    roles: BOTH,
    requires: ["function_name"],
    description: "The payment handler is failing invocations.",
    metric: {
      namespace: "AWS/Lambda",
      metricName: "Errors",
      dimensions: { FunctionName: "${var.function_name}" },
      statistic: "Sum",
    },
    threshold: 0,
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "lambda_throttles",
    roles: BOTH,
    requires: ["function_name"],
    description: "The payment handler hit its reserved concurrency; requests are being refused.",
    metric: {
      namespace: "AWS/Lambda",
      metricName: "Throttles",
      dimensions: { FunctionName: "${var.function_name}" },
      statistic: "Sum",
    },
    threshold: 0,
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "api_5xx",
    roles: BOTH,
    requires: ["api_id"],
    description: "The payments API is answering with server errors.",
    metric: {
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: "${var.api_id}" },
      statistic: "Sum",
    },
    threshold: 0,
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "api_latency_p99",
    roles: BOTH,
    requires: ["api_id"],
    description: "The payments API's p99 latency is above 2 seconds.",
    metric: {
      namespace: "AWS/ApiGateway",
      metricName: "Latency",
      dimensions: { ApiId: "${var.api_id}" },
      extendedStatistic: "p99",
    },
    threshold: 2000,
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "dlq_depth",
    roles: BOTH,
    requires: ["dead_letter_queue_name"],
    description: "Events the handler could not process are waiting in its dead-letter queue.",
    metric: {
      namespace: "AWS/SQS",
      metricName: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${var.dead_letter_queue_name}" },
      statistic: "Maximum",
    },
    threshold: 0,
    period: 300,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "peer_health",
    roles: BOTH,
    requires: ["peer_region"],
    description:
      "Seen from this region, the peer region is unhealthy or unreachable (its own region check said so, said nothing, or its CloudWatch could not be read), for two minutes. This pages from the surviving region when the other one, us-east-1 included, is lost.",
    metric: {
      namespace: HEALTH_METRICS.namespace,
      metricName: HEALTH_METRICS.peer,
      dimensions: { [HEALTH_METRICS.dimension]: "${var.peer_region}" },
      statistic: "Minimum",
    },
    threshold: 1,
    comparison: "LessThanThreshold",
    period: 60,
    evaluationPeriods: 2,
    datapointsToAlarm: 2,
    // This region's check publishes every minute: its silence is a failure too.
    treatMissingData: SILENCE_IS_FAILURE,
  },
  {
    id: "dynamodb_replication_latency",
    roles: BOTH,
    requires: ["table_name", "peer_region"],
    description:
      "Writes in this region take longer than the RPO-derived threshold to reach the peer region's replica.",
    // Published by the sending region, per receiving region (DynamoDB global tables metrics).
    metric: {
      namespace: "AWS/DynamoDB",
      metricName: "ReplicationLatency",
      dimensions: { TableName: "${var.table_name}", ReceivingRegion: "${var.peer_region}" },
      statistic: "Maximum",
    },
    threshold: Token.asNumber(LAG_THRESHOLD),
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
  {
    id: "aurora_replication_lag",
    // Whichever region is the secondary right now publishes the lag; after a switchover the
    // roles swap, so both regions alarm on it, and the writer's silence is not an incident.
    roles: BOTH,
    requires: ["cluster_identifier"],
    description:
      "This region's Aurora cluster, while it is a secondary of the global database, lags the writer by more than the RPO-derived threshold. (The writer publishes no lag, so silence is not an incident; the drill's preflight checks that both clusters are members.)",
    // Published only by secondary clusters, in their own region (Aurora user guide, global database metrics).
    metric: {
      namespace: "AWS/RDS",
      metricName: "AuroraGlobalDBReplicationLag",
      dimensions: { DBClusterIdentifier: "${var.cluster_identifier}" },
      statistic: "Maximum",
    },
    threshold: Token.asNumber(LAG_THRESHOLD),
    ...SUSTAINED,
    treatMissingData: QUIET_IS_OK,
  },
];

/** The regional alarms (count 0 in the roles they are not for); returns their Terraform names. */
export function regionalAlarms(stack: ModuleStack, topicArn: string): string[] {
  for (const spec of REGIONAL_ALARMS) {
    new CloudwatchMetricAlarm(stack, `aws_cloudwatch_metric_alarm.${spec.id}`, {
      ...common(spec.id, topicArn, spec.roles, spec.requires),
      alarmDescription: spec.description,
      ...spec.metric,
      comparisonOperator: spec.comparison ?? "GreaterThanThreshold",
      threshold: spec.threshold,
      period: spec.period,
      evaluationPeriods: spec.evaluationPeriods,
      datapointsToAlarm: spec.datapointsToAlarm,
      treatMissingData: spec.treatMissingData,
      ...(spec.metric.extendedStatistic ? { evaluateLowSampleCountPercentiles: "ignore" } : {}),
    });
  }
  backupAlarm(stack, topicArn);
  return [...REGIONAL_ALARMS.map((spec) => spec.id), "backup_jobs_failed"];
}

/** The AWS Backup job outcomes that leave this region without a fresh recovery point or copy. */
export const BACKUP_FAILURE_METRICS = {
  backup_failed: "NumberOfBackupJobsFailed",
  backup_expired: "NumberOfBackupJobsExpired",
  copy_failed: "NumberOfCopyJobsFailed",
};

/**
 * Backup failures as a metric alarm rather than an EventBridge rule: same topic, key policy and
 * OK notifications as every other alarm, and it shows on the dashboard. AWS Backup publishes
 * these per vault (dimension BackupVaultName); nothing is published when no job ran.
 */
function backupAlarm(stack: ModuleStack, topicArn: string): void {
  const ids = Object.keys(BACKUP_FAILURE_METRICS);
  new CloudwatchMetricAlarm(stack, "aws_cloudwatch_metric_alarm.backup_jobs_failed", {
    ...common("backup_jobs_failed", topicArn, BOTH, ["backup_vault_name"]),
    alarmDescription:
      "An AWS Backup job in this region's vault failed or expired, or a cross-region copy failed.",
    metricQuery: [
      ...Object.entries(BACKUP_FAILURE_METRICS).map(([id, metricName]) => ({
        id,
        returnData: false,
        metric: {
          namespace: "AWS/Backup",
          metricName,
          dimensions: { BackupVaultName: "${var.backup_vault_name}" },
          period: 3600,
          stat: "Sum",
        },
      })),
      {
        id: "failures",
        label: "Failed or expired backup and copy jobs",
        expression: ids.map((id) => `FILL(${id}, 0)`).join(" + "),
        returnData: true,
      },
    ],
    comparisonOperator: "GreaterThanThreshold",
    threshold: 0,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: QUIET_IS_OK,
  });
}

/**
 * Route 53 health-check status, one alarm per check. The metric exists only in us-east-1, so
 * these live in the global root. Route 53 publishes it every minute, so silence is a failure.
 */
export function healthCheckAlarms(stack: ModuleStack, topicArn: string): void {
  const checks = TerraformIterator.fromMap(
    Token.asStringMap('${var.role == "global" ? var.health_check_ids : {}}'),
  );
  new CloudwatchMetricAlarm(stack, "aws_cloudwatch_metric_alarm.health_check", {
    forEach: checks,
    alarmName: `\${var.name}-global-health-check-${checks.key}`,
    alarmDescription: `Route 53 reports the ${checks.key} region's /health as failing: DNS has moved (or will move) traffic away from it.`,
    alarmActions: [topicArn],
    okActions: [topicArn],
    namespace: "AWS/Route53",
    metricName: "HealthCheckStatus",
    dimensions: { HealthCheckId: Token.asString(checks.value) },
    statistic: "Minimum",
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    period: 60,
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
    treatMissingData: SILENCE_IS_FAILURE,
  });
}

/** Name, actions, role-based count and the input checks every regional alarm shares. */
function common(id: string, topicArn: string, roles: Role[], requires: string[]) {
  const count =
    roles.length === 2
      ? '${var.role == "global" ? 0 : 1}'
      : `\${var.role == "${roles[0]}" ? 1 : 0}`;
  return {
    count: Token.asNumber(count),
    alarmName: `\${var.name}-\${var.role}-${id.replace(/_/g, "-")}`,
    alarmActions: [topicArn],
    okActions: [topicArn],
    lifecycle: {
      precondition: requires.map((input) => ({
        condition: `\${var.${input} != ""}`,
        errorMessage: `${input} is required in the ${roles.join(" and ")} role${roles.length > 1 ? "s" : ""}.`,
      })),
    },
  };
}
