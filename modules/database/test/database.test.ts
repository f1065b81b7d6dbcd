import { describe, expect, it } from "vitest";
import {
  AWS_REGION_PATTERN as REGION_PATTERN,
  canonicalJson,
  renderReadme,
  synthesizeModule,
} from "@tandem/module-kit";
import { evaluate, expr, hasTerraform, planErrors } from "@tandem/module-kit/testing";
import definition from "../src/index.ts";
import { LOG_TYPES } from "../src/aurora.ts";
import {
  ENGINE_VERSION_PATTERN,
  INSTANCE_CLASS_PATTERN,
  TABLE_ARN_PATTERN,
} from "../src/variables.ts";

type Block = Record<string, unknown>;

const artifact = synthesizeModule(definition);
const json = artifact.json as typeof artifact.json & {
  ephemeral?: Record<string, Record<string, Block>>;
};
const text = JSON.stringify(json);
const { identity } = artifact;

function resource(type: string, name = "this"): Block {
  const block = json.resource?.[type]?.[name];
  if (!block) throw new Error(`missing resource ${type}.${name}`);
  return block;
}

const PRIMARY_ONLY = '${(var.role == "primary") ? 1 : 0}';
const SECONDARY_ONLY = '${(var.role == "secondary") ? 1 : 0}';
const KEY = "${aws_kms_key.this.arn}";

/** Every string in a JSON value, with the key it sits under. */
function strings(value: unknown, key = ""): [key: string, value: string][] {
  if (typeof value === "string") return [[key, value]];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v, key));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => strings(v, k));
  }
  return [];
}

describe("encryption (seed: storage_encrypted = false)", () => {
  it("never turns encryption off", () => {
    expect(text).not.toMatch(/"storage_encrypted":\s*false/);
  });

  it("encrypts the global cluster and this region's cluster with this region's own key", () => {
    expect(resource("aws_rds_global_cluster").storage_encrypted).toBe(true);
    const cluster = resource("aws_rds_cluster");
    expect(cluster.storage_encrypted).toBe(true);
    expect(cluster.kms_key_id).toBe(KEY);
  });

  it("uses a regional key with rotation, not a multi-region key", () => {
    const key = resource("aws_kms_key");
    expect(key.enable_key_rotation).toBe(true);
    expect(key.multi_region).toBeUndefined();
    expect(resource("aws_kms_alias").name).toBe("alias/${var.name}-data");
  });

  it("lets CloudWatch Logs use the key for the Aurora log groups", () => {
    expect(String(resource("aws_kms_key").policy)).toContain("logs.${data.aws_region.current.id}");
    const logs = resource("aws_cloudwatch_log_group", "aurora");
    expect(logs.kms_key_id).toBe(KEY);
    expect(logs.retention_in_days).toBe("${var.log_retention_days}");
  });

  it("encrypts Performance Insights, the table, the replica and the secret with the key", () => {
    const instance = resource("aws_rds_cluster_instance");
    expect(instance.performance_insights_enabled).toBe(true);
    expect(instance.performance_insights_kms_key_id).toBe(KEY);
    expect(resource("aws_dynamodb_table").server_side_encryption).toEqual({
      enabled: true,
      kms_key_arn: KEY,
    });
    expect(resource("aws_dynamodb_table_replica").kms_key_arn).toBe(KEY);
  });
});

