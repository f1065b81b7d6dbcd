import {
  AWS_REGION_PATTERN,
  DNS_NAME_PATTERN,
  HOSTED_ZONE_ID_PATTERN,
  nameVariable,
  variable,
  type ModuleStack,
} from "@tandem/module-kit";

const ENDPOINT_TYPE =
  "object({ region = string, target_domain_name = string, target_zone_id = string, health_check_fqdn = string })";

/** Declares the module's inputs; resources refer to them as `var.<name>`. */
export function dnsVariables(stack: ModuleStack): void {
  // The global root has no `role`, so commonVariables() does not fit.
  nameVariable(stack);
  variable(stack, "zone_name", {
    type: "string",
    description: "The hosted zone's domain, e.g. `pay.acme-payments.com`.",
    rules: [
      [
        `can(regex("${DNS_NAME_PATTERN}", var.zone_name))`,
        "zone_name must be a lower-case DNS name without a trailing dot.",
      ],
    ],
  });
  variable(stack, "zone_id", {
    type: "string",
    description:
      'An existing public hosted zone for `zone_name`; `""` creates the zone (and its query logging).',
    default: "",
    rules: [
      [
        `var.zone_id == "" || can(regex("${HOSTED_ZONE_ID_PATTERN}", var.zone_id))`,
        "zone_id must be a Route 53 hosted zone id (Z...) or empty.",
      ],
    ],
  });
  variable(stack, "record_name", {
    type: "string",
    description: "The failover name clients call, e.g. `api.pay.acme-payments.com`.",
    rules: [
      [
        `can(regex("${DNS_NAME_PATTERN}", var.record_name))`,
        "record_name must be a lower-case DNS name without a trailing dot.",
      ],
    ],
  });
  for (const role of ["primary", "secondary"]) endpointVariable(stack, role);
  variable(stack, "certificate_validation_records", {
    type: "list(object({ name = string, type = string, value = string }))",
    description:
      "ACM DNS validation records of both regions' certificates (compute output). The same name in the same account gives the same record, so duplicates are merged.",
    default: [],
    rules: [
      [
        "length(distinct([for r in var.certificate_validation_records : r.name])) == length(distinct(var.certificate_validation_records))",
        "certificate_validation_records with the same name must have the same type and value.",
      ],
      [
        'alltrue([for r in var.certificate_validation_records : r.type == "CNAME"])',
        "ACM DNS validation records are CNAME records.",
      ],
    ],
  });
  variable(stack, "health_check_records", {
    type: "map(object({ name = string, target_domain_name = string, target_zone_id = string }))",
    description:
      "By role (`primary`, `secondary`): each region's own name (the endpoint's `health_check_fqdn`) and its custom domain target, written as alias A/AAAA records so one region can be reached by name. `{}` writes none.",
    default: {},
    rules: [
      [
        // Validations may refer to other variables from Terraform 1.9 (the modules need 1.11).
        'alltrue([for role, r in var.health_check_records : contains(["primary", "secondary"], role) && r.name == (role == "primary" ? var.primary : var.secondary).health_check_fqdn])',
        "health_check_records must be keyed primary/secondary, each named as that endpoint's health_check_fqdn.",
      ],
      [
        `alltrue([for r in values(var.health_check_records) : can(regex("${HOSTED_ZONE_ID_PATTERN}", r.target_zone_id)) && can(regex("${DNS_NAME_PATTERN}", r.target_domain_name))])`,
        "health_check_records need a DNS target_domain_name and a Route 53 target_zone_id.",
      ],
    ],
  });
}

function endpointVariable(stack: ModuleStack, role: string): void {
  const v = `var.${role}`;
  variable(stack, role, {
    type: ENDPOINT_TYPE,
    description: `The ${role} region's API: its region (whose \`<name>-region-health\` alarm the health check follows), the regional custom domain target (\`target_domain_name\`, \`target_zone_id\`) and the region's own host name (\`health_check_fqdn\`, a host name, not a URL; \`health_check_records\` names it).`,
    rules: [
      [
        `can(regex("${AWS_REGION_PATTERN}", ${v}.region))`,
        `${role}.region must be an AWS region such as us-east-1.`,
      ],
      [
        `can(regex("${DNS_NAME_PATTERN}", ${v}.target_domain_name))`,
        `${role}.target_domain_name must be a DNS name.`,
      ],
      [
        `can(regex("${HOSTED_ZONE_ID_PATTERN}", ${v}.target_zone_id))`,
        `${role}.target_zone_id must be a Route 53 hosted zone id.`,
      ],
      [
        `can(regex("${DNS_NAME_PATTERN}", ${v}.health_check_fqdn))`,
        `${role}.health_check_fqdn must be a host name such as abc123.execute-api.us-east-1.amazonaws.com, not a URL.`,
      ],
    ],
  });
}
