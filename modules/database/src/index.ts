import { Fn, Op, TerraformLocal, TerraformOutput } from "cdktf";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import type { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { awsContext, defineModule, kmsKey, type ModuleStack } from "@tandem/module-kit";
import { aurora } from "./aurora.ts";
import { databaseIdentity } from "./identity.ts";
import { MOVED_TO_IDENTITY } from "./roles.ts";
import { single } from "./expressions.ts";
import { sessionsTable } from "./table.ts";
import { declareInputs, type DatabaseInputs } from "./variables.ts";

const description = `Aurora MySQL global database and the DynamoDB sessions table of one region of the pair, encrypted with that region's own KMS key (rotation on, key policy, alias \`alias/<name>-data\`).

- **Primary role** creates the Aurora global cluster (\`global_cluster_identifier\`, storage encrypted, deletion protection) and the writer cluster joined to it, and the sessions table.
- **Secondary role** creates a cluster that joins the global cluster by identifier, encrypted with the secondary region's key (no multi-region key), and adds this region's replica of the sessions table with \`aws_dynamodb_table_replica\`. It never refers to the other region's resources.
- **Both roles**: \`instance_count\` instances of \`instance_class\` (memory-optimized, as global databases require), a DB subnet group, cluster and instance parameter groups (\`require_secure_transport = ON\`, audit logging of connections, DCL and DDL, slow query log), IAM database authentication, Performance Insights and enhanced monitoring (through the role the identity part creates for the region, \`<name>-rdsmon-<region>\`, referred to by its computed ARN), log exports (audit, error, general, slowquery) into KMS-encrypted log groups with a retention (the general log itself stays off: it would record every statement, payment data included; turn \`general_log\` on only to investigate), \`backup_retention_days\` of automated backups kept after deletion, tags copied to snapshots, a final snapshot on delete, deletion protection on by default. No \`backtrack_window\`: Aurora global databases do not support backtracking. Each cluster ignores drift of \`global_cluster_identifier\`, \`replication_source_identifier\` and \`engine_version\`, as the AWS provider documents for global-cluster members (engine upgrades go through the global cluster), and of \`database_name\` and \`master_username\`, which force a new cluster and which a cluster rebuilt as a secondary never had.

**After a managed failover** (\`FailoverGlobalCluster\` or \`SwitchoverGlobalCluster\`) the roles stay: the primary role keeps the global cluster and the sessions table, whichever region writes. \`writer_region\` says which region's cluster writes; where it is not the primary role's region, the primary role's cluster carries no master credentials (no database name, master user or generated password), so it plans no change while it is a secondary and, if its region was lost, is rebuilt as a secondary that joins the global cluster (Aurora refuses a database name or master user there). The provider takes \`master_password_wo_version\` only with the password, so moving the writer away plans an in-place update of the primary role's cluster that sends nothing (the version becomes null), and moving it back sets a new generated master password on that cluster, now the writer (a rotation; the password is stored nowhere).

**Master password.** AWS does not support the RDS-managed master user secret (\`manage_master_user_password\`) for DB clusters that are part of an Aurora global database (Aurora User Guide, "Limitations for Secrets Manager integration"). So the primary role generates the password at apply time with the ephemeral \`aws_secretsmanager_random_password\` and passes it only through the write-only \`master_password_wo\`: it never appears in code, configuration, plan or state, and it is stored nowhere. A stored copy (a Secrets Manager secret version) would be refreshed with \`GetSecretValue\` by every plan, and the plan role reads no data, so no plan of the primary root could run. Applications use IAM database authentication, never the master user. When an operator needs the master user (break glass), they set a password of their own with \`aws rds modify-db-cluster --db-cluster-identifier <cluster> --master-user-password ... --apply-immediately\` on the global primary; bumping \`master_password_version\` replaces it with a new unknown password. Requires Terraform >= 1.11 or OpenTofu >= 1.11 (ephemeral resources and write-only arguments).

**Sessions table.** Single-table design with hash key \`pk\` (string): sessions and the payment handler's idempotency records (\`pk = "payment#<key>"\`) share it. On-demand billing, point-in-time recovery, SSE with the regional key, streams \`NEW_AND_OLD_IMAGES\`, TTL on \`expires_at\` (epoch seconds), deletion protection. The primary table ignores \`replica\` drift because the secondary root owns its replica. **With the primary region down.** \`aws_dynamodb_table_replica\` is managed through the main table's region: the AWS provider reads and updates a replica with the DynamoDB API of the region in \`global_table_arn\` (its id is \`<table>:<main region>\`), and DynamoDB adds or removes replicas only through an \`UpdateTable\` on an existing replica's region. So no arrangement of this resource lets the secondary root refresh it while the primary region is unreachable. Everything else in the secondary role is independent of it: the replica's ARN (output \`table_arn\`, used by compute, backup and monitoring) is computed from this region, the account and \`table_name\`. Plan the secondary root then with OpenTofu's \`-exclude=module.database.aws_dynamodb_table_replica.this\` (everything else refreshes), or with Terraform's \`-refresh=false\`. The replica itself keeps serving reads and writes in this region (global tables are active-active), and failing over needs no apply.`;

const example = `module "database" {
  source = "./modules/database"

  name                      = "payments-prod"
  role                      = "primary"
  subnet_ids                = module.networking.private_subnet_ids
  security_group_ids        = [module.networking.database_security_group_id]
  global_cluster_identifier = "payments-prod"
  engine_version            = "8.0.mysql_aurora.3.08.2"
  instance_class            = "db.r6g.large"
  instance_count            = 2
  backup_retention_days     = 14
  table_name                = "payments-prod-sessions"
  primary_table_arn         = ""
  secondary_region          = "us-west-2"
}

# In the secondary region's root:
#   role              = "secondary"
#   primary_table_arn = "arn:aws:dynamodb:us-east-1:123456789012:table/payments-prod-sessions"
#   secondary_region  = ""`;

export default defineModule({
  domain: "database",
  description,
  example,
  identity: databaseIdentity,
  removed: MOVED_TO_IDENTITY,
  build(stack) {
    const inputs = declareInputs(stack);
    const key = kmsKey(stack, {
      description: `Data of ${inputs.name} in this region: Aurora, Performance Insights, DynamoDB, secrets, logs`,
      alias: `${inputs.name}-data`,
      servicePrincipals: ["logs"],
    });
    const cluster = aurora(stack, inputs, key);
    sessionsTable(stack, inputs, key);
    outputs(stack, inputs, key, cluster);
  },
});

function outputs(
  stack: ModuleStack,
  inputs: DatabaseInputs,
  key: KmsKey,
  cluster: RdsCluster,
): void {
  const aws = awsContext(stack);
  // The secondary's ARN is computed, not read from the replica: the replica is managed through
  // the primary region's API, and nothing else in the secondary root may need that region.
  const tableArn = new TerraformLocal(
    stack,
    "sessions_table_arn",
    Fn.conditional(
      Op.eq(inputs.role, "primary"),
      single(stack, "aws_dynamodb_table.this", "arn"),
      `arn:${aws.partition}:dynamodb:${aws.region}:${aws.accountId}:table/${inputs.tableName}`,
    ),
  ).asString;
  const values: Record<string, [value: string, description: string]> = {
    cluster_arn: [cluster.arn, "ARN of this region's Aurora cluster."],
    cluster_identifier: [
      cluster.clusterIdentifier,
      "Identifier of this region's Aurora cluster (for alarms and the drill).",
    ],
    cluster_endpoint: [
      cluster.endpoint,
      "Writer endpoint of this region's cluster (serves writes only while it is the global primary).",
    ],
    reader_endpoint: [cluster.readerEndpoint, "Reader endpoint of this region's cluster."],
    kms_key_arn: [key.arn, "ARN of this region's data key (Aurora, DynamoDB, logs)."],
    table_arn: [
      tableArn,
      "ARN of the sessions table in this region (the table in the primary role, the replica in the secondary).",
    ],
    table_name: [
      Fn.element(Fn.split("/", tableArn), 1),
      "Name of the sessions table (the same in both regions).",
    ],
  };
  for (const [name, [value, description]] of Object.entries(values)) {
    new TerraformOutput(stack, `output.${name}`, { value, description });
  }
}
