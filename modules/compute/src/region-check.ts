import { TerraformOutput } from "cdktf";
import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target/index.js";
import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import { awsContext, type ModuleStack } from "@tandem/module-kit";
import { HEALTH_METRICS } from "./handler/contract.ts";
import type { ComputeInputs } from "./variables.ts";

/** EventBridge's shortest schedule; the alarm's period matches it. */
export const REGION_CHECK_SCHEDULE = "rate(1 minute)";

/**
 * Consecutive failed (or missing) minutes before the region is unhealthy: one missed scheduled
 * run does not fail a region over. Route 53 accepts only standard-resolution alarms without
 * extended statistics or metric math, so this is a plain metric alarm, N out of N.
 */
export const REGION_HEALTH_EVALUATION_PERIODS = 2;

/** The name Route 53's health check reads, in this region; the dns module computes the same. */
export const regionHealthAlarmName = (name: string) => `${name}-region-health`;

/**
 * The schedule that runs the region check, and the alarm Route 53 follows: this region is
 * unhealthy when its check published 0, or nothing (missing data is breaching), for
 * REGION_HEALTH_EVALUATION_PERIODS minutes. A lost region's alarm cannot be read at all, which
 * the dns module's health check counts as unhealthy too.
 */
export function regionCheckSchedule(
  stack: ModuleStack,
  inputs: ComputeInputs,
  fn: LambdaFunction,
): void {
  const aws = awsContext(stack);
  const rule = new CloudwatchEventRule(stack, "aws_cloudwatch_event_rule.region_check", {
    name: `${inputs.name}-region-check`,
    description: "Runs the region check, which publishes this region's health for Route 53.",
    scheduleExpression: REGION_CHECK_SCHEDULE,
  });
  new CloudwatchEventTarget(stack, "aws_cloudwatch_event_target.region_check", {
    rule: rule.name,
    targetId: "region-check",
    arn: fn.arn,
    // A run that cannot start within the minute is superseded by the next one.
    retryPolicy: { maximumEventAgeInSeconds: 60, maximumRetryAttempts: 0 },
  });
  new LambdaPermission(stack, "aws_lambda_permission.region_check", {
    statementId: "AllowTheScheduleOnly",
    action: "lambda:InvokeFunction",
    functionName: fn.functionName,
    principal: `events.${aws.dnsSuffix}`,
    sourceArn: rule.arn,
  });
  const alarm = new CloudwatchMetricAlarm(stack, "aws_cloudwatch_metric_alarm.region_health", {
    alarmName: regionHealthAlarmName(inputs.name),
    alarmDescription:
      "This region cannot take payments (table, drill flag, or the region check itself): Route 53's health check follows this alarm and fails the region over.",
    namespace: HEALTH_METRICS.namespace,
    metricName: HEALTH_METRICS.region,
    dimensions: { [HEALTH_METRICS.dimension]: aws.region },
    statistic: "Minimum",
    comparisonOperator: "LessThanThreshold",
    threshold: 1,
    period: 60,
    evaluationPeriods: REGION_HEALTH_EVALUATION_PERIODS,
    datapointsToAlarm: REGION_HEALTH_EVALUATION_PERIODS,
    treatMissingData: "breaching",
  });
  new TerraformOutput(stack, "region_health_alarm_name", {
    value: alarm.alarmName,
    description:
      "The alarm Route 53's health check of this region follows (`<name>-region-health`, in this region).",
  });
  new TerraformOutput(stack, "region_check_function_name", {
    value: fn.functionName,
    description: "Name of the scheduled region check function.",
  });
}
