import type {
  DataAwsIamPolicyDocumentStatement as Statement,
  DataAwsIamPolicyDocumentStatementCondition as Condition,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import {
  accountContext,
  assumeRolePolicy,
  identityDocument,
  identityPolicyAttachment,
  identityRole,
  identityRolePolicy,
  identityVariables,
  variable,
  type AccountContext,
  type IdentityDefinition,
  type ModuleStack,
} from "@tandem/module-kit";
import { HEALTH_METRICS } from "./handler/contract.ts";
import {
  deadLetterQueueName,
  drillParameterName,
  eventsRoleName,
  FUNCTIONS,
  functionName,
  functionRoleName,
  MANAGED_POLICIES,
  moduleKeyAlias,
  type FunctionId,
} from "./roles.ts";

const NAME = "${var.name}";
/** The region whose role is being built, and the other region of the pair. */
const REGION = "${each.key}";
const PEER = "${[for r in var.regions : r if r != each.key][0]}";

/** ARNs of the regional part's resources in the role's region, from their names. */
function arns(aws: AccountContext) {
  const arn = (service: string, resource: string, region = REGION) =>
    `arn:${aws.partition}:${service}:${region}:${aws.accountId}:${resource}`;
  return {
    table: arn("dynamodb", "table/${var.table_name}"),
    anyKey: arn("kms", "key/*"),
    drillFlag: arn("ssm", `parameter${drillParameterName(NAME)}`),
    bus: arn("events", `event-bus/${NAME}`),
    peerBus: arn("events", `event-bus/${NAME}`, PEER),
    queue: arn("sqs", deadLetterQueueName(NAME)),
    logs: (id: FunctionId) => arn("logs", `log-group:/aws/lambda/${functionName(NAME, id)}:*`),
  };
}

/**
 * A key by its alias: key ids are random, so the identity root grants `key/*` of the region
 * narrowed to the key that carries the alias (`kms:ResourceAliases`, AWS KMS developer guide).
 */
const keyWithAlias = (
  sid: string,
  actions: string[],
  aws: AccountContext,
  alias: string,
  extra: Condition[] = [],
): Statement => ({
  sid,
  actions,
  resources: [arns(aws).anyKey],
  condition: [
    { test: "ForAnyValue:StringEquals", variable: "kms:ResourceAliases", values: [alias] },
    ...extra,
  ],
});

/** The table's key (the database module's, `table_key_alias`), only through DynamoDB in the role's region. */
const tableKey = (aws: AccountContext, actions: string[]): Statement =>
  keyWithAlias("PaymentsTableKeyThroughDynamoDb", actions, aws, "${var.table_key_alias}", [
    {
      test: "StringEquals",
      variable: "kms:ViaService",
      values: [`dynamodb.${REGION}.${aws.dnsSuffix}`],
    },
  ]);

/** The module's own key (environment, logs, queue, bus). */
const moduleKey = (aws: AccountContext, actions: string[]): Statement =>
  keyWithAlias("ModuleKey", actions, aws, `alias/${moduleKeyAlias(NAME)}`);

/** Each function's own grants; the dead-letter queue and its own log group are added to each. */
function grants(
  aws: AccountContext,
): Record<FunctionId, { policy: string; description: string; statements: Statement[] }> {
  const at = arns(aws);
  const drill: Statement = {
    sid: "DrillFlag",
    actions: ["ssm:GetParameter"],
    resources: [at.drillFlag],
  };
  return {
    function: {
      policy: "payment-handler",
      description: "Execution role of the payment handler.",
      statements: [
        {
          sid: "PaymentsTable",
          actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
          resources: [at.table],
        },
        tableKey(aws, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]),
        // The queue and the bus are encrypted with this module's key.
        moduleKey(aws, ["kms:Decrypt", "kms:GenerateDataKey"]),
        drill,
        { sid: "PaymentEvents", actions: ["events:PutEvents"], resources: [at.bus] },
      ],
    },
    health: {
      policy: "health-check",
      description: "Execution role of the /health function.",
      statements: [
        { sid: "ProbeItem", actions: ["dynamodb:GetItem"], resources: [at.table] },
        tableKey(aws, ["kms:Decrypt", "kms:DescribeKey"]),
        moduleKey(aws, ["kms:Decrypt"]),
        drill,
      ],
    },
    region_check: {
      policy: "region-check",
      description: "Execution role of the scheduled region check.",
      statements: [
        { sid: "ProbeItem", actions: ["dynamodb:GetItem"], resources: [at.table] },
        tableKey(aws, ["kms:Decrypt", "kms:DescribeKey"]),
        moduleKey(aws, ["kms:Decrypt"]),
        drill,
        // PutMetricData and GetMetricStatistics have no resource-level permissions: the
        // namespace condition narrows the write.
        {
          sid: "PublishHealthMetrics",
          actions: ["cloudwatch:PutMetricData"],
          resources: ["*"],
          condition: [
            {
              test: "StringEquals",
              variable: "cloudwatch:namespace",
              values: [HEALTH_METRICS.namespace],
            },
          ],
        },
        { sid: "ReadPeerVerdict", actions: ["cloudwatch:GetMetricStatistics"], resources: ["*"] },
      ],
    },
  };
}

