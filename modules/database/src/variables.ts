import type { IResolvable } from "cdktf";
import {
  AURORA_BACKUP_RETENTION_DAYS,
  AURORA_ENGINE_VERSION_PATTERN,
  AURORA_INSTANCE_CLASS_PATTERN,
  AURORA_INSTANCES,
  AWS_REGION_PATTERN,
  commonVariables,
  LOG_RETENTION_DAYS,
  variable,
  type ModuleStack,
} from "@tandem/module-kit";

/** Aurora global databases need memory-optimized classes; burstable db.t* are not supported. */
export const INSTANCE_CLASS_PATTERN = AURORA_INSTANCE_CLASS_PATTERN;
export const ENGINE_VERSION_PATTERN = AURORA_ENGINE_VERSION_PATTERN;
const INSTANCES = AURORA_INSTANCES;
const RETENTION = AURORA_BACKUP_RETENTION_DAYS;
export const TABLE_ARN_PATTERN =
  "^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]{3,255}$";

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
  writerRegion: string;
}

export function declareInputs(stack: ModuleStack): DatabaseInputs {
  const common = commonVariables(stack);
  return { ...common, ...auroraInputs(stack), ...tableInputs(stack) };
}

function auroraInputs(stack: ModuleStack) {
  return {
    subnetIds: variable(stack, "subnet_ids", {
      type: "list(string)",
      description: "Private subnets for the DB subnet group, in at least two availability zones.",
      nullable: false,
      rules: [
        [
          "length(var.subnet_ids) >= 2",
          "subnet_ids needs at least two subnets (a DB subnet group spans two or more AZs).",
        ],
      ],
    }).listValue,
    securityGroupIds: variable(stack, "security_group_ids", {
      type: "list(string)",
      description:
        "Security groups of the Aurora cluster (the networking module's database group).",
      nullable: false,
      rules: [
        [
          "length(var.security_group_ids) >= 1",
          "security_group_ids needs at least one security group.",
        ],
      ],
    }).listValue,
    globalClusterIdentifier: variable(stack, "global_cluster_identifier", {
      type: "string",
      description:
        "Identifier of the Aurora global cluster, the same in both regions (`payments-<env>`). The primary role creates it; the secondary joins it.",
      nullable: false,
      rules: [
        [
          'can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,62}$", var.global_cluster_identifier))',
          "global_cluster_identifier must start with a letter and hold at most 63 letters, digits and hyphens.",
        ],
      ],
    }).stringValue,
    engineVersion: variable(stack, "engine_version", {
      type: "string",
      description:
        "Aurora MySQL engine version, e.g. `8.0.mysql_aurora.3.08.2`. Upgrades go through the global cluster (primary role).",
      nullable: false,
      rules: [
        [
          `can(regex("${ENGINE_VERSION_PATTERN}", var.engine_version))`,
          "engine_version must be an Aurora MySQL version such as 8.0.mysql_aurora.3.08.2.",
        ],
      ],
    }).stringValue,
    instanceClass: variable(stack, "instance_class", {
      type: "string",
      description:
        "Instance class of every Aurora instance: a memory-optimized class (db.r5, db.r6g, db.r6i, db.r7g, db.r7i, db.r8g, db.x2g...), as Aurora global databases require.",
      nullable: false,
      rules: [
        [
          `can(regex("${INSTANCE_CLASS_PATTERN}", var.instance_class))`,
          "instance_class must be a memory-optimized class that Aurora global databases support (db.r5/r6g/r6gd/r6i/r6id/r7g/r7i/r8g/r8gd/x2g); burstable db.t classes are not supported.",
        ],
      ],
    }).stringValue,
    instanceCount: variable(stack, "instance_count", {
      type: "number",
      description: `Aurora instances in this region's cluster (${INSTANCES.min} to ${INSTANCES.max}). Two or more put a failover target in another AZ.`,
      nullable: false,
      default: 2,
      rules: [
        [
          `var.instance_count >= ${INSTANCES.min} && var.instance_count <= ${INSTANCES.max} && floor(var.instance_count) == var.instance_count`,
          `instance_count must be a whole number from ${INSTANCES.min} to ${INSTANCES.max}.`,
        ],
      ],
    }).numberValue,
    deletionProtection: variable(stack, "deletion_protection", {
      type: "bool",
      description:
        "Deletion protection on the global cluster, the regional cluster and the DynamoDB table or replica.",
      nullable: false,
      default: true,
    }).booleanValue,
    backupRetentionDays: variable(stack, "backup_retention_days", {
      type: "number",
      description: `Days of Aurora automated backups (point-in-time restore), ${RETENTION.min} to ${RETENTION.max}.`,
      nullable: false,
      default: 14,
      rules: [
        [
          `var.backup_retention_days >= ${RETENTION.min} && var.backup_retention_days <= ${RETENTION.max} && floor(var.backup_retention_days) == var.backup_retention_days`,
          `backup_retention_days must be a whole number from ${RETENTION.min} to ${RETENTION.max}.`,
        ],
      ],
    }).numberValue,
    databaseName: variable(stack, "database_name", {
      type: "string",
      description: "Name of the database created in the primary cluster.",
      nullable: false,
      default: "payments",
      rules: [
        [
          'can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,63}$", var.database_name))',
          "database_name must start with a letter and hold at most 64 letters, digits and underscores.",
        ],
      ],
    }).stringValue,
    logRetentionDays: variable(stack, "log_retention_days", {
      type: "number",
      description: "Retention of the Aurora log groups (audit, error, general, slowquery).",
      nullable: false,
      default: 365,
      rules: [
        [
          `contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`,
          "log_retention_days must be a retention CloudWatch Logs accepts (e.g. 90, 365, 731).",
        ],
      ],
    }).numberValue,
    writerRegion: variable(stack, "writer_region", {
      type: "string",
      description:
        "The region whose cluster writes; `\"\"` (the default) means the primary role's. After a managed failover, the secondary's region: the primary role then keeps the global cluster and the table, and its cluster joins (or stays) a secondary without master credentials, so no plan replaces or resets the writer.",
      nullable: false,
      default: "",
      rules: [
        [
          `var.writer_region == "" || can(regex("${AWS_REGION_PATTERN}", var.writer_region))`,
          'writer_region must be "" or an AWS region such as us-west-2.',
        ],
      ],
    }).stringValue,
    masterPasswordVersion: variable(stack, "master_password_version", {
      type: "number",
      description:
        "Primary role: bump to rotate the master password. Terraform then generates a new one at apply time and writes it to the cluster and the secret; it is never stored in state.",
      nullable: false,
      default: 1,
      rules: [
        [
          "var.master_password_version >= 1 && floor(var.master_password_version) == var.master_password_version",
          "master_password_version must be a whole number >= 1.",
        ],
      ],
    }).numberValue,
  };
}

