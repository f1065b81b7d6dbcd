import {
  commonVariables,
  DNS_NAME_PATTERN,
  HEALTH_CACHE_SECONDS,
  JWT_ISSUER_PATTERN,
  LAMBDA_MEMORY_MB,
  LAMBDA_TIMEOUT_SECONDS,
  LOG_RETENTION_DAYS,
  RESERVED_CONCURRENCY,
  type Range,
  variable,
  type ModuleStack,
} from "@tandem/module-kit";

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
  healthCheckDomainName: string;
  peerEventBusArn: string;
  jwtIssuer: string;
  jwtAudiences: string[];
  healthReservedConcurrency: number;
  healthCacheSeconds: number;
  reservedConcurrency: number;
  memoryMb: number;
  timeoutSeconds: number;
  logRetentionDays: number;
}

export { LOG_RETENTION_DAYS };

const ARN = (service: string, resource: string) =>
  `^arn:aws[a-z-]*:${service}:[a-z0-9-]+:[0-9]{12}:${resource}`;
const wholeNumber = (v: string, { min, max }: Range) =>
  `${v} >= ${min} && ${v} <= ${max} && floor(${v}) == ${v}`;

export function computeVariables(stack: ModuleStack): ComputeInputs {
  const { name, role } = commonVariables(stack);
  return {
    name,
    role,
    subnetIds: variable(stack, "subnet_ids", {
      type: "list(string)",
      description:
        "Private subnets for the function's network interfaces, in at least two availability zones.",
      nullable: false,
      rules: [
        [
          "length(var.subnet_ids) >= 2",
          "subnet_ids needs at least two private subnets (one per availability zone).",
        ],
      ],
    }).listValue,
    securityGroupIds: variable(stack, "security_group_ids", {
      type: "list(string)",
      description: "Security groups of the function (the networking module's app group).",
      nullable: false,
      rules: [
        [
          "length(var.security_group_ids) >= 1",
          "security_group_ids needs at least one security group.",
        ],
      ],
    }).listValue,
    tableName: variable(stack, "table_name", {
      type: "string",
      description:
        'The DynamoDB table that stores payments and their idempotency keys (`pk = "payment#<key>"`).',
      nullable: false,
      rules: [
        [
          'can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.table_name))',
          "table_name must be 3-255 letters, digits, '_', '-' or '.'.",
        ],
      ],
    }).stringValue,
    tableArn: variable(stack, "table_arn", {
      type: "string",
      description:
        "ARN of that table in this region; the function may read and write only this table.",
      nullable: false,
      rules: [
        [
          `can(regex("${ARN("dynamodb", "table/")}", var.table_arn))`,
          "table_arn must be a DynamoDB table ARN.",
        ],
      ],
    }).stringValue,
    tableKmsKeyArn: variable(stack, "table_kms_key_arn", {
      type: "string",
      description:
        "ARN of the KMS key that encrypts the table in this region (database output `kms_key_arn`).",
      nullable: false,
      rules: [
        [
          `can(regex("${ARN("kms", "key/")}", var.table_kms_key_arn))`,
          "table_kms_key_arn must be a KMS key ARN (not an alias).",
        ],
      ],
    }).stringValue,
    apiDomainName: variable(stack, "api_domain_name", {
      type: "string",
      description:
        "The API's custom domain, the same in both regions, e.g. `api.pay.acme-payments.com`: Route 53 fails it over between the regions.",
      nullable: false,
      rules: [
        [
          `can(regex("${DNS_NAME_PATTERN}", var.api_domain_name))`,
          "api_domain_name must be a lower-case DNS name without a trailing dot (not a URL).",
        ],
      ],
    }).stringValue,
    healthCheckDomainName: variable(stack, "health_check_domain_name", {
      type: "string",
      description:
        "This region's own name, e.g. `us-east-1.api.pay.acme-payments.com`: a second custom domain on the same API and stage, where this region's `GET /health` answers through a custom domain and API mapping as clients call it (the drill and operators read it; from dns 2.0.0 Route 53 follows the region-health alarm instead). `\"\"` leaves the default execute-api host.",
      nullable: false,
      default: "",
      rules: [
        [
          `var.health_check_domain_name == "" || can(regex("${DNS_NAME_PATTERN}", var.health_check_domain_name))`,
          "health_check_domain_name must be a lower-case DNS name without a trailing dot, or empty.",
        ],
        [
          "var.health_check_domain_name != var.api_domain_name",
          "health_check_domain_name must differ from api_domain_name (the failover name).",
        ],
      ],
    }).stringValue,
    ...authInputs(stack),
    peerEventBusArn: variable(stack, "peer_event_bus_arn", {
      type: "string",
      description:
        "ARN of the other region's payments event bus (`arn:aws:events:<peer>:<account>:event-bus/<name>`), computed from the manifest.",
      nullable: false,
      rules: [
        [
          `can(regex("${ARN("events", "event-bus/[A-Za-z0-9._-]+$")}", var.peer_event_bus_arn))`,
          "peer_event_bus_arn must be an EventBridge event bus ARN.",
        ],
      ],
    }).stringValue,
    ...sizing(stack),
  };
}

