import { AWS_REGION_PATTERN, nameVariable, variable, type ModuleStack } from "@tandem/module-kit";

export const ROLES = ["primary", "secondary", "global"] as const;

/** The inputs the regional alarms read; `""` (their default) is only valid in the global role. */
export const REGIONAL_INPUTS = {
  function_name: "The payment handler's Lambda function name (compute output).",
  api_id: "The regional HTTP API id (compute output).",
  dead_letter_queue_name: "The handler's dead-letter queue name (compute output).",
  table_name: "The DynamoDB global table name, the same in both regions.",
  peer_region: "The other region of the pair, where this region's table writes replicate to.",
  backup_vault_name: "This region's AWS Backup vault name (backup output).",
} as const;

const PEER_REGION_RULE = `var.peer_region == "" || can(regex("${AWS_REGION_PATTERN}", var.peer_region))`;

/** Declares the module's inputs; resources refer to them as `var.<name>`. */
export function monitoringVariables(stack: ModuleStack): { alarmEmails: string[] } {
  nameVariable(stack);
  // The kit's `role` has no `global`, so commonVariables() does not fit.
  variable(stack, "role", {
    type: "string",
    description:
      "`primary` or `secondary` (a regional root: alarms and dashboard for that region) or `global` (the us-east-1 root: Route 53 health-check alarms).",
    rules: [
      [
        `contains(${JSON.stringify(ROLES)}, var.role)`,
        "role must be primary, secondary or global.",
      ],
    ],
  });
  const alarmEmails = variable(stack, "alarm_emails", {
    type: "list(string)",
    description:
      "Who gets alarm and recovery notifications. Each address must confirm its subscription from the email SNS sends.",
    rules: [
      ["length(var.alarm_emails) > 0", "alarm_emails needs at least one address."],
      [
        'alltrue([for e in var.alarm_emails : can(regex("^[^@[:space:]]+@[^@[:space:]]+[.][^@[:space:]]+$", e))])',
        "alarm_emails must be email addresses.",
      ],
    ],
  });
  for (const [name, description] of Object.entries(REGIONAL_INPUTS)) {
    variable(stack, name, {
      type: "string",
      description: `${description} Required in the regional roles.`,
      default: "",
      rules:
        name === "peer_region"
          ? [[PEER_REGION_RULE, "peer_region must be an AWS region such as us-west-2."]]
          : [],
    });
  }
  variable(stack, "cluster_identifier", {
    type: "string",
    description:
      "This region's Aurora cluster identifier; both regional roles alarm on its global-database replication lag, which it publishes while it is a secondary.",
    default: "",
    // An empty list still writes `validation: []`, as released in 1.0.0.
    rules: [],
  });
  variable(stack, "replication_lag_threshold_ms", {
    type: "number",
    description:
      "Replication lag (ms) that alarms, for Aurora and DynamoDB: derive it from the RPO, and keep it below it.",
    default: 60000,
    rules: [
      ["var.replication_lag_threshold_ms > 0", "replication_lag_threshold_ms must be positive."],
    ],
  });
  variable(stack, "health_check_ids", {
    type: "map(string)",
    description:
      "Route 53 health check ids by role (dns output `health_check_ids`); the global role alarms on each.",
    default: {},
    rules: [],
  });
  return { alarmEmails: alarmEmails.listValue };
}
