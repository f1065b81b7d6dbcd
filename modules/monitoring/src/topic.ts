import { TerraformIterator, Token } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { SnsTopicPolicy } from "@cdktf/provider-aws/lib/sns-topic-policy/index.js";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription/index.js";
import { awsContext, kmsKey, type ModuleStack } from "@tandem/module-kit";

/**
 * The alarm topic, encrypted with its own key. CloudWatch publishes to an encrypted topic only
 * if the key policy lets cloudwatch.amazonaws.com generate data keys (SNS developer guide,
 * "compatibility between event sources from AWS services and encrypted topics"). The topic name
 * carries the role: the global root and the primary root can share us-east-1.
 */
export function alarmTopic(stack: ModuleStack, alarmEmails: string[]): SnsTopic {
  const aws = awsContext(stack);
  const key = kmsKey(stack, {
    id: "alarms",
    description: "Alarm notifications of ${var.name} (${var.role})",
    alias: "${var.name}-${var.role}-alarms",
    servicePrincipals: ["cloudwatch"],
  });
  const topic = new SnsTopic(stack, "aws_sns_topic.alarms", {
    name: "${var.name}-${var.role}-alarms",
    displayName: "${var.name} ${var.role} alarms",
    kmsMasterKeyId: key.arn,
    lifecycle: {
      precondition: [
        {
          condition: '${var.role != "global" || length(var.health_check_ids) > 0}',
          errorMessage:
            "The global role alarms on Route 53 health checks: health_check_ids must not be empty.",
        },
      ],
    },
  });
  const policy = new DataAwsIamPolicyDocument(stack, "data.aws_iam_policy_document.alarms_topic", {
    statement: [
      {
        sid: "CloudWatchAlarmsPublish",
        principals: [{ type: "Service", identifiers: [`cloudwatch.${aws.dnsSuffix}`] }],
        actions: ["sns:Publish"],
        resources: [topic.arn],
        condition: [
          { test: "StringEquals", variable: "aws:SourceAccount", values: [aws.accountId] },
          {
            test: "ArnLike",
            variable: "aws:SourceArn",
            values: [`arn:${aws.partition}:cloudwatch:${aws.region}:${aws.accountId}:alarm:*`],
          },
        ],
      },
    ],
  });
  new SnsTopicPolicy(stack, "aws_sns_topic_policy.alarms", { arn: topic.arn, policy: policy.json });
  const emails = TerraformIterator.fromList(alarmEmails);
  new SnsTopicSubscription(stack, "aws_sns_topic_subscription.email", {
    forEach: emails,
    topicArn: topic.arn,
    protocol: "email",
    endpoint: Token.asString(emails.value),
  });
  return topic;
}
