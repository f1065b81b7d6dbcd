import {
  AZ_COUNT,
  LOG_RETENTION_DAYS,
  variable,
  VPC_PREFIX,
  wholeNumberIn,
  type ModuleStack,
} from "@tandem/module-kit";

const { min: MIN_PREFIX, max: MAX_PREFIX } = VPC_PREFIX;

/** Declares the networking inputs of docs/module-wiring.md. */
export function networkingVariables(stack: ModuleStack): void {
  variable(stack, "cidr_block", {
    type: "string",
    description:
      `IPv4 CIDR of the VPC, a /${MIN_PREFIX} to /${MAX_PREFIX} network address (e.g. \`10.0.0.0/16\`). Private subnets get a /20 ` +
      "each of a /16 (one sixteenth), public subnets a /24 each from the last sixteenth.",
    rules: [
      [
        'try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0] && ' +
          `tonumber(split("/", var.cidr_block)[1]) >= ${MIN_PREFIX} && tonumber(split("/", var.cidr_block)[1]) <= ${MAX_PREFIX}, false)`,
        `cidr_block must be an IPv4 network address with a prefix from /${MIN_PREFIX} to /${MAX_PREFIX}, e.g. 10.0.0.0/16.`,
      ],
    ],
  });
  variable(stack, "az_count", {
    type: "number",
    default: 3,
    description: `Availability zones to spread subnets (and, per AZ, NAT gateways) over: ${AZ_COUNT.min} to ${AZ_COUNT.max}.`,
    rules: [
      [
        wholeNumberIn("var.az_count", AZ_COUNT),
        `az_count must be a whole number from ${AZ_COUNT.min} to ${AZ_COUNT.max}.`,
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
