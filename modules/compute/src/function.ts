import { TerraformOutput, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus/index.js";
import { assumeRolePolicy, awsContext, type ModuleStack } from "@tandem/module-kit";
import { ENV } from "./handler/contract.ts";
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
  const functionName = `${inputs.name}-payments`;
  const logs = new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.function", {
    name: `/aws/lambda/${functionName}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: deps.key.arn,
  });
  const { role, grants } = executionRole(stack, inputs, deps, logs);
  const fn = new LambdaFunction(stack, "aws_lambda_function.this", {
    functionName,
    description:
      "Records payments idempotently (POST /payments); GET /health has a function of its own.",
    role: role.arn,
    runtime: "nodejs22.x",
    architectures: ["arm64"],
    handler: "index.handler",
    filename: `\${path.module}/${HANDLER_ZIP}`,
    sourceCodeHash: `\${filebase64sha256("\${path.module}/${HANDLER_ZIP}")}`,
    memorySize: inputs.memoryMb,
    timeout: inputs.timeoutSeconds,
    reservedConcurrentExecutions: inputs.reservedConcurrency,
    kmsKeyArn: deps.key.arn,
    environment: {
      variables: {
        [ENV.tableName]: inputs.tableName,
        [ENV.eventBusName]: deps.bus.name,
        [ENV.drillParameterName]: deps.drill.name,
        [ENV.role]: inputs.role,
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
    dependsOn: grants,
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

const MANAGED_POLICIES = {
  network_interfaces: "service-role/AWSLambdaENIManagementAccess",
  xray: "AWSXRayDaemonWriteAccess",
};

function executionRole(
  stack: ModuleStack,
  inputs: ComputeInputs,
  deps: FunctionDeps,
  logs: CloudwatchLogGroup,
) {
  const aws = awsContext(stack);
  const assume = assumeRolePolicy(stack, {
    id: "function_assume",
    service: "lambda.amazonaws.com",
  });
  // IAM is global: the region keeps the two regions' roles apart (64 characters at most).
  const role = new IamRole(stack, "aws_iam_role.function", {
    name: `${inputs.name}-payments-${aws.region}`,
    description: "Execution role of the payment handler.",
    assumeRolePolicy: assume.json,
  });
  const document = new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.function", {
    statement: [
      {
        sid: "PaymentsTable",
        actions: ["dynamodb:GetItem", "dynamodb:PutItem"],
        resources: [inputs.tableArn],
      },
      {
        sid: "PaymentsTableKeyThroughDynamoDb",
        actions: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
        resources: [inputs.tableKmsKeyArn],
        condition: [
          {
            test: "StringEquals",
            variable: "kms:ViaService",
            values: [`dynamodb.${aws.region}.${aws.dnsSuffix}`],
          },
        ],
      },
      // The queue and the bus are encrypted with this module's key.
      {
        sid: "ModuleKey",
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: [deps.key.arn],
      },
      { sid: "DrillFlag", actions: ["ssm:GetParameter"], resources: [deps.drill.arn] },
      { sid: "PaymentEvents", actions: ["events:PutEvents"], resources: [deps.bus.arn] },
      { sid: "DeadLetterQueue", actions: ["sqs:SendMessage"], resources: [deps.queue.arn] },
      {
        sid: "OwnLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${logs.arn}:*`],
      },
    ],
  });
  const policy = new IamRolePolicy(stack, "aws_iam_role_policy.function", {
    name: "payment-handler",
    role: role.id,
    policy: document.json,
  });
  // The VPC network interfaces and X-Ray writes have no resource-level permissions; AWS's
  // managed policies for exactly these two jobs keep "*" out of our own policy.
  const managed = Object.entries(MANAGED_POLICIES).map(
    ([id, path]) =>
      new IamRolePolicyAttachment(stack, `aws_iam_role_policy_attachment.${id}`, {
        role: role.name,
        policyArn: `arn:${aws.partition}:iam::aws:policy/${path}`,
      }),
  );
  return { role, grants: [policy, ...managed] };
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
  const functionName = `${inputs.name}-health`;
  const logs = new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.health", {
    name: `/aws/lambda/${functionName}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: deps.key.arn,
  });
  const assume = assumeRolePolicy(stack, { id: "health_assume", service: "lambda.amazonaws.com" });
  const role = new IamRole(stack, "aws_iam_role.health", {
    name: `${inputs.name}-health-${aws.region}`,
    description: "Execution role of the /health function.",
    assumeRolePolicy: assume.json,
  });
  const document = new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.health", {
    statement: [
      { sid: "ProbeItem", actions: ["dynamodb:GetItem"], resources: [inputs.tableArn] },
      {
        sid: "PaymentsTableKeyThroughDynamoDb",
        actions: ["kms:Decrypt", "kms:DescribeKey"],
        resources: [inputs.tableKmsKeyArn],
        condition: [
          {
            test: "StringEquals",
            variable: "kms:ViaService",
            values: [`dynamodb.${aws.region}.${aws.dnsSuffix}`],
          },
        ],
      },
      { sid: "ModuleKey", actions: ["kms:Decrypt"], resources: [deps.key.arn] },
      { sid: "DrillFlag", actions: ["ssm:GetParameter"], resources: [deps.drill.arn] },
      { sid: "DeadLetterQueue", actions: ["sqs:SendMessage"], resources: [deps.queue.arn] },
      {
        sid: "OwnLogGroup",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${logs.arn}:*`],
      },
    ],
  });
  const policy = new IamRolePolicy(stack, "aws_iam_role_policy.health", {
    name: "health-check",
    role: role.id,
    policy: document.json,
  });
  const managed = Object.entries(MANAGED_POLICIES).map(
    ([id, path]) =>
      new IamRolePolicyAttachment(stack, `aws_iam_role_policy_attachment.health_${id}`, {
        role: role.name,
        policyArn: `arn:${aws.partition}:iam::aws:policy/${path}`,
      }),
  );
  return new LambdaFunction(stack, "aws_lambda_function.health", {
    functionName,
    description: "Reports this region's health for Route 53 and the drill (GET /health).",
    role: role.arn,
    runtime: "nodejs22.x",
    architectures: ["arm64"],
    handler: "index.health",
    filename: `\${path.module}/${HANDLER_ZIP}`,
    sourceCodeHash: `\${filebase64sha256("\${path.module}/${HANDLER_ZIP}")}`,
    memorySize: HEALTH_MEMORY_MB,
    // Route 53 counts a probe failed 2 s after connecting; the handler answers within 1.5 s.
    timeout: 3,
    reservedConcurrentExecutions: inputs.healthReservedConcurrency,
    kmsKeyArn: deps.key.arn,
    environment: {
      variables: {
        [ENV.tableName]: inputs.tableName,
        [ENV.eventBusName]: deps.bus.name,
        [ENV.drillParameterName]: deps.drill.name,
        [ENV.role]: inputs.role,
        [ENV.healthCacheSeconds]: Token.asString(inputs.healthCacheSeconds),
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
    dependsOn: [policy, ...managed],
  });
}

/** Enough for two small SDK calls; more memory would only buy CPU the probe does not need. */
const HEALTH_MEMORY_MB = 256;
