import { Fn, TerraformCount, TerraformIterator, TerraformLocal, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DbParameterGroup } from "@cdktf/provider-aws/lib/db-parameter-group/index.js";
import { DbSubnetGroup } from "@cdktf/provider-aws/lib/db-subnet-group/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { RdsCluster } from "@cdktf/provider-aws/lib/rds-cluster/index.js";
import { RdsClusterInstance } from "@cdktf/provider-aws/lib/rds-cluster-instance/index.js";
import { RdsClusterParameterGroup } from "@cdktf/provider-aws/lib/rds-cluster-parameter-group/index.js";
import { RdsGlobalCluster } from "@cdktf/provider-aws/lib/rds-global-cluster/index.js";
import { awsContext, roleArn, type ModuleStack } from "@tandem/module-kit";
import { carriesCredentials, onlyIn, withCredentials } from "./expressions.ts";
import { generatedMasterPassword } from "./credentials.ts";
import { monitoringRoleName } from "./roles.ts";
import type { DatabaseInputs } from "./variables.ts";

export const ENGINE = "aurora-mysql";
export const LOG_TYPES = ["audit", "error", "general", "slowquery"];
export const MASTER_USERNAME = "tandem_admin";

/**
 * The global cluster (primary role) and this region's member cluster with its instances.
 * Both roles encrypt with their own region's key; the secondary joins by identifier only.
 */
export function aurora(stack: ModuleStack, inputs: DatabaseInputs, key: KmsKey): RdsCluster {
  const carries = carriesCredentials(stack, inputs);
  const globalCluster = new RdsGlobalCluster(stack, "aws_rds_global_cluster.this", {
    count: onlyIn(inputs.role, "primary"),
    globalClusterIdentifier: inputs.globalClusterIdentifier,
    engine: ENGINE,
    engineVersion: inputs.engineVersion,
    storageEncrypted: true,
    deletionProtection: inputs.deletionProtection,
  });
  const { clusterParameters, instanceParameters } = parameterGroups(stack, inputs);
  const subnetGroup = new DbSubnetGroup(stack, "aws_db_subnet_group.this", {
    name: inputs.name,
    description: `Aurora subnets of ${inputs.name}`,
    subnetIds: inputs.subnetIds,
  });
  const cluster = new RdsCluster(stack, "aws_rds_cluster.this", {
    clusterIdentifier: inputs.name,
    engine: ENGINE,
    engineVersion: inputs.engineVersion,
    globalClusterIdentifier: inputs.globalClusterIdentifier,
    databaseName: withCredentials(carries, inputs.databaseName),
    masterUsername: withCredentials(carries, MASTER_USERNAME),
    masterPasswordWo: generatedMasterPassword(stack, carries),
    // The provider requires the version and the password together (and Aurora refuses a
    // password on a joining cluster), so the version follows the credentials.
    masterPasswordWoVersion: withCredentials(carries, inputs.masterPasswordVersion),
    storageEncrypted: true,
    kmsKeyId: key.arn,
    dbSubnetGroupName: subnetGroup.name,
    vpcSecurityGroupIds: inputs.securityGroupIds,
    dbClusterParameterGroupName: clusterParameters.name,
    iamDatabaseAuthenticationEnabled: true,
    enabledCloudwatchLogsExports: LOG_TYPES,
    backupRetentionPeriod: inputs.backupRetentionDays,
    copyTagsToSnapshot: true,
    deleteAutomatedBackups: false,
    deletionProtection: inputs.deletionProtection,
    skipFinalSnapshot: false,
    finalSnapshotIdentifier: `${inputs.name}-final`,
    dependsOn: [globalCluster, logGroups(stack, inputs, key)],
    lifecycle: {
      // Documented for global-cluster members: membership and replication are managed by the
      // global cluster (switchover, failover) and engine upgrades go through aws_rds_global_cluster.
      // database_name and master_username force a new cluster and are set only where the
      // cluster was created as the writer: a cluster rebuilt as a secondary after a failover
      // must not be replaced when it writes again.
      ignoreChanges: [
        "global_cluster_identifier",
        "replication_source_identifier",
        "engine_version",
        "database_name",
        "master_username",
      ],
    },
  });
  instances(stack, inputs, key, cluster, instanceParameters, subnetGroup);
  return cluster;
}

/** Parameter groups for the engine's family, e.g. `aurora-mysql8.0` for `8.0.mysql_aurora.3.08.2`. */
function parameterGroups(stack: ModuleStack, inputs: DatabaseInputs) {
  const family = new TerraformLocal(
    stack,
    "parameter_group_family",
    `${ENGINE}${Fn.join(".", Fn.slice(Fn.split(".", inputs.engineVersion), 0, 2))}`,
  ).asString;
  const clusterParameters = new RdsClusterParameterGroup(
    stack,
    "aws_rds_cluster_parameter_group.this",
    {
      namePrefix: `${inputs.name}-`,
      family,
      description: `Aurora cluster parameters of ${inputs.name}: TLS required, audit logging on`,
      parameter: [
        { name: "require_secure_transport", value: "ON" },
        { name: "server_audit_logging", value: "1" },
        { name: "server_audit_events", value: "CONNECT,QUERY_DCL,QUERY_DDL" },
      ],
      lifecycle: { createBeforeDestroy: true },
    },
  );
  const instanceParameters = new DbParameterGroup(stack, "aws_db_parameter_group.this", {
    namePrefix: `${inputs.name}-`,
    family,
    description: `Aurora instance parameters of ${inputs.name}: slow query log to CloudWatch`,
    parameter: [
      { name: "slow_query_log", value: "1" },
      { name: "long_query_time", value: "1" },
      { name: "log_output", value: "FILE" },
    ],
    lifecycle: { createBeforeDestroy: true },
  });
  return { clusterParameters, instanceParameters };
}

/** Created before the cluster so RDS writes into encrypted groups with a retention, not its own. */
function logGroups(stack: ModuleStack, inputs: DatabaseInputs, key: KmsKey): CloudwatchLogGroup {
  const type = TerraformIterator.fromList(LOG_TYPES);
  return new CloudwatchLogGroup(stack, "aurora", {
    forEach: type,
    name: `/aws/rds/cluster/${inputs.name}/${type.value}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: key.arn,
  });
}

function instances(
  stack: ModuleStack,
  inputs: DatabaseInputs,
  key: KmsKey,
  cluster: RdsCluster,
  parameters: DbParameterGroup,
  subnetGroup: DbSubnetGroup,
): void {
  const count = TerraformCount.of(inputs.instanceCount);
  const aws = awsContext(stack);
  new RdsClusterInstance(stack, "aws_rds_cluster_instance.this", {
    count,
    identifier: `${inputs.name}-${Token.asString(count.index)}`,
    clusterIdentifier: cluster.id,
    engine: ENGINE,
    instanceClass: inputs.instanceClass,
    dbSubnetGroupName: subnetGroup.name,
    dbParameterGroupName: parameters.name,
    publiclyAccessible: false,
    autoMinorVersionUpgrade: true,
    performanceInsightsEnabled: true,
    performanceInsightsKmsKeyId: key.arn,
    performanceInsightsRetentionPeriod: 7,
    monitoringInterval: 60,
    // The identity root's enhanced monitoring role of this region, by its computed ARN.
    monitoringRoleArn: roleArn(stack, monitoringRoleName(inputs.name, aws.region)),
    copyTagsToSnapshot: true,
  });
}