describe("Aurora global database", () => {
  const cluster = resource("aws_rds_cluster");

  it("creates the global cluster in the primary role only, from the inputs", () => {
    expect(resource("aws_rds_global_cluster")).toMatchObject({
      count: PRIMARY_ONLY,
      global_cluster_identifier: "${var.global_cluster_identifier}",
      engine: "aurora-mysql",
      engine_version: "${var.engine_version}",
      deletion_protection: "${var.deletion_protection}",
    });
  });

  it("joins the cluster to the global cluster by identifier in both roles, after the global cluster exists", () => {
    expect(cluster.global_cluster_identifier).toBe("${var.global_cluster_identifier}");
    expect(cluster.depends_on).toContain("aws_rds_global_cluster.this");
    expect(cluster.replication_source_identifier).toBeUndefined();
  });

  it("has no backtrack_window (not supported for global databases)", () => {
    expect(text).not.toContain("backtrack_window");
  });

  it("ignores the drift the provider documents for global-cluster members", () => {
    expect((cluster.lifecycle as Block).ignore_changes).toEqual(
      expect.arrayContaining([
        "global_cluster_identifier",
        "replication_source_identifier",
        "engine_version",
      ]),
    );
  });

  it("sets credentials and the database name only on the primary role's cluster while its region writes", () => {
    const carries = "local.carries_master_credentials";
    expect(cluster.master_username).toBe(`\${${carries} ? "tandem_admin" : null}`);
    expect(cluster.database_name).toBe(`\${${carries} ? var.database_name : null}`);
    // The provider requires the write-only password and its version together.
    expect(cluster.master_password_wo_version).toBe(
      `\${${carries} ? var.master_password_version : null}`,
    );
  });

  it("never replaces a cluster for the credentials it was created with (a rebuilt secondary writes again)", () => {
    expect((cluster.lifecycle as Block).ignore_changes).toEqual(
      expect.arrayContaining(["database_name", "master_username"]),
    );
  });

  it("keeps the payment data safe on delete and in backups", () => {
    expect(cluster).toMatchObject({
      deletion_protection: "${var.deletion_protection}",
      skip_final_snapshot: false,
      final_snapshot_identifier: "${var.name}-final",
      copy_tags_to_snapshot: true,
      backup_retention_period: "${var.backup_retention_days}",
      delete_automated_backups: false,
      iam_database_authentication_enabled: true,
    });
  });

  it("exports every log type into log groups created beforehand at the path RDS writes to", () => {
    expect(cluster.enabled_cloudwatch_logs_exports).toEqual([
      "audit",
      "error",
      "general",
      "slowquery",
    ]);
    expect(cluster.depends_on).toContain("aws_cloudwatch_log_group.aurora");
    const logs = resource("aws_cloudwatch_log_group", "aurora");
    expect(logs.for_each).toBe(`\${toset([${LOG_TYPES.map((t) => `"${t}"`).join(", ")}])}`);
    expect(logs.name).toBe(`/aws/rds/cluster/\${var.name}/\${each.value}`);
    expect(cluster.cluster_identifier).toBe("${var.name}");
  });

  it("runs instance_count private instances of instance_class with enhanced monitoring", () => {
    expect(resource("aws_rds_cluster_instance")).toMatchObject({
      count: "${var.instance_count}",
      identifier: "${var.name}-${count.index}",
      cluster_identifier: "${aws_rds_cluster.this.id}",
      instance_class: "${var.instance_class}",
      publicly_accessible: false,
      db_subnet_group_name: "${aws_db_subnet_group.this.name}",
      db_parameter_group_name: "${aws_db_parameter_group.this.name}",
      // The identity root's role of this region, by its computed ARN: no IAM call at plan time.
      monitoring_role_arn:
        "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.name}-rdsmon-${data.aws_region.current.id}",
    });
    expect(resource("aws_db_subnet_group").subnet_ids).toBe("${var.subnet_ids}");
    expect(cluster.vpc_security_group_ids).toBe("${var.security_group_ids}");
  });

  it("creates no IAM resource and forgets, without destroying, the roles earlier versions created", () => {
    expect(Object.keys(json.resource ?? {}).filter((t) => t.startsWith("aws_iam_"))).toEqual([]);
    expect(json.removed?.map((r) => [r.from, r.lifecycle.destroy])).toEqual([
      ["aws_iam_role.monitoring", false],
      ["aws_iam_role_policy_attachment.monitoring", false],
    ]);
  });

  it("has an identity part: each region's enhanced monitoring role, only RDS monitoring of this account, inside the boundary", () => {
    const role = identity?.resource?.aws_iam_role?.monitoring as Record<string, unknown>;
    expect(role).toMatchObject({
      for_each: "${local.monitoring_role_names}",
      name: "${each.value}",
      permissions_boundary: "${var.permissions_boundary}",
    });
    expect(identity?.locals?.monitoring_role_names).toBe(
      '${{ for region in var.regions : region => "${var.name}-rdsmon-${region}" }}',
    );
    const trust = JSON.stringify(identity?.data?.aws_iam_policy_document?.monitoring_assume);
    expect(trust).toContain("monitoring.rds.");
    expect(trust).toContain("aws:SourceAccount");
    expect(identity?.resource?.aws_iam_role_policy_attachment?.monitoring?.policy_arn).toBe(
      "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
    );
    expect(Object.keys(identity?.output?.import_ids?.value as object).sort()).toEqual([
      "aws_iam_role.monitoring",
      "aws_iam_role_policy_attachment.monitoring",
    ]);
  });

  it("requires TLS and audits connections and privilege changes", () => {
    const group = resource("aws_rds_cluster_parameter_group");
    expect(cluster.db_cluster_parameter_group_name).toBe(
      "${aws_rds_cluster_parameter_group.this.name}",
    );
    expect(group.parameter).toEqual(
      expect.arrayContaining([
        { name: "require_secure_transport", value: "ON" },
        { name: "server_audit_logging", value: "1" },
      ]),
    );
    expect(group.family).toBe("${local.parameter_group_family}");
    expect(json.locals?.parameter_group_family).toBe(
      'aurora-mysql${join(".", slice(split(".", var.engine_version), 0, 2))}',
    );
  });

  it("logs slow queries to files for CloudWatch but keeps the general log (every statement) off", () => {
    const instance = resource("aws_db_parameter_group").parameter;
    expect(instance).toEqual(
      expect.arrayContaining([
        { name: "slow_query_log", value: "1" },
        { name: "log_output", value: "FILE" },
      ]),
    );
    expect(resource("aws_db_parameter_group").family).toBe("${local.parameter_group_family}");
    const all = [instance, resource("aws_rds_cluster_parameter_group").parameter].flat() as Block[];
    expect(all.filter((p) => p.name === "general_log" && p.value !== "0")).toEqual([]);
  });
});

