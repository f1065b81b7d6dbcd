import {
  accountContext,
  assumeRolePolicy,
  identityPolicyAttachment,
  identityRole,
  identityVariables,
  type IdentityDefinition,
} from "@tandem/module-kit";
import { BACKUP_POLICIES, backupRoleName } from "./roles.ts";

/** The role AWS Backup runs each region's plan, copies and restores with. */
export const backupIdentity: IdentityDefinition = {
  description:
    "The IAM of the backup module, for both regions of the pair, applied from the environment's " +
    "identity root so no regional root calls IAM (whose control plane is in us-east-1): the role AWS " +
    "Backup assumes in each region (`<name>-backup-<region>`) for backups, cross-Region copies and " +
    "restores, with AWS's managed `AWSBackupServiceRolePolicyForBackup` and " +
    "`AWSBackupServiceRolePolicyForRestores` policies.",
  example: `module "backup" {
  source = "./modules/backup/identity"

  name    = "payments-prod"
  regions = ["us-east-1", "us-west-2"]
}`,
  build(stack) {
    identityVariables(stack);
    const aws = accountContext(stack);
    const name = "${var.name}";
    const trust = assumeRolePolicy(stack, { id: "assume", service: "backup.amazonaws.com" });
    const role = identityRole(stack, "this", {
      name: (region) => backupRoleName(name, region),
      description: `AWS Backup runs the ${name} plan (backups, cross-Region copies, restores) with this role.`,
      assumeRolePolicy: trust.json,
    });
    for (const [id, policy] of Object.entries(BACKUP_POLICIES)) {
      identityPolicyAttachment(
        stack,
        role,
        id,
        `arn:${aws.partition}:iam::aws:policy/service-role/${policy}`,
      );
    }
  },
};
