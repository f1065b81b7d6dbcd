import {
  accountContext,
  assumeRolePolicy,
  identityDocument,
  identityRole,
  identityRolePolicy,
  identityVariables,
  type IdentityDefinition,
} from "@tandem/module-kit";
import { flowLogGroupName, flowLogsRoleName } from "./roles.ts";

/** The flow logs role of each region, which may only write to that region's flow log group. */
export const networkingIdentity: IdentityDefinition = {
  description:
    "The IAM of the networking module, for both regions of the pair, applied from the environment's " +
    "identity root so no regional root calls IAM (whose control plane is in us-east-1): the role VPC " +
    "flow logs assume in each region (`<name>-flowlogs-<region>`, only this account's flow logs of " +
    "that region may assume it), which may only write to that region's flow log group " +
    "(`/aws/vpc-flow-logs/<name>`).",
  example: `module "networking" {
  source = "./modules/networking/identity"

  name    = "payments-prod"
  regions = ["us-east-1", "us-west-2"]
}`,
  build(stack) {
    identityVariables(stack);
    const aws = accountContext(stack);
    const name = "${var.name}";
    const group = `arn:${aws.partition}:logs:\${each.key}:${aws.accountId}:log-group:${flowLogGroupName(name)}`;
    // Confused-deputy guard from the VPC flow logs guide: only this account's flow logs of the
    // role's region assume it.
    const trust = assumeRolePolicy(stack, {
      id: "flow_logs_assume",
      service: "vpc-flow-logs.amazonaws.com",
      sourceAccount: true,
      sourceArn: `arn:${aws.partition}:ec2:\${each.key}:${aws.accountId}:vpc-flow-log/*`,
    });
    trust.addOverride("for_each", "${toset(var.regions)}");
    const role = identityRole(stack, "flow_logs", {
      name: (region) => flowLogsRoleName(name, region),
      description: `Lets VPC flow logs write to ${name}'s flow log group.`,
      assumeRolePolicy: "${data.aws_iam_policy_document.flow_logs_assume[each.key].json}",
    });
    identityRolePolicy(stack, role, {
      name: "write-flow-logs",
      policy: identityDocument(stack, "flow_logs", [
        {
          sid: "WriteFlowLogGroup",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
          resources: [group, `${group}:log-stream:*`],
        },
        {
          sid: "FindLogGroups",
          actions: ["logs:DescribeLogGroups"],
          resources: [`arn:${aws.partition}:logs:\${each.key}:${aws.accountId}:log-group:*`],
        },
      ]),
    });
  },
};
