import { TerraformVariable } from "cdktf";
import type { ModuleStack } from "@tandem/module-kit";
import { LOG_RETENTION_DAYS } from "@tandem/module-kit";

export { LOG_RETENTION_DAYS };

/**
 * Declares the networking inputs of docs/module-wiring.md. In JSON syntax a validation condition is
 * a string template, so each one is wrapped in `${...}` to be an expression rather than a literal.
 */
export function networkingVariables(stack: ModuleStack): void {
  new TerraformVariable(stack, "cidr_block", {
    type: "string",
    description:
      "IPv4 CIDR of the VPC, a /16 to /20 network address (e.g. `10.0.0.0/16`). Private subnets get a /20 " +
      "each of a /16 (one sixteenth), public subnets a /24 each from the last sixteenth.",
    validation: [
      {
        condition:
          '${try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0] && ' +
          'tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20, false)}',
        errorMessage:
          "cidr_block must be an IPv4 network address with a prefix from /16 to /20, e.g. 10.0.0.0/16.",
      },
    ],
  });
  new TerraformVariable(stack, "az_count", {
    type: "number",
    default: 3,
    description: "Availability zones to spread subnets (and, per AZ, NAT gateways) over: 2 to 6.",
    validation: [
      {
        condition:
          "${var.az_count == floor(var.az_count) && var.az_count >= 2 && var.az_count <= 6}",
        errorMessage: "az_count must be a whole number from 2 to 6.",
      },
    ],
  });
  new TerraformVariable(stack, "single_nat_gateway", {
    type: "bool",
    default: false,
    description:
      "One NAT gateway for the whole VPC instead of one per AZ: cheaper, but private subnets lose egress " +
      "when that AZ fails. Keep `false` in production.",
  });
  new TerraformVariable(stack, "flow_log_retention_days", {
    type: "number",
    default: 365,
    description:
      "Days CloudWatch Logs keeps the VPC flow logs; one of the periods CloudWatch Logs accepts.",
    validation: [
      {
        condition: `\${contains([${LOG_RETENTION_DAYS.join(", ")}], var.flow_log_retention_days)}`,
        errorMessage: `flow_log_retention_days must be one of ${LOG_RETENTION_DAYS.join(", ")}.`,
      },
    ],
  });
  new TerraformVariable(stack, "database_port", {
    type: "number",
    default: 3306,
    description:
      "TCP port the database listens on; only the application security group may reach it.",
    validation: [
      {
        condition:
          "${var.database_port == floor(var.database_port) && var.database_port >= 1 && var.database_port <= 65535}",
        errorMessage: "database_port must be a TCP port from 1 to 65535.",
      },
    ],
  });
}
