import { TerraformVariable, type IResolvable } from "cdktf";
import { commonVariables, type ModuleStack } from "@tandem/module-kit";
import { LOG_RETENTION_DAYS } from "@tandem/module-kit";

/** Aurora global databases need memory-optimized classes; burstable db.t* are not supported. */
export const INSTANCE_CLASS_PATTERN =
  "^db[.](r5|r6g|r6gd|r6i|r6id|r7g|r7i|r8g|r8gd|x2g)[.](large|[0-9]*xlarge)$";
export const ENGINE_VERSION_PATTERN = "^[0-9]+[.][0-9]+[.]mysql_aurora[.][0-9]+[.][0-9]+[.][0-9]+$";
export const TABLE_ARN_PATTERN =
  "^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$";
export const REGION_PATTERN = "^[a-z]{2}(-[a-z]+)+-[0-9]$";

/** Every input of the module, as Terraform expressions. */
export interface DatabaseInputs {
  name: string;
  role: string;
  subnetIds: string[];
  securityGroupIds: string[];
  globalClusterIdentifier: string;
  engineVersion: string;
  instanceClass: string;
  instanceCount: number;
  deletionProtection: boolean | IResolvable;
  backupRetentionDays: number;
  tableName: string;
  primaryTableArn: string;
  secondaryRegion: string;
  databaseName: string;
  logRetentionDays: number;
  masterPasswordVersion: number;
}

type Validation = [condition: string, errorMessage: string];

function variable(
  stack: ModuleStack,
  id: string,
  type: string,
  description: string,
  options: { default?: unknown; validation?: Validation[] } = {},
): TerraformVariable {
  return new TerraformVariable(stack, id, {
    type,
    description,
    nullable: false,
    ...(options.default === undefined ? {} : { default: options.default }),
    // In JSON syntax a plain string is a literal, so the condition must be an interpolation.
    validation: options.validation?.map(([condition, errorMessage]) => ({
      condition: `\${${condition}}`,
      errorMessage,
    })),
  });
}

export function declareInputs(stack: ModuleStack): DatabaseInputs {
  const common = commonVariables(stack);
  return { ...common, ...auroraInputs(stack), ...tableInputs(stack) };
}

