import { Token } from "cdktf";
import { BackupVault } from "@cdktf/provider-aws/lib/backup-vault/index.js";
import { BackupVaultLockConfiguration } from "@cdktf/provider-aws/lib/backup-vault-lock-configuration/index.js";
import { kmsKey, type ModuleStack } from "@tandem/module-kit";

/**
 * This Region's vault, named exactly `var.name` because the other Region computes its ARN from
 * that name, encrypted with the module's own key. The optional lock applies in both Regions, so
 * the copies in the secondary are as protected as the originals.
 */
export function vault(stack: ModuleStack, name: string): BackupVault {
  const key = kmsKey(stack, {
    description: `Encrypts the AWS Backup vault ${name}.`,
    alias: `${name}-backup`,
  });
  const vault = new BackupVault(stack, "aws_backup_vault.this", {
    name,
    kmsKeyArn: key.arn,
    tags: { Name: name },
  });
  new BackupVaultLockConfiguration(stack, "aws_backup_vault_lock_configuration.this", {
    count: Token.asNumber("${var.vault_lock == null ? 0 : 1}"),
    backupVaultName: vault.name,
    minRetentionDays: Token.asNumber("${var.vault_lock.min_retention_days}"),
    maxRetentionDays: Token.asNumber("${var.vault_lock.max_retention_days}"),
    // Setting changeable_for_days is what makes the lock compliance mode rather than governance mode.
    changeableForDays: Token.asNumber("${var.vault_lock.changeable_for_days}"),
  });
  return vault;
}
