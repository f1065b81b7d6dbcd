import { TerraformOutput, Token } from "cdktf";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import type { SsmParameter } from "@cdktf/provider-aws/lib/ssm-parameter/index.js";
import type { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus/index.js";
import { awsContext, roleArn, type ModuleStack } from "@tandem/module-kit";
import { ENV } from "./handler/contract.ts";
import { functionName, functionRoleName, type FunctionId } from "./roles.ts";
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
  const fn = handlerFunction(stack, inputs, deps, {
    id: "function",
    lambdaId: "this",
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
  return handlerFunction(stack, inputs, deps, {
    id: "health",
    lambdaId: "health",
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
  return handlerFunction(stack, inputs, deps, {
    id: "region_check",
    lambdaId: "region_check",
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

/** What differs between the two functions; the rest (network, tracing, DLQ, logs) is shared. */
interface HandlerSpec {
  /** Which function: the Terraform name of its log group, and its role in the identity part. */
  id: FunctionId;
  lambdaId: string;
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
  const name = functionName(inputs.name, spec.id);
  const logs = new CloudwatchLogGroup(stack, `aws_cloudwatch_log_group.${spec.id}`, {
    name: `/aws/lambda/${name}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: deps.key.arn,
  });
  return new LambdaFunction(stack, `aws_lambda_function.${spec.lambdaId}`, {
    functionName: name,
    description: spec.lambda.description,
    // The identity root's role of this function and region, by its computed ARN.
    role: roleArn(stack, functionRoleName(inputs.name, spec.id, aws.region)),
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
  });
}
