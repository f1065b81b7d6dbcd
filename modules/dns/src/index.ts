import { TerraformOutput } from "cdktf";
import { defineModule } from "@tandem/module-kit";
import { failover } from "./failover.ts";
import { dnsVariables } from "./variables.ts";
import { hostedZone } from "./zone.ts";

export default defineModule({
  domain: "dns",
  description:
    "Route 53 for the payments API, applied once in the `global` root (provider in us-east-1). " +
    "It creates the public hosted zone (with KMS-encrypted query logging) or uses an existing one, " +
    "writes the ACM DNS validation records of both regions' certificates, health-checks each " +
    "region's `/health` over HTTPS from at least three checker regions, and points `record_name` " +
    "at the regional API Gateway custom domains with PRIMARY/SECONDARY failover alias records " +
    "(A and AAAA) that evaluate target health. Failing over needs no apply: when the primary's " +
    "health check fails (or the drill flag makes `/health` fail), Route 53 answers with the " +
    "secondary. Health checkers send the endpoint's host name as SNI and Host header, so " +
    "`health_check_fqdn` is a host name, never a URL: preferably the region's own custom domain " +
    "(for example `us-east-1.api.pay.acme-payments.com`, compute's `health_check_domain_name`), " +
    "which `health_check_records` aliases to that region's API Gateway domain so the check goes " +
    "through a custom domain, API mapping, stage and function as a client's request does; " +
    "otherwise the default `execute-api` host, which must then stay enabled. Route 53 cannot " +
    "probe the failover name itself per region (it resolves to whichever region is healthy), " +
    "and HTTPS health checks do not validate certificates, so the certificate is renewed by ACM " +
    "and watched by its DNS validation record, not by the check. The AAAA records answer with " +
    "IPv6 addresses when the custom domains are dualstack.",
  example: `module "dns" {
  source = "./modules/dns"

  name        = "payments-prod"
  zone_name   = "pay.acme-payments.com"
  zone_id     = "" # create the zone; delegate it with the name_servers output
  record_name = "api.pay.acme-payments.com"

  primary = {
    region             = "us-east-1"
    target_domain_name = "d-abc123.execute-api.us-east-1.amazonaws.com"
    target_zone_id     = "Z1UJRXOUMOOFQ8"
    health_check_fqdn  = "abc123.execute-api.us-east-1.amazonaws.com"
  }
  secondary = {
    region             = "us-west-2"
    target_domain_name = "d-def456.execute-api.us-west-2.amazonaws.com"
    target_zone_id     = "Z2OJLYMUO9EFXC"
    health_check_fqdn  = "def456.execute-api.us-west-2.amazonaws.com"
  }

  certificate_validation_records = concat(
    module.compute_us_east_1.certificate_validation_records,
    module.compute_us_west_2.certificate_validation_records,
  )

  health_check_interval          = 10
  health_check_failure_threshold = 3
  health_check_regions           = ["us-east-1", "us-west-2", "eu-west-1"]
}`,
  build(stack) {
    dnsVariables(stack);
    const zoneId = hostedZone(stack);
    failover(stack, zoneId);
    new TerraformOutput(stack, "output.zone_id", {
      value: zoneId,
      description: "The hosted zone id (created or given).",
    });
    new TerraformOutput(stack, "name_servers", {
      value: "${local.name_servers}",
      description: "The zone's name servers, to delegate the domain to.",
    });
    new TerraformOutput(stack, "record_fqdn", {
      value: '${aws_route53_record.a["primary"].fqdn}',
      description: "The failover name clients call.",
    });
    new TerraformOutput(stack, "health_check_ids", {
      value: "${ { for role, check in aws_route53_health_check.this : role => check.id } }",
      description:
        "Route 53 health check id by role (`primary`, `secondary`), for the health-check alarms and the drill.",
    });
  },
});