describe("master password (seed: hard-coded in code)", () => {
  const PASSWORD = "ephemeral.aws_secretsmanager_random_password.master";

  it("has no literal password anywhere: every password or secret value comes from the ephemeral resource", () => {
    const sensitive = strings(json.resource).filter(([key]) => /password|secret_string/.test(key));
    expect(sensitive.length).toBeGreaterThan(0);
    for (const [key, value] of sensitive) {
      if (key.endsWith("_version")) continue;
      expect(value, key).toContain(PASSWORD);
    }
    expect(text).not.toMatch(/"(master_password|secret_string|password)":/);
  });

  it("generates the password at apply time, in the primary role only, never in state", () => {
    const ephemeral = json.ephemeral?.aws_secretsmanager_random_password?.master;
    expect(ephemeral).toMatchObject({
      count: "${local.carries_master_credentials ? 1 : 0}",
      password_length: 40,
      exclude_punctuation: true,
    });
    expect(json.resource?.random_password).toBeUndefined();
    expect(resource("aws_rds_cluster").master_password_wo).toBe(
      `\${one(${PASSWORD}[*].random_password)}`,
    );
  });

  it("does not ask RDS to manage the secret (not supported for global database members)", () => {
    expect(text).not.toContain("manage_master_user_password");
  });

  it("stores the password nowhere: no secret a plan would refresh with GetSecretValue", () => {
    expect(json.resource?.aws_secretsmanager_secret).toBeUndefined();
    expect(json.resource?.aws_secretsmanager_secret_version).toBeUndefined();
    expect(Object.keys(json.output ?? {})).not.toContain("master_secret_name");
  });
});

