import { Fn, TerraformOutput } from "cdktf";
import { CloudwatchEventBus } from "@cdktf/provider-aws/lib/cloudwatch-event-bus/index.js";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue/index.js";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy/index.js";
import { awsContext, roleArn, type ModuleStack } from "@tandem/module-kit";
import { PAYMENT_EVENT } from "./handler/contract.ts";
import { deadLetterQueueName, eventsRoleName } from "./roles.ts";
import type { ComputeInputs } from "./variables.ts";

/** SQS keeps a message 14 days at most: the time on-call has to replay what could not be delivered. */
const DLQ_RETENTION_SECONDS = 14 * 24 * 3600;

/** Where undeliverable work lands: the function's failed async invocations and events the peer bus refused. */
export function deadLetterQueue(stack: ModuleStack, inputs: ComputeInputs, key: KmsKey): SqsQueue {
  const queue = new SqsQueue(stack, "aws_sqs_queue.dead_letter", {
    name: deadLetterQueueName(inputs.name),
    kmsMasterKeyId: key.arn,
    kmsDataKeyReusePeriodSeconds: 300,
    messageRetentionSeconds: DLQ_RETENTION_SECONDS,
  });
  new TerraformOutput(stack, "dead_letter_queue_name", {
    value: queue.name,
    description: "Name of the dead-letter queue (alarm on its depth).",
  });
  return queue;
}

/**
 * The region's payment bus, named `var.name` so the peer can compute its ARN, and a rule that
 * forwards the payments recorded here to the peer's bus. The pattern matches this region's
 * `originRegion` only, so events forwarded from the peer never bounce back.
 */
export function eventForwarding(
  stack: ModuleStack,
  inputs: ComputeInputs,
  key: KmsKey,
  queue: SqsQueue,
): CloudwatchEventBus {
  const aws = awsContext(stack);
  const bus = new CloudwatchEventBus(stack, "aws_cloudwatch_event_bus.this", {
    name: inputs.name,
    description:
      "Payment events; those recorded in this region are forwarded to the peer region's bus.",
    kmsKeyIdentifier: key.arn,
    // With a customer managed key, events that cannot be encrypted or decrypted land here.
    deadLetterConfig: { arn: queue.arn },
  });
  const rule = new CloudwatchEventRule(stack, "aws_cloudwatch_event_rule.forward_to_peer", {
    name: `${inputs.name}-forward-to-peer`,
    description: "Payments recorded in this region, forwarded to the peer region's bus.",
    eventBusName: bus.name,
    eventPattern: Fn.jsonencode({
      source: [PAYMENT_EVENT.source],
      "detail-type": [PAYMENT_EVENT.detailType],
      detail: { originRegion: [aws.region] },
    }),
  });
  new CloudwatchEventTarget(stack, "aws_cloudwatch_event_target.peer_bus", {
    rule: rule.name,
    eventBusName: bus.name,
    targetId: "peer-bus",
    arn: inputs.peerEventBusArn,
    // The identity root's forwarding role of this region, by its computed ARN.
    roleArn: roleArn(stack, eventsRoleName(inputs.name, aws.region)),
    // While the peer region is down EventBridge retries for a day, then keeps the event here.
    retryPolicy: { maximumEventAgeInSeconds: 86400, maximumRetryAttempts: 185 },
    deadLetterConfig: { arn: queue.arn },
  });
  queuePolicy(stack, queue, [bus.arn, rule.arn]);
  new TerraformOutput(stack, "event_bus_name", {
    value: bus.name,
    description: "Name of this region's payment event bus (`var.name`).",
  });
  new TerraformOutput(stack, "event_bus_arn", {
    value: bus.arn,
    description: "ARN of this region's payment event bus.",
  });
  return bus;
}

/** EventBridge may send only from this bus and this rule; nothing may use the queue without TLS. */
function queuePolicy(stack: ModuleStack, queue: SqsQueue, sourceArns: string[]): void {
  const document = new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.dead_letter", {
    statement: [
      {
        sid: "EventBridgeDeadLetters",
        principals: [{ type: "Service", identifiers: ["events.amazonaws.com"] }],
        actions: ["sqs:SendMessage"],
        resources: [queue.arn],
        condition: [{ test: "ArnEquals", variable: "aws:SourceArn", values: sourceArns }],
      },
      {
        sid: "DenyWithoutTls",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["sqs:*"],
        resources: [queue.arn],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ],
  });
  new SqsQueuePolicy(stack, "aws_sqs_queue_policy.dead_letter", {
    queueUrl: queue.url,
    policy: document.json,
  });
}
