import { describe, expect, it } from "vitest";
import { synthesizeModule } from "@tandem/module-kit";
import monitoring from "../src/index.ts";
import { BACKUP_FAILURE_METRICS, REGIONAL_ALARMS } from "../src/alarms.ts";
import {
  type Condition,
  evaluate,
  expr,
  hasTerraform,
  planErrors,
} from "@tandem/module-kit/testing";

const { json } = synthesizeModule(monitoring);
type Block = Record<string, unknown>;
const alarms = json.resource?.aws_cloudwatch_metric_alarm as Record<string, Block>;
const alarm = (id: string) => alarms[id] as Block;
const regionalIds = Object.keys(alarms).filter((id) => id !== "health_check");

const base = { name: "payments-prod", alarm_emails: ["payments-oncall@acme-payments.com"] };
const regional = {
  ...base,
  function_name: "payments-prod-handler",
  api_id: "a1b2c3d4e5",
  dead_letter_queue_name: "payments-prod-dlq",
  table_name: "payments-prod-sessions",
  peer_region: "us-east-1",
  cluster_identifier: "payments-prod-us-west-2",
  backup_vault_name: "payments-prod",
};
const global = {
  ...base,
  role: "global",
  health_check_ids: { primary: "hc-1", secondary: "hc-2" },
};

describe("monitoring contract", () => {
  it("declares the inputs and outputs of docs/module-wiring.md", () => {
    expect(Object.keys(json.variable ?? {}).sort()).toEqual(
      [
        "alarm_emails",
        "api_id",
        "backup_vault_name",
        "cluster_identifier",
        "dead_letter_queue_name",
        "function_name",
        "health_check_ids",
        "name",
        "peer_region",
        "replication_lag_threshold_ms",
        "role",
        "table_name",
      ].sort(),
    );
    expect(Object.keys(json.output ?? {}).sort()).toEqual(["alarm_topic_arn", "dashboard_name"]);
    expect(json.output?.dashboard_name?.value).toBe(
      "${one(aws_cloudwatch_dashboard.this[*].dashboard_name)}",
    );
  });

  it("lets regional inputs default to empty so the global role needs none, and requires the rest", () => {
    for (const input of [
      "function_name",
      "api_id",
      "dead_letter_queue_name",
      "table_name",
      "peer_region",
      "cluster_identifier",
      "backup_vault_name",
    ]) {
      expect(json.variable?.[input]?.default).toBe("");
    }
    expect(json.variable?.health_check_ids?.default).toEqual({});
    expect(json.variable?.replication_lag_threshold_ms?.default).toBe(60000);
    for (const required of ["name", "role", "alarm_emails"])
      expect(json.variable?.[required]).not.toHaveProperty("default");
  });
});

describe("alarm topic", () => {
  it("is encrypted with a rotated key that CloudWatch may use for this account", () => {
    expect(json.resource?.aws_sns_topic?.alarms).toMatchObject({
      name: "${var.name}-${var.role}-alarms",
      kms_master_key_id: "${aws_kms_key.alarms.arn}",
    });
    expect(json.resource?.aws_kms_key?.alarms?.enable_key_rotation).toBe(true);
    const keyPolicy = String(json.resource?.aws_kms_key?.alarms?.policy);
    expect(keyPolicy).toContain('"cloudwatch.${data.aws_partition.current.dns_suffix}"');
    expect(keyPolicy).toContain("kms:GenerateDataKey*");
    expect(keyPolicy).toContain("aws:SourceAccount");
  });

  it("lets CloudWatch alarms of this account and region publish, and nobody else", () => {
    const policy = json.data?.aws_iam_policy_document?.alarms_topic as { statement: Block[] };
    expect(policy.statement).toHaveLength(1);
    expect(policy.statement[0]).toMatchObject({
      actions: ["sns:Publish"],
      resources: ["${aws_sns_topic.alarms.arn}"],
      principals: [
        { type: "Service", identifiers: ["cloudwatch.${data.aws_partition.current.dns_suffix}"] },
      ],
    });
    const conditions = JSON.stringify(policy.statement[0]?.condition);
    expect(conditions).toContain("aws:SourceAccount");
    expect(conditions).toContain(
      "arn:${data.aws_partition.current.partition}:cloudwatch:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:alarm:*",
    );
    expect(json.resource?.aws_sns_topic_policy?.alarms?.policy).toBe(
      "${data.aws_iam_policy_document.alarms_topic.json}",
    );
  });

  it("subscribes each email address once", () => {
    expect(json.resource?.aws_sns_topic_subscription?.email).toMatchObject({
      for_each: "${toset(var.alarm_emails)}",
      protocol: "email",
      endpoint: "${each.value}",
      topic_arn: "${aws_sns_topic.alarms.arn}",
    });
  });
});

