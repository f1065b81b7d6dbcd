import { describe, expect, it } from "vitest";
import { synthesizeModule } from "@tandem/module-kit";
import {
  type Condition,
  evaluate,
  expr,
  hasTerraform,
  planErrors,
} from "@tandem/module-kit/testing";
import backup from "../src/index.ts";

const { json, identity } = synthesizeModule(backup);
type Block = Record<string, unknown>;
const resource = (type: string, name = "this") => json.resource?.[type]?.[name] as Block;
const primaryOnly = [
  ["aws_backup_plan", "this"],
  ["aws_backup_selection", "this"],
] as const;

describe("backup module", () => {
  it("declares the inputs of the wiring contract with production defaults", () => {
    const defaults = Object.fromEntries(
      Object.entries(json.variable ?? {}).map(([k, v]) => [k, v.default]),
    );
    expect(defaults).toEqual({
      name: undefined,
      role: undefined,
      schedule: "cron(0 3 * * ? *)",
      retention_days: 35,
      copy_retention_days: 35,
      destination_vault_arn: "",
      resource_arns: [],
      vault_lock: null,
    });
  });

  it("exposes the outputs of the wiring contract, the primary-only ones null in the secondary", () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "plan_id",
      "role_arn",
      "vault_arn",
      "vault_name",
    ]);
    expect(json.output?.plan_id?.value).toBe("${one(aws_backup_plan.this[*].id)}");
    expect(json.output?.role_arn?.value).toBe("${one(aws_backup_selection.this[*].iam_role_arn)}");
  });

  it("names the vault exactly var.name (the other region computes its ARN) and encrypts it with a rotating key", () => {
    expect(resource("aws_backup_vault")).toMatchObject({
      name: "${var.name}",
      kms_key_arn: "${aws_kms_key.this.arn}",
    });
    expect(resource("aws_backup_vault")).not.toHaveProperty("force_destroy");
    expect(resource("aws_kms_key")).toMatchObject({ enable_key_rotation: true });
    expect(json.output?.vault_name?.value).toBe("${aws_backup_vault.this.name}");
  });

  it("copies each recovery point to the destination vault with the copy action's own lifecycle (seed correction)", () => {
    const [rule] = resource("aws_backup_plan").rule as Block[];
    expect(rule).toMatchObject({
      target_vault_name: "${aws_backup_vault.this.name}",
      schedule: "${var.schedule}",
      lifecycle: { delete_after: "${var.retention_days}" },
      copy_action: [
        {
          destination_vault_arn: "${var.destination_vault_arn}",
          lifecycle: { delete_after: "${var.copy_retention_days}" },
        },
      ],
    });
  });

  it("selects the given resources with the identity root's role of this region, so the plan backs something up (the seed had neither)", () => {
    expect(resource("aws_backup_selection")).toMatchObject({
      plan_id: "${aws_backup_plan.this[0].id}",
      // By its computed ARN: no IAM call at plan time.
      iam_role_arn:
        "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.name}-backup-${data.aws_region.current.id}",
      resources: "${var.resource_arns}",
    });
    expect(Object.keys(json.resource ?? {}).filter((t) => t.startsWith("aws_iam_"))).toEqual([]);
    expect(json.removed?.map((r) => r.from)).toEqual([
      "aws_iam_role.this",
      "aws_iam_role_policy_attachment.backup",
      "aws_iam_role_policy_attachment.restores",
    ]);
  });

  it("has an identity part: each region's AWS Backup role with AWS's backup and restore policies, inside the boundary", () => {
    const role = identity?.resource?.aws_iam_role?.this as Block;
    expect(role).toMatchObject({
      for_each: "${local.this_role_names}",
      name: "${each.value}",
      permissions_boundary: "${var.permissions_boundary}",
    });
    expect(identity?.locals?.this_role_names).toBe(
      '${{ for region in var.regions : region => "${var.name}-backup-${region}" }}',
    );
    expect(JSON.stringify(identity?.data?.aws_iam_policy_document?.assume)).toContain(
      "backup.amazonaws.com",
    );
    const policies = ["backup", "restores"].map(
      (name) => identity?.resource?.aws_iam_role_policy_attachment?.[name] as Block,
    );
    expect(policies.map((p) => p.policy_arn)).toEqual([
      "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
      "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
    ]);
    for (const policy of policies) expect(policy.role).toBe("${aws_iam_role.this[each.key].name}");
  });

  it("locks the vault in compliance mode (changeable_for_days set) when vault_lock is given", () => {
    expect(resource("aws_backup_vault_lock_configuration")).toMatchObject({
      backup_vault_name: "${aws_backup_vault.this.name}",
      min_retention_days: "${var.vault_lock.min_retention_days}",
      max_retention_days: "${var.vault_lock.max_retention_days}",
      changeable_for_days: "${var.vault_lock.changeable_for_days}",
    });
  });

  it("leaves the account-wide AWS Backup region settings alone (a singleton per account and region)", () => {
    expect(json.resource).not.toHaveProperty("aws_backup_region_settings");
  });

  it("writes every validation condition as an expression (JSON syntax reads a bare string as a literal)", () => {
    for (const variable of Object.values(json.variable ?? {})) {
      for (const rule of variable.validation ?? []) expect(rule.condition).toMatch(/^\$\{.*\}$/s);
    }
  });
});

