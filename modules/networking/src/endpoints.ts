import { Token } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { VpcEndpoint } from "@cdktf/provider-aws/lib/vpc-endpoint/index.js";
import { awsContext, type ModuleStack } from "@tandem/module-kit";

/**
 * Gateway endpoints (free) so DynamoDB and S3 traffic from the private subnets stays on the AWS
 * network instead of paying for NAT. The DynamoDB endpoint only reaches this account's tables in
 * this Region, so a compromised function cannot copy data out to a table someone else owns.
 */
export function gatewayEndpoints(stack: ModuleStack, name: string, vpc: Vpc): void {
  const aws = awsContext(stack);
  const routeTableIds = Token.asList("${values(aws_route_table.private)[*].id}");
  const ownTables = new DataAwsIamPolicyDocument(
    stack,
    "data.aws_iam_policy_document.dynamodb_endpoint",
    {
      statement: [
        {
          sid: "OwnTablesOnly",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["dynamodb:*"],
          resources: [`arn:${aws.partition}:dynamodb:${aws.region}:${aws.accountId}:table/*`],
        },
      ],
    },
  );
  new VpcEndpoint(stack, "aws_vpc_endpoint.dynamodb", {
    vpcId: vpc.id,
    serviceName: `com.amazonaws.${aws.region}.dynamodb`,
    vpcEndpointType: "Gateway",
    routeTableIds,
    policy: ownTables.json,
    tags: { Name: `${name}-dynamodb` },
  });
  new VpcEndpoint(stack, "aws_vpc_endpoint.s3", {
    vpcId: vpc.id,
    serviceName: `com.amazonaws.${aws.region}.s3`,
    vpcEndpointType: "Gateway",
    routeTableIds,
    tags: { Name: `${name}-s3` },
  });
}
