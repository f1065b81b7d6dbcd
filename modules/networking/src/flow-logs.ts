import { Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import {
  assumeRolePolicy,
  awsContext,
  kmsKey,
  moduleRole,
  type ModuleStack,
} from "@tandem/module-kit";

/** Flow logs of all traffic to a KMS-encrypted log group, written through a role that can do nothing else. */
export function flowLogs(stack: ModuleStack, name: string, vpc: Vpc): CloudwatchLogGroup {
  const aws = awsContext(stack);
  const key = kmsKey(stack, {
    id: "flow_logs",
    description: `Encrypts the VPC flow logs of ${name}.`,
    alias: `${name}-flow-logs`,
    servicePrincipals: ["logs"],
  });
  const group = new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.flow_logs", {
    name: `/aws/vpc-flow-logs/${name}`,
    retentionInDays: Token.asNumber("${var.flow_log_retention_days}"),
    kmsKeyId: key.arn,
  });

  // Confused-deputy guard from the VPC flow logs guide: only this account's flow logs assume the role.
  const assume = assumeRolePolicy(stack, {
    id: "flow_logs_assume",
    service: "vpc-flow-logs.amazonaws.com",
    sourceAccount: true,
    sourceArn: `arn:${aws.partition}:ec2:${aws.region}:${aws.accountId}:vpc-flow-log/*`,
  });
  const role = moduleRole(stack, "flow_logs", {
    // IAM names are account-wide and both regions' roots create this role: the region keeps them apart.
    name: `${name}-flowlogs-${aws.region}`,
    description: `Lets VPC flow logs write to ${name}'s flow log group.`,
    assumeRolePolicy: assume.json,
  });
  const write = new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.flow_logs", {
    statement: [
      {
        sid: "WriteFlowLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        resources: [group.arn, `${group.arn}:log-stream:*`],
      },
      {
        sid: "FindLogGroups",
        actions: ["logs:DescribeLogGroups"],
        resources: [`arn:${aws.partition}:logs:${aws.region}:${aws.accountId}:log-group:*`],
      },
    ],
  });
  new IamRolePolicy(stack, "aws_iam_role_policy.flow_logs", {
    name: "write-flow-logs",
    role: role.id,
    policy: write.json,
  });
  new FlowLog(stack, "aws_flow_log.this", {
    vpcId: vpc.id,
    trafficType: "ALL",
    logDestinationType: "cloud-watch-logs",
    logDestination: group.arn,
    iamRoleArn: role.arn,
    tags: { Name: name },
  });
  return group;
}