describe.skipIf(!hasTerraform)("backup expressions, evaluated by Terraform", () => {
  const primary = {
    name: "payments-prod",
    role: "primary",
    destination_vault_arn: "arn:aws:backup:us-west-2:210987654321:backup-vault:payments-prod",
    resource_arns: [
      "arn:aws:rds:us-east-1:210987654321:cluster:payments-prod",
      "arn:aws:dynamodb:us-east-1:210987654321:table/payments-prod-sessions",
    ],
  };
  const secondary = { name: "payments-prod", role: "secondary" };
  /** The secondary as the composer calls it: its own cluster and replica, copied to the primary. */
  const secondaryWithBackups = {
    ...secondary,
    destination_vault_arn: "arn:aws:backup:us-east-1:210987654321:backup-vault:payments-prod",
    resource_arns: [
      "arn:aws:rds:us-west-2:210987654321:cluster:payments-prod",
      "arn:aws:dynamodb:us-west-2:210987654321:table/payments-prod-sessions",
    ],
  };
  const lock = { min_retention_days: 7, max_retention_days: 365 };

  it("creates the plan and selection wherever there is something to back up", () => {
    const counts = primaryOnly.map(([type, name]) => expr(resource(type, name).count));
    expect(evaluate(json, primary, counts)).toEqual([1, 1]);
    // The secondary keeps backing up when the primary region is lost (before: nothing there).
    expect(evaluate(json, secondaryWithBackups, counts)).toEqual([1, 1]);
    expect(evaluate(json, secondary, counts)).toEqual([0, 0]);
  });

  it("needs a copy destination in the secondary once it backs something up", () => {
    expect(planErrors(json, secondaryWithBackups)).toBe("");
    expect(planErrors(json, { ...secondaryWithBackups, destination_vault_arn: "" })).toContain(
      "destination_vault_arn must be a backup vault ARN",
    );
  });

  it("locks the vault only when vault_lock is set, in compliance mode by default", () => {
    const count = expr(resource("aws_backup_vault_lock_configuration").count);
    expect(evaluate(json, secondary, [count])).toEqual([0]);
    expect(
      evaluate(json, { ...secondary, vault_lock: lock }, [
        count,
        "var.vault_lock.changeable_for_days",
      ]),
    ).toEqual([1, 3]);
  });

  it.each([
    [primary, ""],
    [secondary, ""],
    [
      { ...primary, schedule: "rate(12 hours)", vault_lock: { ...lock, changeable_for_days: 30 } },
      "",
    ],
    [{ ...primary, schedule: "cron(0 3 * * *)" }, "schedule must be an AWS cron expression"],
    [{ ...primary, schedule: "0 3 * * ? *" }, "schedule must be an AWS cron expression"],
    [{ ...primary, schedule: "rate(30 minutes)" }, "schedule must be an AWS cron expression"],
    [{ ...primary, retention_days: 0 }, "retention_days must be a whole number of days"],
    [{ ...primary, retention_days: 36501 }, "retention_days must be a whole number of days"],
    [
      { ...primary, copy_retention_days: 1.5 },
      "copy_retention_days must be a whole number of days",
    ],
    [{ ...primary, destination_vault_arn: "" }, "destination_vault_arn must be a backup vault ARN"],
    [
      { ...primary, destination_vault_arn: "arn:aws:s3:::payments-prod" },
      "destination_vault_arn must be a backup vault ARN",
    ],
    [{ ...primary, resource_arns: [] }, "resource_arns must name at least one resource"],
    [{ ...primary, resource_arns: ["payments-prod"] }, "resource_arns must be resource ARNs"],
    [{ ...primary, vault_lock: { ...lock, changeable_for_days: 2 } }, "vault_lock needs"],
    [
      { ...primary, vault_lock: { min_retention_days: 30, max_retention_days: 7 } },
      "vault_lock needs",
    ],
    [
      { ...primary, vault_lock: lock, retention_days: 400 },
      "retention_days must lie within vault_lock",
    ],
    [
      { ...primary, vault_lock: lock, copy_retention_days: 5 },
      "copy_retention_days must lie within vault_lock",
    ],
  ])("validates %j", (values, error) => {
    const errors = planErrors(json, values);
    if (error) expect(errors).toContain(error);
    else expect(errors).toBe("");
  });

  it("refuses a copy destination in the plan's own region", () => {
    const plan = resource("aws_backup_plan") as {
      count: string;
      lifecycle: { precondition: Condition[] };
    };
    const inRegion = (region: string) =>
      plan.lifecycle.precondition.map((c) => ({
        ...c,
        condition: c.condition.replaceAll("data.aws_region.current.id", JSON.stringify(region)),
      }));
    expect(planErrors(json, primary, inRegion("us-east-1"), expr(plan.count))).toBe("");
    expect(planErrors(json, primary, inRegion("us-west-2"), expr(plan.count))).toContain(
      "destination_vault_arn must be in another Region",
    );
    expect(planErrors(json, secondary, inRegion("us-west-2"), expr(plan.count))).toBe("");
    expect(planErrors(json, secondaryWithBackups, inRegion("us-west-2"), expr(plan.count))).toBe(
      "",
    );
    expect(
      planErrors(json, secondaryWithBackups, inRegion("us-east-1"), expr(plan.count)),
    ).toContain("destination_vault_arn must be in another Region");
  });
});