/** The JWT authorizer of POST /payments: the same issuer and audiences in both regions. */
function authInputs(stack: ModuleStack) {
  return {
    jwtIssuer: variable(stack, "jwt_issuer", {
      type: "string",
      description:
        "Issuer of the JWTs that may call POST /payments (the token's `iss`), an https URL whose `/.well-known/openid-configuration` lists the signing keys, e.g. `https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123`.",
      nullable: false,
      rules: [
        [
          `can(regex("${JWT_ISSUER_PATTERN.replace(/\\/g, "\\\\")}", var.jwt_issuer))`,
          "jwt_issuer must be an https:// URL without query or fragment.",
        ],
      ],
    }).stringValue,
    jwtAudiences: variable(stack, "jwt_audiences", {
      type: "list(string)",
      description:
        "Audiences a token must name (its `aud`, or `client_id` for Cognito access tokens); at least one.",
      nullable: false,
      rules: [
        [
          'length(var.jwt_audiences) > 0 && alltrue([for a in var.jwt_audiences : a != ""])',
          "jwt_audiences needs at least one non-empty audience.",
        ],
      ],
    }).listValue,
  };
}

function sizing(stack: ModuleStack) {
  return {
    healthReservedConcurrency: variable(stack, "health_reserved_concurrency", {
      type: "number",
      description:
        "Concurrent executions reserved for the /health function, apart from the payment handler's, so a payment spike cannot fail the health check.",
      nullable: false,
      default: 5,
      rules: [
        [
          wholeNumber("var.health_reserved_concurrency", { min: 1, max: 100 }),
          "health_reserved_concurrency must be a whole number from 1 to 100.",
        ],
      ],
    }).numberValue,
    healthCacheSeconds: variable(stack, "health_cache_seconds", {
      type: "number",
      description:
        "Seconds each /health instance reuses its last reading of the drill flag and the table (0 reads on every probe). A drill takes effect up to this much later.",
      nullable: false,
      default: 5,
      rules: [
        [
          wholeNumber("var.health_cache_seconds", HEALTH_CACHE_SECONDS),
          `health_cache_seconds must be a whole number from ${HEALTH_CACHE_SECONDS.min} to ${HEALTH_CACHE_SECONDS.max}.`,
        ],
      ],
    }).numberValue,
    reservedConcurrency: variable(stack, "reserved_concurrency", {
      type: "number",
      description:
        "Concurrent executions reserved for the function: a floor other functions cannot take and a ceiling that protects the table. The API's throttling is derived from it.",
      nullable: false,
      default: 50,
      rules: [
        [
          wholeNumber("var.reserved_concurrency", RESERVED_CONCURRENCY),
          `reserved_concurrency must be a whole number from ${RESERVED_CONCURRENCY.min} to ${RESERVED_CONCURRENCY.max}.`,
        ],
      ],
    }).numberValue,
    memoryMb: variable(stack, "memory_mb", {
      type: "number",
      description: "Memory of the function in MB (128 to 10240); CPU grows with it.",
      nullable: false,
      default: 512,
      rules: [
        [
          wholeNumber("var.memory_mb", LAMBDA_MEMORY_MB),
          `memory_mb must be a whole number from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max}.`,
        ],
      ],
    }).numberValue,
    timeoutSeconds: variable(stack, "timeout_seconds", {
      type: "number",
      description: "Function timeout in seconds, below API Gateway's 30-second integration limit.",
      nullable: false,
      default: 10,
      rules: [
        [
          wholeNumber("var.timeout_seconds", LAMBDA_TIMEOUT_SECONDS),
          `timeout_seconds must be a whole number from ${LAMBDA_TIMEOUT_SECONDS.min} to ${LAMBDA_TIMEOUT_SECONDS.max} (API Gateway stops waiting at 30).`,
        ],
      ],
    }).numberValue,
    logRetentionDays: variable(stack, "log_retention_days", {
      type: "number",
      description: "Days CloudWatch Logs keeps the function and access logs.",
      nullable: false,
      default: 365,
      rules: [
        [
          `contains([${LOG_RETENTION_DAYS.join(", ")}], var.log_retention_days)`,
          `log_retention_days must be one of ${LOG_RETENTION_DAYS.join(", ")}.`,
        ],
      ],
    }).numberValue,
  };
}