describe("DynamoDB sessions table (seed: inline replica from one two-region stack)", () => {
  it("is created by the primary role with the single-table key and payment-safe settings", () => {
    expect(resource("aws_dynamodb_table")).toMatchObject({
      count: PRIMARY_ONLY,
      name: "${var.table_name}",
      billing_mode: "PAY_PER_REQUEST",
      hash_key: "pk",
      attribute: [{ name: "pk", type: "S" }],
      point_in_time_recovery: { enabled: true },
      stream_enabled: true,
      stream_view_type: "NEW_AND_OLD_IMAGES",
      deletion_protection_enabled: "${var.deletion_protection}",
      ttl: { attribute_name: "expires_at", enabled: true },
    });
  });

  it("leaves replicas to the secondary root: no inline replica, replica drift ignored", () => {
    const table = resource("aws_dynamodb_table");
    expect(table.replica).toBeUndefined();
    expect((table.lifecycle as Block).ignore_changes).toEqual(["replica"]);
    expect(resource("aws_dynamodb_table_replica")).toMatchObject({
      count: SECONDARY_ONLY,
      global_table_arn: "${var.primary_table_arn}",
      point_in_time_recovery: true,
      deletion_protection_enabled: "${var.deletion_protection}",
    });
  });
});

describe("both roles from one module", () => {
  const counted = Object.entries(json.resource ?? {}).flatMap(([type, byName]) =>
    Object.entries(byName)
      .filter(([, block]) => typeof block.count === "string" && block.count.includes("var.role"))
      .map(([name]) => `${type}.${name}`),
  );

  it("has role-counted resources", () => {
    expect(counted.sort()).toEqual([
      "aws_dynamodb_table.this",
      "aws_dynamodb_table_replica.this",
      "aws_rds_global_cluster.this",
    ]);
  });

  it("reads role-counted resources only through one() outside resources counted the same way", () => {
    const all = [...counted, "ephemeral.aws_secretsmanager_random_password.master"].map((a) =>
      a.replace(/\./g, "\\."),
    );
    const uncounted = [
      json.output,
      json.locals,
      ...Object.values(json.resource ?? {}).flatMap((byName) =>
        Object.values(byName).filter((block) => !String(block.count ?? "").includes("var.role")),
      ),
    ];
    for (const [, value] of strings(json)) {
      for (const address of all) expect(value).not.toMatch(new RegExp(`${address}\\.[a-z]`));
    }
    for (const [, value] of strings(uncounted)) {
      for (const address of all) expect(value).not.toMatch(new RegExp(`${address}\\[0\\]`));
    }
  });

  it("refers to no other region's resources: no provider blocks, no resource naming the secondary region", () => {
    expect(text).not.toContain('"provider"');
    const uses = strings(json.resource).filter(([, value]) =>
      value.includes("var.secondary_region"),
    );
    expect(uses).toEqual([]);
  });

  it("outputs the wiring contract, with the table's name and ARN from the table or the replica", () => {
    const contract = [
      "cluster_arn",
      "cluster_identifier",
      "cluster_endpoint",
      "reader_endpoint",
      "kms_key_arn",
      "table_name",
      "table_arn",
    ];
    expect(Object.keys(json.output ?? {})).toEqual(expect.arrayContaining(contract));
    expect(json.locals?.sessions_table_arn).toBe(
      '${(var.role == "primary") ? one(aws_dynamodb_table.this[*].arn) : "arn:${data.aws_partition.current.partition}:dynamodb:${data.aws_region.current.id}:${data.aws_caller_identity.current.account_id}:table/${var.table_name}"}',
    );
  });

  it("needs the primary region only for the replica itself: nothing refers to it, so it can be excluded from a plan", () => {
    const { aws_dynamodb_table_replica: replicas, ...others } = json.resource ?? {};
    expect(Object.keys(replicas ?? {})).toEqual(["this"]);
    const outside = [...strings(others), ...strings(json.locals), ...strings(json.output)];
    expect(outside.filter(([, value]) => value.includes("aws_dynamodb_table_replica"))).toEqual([]);
    // The primary table's ARN (the primary region) reaches only the replica.
    const usesPrimary = strings(json.resource).filter(([, v]) =>
      v.includes("var.primary_table_arn"),
    );
    expect(usesPrimary).toEqual([["global_table_arn", "${var.primary_table_arn}"]]);
    expect(json.output?.table_name?.value).toBe(
      '${element(split("/", local.sessions_table_arn), 1)}',
    );
    for (const [name, output] of Object.entries(json.output ?? {}))
      expect(output.description, name).toBeTruthy();
  });
});