function functionRoles(stack: ModuleStack, aws: AccountContext): void {
  const trust = assumeRolePolicy(stack, { id: "lambda_assume", service: "lambda.amazonaws.com" });
  const at = arns(aws);
  for (const [id, grant] of Object.entries(grants(aws)) as [
    FunctionId,
    ReturnType<typeof grants>[FunctionId],
  ][]) {
    const role = identityRole(stack, id, {
      name: (region) => functionRoleName(NAME, id, region),
      description: grant.description,
      assumeRolePolicy: trust.json,
    });
    identityRolePolicy(stack, role, {
      name: grant.policy,
      policy: identityDocument(stack, id, [
        ...grant.statements,
        { sid: "DeadLetterQueue", actions: ["sqs:SendMessage"], resources: [at.queue] },
        {
          sid: "OwnLogGroup",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [at.logs(id)],
        },
      ]),
    });
    // The VPC network interfaces and X-Ray writes have no resource-level permissions; AWS's
    // managed policies for exactly these two jobs keep "*" out of our own policy.
    for (const [policy, path] of Object.entries(MANAGED_POLICIES)) {
      identityPolicyAttachment(
        stack,
        role,
        `${FUNCTIONS[id].attachmentPrefix}${policy}`,
        `arn:${aws.partition}:iam::aws:policy/${path}`,
      );
    }
  }
}

/** EventBridge forwards this region's payments to the peer region's bus, and nowhere else. */
function forwardingRole(stack: ModuleStack, aws: AccountContext): void {
  const trust = assumeRolePolicy(stack, {
    id: "events_assume",
    service: "events.amazonaws.com",
    sourceAccount: true,
  });
  const role = identityRole(stack, "events", {
    name: (region) => eventsRoleName(NAME, region),
    description: "Lets EventBridge forward payment events to the peer region's bus.",
    assumeRolePolicy: trust.json,
  });
  identityRolePolicy(stack, role, {
    name: "forward-to-peer-bus",
    policy: identityDocument(stack, "events", [
      { sid: "PeerBusOnly", actions: ["events:PutEvents"], resources: [arns(aws).peerBus] },
    ]),
  });
}

/** The execution roles of the three functions and EventBridge's forwarding role, per region. */
export const computeIdentity: IdentityDefinition = {
  description:
    "The IAM of the compute module, for both regions of the pair, applied from the environment's " +
    "identity root so no regional root calls IAM (whose control plane is in us-east-1): the execution " +
    "roles of the payment handler, the /health function and the region check " +
    "(`<name>-payments|health|region-check-<region>`) and EventBridge's forwarding role " +
    "(`<name>-events-<region>`). Each grant names the regional part's resources by the ARN their " +
    "names give (table `table_name`, queue `<name>-dead-letter`, bus `<name>`, drill flag " +
    "`/<name>/drill/unhealthy`, log groups `/aws/lambda/<function>`); the KMS keys, whose ids are " +
    "random, by alias (`kms:ResourceAliases`: the table's key `table_key_alias` only through " +
    "DynamoDB in the role's region, the module's own `alias/<name>-compute`).",
  example: `module "compute" {
  source = "./modules/compute/identity"

  name            = "payments-prod"
  regions         = ["us-east-1", "us-west-2"]
  table_name      = "payments-prod-sessions"
  table_key_alias = "alias/payments-prod-data"
}`,
  build(stack) {
    identityVariables(stack);
    variable(stack, "table_name", {
      type: "string",
      description: "Name of the payments table (the same in both regions: a global table).",
    });
    variable(stack, "table_key_alias", {
      type: "string",
      description:
        "Alias of the table's KMS key in each region (`alias/...`), which the functions use through DynamoDB.",
      rules: [
        ['startswith(var.table_key_alias, "alias/")', "table_key_alias must start with alias/."],
      ],
    });
    const aws = accountContext(stack);
    functionRoles(stack, aws);
    forwardingRole(stack, aws);
  },
};
