import { TerraformVariable } from "cdktf";
import { commonVariables, type ModuleStack } from "@tandem/module-kit";
import { LOG_RETENTION_DAYS } from "@tandem/module-kit";

/** Every input of the module, as Terraform expressions. */
export interface ComputeInputs {
  name: string;
  role: string;
  subnetIds: string[];
  securityGroupIds: string[];
  tableName: string;
  tableArn: string;
  tableKmsKeyArn: string;
  apiDomainName: string;
  peerEventBusArn: string;
  reservedConcurrency: number;
  memoryMb: number;
  timeoutSeconds: number;
  logRetentionDays: number;
}

export { LOG_RETENTION_DAYS };

type Validation = [condition: string, errorMessage: string];

function variable(
  stack: ModuleStack,
  id: string,
  type: string,
  description: string,
  validation: Validation[],
  defaultValue?: unknown,
): TerraformVariable {
  return new TerraformVariable(stack, id, {
    type,
    description,
    nullable: false,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
    // In JSON syntax a plain string is a literal: the condition must be an interpolation.
    validation: validation.map(([condition, errorMessage]) => ({
      condition: `\${${condition}}`,
      errorMessage,
    })),
  });
}

const ARN = (service: string, resource: string) =>
  `^arn:aws[a-z-]*:${service}:[a-z0-9-]+:[0-9]{12}:${resource}`;
const wholeNumber = (v: string, min: number, max: number) =>
  `${v} >= ${min} && ${v} <= ${max} && floor(${v}) == ${v}`;

export function computeVariables(stack: ModuleStack): ComputeInputs {
  const { name, role } = commonVariables(stack);
  const v = variable.bind(null, stack);
  return {
    name,
    role,
    subnetIds: v(
      "subnet_ids",
      "list(string)",
      "Private subnets for the function's network interfaces, in at least two availability zones.",
      [
        [
          "length(var.subnet_ids) >= 2",
          "subnet_ids needs at least two private subnets (one per availability zone).",
        ],
      ],
    ).listValue,
    securityGroupIds: v(
      "security_group_ids",
      "list(string)",
      "Security groups of the function (the networking module's app group).",
      [
        [
          "length(var.security_group_ids) >= 1",
          "security_group_ids needs at least one security group.",
        ],
      ],
    ).listValue,
    tableName: v(
      "table_name",
      "string",
      'The DynamoDB table that stores payments and their idempotency keys (`pk = "payment#<key>"`).',
      [
        [
          'can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))',
          "table_name must be 3-255 letters, digits, '_', '-' or '.'.",
        ],
      ],
    ).stringValue,
    tableArn: v(
      "table_arn",
      "string",
      "ARN of that table in this region; the function may read and write only this table.",
      [
        [
          `can(regex("${ARN("dynamodb", "table/")}", var.table_arn))`,
          "table_arn must be a DynamoDB table ARN.",
        ],
      ],
    ).stringValue,
    tableKmsKeyArn: v(
      "table_kms_key_arn",
      "string",
      "ARN of the KMS key that encrypts the table in this region (database output `kms_key_arn`).",
      [
        [
          `can(regex("${ARN("kms", "key/")}", var.table_kms_key_arn))`,
          "table_kms_key_arn must be a KMS key ARN (not an alias).",
        ],
      ],
    ).stringValue,
    apiDomainName: v(
      "api_domain_name",
      "string",
      "The API's custom domain, the same in both regions, e.g. `api.pay.acme-payments.com`: Route 53 fails it over between the regions.",
      [
        [
          'can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?[.])+[a-z]{2,63}$", var.api_domain_name))',
          "api_domain_name must be a lower-case DNS name without a trailing dot (not a URL).",
        ],
      ],
    ).stringValue,
    peerEventBusArn: v(
      "peer_event_bus_arn",
      "string",
      "ARN of the other region's payments event bus (`arn:aws:events:<peer>:<account>:event-bus/<name>`), computed from the manifest.",
      [
        [
          `can(regex("${ARN("events", "event-bus/[A-Za-z0-9._-]+$")}", var.peer_event_bus_arn))`,
          "peer_event_bus_arn must be an EventBridge event bus ARN.",
        ],
      ],
    ).stringValue,
    ...sizing(v),
  };
}

function sizing(
  v: (
    id: string,
    type: string,
    description: string,
    validation: Validation[],
    defaultValue?: unknown,
  ) => TerraformVariable,
) {
  return {
    reservedConcurrency: v(
      "reserved_concurrency",
      "number",
      "Concurrent executions reserved for the function: a floor other functions cannot take and a ceiling that protects the table. The API's throttling is derived from it.",
      [
        [
          wholeNumber("var.reserved_concurrency", 1, 10000),
          "reserved_concurrency must be a whole number from 1 to 10000.",
        ],
      ],
      50,
    ).numberValue,
    memoryMb: v(
      "memory_mb",
      "number",
      "Memory of the function in MB (128 to 10240); CPU grows with it.",
      [
        [
          wholeNumber("var.memory_mb", 128, 10240),
          "memory_mb must be a whole number from 128 to 10240.",
        ],
      ],
      512,
    ).numberValue,
    timeoutSeconds: v(
      "timeout_seconds",
      "number",
      "Function timeout in seconds, below API Gateway's 30-second integration limit.",
      [
        [
          wholeNumber("var.timeout_seconds", 1, 29),
          "timeout_seconds must be a whole number from 1 to 29 (API Gateway stops waiting at 30).",
        ],
      ],
      10,
    ).numberValue,
    logRetentionDays: v(
      "log_retention_days",
      "number",
      "Days CloudWatch Logs keeps the function and access logs.",
      [
        [
          `contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`,
          `log_retention_days must be one of ${LOG_RETENTION_DAYS.join(", ")}.`,
        ],
      ],
      365,
    ).numberValue,
  };
}