describe("variables", () => {
  const variables = json.variable ?? {};
  // name and role come from the module kit and are tested there.
  const own = Object.entries(variables).filter(([name]) => name !== "name" && name !== "role");

  it("declares the contract's inputs with production-safe defaults", () => {
    const defaults = Object.fromEntries(
      Object.entries(variables).map(([name, v]) => [name, v.default]),
    );
    expect(defaults).toMatchObject({
      instance_count: 2,
      deletion_protection: true,
      backup_retention_days: 14,
      primary_table_arn: "",
      secondary_region: "",
      log_retention_days: 365,
      master_password_version: 1,
    });
    for (const required of [
      "subnet_ids",
      "security_group_ids",
      "global_cluster_identifier",
      "engine_version",
      "instance_class",
      "table_name",
    ]) {
      expect(variables[required], required).toBeDefined();
      expect(variables[required]?.default, required).toBeUndefined();
    }
  });

  it("writes every validation as an expression on its own variable (a plain JSON string is a literal)", () => {
    for (const [name, v] of own) {
      expect(v.description, name).toBeTruthy();
      for (const { condition } of v.validation ?? []) {
        expect(condition, name).toMatch(/^\$\{.*\}$/);
        expect(condition, name).toContain(`var.${name}`);
      }
    }
  });

  it("accepts only memory-optimized instance classes that global databases support", () => {
    const pattern = new RegExp(INSTANCE_CLASS_PATTERN);
    for (const ok of [
      "db.r5.large",
      "db.r6g.large",
      "db.r6i.2xlarge",
      "db.r7g.16xlarge",
      "db.r8g.xlarge",
      "db.x2g.4xlarge",
    ]) {
      expect(ok).toMatch(pattern);
    }
    for (const bad of [
      "db.t4g.medium",
      "db.t3.large",
      "db.serverless",
      "db.m5.large",
      "r6g.large",
      "db.r6g",
    ]) {
      expect(bad).not.toMatch(pattern);
    }
    expect(variables.instance_class?.validation?.[0]?.condition).toContain(INSTANCE_CLASS_PATTERN);
  });

  it("accepts only Aurora MySQL engine versions", () => {
    const pattern = new RegExp(ENGINE_VERSION_PATTERN);
    expect("8.0.mysql_aurora.3.08.2").toMatch(pattern);
    expect("5.7.mysql_aurora.2.12.1").toMatch(pattern);
    for (const bad of ["8.0", "15.4", "8.0.mysql_aurora.3", "aurora-mysql"])
      expect(bad).not.toMatch(pattern);
    expect(variables.engine_version?.validation?.[0]?.condition).toContain(ENGINE_VERSION_PATTERN);
  });

  it("requires the primary table ARN in the secondary role and the secondary region in the primary role", () => {
    expect("arn:aws:dynamodb:us-east-1:123456789012:table/payments-prod-sessions").toMatch(
      new RegExp(TABLE_ARN_PATTERN),
    );
    expect("").not.toMatch(new RegExp(TABLE_ARN_PATTERN));
    expect("us-west-2").toMatch(new RegExp(REGION_PATTERN));
    expect("ap-southeast-2").toMatch(new RegExp(REGION_PATTERN));
    expect("").not.toMatch(new RegExp(REGION_PATTERN));
    expect(variables.primary_table_arn?.validation?.[0]?.condition).toMatch(
      /^\$\{var\.role != "secondary" \|\| /,
    );
    expect(variables.secondary_region?.validation?.[0]?.condition).toMatch(
      /^\$\{var\.role != "primary" \|\| /,
    );
  });
});

describe("README", () => {
  const readme = renderReadme(definition, artifact);

  it("explains the master password choice", () => {
    expect(readme).toContain("manage_master_user_password");
    expect(readme).toContain("master_password_wo");
  });

  it("has an example that sets every required variable", () => {
    const required = Object.entries(json.variable ?? {}).filter(([, v]) => v.default === undefined);
    for (const [name] of required)
      expect(definition.example, name).toMatch(new RegExp(`^\\s+${name}\\s+=`, "m"));
  });
});

it("synthesizes deterministically", () => {
  expect(canonicalJson(synthesizeModule(definition).json)).toBe(canonicalJson(json));
});

describe.skipIf(!hasTerraform)("with the Terraform binary", () => {
  const primary = {
    name: "payments-prod",
    role: "primary",
    subnet_ids: ["subnet-a", "subnet-b"],
    security_group_ids: ["sg-db"],
    global_cluster_identifier: "payments-prod",
    engine_version: "8.0.mysql_aurora.3.08.2",
    instance_class: "db.r6g.large",
    table_name: "payments-prod-sessions",
    secondary_region: "us-west-2",
  };
  const secondary = {
    ...primary,
    role: "secondary",
    secondary_region: "",
    primary_table_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/payments-prod-sessions",
  };

  it("accepts the inputs the composer passes in either role", () => {
    expect(planErrors(json, primary)).toBe("");
    expect(planErrors(json, secondary)).toBe("");
  });

  it("rejects inputs that would only fail at apply", () => {
    const errors = planErrors(json, {
      ...primary,
      instance_class: "db.t4g.medium",
      engine_version: "15.4",
      instance_count: 0,
      backup_retention_days: 36,
      subnet_ids: ["subnet-a"],
      secondary_region: "",
    });
    expect(errors).toContain("burstable db.t classes are not supported");
    expect(errors).toContain("engine_version must be an Aurora MySQL version");
    expect(errors).toContain("instance_count must be a whole number from 1 to 16");
    expect(errors).toContain("backup_retention_days must be a whole number from 1 to 35");
    expect(errors).toContain("subnet_ids needs at least two subnets");
    expect(errors).toContain("secondary_region must be an AWS region");
    expect(planErrors(json, { ...secondary, primary_table_arn: "" })).toContain(
      "primary_table_arn must be the primary table's ARN when role is secondary",
    );
  });

  it("gives the master credentials to the primary role's cluster only while its region writes", () => {
    // data.aws_region.current is not read by the console: each root's region stands in for it.
    const carries = (values: Record<string, unknown>, region: string) =>
      evaluate(json, values, [
        expr(json.locals?.carries_master_credentials).replaceAll(
          "data.aws_region.current.id",
          `"${region}"`,
        ),
      ])[0];
    expect(carries(primary, "us-east-1")).toBe(true);
    expect(carries({ ...primary, writer_region: "us-east-1" }, "us-east-1")).toBe(true);
    expect(carries({ ...primary, writer_region: "us-west-2" }, "us-east-1")).toBe(false);
    expect(carries(secondary, "us-west-2")).toBe(false);
    expect(carries({ ...secondary, writer_region: "us-west-2" }, "us-west-2")).toBe(false);
    expect(planErrors(json, { ...primary, writer_region: "west" })).toContain(
      'writer_region must be "" or an AWS region',
    );
  });

  it("derives the parameter group family from the engine version", () => {
    // A template, so it is evaluated as a quoted HCL string.
    const family = `"${String(json.locals?.parameter_group_family)}"`;
    expect(evaluate(json, primary, [family])).toEqual(["aurora-mysql8.0"]);
    expect(
      evaluate(json, { ...primary, engine_version: "5.7.mysql_aurora.2.12.1" }, [family]),
    ).toEqual(["aurora-mysql5.7"]);
  });

  it("reads the table name from the table's or the replica's ARN", () => {
    const arn = "arn:aws:dynamodb:us-west-2:123456789012:table/payments-prod-sessions";
    expect(
      evaluate(json, secondary, [expr(json.output?.table_name?.value)], {
        sessions_table_arn: arn,
      }),
    ).toEqual(["payments-prod-sessions"]);
  });
});
