import { TerraformOutput } from "cdktf";
import { commonVariables, defineModule } from "@tandem/module-kit";
import { backupIdentity } from "./identity.ts";
import { backupPlan } from "./plan.ts";
import { MOVED_TO_IDENTITY } from "./roles.ts";
import { backupVariables } from "./variables.ts";
import { vault } from "./vault.ts";

export default defineModule({
  domain: "backup",
  description:
    "AWS Backup for one region. Both roles get a vault named exactly `name` (the primary computes the " +
    "secondary vault's ARN from it), encrypted with the module's own KMS key, and optionally a Vault Lock " +
    "in compliance mode (`vault_lock`; immutable after `changeable_for_days`, so it is off unless set). " +
    "Every role given `resource_arns` (the primary always; the secondary too, so backups continue " +
    "in the region that survives an outage) adds the backup plan (`schedule`, kept `retention_days`) " +
    "whose copy action sends every recovery point to `destination_vault_arn` in the other region " +
    "with its own lifecycle (`copy_retention_days`), the selection of `resource_arns` (that region's " +
    "Aurora cluster and DynamoDB table), run with the role AWS Backup assumes in this region " +
    "(`<name>-backup-<region>`, created by the identity part with AWS's managed backup and restore " +
    "policies, referred to here by its computed ARN). While the other region is down its copy jobs fail and alarm; the " +
    "local recovery points are still made. " +
    "DynamoDB cross-region copies need AWS Backup's advanced DynamoDB features, a setting per account " +
    "and region. AWS turns them on for accounts that had no backup vault before 21 November 2021; for " +
    "older accounts check `aws backup describe-region-settings` (`ResourceTypeManagementPreference.DynamoDB`) " +
    "and, if false, run `aws backup update-region-settings --resource-type-management-preference DynamoDB=true` " +
    "once in each region. The module deliberately does not manage `aws_backup_region_settings`: it is one " +
    "object per account and region holding every service's opt-in, so environments sharing an account " +
    "would overwrite each other's settings.",
  example: `module "backup" {
  source = "./modules/backup"

  name                  = "payments-prod"
  role                  = "primary"
  schedule              = "cron(0 3 * * ? *)"
  retention_days        = 35
  copy_retention_days   = 35
  destination_vault_arn = "arn:aws:backup:us-west-2:210987654321:backup-vault:payments-prod"
  resource_arns         = [module.database.cluster_arn, module.database.table_arn]

  vault_lock = {
    min_retention_days  = 7
    max_retention_days  = 365
    changeable_for_days = 3
  }
}`,
  identity: backupIdentity,
  removed: MOVED_TO_IDENTITY,
  build(stack) {
    const { name } = commonVariables(stack);
    backupVariables(stack);
    const backupVault = vault(stack, name);
    backupPlan(stack, name, backupVault);

    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(stack, id, { value, description });
    output("vault_arn", backupVault.arn, "ARN of this region's backup vault.");
    output(
      "vault_name",
      backupVault.name,
      "Name of this region's backup vault (`name`), for the backup alarms.",
    );
    output(
      "plan_id",
      "${one(aws_backup_plan.this[*].id)}",
      "Backup plan id; null where `resource_arns` is empty.",
    );
    output(
      "role_arn",
      "${one(aws_backup_selection.this[*].iam_role_arn)}",
      "ARN of the role AWS Backup assumes (also for restores); null where `resource_arns` is empty.",
    );
  },
});
