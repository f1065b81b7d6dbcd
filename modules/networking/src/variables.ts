import { LOG_RETENTION_DAYS, variable, type ModuleStack } from "@tandem/module-kit";

/** Declares the networking inputs of docs/module-wiring.md. */
export function networkingVariables(stack: ModuleStack): void {
  variable(stack, "cidr_block", {
    type: "string",
    description:
      "IPv4 CIDR of the VPC, a /16 to /20 network address (e.g. `10.0.0.0/16`). Private subnets get a /20 " +
      "each of a /16 (one sixteenth), public subnets a /24 each from the last sixteenth.",
    rules: [
      [
        'try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0] && ' +
          'tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 20, false)',
        "cidr_block must be an IPv4 network address with a prefix from /16 to /20, e.g. 10.0.0.0/16.",
      ],
    ],
  });
  variable(stack, "az_count", {
    type: "number",
    default: 3,
    description: "Availability zones to spread subnets (and, per AZ, NAT gateways) over: 2 to 6.",
    rules: [
      [
        "var.az_count == floor(var.az_count) && var.az_count >= 2 && var.az_count <= 6",
        "az_count must be a whole number from 2 to 6.",
      ],
    ],
  });
  variable(stack, "single_nat_gateway", {
    type: "bool",
    default: false,
    description:
      "One NAT gateway for the whole VPC instead of one per AZ: cheaper, but private subnets lose egress " +
      "when that AZ fails. Keep `false` in production.",
  });
  variable(stack, "flow_log_retention_days", {
    type: "number",
    default: 365,
    description:
      "Days CloudWatch Logs keeps the VPC flow logs; one of the periods CloudWatch Logs accepts.",
    rules: [
      [
        `contains([${LOG_RETENTION_DAYS.join(", ")}], var.flow_log_retention_days)`,
        `flow_log_retention_days must be one of ${LOG_RETENTION_DAYS.join(", ")}.`,
      ],
    ],
  });
  variable(stack, "database_port", {
    type: "number",
    default: 3306,
    description:
      "TCP port the database listens on; only the application security group may reach it.",
    rules: [
      [
        "var.database_port == floor(var.database_port) && var.database_port >= 1 && var.database_port <= 65535",
        "database_port must be a TCP port from 1 to 65535.",
      ],
    ],
  });
}
