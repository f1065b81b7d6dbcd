import { Token } from "cdktf";
import { BackupPlan } from "@cdktf/provider-aws/lib/backup-plan/index.js";
import { BackupSelection } from "@cdktf/provider-aws/lib/backup-selection/index.js";
import type { BackupVault } from "@cdktf/provider-aws/lib/backup-vault/index.js";
import { awsContext, roleArn, type ModuleStack } from "@tandem/module-kit";
import { backupRoleName } from "./roles.ts";

/** A plan wherever there is something to back up: the primary always, the secondary when given. */
const withResources = () => Token.asNumber("${length(var.resource_arns) > 0 ? 1 : 0}");

/**
 * The plan with its cross-Region copy and the selection, in every role given `resource_arns`:
 * each region backs up its own cluster and table and copies to the other, so backups go on in
 * the region that survives a regional outage (its copies to the lost region fail, and alarm,
 * until that region returns). AWS Backup runs them with the identity part's role for this
 * region, referred to by its computed ARN. The seed had a plan with neither selection nor role,
 * so it backed up nothing.
 */
export function backupPlan(stack: ModuleStack, name: string, vault: BackupVault): void {
  const aws = awsContext(stack);
  new BackupPlan(stack, "aws_backup_plan.this", {
    count: withResources(),
    name,
    rule: [
      {
        ruleName: "scheduled-with-cross-region-copy",
        targetVaultName: vault.name,
        schedule: "${var.schedule}",
        lifecycle: { deleteAfter: Token.asNumber("${var.retention_days}") },
        // The copy's retention goes in the copy action's own lifecycle block, not the rule's.
        copyAction: [
          {
            destinationVaultArn: "${var.destination_vault_arn}",
            lifecycle: { deleteAfter: Token.asNumber("${var.copy_retention_days}") },
          },
        ],
      },
    ],
    lifecycle: {
      precondition: [
        {
          condition: '${split(":", var.destination_vault_arn)[3] != data.aws_region.current.id}',
          errorMessage:
            "destination_vault_arn must be in another Region: a same-Region copy does not survive a Regional outage.",
        },
      ],
    },
    tags: { Name: name },
  });
  new BackupSelection(stack, "aws_backup_selection.this", {
    count: withResources(),
    name,
    planId: "${aws_backup_plan.this[0].id}",
    iamRoleArn: roleArn(stack, backupRoleName(name, aws.region)),
    resources: Token.asList("${var.resource_arns}"),
  });
}
