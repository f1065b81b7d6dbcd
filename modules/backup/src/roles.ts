/**
 * The names the regional part and the identity part share: the identity root creates the role
 * under this name, and the regional root computes its ARN from it.
 */

/** IAM names are account-wide and both regions need the role: the region keeps them apart. */
export const backupRoleName = (name: string, region: string) => `${name}-backup-${region}`;

/** AWS's managed policies the role carries, by the Terraform name of their attachment. */
export const BACKUP_POLICIES = {
  backup: "AWSBackupServiceRolePolicyForBackup",
  restores: "AWSBackupServiceRolePolicyForRestores",
};

/** The regional part's addresses of the roles an identity part now holds (backup <= 1.3.0). */
export const MOVED_TO_IDENTITY = [
  "aws_iam_role.this",
  ...Object.keys(BACKUP_POLICIES).map((id) => `aws_iam_role_policy_attachment.${id}`),
];
