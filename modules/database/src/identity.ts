import {
  accountContext,
  assumeRolePolicy,
  identityPolicyAttachment,
  identityRole,
  identityVariables,
  type IdentityDefinition,
} from "@tandem/module-kit";
import { monitoringRoleName } from "./roles.ts";

/** The role RDS enhanced monitoring publishes OS metrics through, in each region. */
export const databaseIdentity: IdentityDefinition = {
  description:
    "The IAM of the database module, for both regions of the pair, applied from the environment's " +
    "identity root so no regional root calls IAM (whose control plane is in us-east-1): the role Aurora " +
    "enhanced monitoring assumes in each region (`<name>-rdsmon-<region>`, only for this account), with " +
    "AWS's managed `AmazonRDSEnhancedMonitoringRole` policy.",
  example: `module "database" {
  source = "./modules/database/identity"

  name    = "payments-prod"
  regions = ["us-east-1", "us-west-2"]
}`,
  build(stack) {
    identityVariables(stack);
    const aws = accountContext(stack);
    const name = "${var.name}";
    const trust = assumeRolePolicy(stack, {
      id: "monitoring_assume",
      service: `monitoring.rds.${aws.dnsSuffix}`,
      sourceAccount: true,
    });
    const role = identityRole(stack, "monitoring", {
      name: (region) => monitoringRoleName(name, region),
      description: `Aurora enhanced monitoring of ${name} in \${each.key}`,
      assumeRolePolicy: trust.json,
    });
    identityPolicyAttachment(
      stack,
      role,
      "monitoring",
      `arn:${aws.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`,
    );
  },
};
