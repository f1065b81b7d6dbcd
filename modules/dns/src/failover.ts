import { TerraformIterator, TerraformLocal, Token } from "cdktf";
import { Route53HealthCheck } from "@cdktf/provider-aws/lib/route53-health-check/index.js";
import { Route53Record } from "@cdktf/provider-aws/lib/route53-record/index.js";
import type { ModuleStack } from "@tandem/module-kit";

/**
 * The alarm each region's compute module (2.2.0 and later) keeps on its scheduled region check,
 * `<name>-region-health` in that region: the same `var.name` in both regions and here.
 */
export const REGION_HEALTH_ALARM = "${var.name}-region-health";

/**
 * A lost region's alarm cannot be read; Route 53 then has insufficient data, which must fail the
 * region over, not keep it (Healthy) or freeze it (LastKnownStatus).
 */
export const INSUFFICIENT_DATA_HEALTH_STATUS = "Unhealthy";

/**
 * One health check per region that follows that region's `<name>-region-health` alarm, and
 * failover alias records (A and AAAA) from `record_name` to each region's API Gateway custom
 * domain. Route 53 never requests anything of the API: an endpoint check would probe the public
 * `/health`, which anyone can flood until its route limit fails the probes and the primary over.
 * The alarm is fed by a function only an EventBridge schedule invokes. No CNAME to a Lambda
 * function URL: a function URL only answers to its own host name.
 */
export function failover(stack: ModuleStack, zoneId: string): void {
  const endpoints = new TerraformLocal(stack, "local.endpoints", {
    primary: "${var.primary}",
    secondary: "${var.secondary}",
  });
  const checks = TerraformIterator.fromMap(endpoints.asAnyMap);
  new Route53HealthCheck(stack, "aws_route53_health_check.this", {
    forEach: checks,
    type: "CLOUDWATCH_METRIC",
    cloudwatchAlarmName: REGION_HEALTH_ALARM,
    cloudwatchAlarmRegion: checks.getString("region"),
    insufficientDataHealthStatus: INSUFFICIENT_DATA_HEALTH_STATUS,
    tags: { Name: `\${var.name}-${checks.key}` },
  });
  // API Gateway regional custom domains serve IPv6 when their endpoint is dualstack, so AAAA
  // aliases fail over the same way (API Gateway developer guide, "IP address types").
  for (const type of ["A", "AAAA"]) aliasRecords(stack, type, zoneId, endpoints);
  for (const type of ["A", "AAAA"]) healthCheckRecords(stack, type, zoneId);
  certificateValidation(stack, zoneId);
}

/**
 * Each region's own name (compute's `health_check_domain_name`, `<region>.<record>`) as a plain
 * alias to that region's custom domain, so the drill and on-call can reach one region by name
 * (its `/health` says what that region sees). Route 53's health checks no longer request it.
 */
function healthCheckRecords(stack: ModuleStack, type: string, zoneId: string): void {
  const each = TerraformIterator.fromMap(Token.asAnyMap("${var.health_check_records}"));
  new Route53Record(stack, `aws_route53_record.health_check_${type.toLowerCase()}`, {
    forEach: each,
    zoneId,
    name: each.getString("name"),
    type,
    alias: {
      name: each.getString("target_domain_name"),
      zoneId: each.getString("target_zone_id"),
      evaluateTargetHealth: false,
    },
  });
}

function aliasRecords(
  stack: ModuleStack,
  type: string,
  zoneId: string,
  endpoints: TerraformLocal,
): void {
  const each = TerraformIterator.fromMap(endpoints.asAnyMap);
  new Route53Record(stack, `aws_route53_record.${type.toLowerCase()}`, {
    forEach: each,
    zoneId,
    name: "${var.record_name}",
    type,
    setIdentifier: each.key,
    failoverRoutingPolicy: { type: "${upper(each.key)}" },
    healthCheckId: "${aws_route53_health_check.this[each.key].id}",
    alias: {
      name: each.getString("target_domain_name"),
      zoneId: each.getString("target_zone_id"),
      evaluateTargetHealth: true,
    },
    lifecycle: {
      precondition: [
        {
          condition:
            '${var.record_name == var.zone_name || endswith(var.record_name, ".${var.zone_name}")}',
          errorMessage: "record_name must be zone_name or a name under it.",
        },
        {
          condition: "${var.primary.region != var.secondary.region}",
          errorMessage: "primary and secondary must be different regions.",
        },
      ],
    },
  });
}

/**
 * ACM's DNS validation records. Both regions' certificates for the same name in the same account
 * ask for the same record, so records are keyed by name and may overwrite each other.
 */
function certificateValidation(stack: ModuleStack, zoneId: string): void {
  const records = new TerraformLocal(
    stack,
    "local.certificate_validation_records",
    "${ { for r in distinct(var.certificate_validation_records) : r.name => r } }",
  );
  const each = TerraformIterator.fromMap(records.asAnyMap);
  new Route53Record(stack, "aws_route53_record.certificate_validation", {
    forEach: each,
    zoneId,
    name: each.getString("name"),
    type: each.getString("type"),
    records: [each.getString("value")],
    ttl: 300,
    allowOverwrite: true,
  });
}
