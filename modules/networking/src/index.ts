import { TerraformOutput } from "cdktf";
import { commonVariables, defineModule } from "@tandem/module-kit";
import { gatewayEndpoints } from "./endpoints.ts";
import { flowLogs } from "./flow-logs.ts";
import { networkingIdentity } from "./identity.ts";
import { MOVED_TO_IDENTITY } from "./roles.ts";
import { privateRouting, publicRouting, vpcAndSubnets } from "./network.ts";
import { securityGroups } from "./security.ts";
import { networkingVariables } from "./variables.ts";

export default defineModule({
  domain: "networking",
  description:
    "The network of one region, the same for both roles: a VPC with DNS support and host names; a public " +
    "and a private subnet in each of `az_count` availability zones (the Region's own zones, in name order), " +
    'keyed by zone name (`aws_subnet.private["us-east-1a"]`); an internet gateway for the public tier and ' +
    "NAT gateways for the private tier, one per zone by default so losing a zone leaves the others' egress " +
    "intact (`single_nat_gateway` trades that for cost outside production); a route table per private zone; " +
    "free gateway endpoints for DynamoDB (limited to this account's tables in the Region) and S3 on the " +
    "private route tables; VPC flow logs of all traffic to a CloudWatch log group encrypted with the " +
    "module's own KMS key, written through the role the identity part creates for this region " +
    "(`<name>-flowlogs-<region>`, referred to by its computed ARN), which can only write there; the default security group " +
    "stripped of every rule; and the application and database security groups, the database reachable " +
    "only from the application group on `database_port`. Public subnets never assign public IPs. " +
    "Address plan for a /16: private subnets are /20s from the start of the range, public subnets /24s " +
    "from its last /20, and the middle is left free for later tiers.",
  example: `module "networking" {
  source = "./modules/networking"

  name                    = "payments-prod"
  role                    = "primary"
  cidr_block              = "10.0.0.0/16"
  az_count                = 3
  single_nat_gateway      = false
  flow_log_retention_days = 365
  database_port           = 3306
}`,
  identity: networkingIdentity,
  removed: MOVED_TO_IDENTITY,
  build(stack) {
    const { name } = commonVariables(stack);
    networkingVariables(stack);
    const vpc = vpcAndSubnets(stack, name);
    const igw = publicRouting(stack, name, vpc);
    privateRouting(stack, name, vpc, igw);
    gatewayEndpoints(stack, name, vpc);
    flowLogs(stack, name, vpc);
    const groups = securityGroups(stack, name, vpc);

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(stack, id, { value, description });
    output("vpc_id", vpc.id, "The VPC id.");
    output(
      "public_subnet_ids",
      "${[for az in local.azs : aws_subnet.public[az].id]}",
      "Public subnet ids, in availability-zone order.",
    );
    output(
      "private_subnet_ids",
      "${[for az in local.azs : aws_subnet.private[az].id]}",
      "Private subnet ids, in availability-zone order: for the database subnet group and the functions.",
    );
    output(
      "app_security_group_id",
      groups.app.id,
      "Security group for the application (functions).",
    );
    output(
      "database_security_group_id",
      groups.database.id,
      "Security group for the database; admits only the application group on `database_port`.",
    );
  },
});