describe("alarms", () => {
  it("all notify the topic on ALARM and OK and choose how to treat missing data", () => {
    expect(Object.keys(alarms).sort()).toEqual(
      [...REGIONAL_ALARMS.map((a) => a.id), "backup_jobs_failed", "health_check"].sort(),
    );
    for (const [id, a] of Object.entries(alarms)) {
      expect(a.alarm_actions, id).toEqual(["${aws_sns_topic.alarms.arn}"]);
      expect(a.ok_actions, id).toEqual(["${aws_sns_topic.alarms.arn}"]);
      expect(["notBreaching", "breaching"], id).toContain(a.treat_missing_data);
    }
  });

  it("watch the handler, the HTTP API (5xx and p99 latency) and the dead-letter queue", () => {
    expect(alarm("lambda_errors")).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Errors",
      dimensions: { FunctionName: "${var.function_name}" },
    });
    expect(alarm("lambda_throttles")).toMatchObject({
      namespace: "AWS/Lambda",
      metric_name: "Throttles",
    });
    expect(alarm("api_5xx")).toMatchObject({
      namespace: "AWS/ApiGateway",
      metric_name: "5xx",
      dimensions: { ApiId: "${var.api_id}" },
    });
    expect(alarm("api_latency_p99")).toMatchObject({
      namespace: "AWS/ApiGateway",
      metric_name: "Latency",
      extended_statistic: "p99",
      dimensions: { ApiId: "${var.api_id}" },
    });
    expect(alarm("api_latency_p99")).not.toHaveProperty("statistic");
    expect(alarm("dlq_depth")).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: "${var.dead_letter_queue_name}" },
      threshold: 0,
    });
  });

  it("watch DynamoDB replication towards the peer region against the RPO-derived threshold", () => {
    expect(alarm("dynamodb_replication_latency")).toMatchObject({
      namespace: "AWS/DynamoDB",
      metric_name: "ReplicationLatency",
      dimensions: { TableName: "${var.table_name}", ReceivingRegion: "${var.peer_region}" },
      threshold: "${var.replication_lag_threshold_ms}",
    });
  });

  it("watch AuroraGlobalDBReplicationLag on the region's own cluster in both roles: after a switchover the old writer is the secondary that publishes it", () => {
    expect(alarm("aurora_replication_lag")).toMatchObject({
      count: '${var.role == "global" ? 0 : 1}',
      namespace: "AWS/RDS",
      metric_name: "AuroraGlobalDBReplicationLag",
      dimensions: { DBClusterIdentifier: "${var.cluster_identifier}" },
      threshold: "${var.replication_lag_threshold_ms}",
      // The writer publishes no lag: its silence must not page (it did, as "breaching").
      treat_missing_data: "notBreaching",
    });
  });

  it("count failed and expired backup jobs and failed copy jobs of this region's vault", () => {
    const queries = alarm("backup_jobs_failed").metric_query as Block[];
    const metrics = queries.filter((q) => q.metric).map((q) => q.metric as Block);
    expect(metrics.map((m) => m.metric_name)).toEqual(Object.values(BACKUP_FAILURE_METRICS));
    expect(metrics.map((m) => m.metric_name)).toContain("NumberOfBackupJobsFailed");
    for (const m of metrics) {
      expect(m).toMatchObject({
        namespace: "AWS/Backup",
        stat: "Sum",
        dimensions: { BackupVaultName: "${var.backup_vault_name}" },
      });
    }
    const returned = queries.filter((q) => q.return_data === true);
    expect(returned).toHaveLength(1);
    for (const id of Object.keys(BACKUP_FAILURE_METRICS))
      expect(returned[0]?.expression).toContain(`FILL(${id}, 0)`);
  });

  it("in both regional roles, page through this region's own topic when the peer region is unhealthy or silent for two minutes", () => {
    expect(alarm("peer_health")).toMatchObject({
      count: '${var.role == "global" ? 0 : 1}',
      alarm_name: "${var.name}-${var.role}-peer-health",
      namespace: "Tandem/Health",
      metric_name: "PeerHealthy",
      dimensions: { Region: "${var.peer_region}" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      period: 60,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      treat_missing_data: "breaching",
      alarm_actions: ["${aws_sns_topic.alarms.arn}"],
    });
    // Every other regional alarm still fires above its threshold.
    for (const spec of REGIONAL_ALARMS.filter((a) => a.id !== "peer_health"))
      expect(alarm(spec.id).comparison_operator, spec.id).toBe("GreaterThanThreshold");
  });

  it("in the global role, fire when a Route 53 health check reports unhealthy, and on silence", () => {
    expect(alarm("health_check")).toMatchObject({
      for_each: '${var.role == "global" ? var.health_check_ids : {}}',
      namespace: "AWS/Route53",
      metric_name: "HealthCheckStatus",
      dimensions: { HealthCheckId: "${each.value}" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      treat_missing_data: "breaching",
    });
  });
});

