import { Token } from "cdktf";
import { DefaultSecurityGroup } from "@cdktf/provider-aws/lib/default-security-group/index.js";
import { SecurityGroup } from "@cdktf/provider-aws/lib/security-group/index.js";
import type { Vpc } from "@cdktf/provider-aws/lib/vpc/index.js";
import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import type { ModuleStack } from "@tandem/module-kit";

export interface SecurityGroups {
  app: SecurityGroup;
  database: SecurityGroup;
}

/**
 * The default security group with every rule removed, so nothing lands in an open group by
 * accident, and the two groups the workloads use. A new group starts without rules (the provider
 * removes AWS's default allow-all egress); each group gets only the described rules below.
 */
export function securityGroups(stack: ModuleStack, name: string, vpc: Vpc): SecurityGroups {
  new DefaultSecurityGroup(stack, "aws_default_security_group.this", {
    vpcId: vpc.id,
    tags: { Name: `${name}-default-unused` },
  });
  const app = new SecurityGroup(stack, "aws_security_group.app", {
    name: `${name}-app`,
    description:
      "Payment API functions: HTTPS to AWS APIs, the database port to the database group",
    vpcId: vpc.id,
    tags: { Name: `${name}-app` },
  });
  const database = new SecurityGroup(stack, "aws_security_group.database", {
    name: `${name}-database`,
    description: "Aurora cluster: reachable only from the application group on the database port",
    vpcId: vpc.id,
    tags: { Name: `${name}-database` },
  });
  const port = Token.asNumber("${var.database_port}");
  new VpcSecurityGroupIngressRule(stack, "aws_vpc_security_group_ingress_rule.database_from_app", {
    securityGroupId: database.id,
    referencedSecurityGroupId: app.id,
    ipProtocol: "tcp",
    fromPort: port,
    toPort: port,
    description: "Database connections from the application group",
    tags: { Name: `${name}-database-from-app` },
  });
  new VpcSecurityGroupEgressRule(stack, "aws_vpc_security_group_egress_rule.app_to_database", {
    securityGroupId: app.id,
    referencedSecurityGroupId: database.id,
    ipProtocol: "tcp",
    fromPort: port,
    toPort: port,
    description: "Database connections to the database group",
    tags: { Name: `${name}-app-to-database` },
  });
  new VpcSecurityGroupEgressRule(stack, "aws_vpc_security_group_egress_rule.app_https", {
    securityGroupId: app.id,
    cidrIpv4: "0.0.0.0/0",
    ipProtocol: "tcp",
    fromPort: 443,
    toPort: 443,
    description: "HTTPS to AWS APIs: DynamoDB and S3 via the gateway endpoints, the rest via NAT",
    tags: { Name: `${name}-app-https` },
  });
  return { app, database };
}
