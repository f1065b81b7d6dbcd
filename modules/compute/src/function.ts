import { TerraformOutput, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus/index.js";
import {
  assumeRolePolicy,
  awsContext,
  type AwsContext,
  moduleRole,
  type ModuleStack,
} from "@tandem/module-kit";
import { ENV, HEALTH_METRICS } from "./handler/contract.ts";
import type { ComputeInputs } from "./variables.ts";

/** The bundle shipped inside the module folder (see `assets`). */
export const HANDLER_ZIP = "handler.zip";

export interface FunctionDeps {
  key: KmsKey;
  queue: SqsQueue;
  bus: CloudwatchEventBus;
  drill: SsmParameter;
}

/** The payment handler: in the private subnets, traced, with its logs, its DLQ and a least-privilege role. */
export function paymentFunction(
  stack: ModuleStack,
  inputs: ComputeInputs,
  deps: FunctionDeps,
): LambdaFunction {
  const aws = awsContext(stack);
  const fn = handlerFunction(stack, inputs, deps, {
    id: "function",
    lambdaId: "this",
    attachmentPrefix: "",
    functionName: `${inputs.name}-payments`,
    // IAM is global: the region keeps the two regions' roles apart (64 characters at most).
    roleName: `${inputs.name}-payments-${aws.region}`,
    roleDescription: "Execution role of the payment handler.",
    policyName: "payment-handler",
    statements: [
      {
        sid: "PaymentsTable",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        resources: [inputs.tableArn],
      },
      tableKeyThroughDynamoDb(aws, inputs, [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
      ]),
      // The queue and the bus are encrypted with this module's key.
      {
        sid: "ModuleKey",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [deps.key.arn],
      },
      { sid: "DrillFlag", actions: ["ssm:GetParameter"], resources: [deps.drill.arn] },
      { sid: "PaymentEvents", actions: ["events:PutEvents"], resources: [deps.bus.arn] },
    ],
    lambda: {
      description:
        "Records payments idempotently (POST /payments); GET /health has a function of its own.",
      handler: "index.handler",
      memorySize: inputs.memoryMb,
      timeout: inputs.timeoutSeconds,
      reservedConcurrentExecutions: inputs.reservedConcurrency,
    },
  });
  new TerraformOutput(stack, "function_name", {
    value: fn.functionName,
    description: "Name of the payment handler function.",
  });
  new TerraformOutput(stack, "function_arn", {
    value: fn.arn,
    description: "ARN of the payment handler function.",
  });
  return fn;
}

/**
 * GET /health in a function of its own: its own reserved concurrency, so a payment spike that
 * fills the payment handler's cannot fail Route 53's probes, and a role that may only read the
 * drill flag and one item of the table. The same bundle, another entry point.
 */
export function healthFunction(
  stack: ModuleStack,
  inputs: ComputeInputs,
  deps: FunctionDeps,
): LambdaFunction {
  const aws = awsContext(stack);
  return handlerFunction(stack, inputs, deps, {
    id: "health",
    lambdaId: "health",
    attachmentPrefix: "health_",
    functionName: `${inputs.name}-health`,
    roleName: `${inputs.name}-health-${aws.region}`,
    roleDescription: "Execution role of the /health function.",
    policyName: "health-check",
    statements: [
      { sid: "ProbeItem", actions: ["dynamodb:GetItem"], resources: [inputs.tableArn] },
      tableKeyThroughDynamoDb(aws, inputs, ["kms:Decrypt", "kms:DescribeKey"]),
      { sid: "ModuleKey", actions: ["kms:Decrypt"], resources: [deps.key.arn] },
      { sid: "DrillFlag", actions: ["ssm:GetParameter"], resources: [deps.drill.arn] },
    ],
    lambda: {
      description: "Reports this region's health for Route 53 and the drill (GET /health).",
      handler: "index.health",
      memorySize: HEALTH_MEMORY_MB,
      // Route 53 counts a probe failed 2 s after connecting; the handler answers within 1.5 s.
      timeout: 3,
      reservedConcurrentExecutions: inputs.healthReservedConcurrency,
      environment: { [ENV.healthCacheSeconds]: Token.asString(inputs.healthCacheSeconds) },
    },
  });
}

/**
 * The region check (`<name>-region-check`): run by an EventBridge schedule in this region,
 * never by the API, so no public request can reach or starve it. It reads the same dependencies
 * as /health, reads the peer's verdict from the peer region's CloudWatch, and publishes both
 * (HEALTH_METRICS); Route 53 follows the alarm on this region's. PutMetricData and
 * GetMetricStatistics have no resource-level permissions: the namespace condition narrows the write.
 */
export function regionCheckFunction(
  stack: ModuleStack,
  inputs: ComputeInputs,
  deps: FunctionDeps,
): LambdaFunction {
  const aws = awsContext(stack);
  return handlerFunction(stack, inputs, deps, {
    id: "region_check",
    lambdaId: "region_check",
    attachmentPrefix: "region_check_",
    functionName: `${inputs.name}-region-check`,
    roleName: `${inputs.name}-region-check-${aws.region}`,
    roleDescription: "Execution role of the scheduled region check.",
    policyName: "region-check",
    statements: [
      { sid: "ProbeItem", actions: ["dynamodb:GetItem"], resources: [inputs.tableArn] },
      tableKeyThroughDynamoDb(aws, inputs, ["kms:Decrypt", "kms:DescribeKey"]),
      { sid: "ModuleKey", actions: ["kms:Decrypt"], resources: [deps.key.arn] },
      { sid: "DrillFlag", actions: ["ssm:GetParameter"], resources: [deps.drill.arn] },
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
    lambda: {
      description: "Publishes this region's health and its view of the peer's, once a minute.",
      handler: "index.regionCheck",
      memorySize: HEALTH_MEMORY_MB,
      // Dependencies 1 s, the peer's CloudWatch 3 s, then one PutMetricData.
      timeout: 10,
      // One run a minute, each a few seconds: never two at once.
      reservedConcurrentExecutions: REGION_CHECK_CONCURRENCY,
      environment: { [ENV.peerRegion]: PEER_REGION },
    },
  });
}

/** Reserved for the region check: runs do not overlap, and nothing else may invoke it. */
export const REGION_CHECK_CONCURRENCY = 1;

/** The peer region, read from the peer bus ARN the composer computes from the manifest. */
export const PEER_REGION = '${split(":", var.peer_event_bus_arn)[3]}';

/** Enough for two small SDK calls; more memory would only buy CPU the probe does not need. */
const HEALTH_MEMORY_MB = 256;

const MANAGED_POLICIES = {
  network_interfaces: "service-role/AWSLambdaENIManagementAccess",
  xray: "AWSXRayDaemonWriteAccess",
};

type Statement = DataAwsIamPolicyDocumentStatement;

/** What differs between the two functions; the rest (network, tracing, DLQ, logs) is shared. */
interface HandlerSpec {
  /** Terraform name of its log group, role, policy document and policy. */
  id: string;
  lambdaId: string;
  attachmentPrefix: string;
  functionName: string;
  roleName: string;
  roleDescription: string;
  policyName: string;
  /** Its own grants; the dead-letter queue and its own log group are added for both. */
  statements: Statement[];
  lambda: {
    description: string;
    handler: string;
    memorySize: number;
    timeout: number;
    reservedConcurrentExecutions: number;
    environment?: Record<string, string>;
  };
}

/** A function of the handler bundle with its log group and a least-privilege execution role. */
function handlerFunction(
  stack: ModuleStack,
  inputs: ComputeInputs,
  deps: FunctionDeps,
  spec: HandlerSpec,
): LambdaFunction {
  const aws = awsContext(stack);
  const logs = new CloudwatchLogGroup(stack, `aws_cloudwatch_log_group.${spec.id}`, {
    name: `/aws/lambda/${spec.functionName}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: deps.key.arn,
  });
  const assume = assumeRolePolicy(stack, {
    id: `${spec.id}_assume`,
    service: "lambda.amazonaws.com",
  });
  const role = moduleRole(stack, spec.id, {
    name: spec.roleName,
    description: spec.roleDescription,
    assumeRolePolicy: assume.json,
  });
  const document = new DataAwsIamPolicyDocument(stack, `data.aws_iam_policy_document.${spec.id}`, {
    statement: [
      ...spec.statements,
      { sid: "DeadLetterQueue", actions: ["sqs:SendMessage"], resources: [deps.queue.arn] },
      {
        sid: "OwnLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${logs.arn}:*`],
      },
    ],
  });
  const policy = new IamRolePolicy(stack, `aws_iam_role_policy.${spec.id}`, {
    name: spec.policyName,
    role: role.id,
    policy: document.json,
  });
  // The VPC network interfaces and X-Ray writes have no resource-level permissions; AWS's
  // managed policies for exactly these two jobs keep "*" out of our own policy.
  const managed = Object.entries(MANAGED_POLICIES).map(
    ([id, path]) =>
      new IamRolePolicyAttachment(
        stack,
        `aws_iam_role_policy_attachment.${spec.attachmentPrefix}${id}`,
        { role: role.name, policyArn: `arn:${aws.partition}:iam::aws:policy/${path}` },
      ),
  );
  return new LambdaFunction(stack, `aws_lambda_function.${spec.lambdaId}`, {
    functionName: spec.functionName,
    description: spec.lambda.description,
    role: role.arn,
    runtime: "nodejs22.x",
    architectures: ["arm64"],
    handler: spec.lambda.handler,
    filename: `\${path.module}/${HANDLER_ZIP}`,
    sourceCodeHash: `\${filebase64sha256("\${path.module}/${HANDLER_ZIP}")}`,
    memorySize: spec.lambda.memorySize,
    timeout: spec.lambda.timeout,
    reservedConcurrentExecutions: spec.lambda.reservedConcurrentExecutions,
    kmsKeyArn: deps.key.arn,
    environment: {
      variables: {
        [ENV.tableName]: inputs.tableName,
        [ENV.eventBusName]: deps.bus.name,
        [ENV.drillParameterName]: deps.drill.name,
        [ENV.role]: inputs.role,
        ...spec.lambda.environment,
      },
    },
    vpcConfig: { subnetIds: inputs.subnetIds, securityGroupIds: inputs.securityGroupIds },
    deadLetterConfig: { targetArn: deps.queue.arn },
    tracingConfig: { mode: "Active" },
    loggingConfig: {
      logFormat: "JSON",
      logGroup: logs.name,
      applicationLogLevel: "INFO",
      systemLogLevel: "WARN",
    },
    // On destroy, the function goes first while its role may still delete its network interfaces.
    dependsOn: [policy, ...managed],
  });
}

/** The payments table's key, usable only through DynamoDB in this region. */
function tableKeyThroughDynamoDb(
  aws: AwsContext,
  inputs: ComputeInputs,
  actions: string[],
): Statement {
  return {
    sid: "PaymentsTableKeyThroughDynamoDb",
    actions,
    resources: [inputs.tableKmsKeyArn],
    condition: [
      {
        test: "StringEquals",
        variable: "kms:ViaService",
        values: [`dynamodb.${aws.region}.${aws.dnsSuffix}`],
      },
    ],
  };
}
