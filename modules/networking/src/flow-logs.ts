import { Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { FlowLog } from "@cdktf/provider-aws/lib/flow-log/index.js";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { awsContext, kmsKey, roleArn, type ModuleStack } from "@tandem/module-kit";
import { flowLogGroupName, flowLogsRoleName } from "./roles.ts";

/**
 * Flow logs of all traffic to a KMS-encrypted log group, written through the identity part's
 * role for this region, which can do nothing else.
 */
export function flowLogs(stack: ModuleStack, name: string, vpc: Vpc): CloudwatchLogGroup {
  const aws = awsContext(stack);
  const key = kmsKey(stack, {
    id: "flow_logs",
    description: `Encrypts the VPC flow logs of ${name}.`,
    alias: `${name}-flow-logs`,
    servicePrincipals: ["logs"],
  });
  const group = new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.flow_logs", {
    name: flowLogGroupName(name),
    retentionInDays: Token.asNumber("${var.flow_log_retention_days}"),
    kmsKeyId: key.arn,
  });
  new FlowLog(stack, "aws_flow_log.this", {
    vpcId: vpc.id,
    trafficType: "ALL",
    logDestinationType: "cloud-watch-logs",
    logDestination: group.arn,
    iamRoleArn: roleArn(stack, flowLogsRoleName(name, aws.region)),
    tags: { Name: name },
  });
  return group;
}
