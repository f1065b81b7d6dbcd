import {
  BACKUP_RETENTION_DAYS,
  VAULT_LOCK_MIN_CHANGEABLE_DAYS,
  variable,
  type ModuleStack,
  type VariableRule,
} from "@tandem/module-kit";

/** AWS Backup's longest retention: 100 years. */
const MAX_DAYS = BACKUP_RETENTION_DAYS.max;
const MIN_CHANGEABLE = VAULT_LOCK_MIN_CHANGEABLE_DAYS;

const days = (name: string): VariableRule[] => [
  [
    `var.${name} == floor(var.${name}) && var.${name} >= 1 && var.${name} <= ${MAX_DAYS}`,
    `${name} must be a whole number of days from 1 to ${MAX_DAYS}.`,
  ],
  // Both Regions' vaults get the same lock; a recovery point outside its range fails the job.
  [
    `var.vault_lock == null ? true : var.${name} >= var.vault_lock.min_retention_days && var.${name} <= var.vault_lock.max_retention_days`,
    `${name} must lie within vault_lock's min_retention_days and max_retention_days.`,
  ],
];

/** Declares the backup inputs of docs/module-wiring.md. */
export function backupVariables(stack: ModuleStack): void {
  variable(stack, "schedule", {
    type: "string",
    default: "cron(0 3 * * ? *)",
    description:
      "When the plan starts a backup, in AWS Backup's UTC schedule syntax: `cron(minutes hours day-of-month month " +
      "day-of-week year)` (six fields, unlike the 5-field cron of the drill) or `rate(N hours|days)`.",
    rules: [
      [
        'can(regex("^cron[(][^ ]+( [^ ]+){5}[)]$", var.schedule)) || can(regex("^rate[(][1-9][0-9]* (hour|hours|day|days)[)]$", var.schedule))',
        "schedule must be an AWS cron expression with six fields, e.g. cron(0 3 * * ? *), or rate(N hours|days).",
      ],
    ],
  });
  variable(stack, "retention_days", {
    type: "number",
    default: 35,
    description: "Days a recovery point stays in this Region's vault.",
    rules: days("retention_days"),
  });
  variable(stack, "copy_retention_days", {
    type: "number",
    default: 35,
    description: "Days the cross-Region copy stays in the destination vault.",
    rules: days("copy_retention_days"),
  });
  variable(stack, "destination_vault_arn", {
    type: "string",
    default: "",
    description:
      "ARN of the other Region's vault that receives the copies " +
      "(`arn:aws:backup:<peer>:<account>:backup-vault:<name>`); required wherever `resource_arns` is not empty.",
    rules: [
      [
        '(var.role != "primary" && length(var.resource_arns) == 0) || can(regex("^arn:aws[a-z-]*:backup:[a-z0-9-]+:[0-9]{12}:backup-vault:[A-Za-z0-9_-]{2,50}$", var.destination_vault_arn))',
        "destination_vault_arn must be a backup vault ARN (arn:aws:backup:<region>:<account>:backup-vault:<name>) in the primary role and wherever resource_arns is set.",
      ],
    ],
  });
  variable(stack, "resource_arns", {
    type: "list(string)",
    default: [],
    description:
      "ARNs of what this region's plan backs up (its Aurora cluster and DynamoDB table). Required in the primary role; give them in the secondary too, so backups continue there when the primary region is lost. `[]` creates no plan.",
    rules: [
      [
        'var.role != "primary" || length(var.resource_arns) > 0',
        "resource_arns must name at least one resource in the primary role: a plan without a selection backs up nothing.",
      ],
      [
        'alltrue([for arn in var.resource_arns : can(regex("^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]+:[0-9]{12}:.+$", arn))])',
        "resource_arns must be resource ARNs (arn:aws:<service>:<region>:<account>:...).",
      ],
    ],
  });
  variable(stack, "vault_lock", {
    type: "object({ min_retention_days = number, max_retention_days = number, changeable_for_days = optional(number, 3) })",
    nullable: true,
    default: null,
    description:
      "Vault Lock in compliance mode, or `null` for none. After `changeable_for_days` (at least 3) the lock is " +
      "immutable: nobody, root included, can delete recovery points early, shorten retention or remove the lock.",
    rules: [
      [
        `var.vault_lock == null ? true : var.vault_lock.min_retention_days >= 1 && var.vault_lock.max_retention_days >= var.vault_lock.min_retention_days && var.vault_lock.max_retention_days <= ${MAX_DAYS} && var.vault_lock.changeable_for_days >= ${MIN_CHANGEABLE}`,
        `vault_lock needs 1 <= min_retention_days <= max_retention_days <= ${MAX_DAYS} and changeable_for_days >= ${MIN_CHANGEABLE}.`,
      ],
    ],
  });
}
