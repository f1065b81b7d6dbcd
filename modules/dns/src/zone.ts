import { TerraformLocal, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { CloudwatchLogResourcePolicy } from "@cdktf/provider-aws/lib/cloudwatch-log-resource-policy/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { DataAwsRoute53Zone } from "@cdktf/provider-aws/lib/data-aws-route53-zone/index.js";
import { Route53QueryLog } from "@cdktf/provider-aws/lib/route53-query-log/index.js";
import { Route53Zone } from "@cdktf/provider-aws/lib/route53-zone/index.js";
import { awsContext, kmsKey, type ModuleStack } from "@tandem/module-kit";

const CREATE = '${var.zone_id == "" ? 1 : 0}';
const EXISTING = '${var.zone_id == "" ? 0 : 1}';

/** Query logs are kept a year, like the other audit logs of the platform. */
export const QUERY_LOG_RETENTION_DAYS = 365;

/**
 * The hosted zone: created when `zone_id` is empty, otherwise looked up (which proves at plan
 * time that the id exists and is the zone for `zone_name`). Returns the effective zone id.
 */
export function hostedZone(stack: ModuleStack): string {
  new Route53Zone(stack, "aws_route53_zone.this", {
    count: Token.asNumber(CREATE),
    name: "${var.zone_name}",
    comment: "Payments API failover records (${var.name})",
    tags: { Name: "${var.name}" },
  });
  new DataAwsRoute53Zone(stack, "data.aws_route53_zone.existing", {
    count: Token.asNumber(EXISTING),
    zoneId: "${var.zone_id}",
    lifecycle: {
      postcondition: [
        {
          condition: '${trimsuffix(self.name, ".") == var.zone_name && !self.private_zone}',
          errorMessage: "zone_id must be the public hosted zone of zone_name.",
        },
      ],
    },
  });
  queryLogging(stack);
  new TerraformLocal(
    stack,
    "local.zone_id",
    '${var.zone_id != "" ? var.zone_id : one(aws_route53_zone.this[*].zone_id)}',
  );
  new TerraformLocal(
    stack,
    "local.name_servers",
    '${var.zone_id != "" ? one(data.aws_route53_zone.existing[*].name_servers) : one(aws_route53_zone.this[*].name_servers)}',
  );
  return "${local.zone_id}";
}

/**
 * DNS query logging for a zone this module creates (a zone brought in by id keeps its owner's
 * logging: Route 53 allows one query-logging configuration per zone). Route 53 writes query logs
 * only to a log group in us-east-1, which is where the global root runs.
 */
function queryLogging(stack: ModuleStack): void {
  const aws = awsContext(stack);
  const key = kmsKey(stack, {
    id: "query_log",
    description: "DNS query logs of ${var.zone_name}",
    alias: "${var.name}-dns-query-log",
    servicePrincipals: ["logs"],
  });
  new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.query_log", {
    count: Token.asNumber(CREATE),
    name: "/aws/route53/${var.zone_name}",
    retentionInDays: QUERY_LOG_RETENTION_DAYS,
    kmsKeyId: key.arn,
  });
  new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.query_log", {
    count: Token.asNumber(CREATE),
    statement: [
      {
        sid: "Route53WritesQueryLogs",
        principals: [{ type: "Service", identifiers: [`route53.${aws.dnsSuffix}`] }],
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: ["${aws_cloudwatch_log_group.query_log[0].arn}:*"],
        condition: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [aws.accountId] },
          {
            test: "ArnLike",
            variable: "aws:SourceArn",
            values: [`arn:${aws.partition}:route53:::hostedzone/*`],
          },
        ],
      },
    ],
  });
  const resourcePolicy = new CloudwatchLogResourcePolicy(
    stack,
    "aws_cloudwatch_log_resource_policy.query_log",
    {
      count: Token.asNumber(CREATE),
      policyName: "${var.name}-route53-query-log",
      policyDocument: "${data.aws_iam_policy_document.query_log[0].json}",
    },
  );
  new Route53QueryLog(stack, "aws_route53_query_log.this", {
    count: Token.asNumber(CREATE),
    zoneId: "${aws_route53_zone.this[0].zone_id}",
    cloudwatchLogGroupArn: "${aws_cloudwatch_log_group.query_log[0].arn}",
    dependsOn: [resourcePolicy],
  });
}