describe.skipIf(!hasTerraform)("with the Terraform binary", () => {
  const counts = (values: Record<string, unknown>) => {
    const results = evaluate(json, values, [
      ...regionalIds.map((id) => expr(alarm(id).count)),
      expr(json.resource?.aws_cloudwatch_dashboard?.this?.count),
      `keys(${expr(alarm("health_check").for_each)})`,
    ]);
    return {
      alarms: Object.fromEntries(regionalIds.map((id, i) => [id, results[i]])),
      dashboard: results[regionalIds.length],
      healthChecks: results[regionalIds.length + 1],
    };
  };

  it("creates each alarm in exactly the roles it is for", () => {
    const primary = counts({ ...regional, role: "primary", health_check_ids: { primary: "hc-1" } });
    const secondary = counts({ ...regional, role: "secondary" });
    const inGlobal = counts(global);
    for (const id of regionalIds) {
      expect(secondary.alarms[id], id).toBe(1);
      expect(primary.alarms[id], id).toBe(1);
      expect(inGlobal.alarms[id], id).toBe(0);
    }
    expect([primary.dashboard, secondary.dashboard, inGlobal.dashboard]).toEqual([1, 1, 0]);
    expect([primary.healthChecks, inGlobal.healthChecks]).toEqual([[], ["primary", "secondary"]]);
  });

  it("names the topic and key per role, so the global and primary roots can share us-east-1", () => {
    // As HCL string templates, exactly as the module writes them.
    const names = [
      json.resource?.aws_sns_topic?.alarms?.name,
      json.resource?.aws_kms_alias?.alarms?.name,
    ].map((n) => JSON.stringify(n));
    const [primaryTopic, primaryAlias] = evaluate(json, { ...base, role: "primary" }, names);
    const [globalTopic, globalAlias] = evaluate(json, { ...base, role: "global" }, names);
    expect(primaryTopic).not.toBe(globalTopic);
    expect(primaryAlias).not.toBe(globalAlias);
  });

  it("builds the dashboard from the role's alarms, every widget in this region", () => {
    const body = expr(json.resource?.aws_cloudwatch_dashboard?.this?.dashboard_body)
      .replaceAll("aws_cloudwatch_metric_alarm.", "local.alarms.")
      .replaceAll("data.aws_region.current.id", "local.region");
    const present = regionalIds.filter((id) => id !== "aurora_replication_lag");
    const fake = Object.fromEntries(
      regionalIds.map((id) => [
        id,
        present.includes(id) ? [{ alarm_name: id, arn: `arn:${id}` }] : [],
      ]),
    );
    const [dashboard] = evaluate(json, { ...base, role: "primary" }, [`jsondecode(${body})`], {
      alarms: fake,
      region: "us-west-2",
    });
    const widgets = (
      dashboard as { widgets: { type: string; x: number; y: number; properties: Block }[] }
    ).widgets;
    expect(widgets[0]).toMatchObject({
      type: "alarm",
      properties: { alarms: present.map((id) => `arn:${id}`) },
    });
    const graphs = widgets.slice(1);
    expect(graphs.map((w) => w.properties.annotations)).toEqual(
      present.map((id) => ({ alarms: [`arn:${id}`] })),
    );
    expect(graphs.every((w) => w.type === "metric" && w.properties.region === "us-west-2")).toBe(
      true,
    );
    expect(new Set(widgets.map((w) => `${w.x},${w.y}`)).size).toBe(widgets.length);
  });

  it("rejects bad roles, emails, regions and thresholds", () => {
    const plan = (overrides: Record<string, unknown>) =>
      planErrors(json, { ...regional, role: "primary", ...overrides });
    expect(plan({})).toBe("");
    expect(planErrors(json, global)).toBe("");
    expect(plan({ role: "tertiary" })).toContain("role must be primary, secondary or global.");
    expect(plan({ alarm_emails: [] })).toContain("alarm_emails needs at least one address.");
    expect(plan({ alarm_emails: ["oncall@acme-payments.com", "oncall"] })).toContain(
      "alarm_emails must be email addresses.",
    );
    expect(plan({ peer_region: "west" })).toContain(
      "peer_region must be an AWS region such as us-west-2.",
    );
    expect(plan({ replication_lag_threshold_ms: 0 })).toContain(
      "replication_lag_threshold_ms must be positive.",
    );
    expect(plan({ name: "Payments" })).toContain("name must be 3-40 characters");
  });

  it("requires each alarm's inputs in the roles it exists in, and health checks in the global role", () => {
    const check = (id: string, values: Record<string, unknown>) =>
      planErrors(
        json,
        values,
        (alarm(id).lifecycle as { precondition: Condition[] }).precondition,
        expr(alarm(id).count),
      );
    expect(check("lambda_errors", { ...regional, role: "primary", function_name: "" })).toContain(
      "function_name is required in the primary and secondary roles.",
    );
    expect(check("lambda_errors", global)).toBe("");
    for (const role of ["primary", "secondary"]) {
      expect(
        check("aurora_replication_lag", { ...regional, role, cluster_identifier: "" }),
      ).toContain("cluster_identifier is required in the primary and secondary roles.");
    }
    expect(
      check("backup_jobs_failed", { ...regional, role: "secondary", backup_vault_name: "" }),
    ).toContain("backup_vault_name is required");
    expect(check("peer_health", { ...regional, role: "secondary", peer_region: "" })).toContain(
      "peer_region is required in the primary and secondary roles.",
    );

    const topic = (
      json.resource?.aws_sns_topic?.alarms as { lifecycle: { precondition: Condition[] } }
    ).lifecycle.precondition;
    expect(planErrors(json, { ...global, health_check_ids: {} }, topic)).toContain(
      "health_check_ids must not be empty",
    );
    expect(planErrors(json, global, topic)).toBe("");
    expect(planErrors(json, { ...regional, role: "primary" }, topic)).toBe("");
  });
});