function tableInputs(stack: ModuleStack) {
  return {
    tableName: variable(stack, "table_name", {
      type: "string",
      description:
        "Name of the DynamoDB sessions table, the same in both regions (`payments-<env>-sessions`).",
      nullable: false,
      rules: [
        [
          'can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))',
          "table_name must be 3-255 letters, digits, underscores, dots or hyphens.",
        ],
      ],
    }).stringValue,
    primaryTableArn: variable(stack, "primary_table_arn", {
      type: "string",
      description:
        'Secondary role: ARN of the primary region\'s table, which this region joins as a replica. `""` in the primary role.',
      nullable: false,
      default: "",
      rules: [
        [
          `var.role != "secondary" || can(regex("${TABLE_ARN_PATTERN}", var.primary_table_arn))`,
          "primary_table_arn must be the primary table's ARN when role is secondary.",
        ],
      ],
    }).stringValue,
    secondaryRegion: variable(stack, "secondary_region", {
      type: "string",
      description:
        'Primary role: the secondary region, where the master password secret is replicated. `""` in the secondary role.',
      nullable: false,
      default: "",
      rules: [
        [
          `var.role != "primary" || can(regex("${AWS_REGION_PATTERN}", var.secondary_region))`,
          "secondary_region must be an AWS region such as us-west-2 when role is primary.",
        ],
      ],
    }).stringValue,
  };
}
