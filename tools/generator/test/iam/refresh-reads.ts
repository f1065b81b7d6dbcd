/**
 * The calls the AWS provider makes to read each resource type of the modules during a plan's
 * refresh (its main read per type; data sources and ephemeral resources as they are opened),
 * with a resource of one environment. `[]` for types that call no AWS API.
 */
export type Arn = (service: string, resource: string) => string;

export interface RefreshRead {
  action: string;
  resource: string;
}

export interface Targets {
  arn: Arn;
  account: string;
  name: string;
  table: string;
  dataKey: string;
}

const any = (...actions: string[]): RefreshRead[] =>
  actions.map((action) => ({ action, resource: "*" }));

export function refreshReads(t: Targets): Record<string, RefreshRead[]> {
  const on = (action: string, resource: string): RefreshRead => ({ action, resource });
  const iam = (resource: string) => `arn:aws:iam::${t.account}:${resource}`;
  const route53 = (resource: string) => `arn:aws:route53:::${resource}`;
  const secret = t.arn("secretsmanager", `secret:${t.name}/aurora/master-AbCdEf`);
  return {
    "data.aws_availability_zones": any("ec2:DescribeAvailabilityZones"),
    "data.aws_caller_identity": any("sts:GetCallerIdentity"),
    "data.aws_iam_policy_document": [],
    "data.aws_partition": [],
    "data.aws_region": [],
    "data.aws_route53_zone": [on("route53:GetHostedZone", route53("hostedzone/Z0123456789"))],
    "ephemeral.aws_secretsmanager_random_password": any("secretsmanager:GetRandomPassword"),
    aws_acm_certificate: [on("acm:DescribeCertificate", t.arn("acm", "certificate/0123-4567"))],
    aws_acm_certificate_validation: [
      on("acm:DescribeCertificate", t.arn("acm", "certificate/0123-4567")),
    ],
    aws_apigatewayv2_api: any("apigateway:GET"),
    aws_apigatewayv2_api_mapping: any("apigateway:GET"),
    aws_apigatewayv2_authorizer: any("apigateway:GET"),
    aws_apigatewayv2_domain_name: any("apigateway:GET"),
    aws_apigatewayv2_integration: any("apigateway:GET"),
    aws_apigatewayv2_route: any("apigateway:GET"),
    aws_apigatewayv2_stage: any("apigateway:GET"),
    aws_backup_plan: [on("backup:GetBackupPlan", t.arn("backup", "backup-plan:0123-4567"))],
    aws_backup_selection: [
      on("backup:GetBackupSelection", t.arn("backup", "backup-plan:0123-4567")),
    ],
    aws_backup_vault: [on("backup:DescribeBackupVault", t.arn("backup", `backup-vault:${t.name}`))],
    aws_backup_vault_lock_configuration: [
      on("backup:DescribeBackupVault", t.arn("backup", `backup-vault:${t.name}`)),
    ],
    aws_cloudwatch_dashboard: [
      on("cloudwatch:GetDashboard", `arn:aws:cloudwatch::${t.account}:dashboard/${t.name}`),
    ],
    aws_cloudwatch_event_bus: [
      on("events:DescribeEventBus", t.arn("events", `event-bus/${t.name}`)),
    ],
    aws_cloudwatch_event_rule: [
      on("events:DescribeRule", t.arn("events", `rule/${t.name}/replicate`)),
    ],
    aws_cloudwatch_event_target: [
      on("events:ListTargetsByRule", t.arn("events", `rule/${t.name}/replicate`)),
    ],
    aws_cloudwatch_log_group: any("logs:DescribeLogGroups"),
    aws_cloudwatch_log_resource_policy: any("logs:DescribeResourcePolicies"),
    aws_cloudwatch_metric_alarm: any("cloudwatch:DescribeAlarms"),
    aws_db_parameter_group: [on("rds:DescribeDBParameters", t.arn("rds", `pg:${t.name}`))],
    aws_db_subnet_group: [on("rds:DescribeDBSubnetGroups", t.arn("rds", `subgrp:${t.name}`))],
    aws_default_security_group: any("ec2:DescribeSecurityGroups"),
    aws_dynamodb_table: [
      on("dynamodb:DescribeTable", t.table),
      on("dynamodb:DescribeContinuousBackups", t.table),
      on("dynamodb:DescribeTimeToLive", t.table),
    ],
    aws_dynamodb_table_replica: [on("dynamodb:DescribeTable", t.table)],
    aws_eip: any("ec2:DescribeAddresses"),
    aws_flow_log: any("ec2:DescribeFlowLogs"),
    aws_iam_role: [on("iam:GetRole", iam(`role/${t.name}-api`))],
    aws_iam_role_policy: [on("iam:GetRolePolicy", iam(`role/${t.name}-api`))],
    aws_iam_role_policy_attachment: [on("iam:ListAttachedRolePolicies", iam(`role/${t.name}-api`))],
    aws_internet_gateway: any("ec2:DescribeInternetGateways"),
    aws_kms_alias: any("kms:ListAliases"),
    aws_kms_key: [
      on("kms:DescribeKey", t.dataKey),
      on("kms:GetKeyPolicy", t.dataKey),
      on("kms:GetKeyRotationStatus", t.dataKey),
    ],
    aws_lambda_function: [on("lambda:GetFunction", t.arn("lambda", `function:${t.name}-api`))],
    aws_lambda_permission: [on("lambda:GetPolicy", t.arn("lambda", `function:${t.name}-api`))],
    aws_nat_gateway: any("ec2:DescribeNatGateways"),
    aws_rds_cluster: [on("rds:DescribeDBClusters", t.arn("rds", `cluster:${t.name}`))],
    aws_rds_cluster_instance: [on("rds:DescribeDBInstances", t.arn("rds", `db:${t.name}-1`))],
    aws_rds_cluster_parameter_group: [
      on("rds:DescribeDBClusterParameters", t.arn("rds", `cluster-pg:${t.name}`)),
    ],
    aws_rds_global_cluster: [
      on("rds:DescribeGlobalClusters", `arn:aws:rds::${t.account}:global-cluster:${t.name}`),
    ],
    aws_route: any("ec2:DescribeRouteTables"),
    aws_route53_health_check: [on("route53:GetHealthCheck", route53("healthcheck/0123-4567"))],
    aws_route53_query_log: any("route53:GetQueryLoggingConfig"),
    aws_route53_record: [on("route53:ListResourceRecordSets", route53("hostedzone/Z0123456789"))],
    aws_route53_zone: [on("route53:GetHostedZone", route53("hostedzone/Z0123456789"))],
    aws_route_table: any("ec2:DescribeRouteTables"),
    aws_route_table_association: any("ec2:DescribeRouteTables"),
    aws_secretsmanager_secret: [
      on("secretsmanager:DescribeSecret", secret),
      on("secretsmanager:GetResourcePolicy", secret),
    ],
    aws_secretsmanager_secret_version: [on("secretsmanager:GetSecretValue", secret)],
    aws_security_group: any("ec2:DescribeSecurityGroups"),
    aws_sns_topic: [on("sns:GetTopicAttributes", t.arn("sns", `${t.name}-alarms`))],
    aws_sns_topic_policy: [on("sns:GetTopicAttributes", t.arn("sns", `${t.name}-alarms`))],
    aws_sns_topic_subscription: [
      on("sns:GetSubscriptionAttributes", t.arn("sns", `${t.name}-alarms`)),
    ],
    aws_sqs_queue: [on("sqs:GetQueueAttributes", t.arn("sqs", `${t.name}-dlq`))],
    aws_sqs_queue_policy: [on("sqs:GetQueueAttributes", t.arn("sqs", `${t.name}-dlq`))],
    aws_ssm_parameter: [
      on("ssm:GetParameter", t.arn("ssm", `parameter/${t.name}/drill/unhealthy`)),
    ],
    aws_subnet: any("ec2:DescribeSubnets"),
    aws_vpc: any("ec2:DescribeVpcs", "ec2:DescribeVpcAttribute"),
    aws_vpc_endpoint: any("ec2:DescribeVpcEndpoints"),
    aws_vpc_security_group_egress_rule: any("ec2:DescribeSecurityGroupRules"),
    aws_vpc_security_group_ingress_rule: any("ec2:DescribeSecurityGroupRules"),
  };
}