function auroraInputs(stack: ModuleStack) {
  const v = variable.bind(null, stack);
  return {
    subnetIds: v(
      "subnet_ids",
      "list(string)",
      "Private subnets for the DB subnet group, in at least two availability zones.",
      {
        validation: [
          [
            "length(var.subnet_ids) >= 2",
            "subnet_ids needs at least two subnets (a DB subnet group spans two or more AZs).",
          ],
        ],
      },
    ).listValue,
    securityGroupIds: v(
      "security_group_ids",
      "list(string)",
      "Security groups of the Aurora cluster (the networking module's database group).",
      {
        validation: [
          [
            "length(var.security_group_ids) >= 1",
            "security_group_ids needs at least one security group.",
          ],
        ],
      },
    ).listValue,
    globalClusterIdentifier: v(
      "global_cluster_identifier",
      "string",
      "Identifier of the Aurora global cluster, the same in both regions (`payments-<env>`). The primary role creates it; the secondary joins it.",
      {
        validation: [
          [
            'can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,62}$", var.global_cluster_identifier))',
            "global_cluster_identifier must start with a letter and hold at most 63 letters, digits and hyphens.",
          ],
        ],
      },
    ).stringValue,
    engineVersion: v(
      "engine_version",
      "string",
      "Aurora MySQL engine version, e.g. `8.0.mysql_aurora.3.08.2`. Upgrades go through the global cluster (primary role).",
      {
        validation: [
          [
            `can(regex("${ENGINE_VERSION_PATTERN}", var.engine_version))`,
            "engine_version must be an Aurora MySQL version such as 8.0.mysql_aurora.3.08.2.",
          ],
        ],
      },
    ).stringValue,
    instanceClass: v(
      "instance_class",
      "string",
      "Instance class of every Aurora instance: a memory-optimized class (db.r5, db.r6g, db.r6i, db.r7g, db.r7i, db.r8g, db.x2g...), as Aurora global databases require.",
      {
        validation: [
          [
            `can(regex("${INSTANCE_CLASS_PATTERN}", var.instance_class))`,
            "instance_class must be a memory-optimized class that Aurora global databases support (db.r5/r6g/r6gd/r6i/r6id/r7g/r7i/r8g/r8gd/x2g); burstable db.t classes are not supported.",
          ],
        ],
      },
    ).stringValue,
    instanceCount: v(
      "instance_count",
      "number",
      "Aurora instances in this region's cluster (1 to 16). Two or more put a failover target in another AZ.",
      {
        default: 2,
        validation: [
          [
            "var.instance_count >= 1 && var.instance_count <= 16 && floor(var.instance_count) == var.instance_count",
            "instance_count must be a whole number from 1 to 16.",
          ],
        ],
      },
    ).numberValue,
    deletionProtection: v(
      "deletion_protection",
      "bool",
      "Deletion protection on the global cluster, the regional cluster and the DynamoDB table or replica.",
      {
        default: true,
      },
    ).booleanValue,
    backupRetentionDays: v(
      "backup_retention_days",
      "number",
      "Days of Aurora automated backups (point-in-time restore), 1 to 35.",
      {
        default: 14,
        validation: [
          [
            "var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days",
            "backup_retention_days must be a whole number from 1 to 35.",
          ],
        ],
      },
    ).numberValue,
    databaseName: v(
      "database_name",
      "string",
      "Name of the database created in the primary cluster.",
      {
        default: "payments",
        validation: [
          [
            'can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,63}$", var.database_name))',
            "database_name must start with a letter and hold at most 64 letters, digits and underscores.",
          ],
        ],
      },
    ).stringValue,
    logRetentionDays: v(
      "log_retention_days",
      "number",
      "Retention of the Aurora log groups (audit, error, general, slowquery).",
      {
        default: 365,
        validation: [
          [
            `contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`,
            "log_retention_days must be a retention CloudWatch Logs accepts (e.g. 90, 365, 731).",
          ],
        ],
      },
    ).numberValue,
    masterPasswordVersion: v(
      "master_password_version",
      "number",
      "Primary role: bump to rotate the master password. Terraform then generates a new one at apply time and writes it to the cluster and the secret; it is never stored in state.",
      {
        default: 1,
        validation: [
          [
            "var.master_password_version >= 1 && floor(var.master_password_version) == var.master_password_version",
            "master_password_version must be a whole number >= 1.",
          ],
        ],
      },
    ).numberValue,
  };
}

function tableInputs(stack: ModuleStack) {
  return {
    tableName: variable(
      stack,
      "table_name",
      "string",
      "Name of the DynamoDB sessions table, the same in both regions (`payments-<env>-sessions`).",
      {
        validation: [
          [
            'can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))',
            "table_name must be 3-255 letters, digits, underscores, dots or hyphens.",
          ],
        ],
      },
    ).stringValue,
    primaryTableArn: variable(
      stack,
      "primary_table_arn",
      "string",
      'Secondary role: ARN of the primary region\'s table, which this region joins as a replica. `""` in the primary role.',
      {
        default: "",
        validation: [
          [
            `var.role != "secondary" || can(regex("${TABLE_ARN_PATTERN}", var.primary_table_arn))`,
            "primary_table_arn must be the primary table's ARN when role is secondary.",
          ],
        ],
      },
    ).stringValue,
    secondaryRegion: variable(
      stack,
      "secondary_region",
      "string",
      'Primary role: the secondary region, where the master password secret is replicated. `""` in the secondary role.',
      {
        default: "",
        validation: [
          [
            `var.role != "primary" || can(regex("${REGION_PATTERN}", var.secondary_region))`,
            "secondary_region must be an AWS region such as us-west-2 when role is primary.",
          ],
        ],
      },
    ).stringValue,
  };
}
