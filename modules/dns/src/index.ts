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
    "writes the ACM DNS validation records of both regions' certificates, and points " +
    "`record_name` at the regional API Gateway custom domains with PRIMARY/SECONDARY failover " +
    "alias records (A and AAAA) that evaluate target health. Each region's health check is a " +
    "CloudWatch alarm health check: it follows the alarm `<name>-region-health` in that region " +
    "(compute 2.2.0 and later), which a function run by an EventBridge schedule feeds once a " +
    "minute, so no public request can move it (an HTTPS check would probe the public `/health`, " +
    "which a flood at its route limit fails). Insufficient data, which is what Route 53 sees " +
    "when it cannot read a lost region's alarm, counts as unhealthy. Failing over needs no " +
    "apply: when the primary's alarm fires (its table, the drill flag, or its region check " +
    "failing for two minutes), Route 53 answers with the secondary. `health_check_records` " +
    "aliases each region's own name (`health_check_fqdn`, e.g. " +
    "`us-east-1.api.pay.acme-payments.com`) to that region's API Gateway domain, so the drill " +
    "and on-call can reach one region by name. The AAAA records answer with IPv6 addresses when " +
    "the custom domains are dualstack.",
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
