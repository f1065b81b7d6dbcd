import { describe, expect, it } from "vitest";
import { synthesizeModule } from "@tandem/module-kit";
import dns from "../src/index.ts";
import { QUERY_LOG_RETENTION_DAYS } from "../src/zone.ts";
import {
  type Condition,
  evaluate,
  expr,
  hasTerraform,
  planErrors,
} from "@tandem/module-kit/testing";

const { json } = synthesizeModule(dns);
type Block = Record<string, unknown>;
const resource = (type: string, name: string) => json.resource?.[type]?.[name] as Block;
const variable = (name: string) => json.variable?.[name];

const endpoint = (region: string, id: string) => ({
  region,
  target_domain_name: `d-${id}.execute-api.${region}.amazonaws.com`,
  target_zone_id: "Z1UJRXOUMOOFQ8",
  health_check_fqdn: `${id}.execute-api.${region}.amazonaws.com`,
});
const valid = {
  name: "payments-prod",
  zone_name: "pay.acme-payments.com",
  record_name: "api.pay.acme-payments.com",
  primary: endpoint("us-east-1", "abc123"),
  secondary: endpoint("us-west-2", "def456"),
};

describe("dns contract", () => {
  it("declares exactly the inputs and outputs of docs/module-wiring.md, with no role", () => {
    expect(Object.keys(json.variable ?? {}).sort()).toEqual(
      [
        "certificate_validation_records",
        "health_check_records",
        "name",
        "primary",
        "record_name",
        "secondary",
        "zone_id",
        "zone_name",
      ].sort(),
    );
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "health_check_ids",
      "name_servers",
      "record_fqdn",
      "zone_id",
    ]);
  });

  it("defaults to creating the zone; the health checks have no interval, threshold or checker regions to set", () => {
    expect(variable("zone_id")?.default).toBe("");
    for (const gone of [
      "health_check_interval",
      "health_check_failure_threshold",
      "health_check_regions",
    ])
      expect(variable(gone)).toBeUndefined();
    expect(variable("certificate_validation_records")?.default).toEqual([]);
    for (const required of ["name", "zone_name", "record_name", "primary", "secondary"]) {
      expect(variable(required)).not.toHaveProperty("default");
    }
  });
});

describe("failover records (seed correction: no CNAME to a function URL)", () => {
  const records = json.resource?.aws_route53_record as Record<string, Block>;

  it("are PRIMARY/SECONDARY alias A and AAAA records to the regional custom domains", () => {
    for (const [name, type] of [
      ["a", "A"],
      ["aaaa", "AAAA"],
    ] as const) {
      const record = records[name] as Block;
      expect(record).toMatchObject({
        type,
        name: "${var.record_name}",
        zone_id: "${local.zone_id}",
        for_each: "${local.endpoints}",
        set_identifier: "${each.key}",
        failover_routing_policy: { type: "${upper(each.key)}" },
        health_check_id: "${aws_route53_health_check.this[each.key].id}",
        alias: {
          name: "${each.value.target_domain_name}",
          zone_id: "${each.value.target_zone_id}",
          evaluate_target_health: true,
        },
      });
      expect(record).not.toHaveProperty("records");
      expect(record).not.toHaveProperty("ttl");
    }
    expect(JSON.stringify(records)).not.toContain('"CNAME"');
    expect(json.locals?.endpoints).toEqual({
      primary: "${var.primary}",
      secondary: "${var.secondary}",
    });
  });

  it("health-check each region by its region-health alarm, never by a request the public can flood", () => {
    const check = resource("aws_route53_health_check", "this");
    expect(check).toEqual({
      for_each: "${local.endpoints}",
      type: "CLOUDWATCH_METRIC",
      cloudwatch_alarm_name: "${var.name}-region-health",
      cloudwatch_alarm_region: "${each.value.region}",
      // A lost region's alarm cannot be read: that is a failure, not the last known status.
      insufficient_data_health_status: "Unhealthy",
      tags: { Name: "${var.name}-${each.key}" },
    });
  });

  it("outputs the health check ids by role and the failover name", () => {
    expect(json.output?.health_check_ids?.value).toBe(
      "${ { for role, check in aws_route53_health_check.this : role => check.id } }",
    );
    expect(json.output?.record_fqdn?.value).toBe('${aws_route53_record.a["primary"].fqdn}');
  });
});

describe("hosted zone", () => {
  it("is created only without a zone_id, and an existing one must be the public zone of zone_name", () => {
    expect(resource("aws_route53_zone", "this")).toMatchObject({ name: "${var.zone_name}" });
    const existing = json.data?.aws_route53_zone?.existing as Block;
    expect(existing.zone_id).toBe("${var.zone_id}");
    expect(JSON.stringify(existing.lifecycle)).toContain("!self.private_zone");
    expect(json.locals?.zone_id).toBe(
      '${var.zone_id != "" ? var.zone_id : one(aws_route53_zone.this[*].zone_id)}',
    );
    expect(json.output?.zone_id?.value).toBe("${local.zone_id}");
  });

  it("logs DNS queries of a created zone to a KMS-encrypted us-east-1 log group kept a year", () => {
    const group = resource("aws_cloudwatch_log_group", "query_log");
    expect(group).toMatchObject({
      count: resource("aws_route53_zone", "this").count,
      name: "/aws/route53/${var.zone_name}",
      retention_in_days: QUERY_LOG_RETENTION_DAYS,
      kms_key_id: "${aws_kms_key.query_log.arn}",
    });
    expect(QUERY_LOG_RETENTION_DAYS).toBeGreaterThanOrEqual(365);
    expect(resource("aws_route53_query_log", "this")).toMatchObject({
      zone_id: "${aws_route53_zone.this[0].zone_id}",
      depends_on: ["aws_cloudwatch_log_resource_policy.query_log"],
    });
    const policy = JSON.stringify(json.data?.aws_iam_policy_document?.query_log);
    expect(policy).toContain("route53.${data.aws_partition.current.dns_suffix}");
    expect(policy).toContain("aws:SourceAccount");
    expect(resource("aws_kms_key", "query_log").enable_key_rotation).toBe(true);
  });
});

describe("certificate validation records", () => {
  it("are keyed by name and may overwrite the record the other region's certificate asked for", () => {
    expect(resource("aws_route53_record", "certificate_validation")).toMatchObject({
      for_each: "${local.certificate_validation_records}",
      name: "${each.value.name}",
      type: "${each.value.type}",
      records: ["${each.value.value}"],
      allow_overwrite: true,
      zone_id: "${local.zone_id}",
    });
  });
});

describe.skipIf(!hasTerraform)("with the Terraform binary", () => {
  const planOf = (overrides: Record<string, unknown>) =>
    planErrors(json, { ...valid, ...overrides });

  it("accepts a realistic configuration", () => {
    expect(planOf({ zone_id: "Z0123456789ABCDEFGHIJ" })).toBe("");
  });

  it.each([
    [
      {
        primary: {
          ...valid.primary,
          health_check_fqdn: "https://abc123.execute-api.us-east-1.amazonaws.com/health",
        },
      },
      "primary.health_check_fqdn must be a host name",
    ],
    [
      {
        secondary: {
          ...valid.secondary,
          health_check_fqdn: "def456.execute-api.us-west-2.amazonaws.com/health",
        },
      },
      "secondary.health_check_fqdn must be a host name",
    ],
    [
      { primary: { ...valid.primary, target_zone_id: "" } },
      "primary.target_zone_id must be a Route 53 hosted zone id.",
    ],
    [{ zone_id: "abc" }, "zone_id must be a Route 53 hosted zone id (Z...) or empty."],
    [
      { zone_name: "Pay.Example.com." },
      "zone_name must be a lower-case DNS name without a trailing dot.",
    ],
    [{ name: "Payments_Prod" }, "name must be 3-40 characters"],
    [
      {
        certificate_validation_records: [
          {
            name: "_a.api.pay.acme-payments.com.",
            type: "CNAME",
            value: "_x.acm-validations.aws.",
          },
          {
            name: "_a.api.pay.acme-payments.com.",
            type: "CNAME",
            value: "_y.acm-validations.aws.",
          },
        ],
      },
      "certificate_validation_records with the same name must have the same type and value.",
    ],
  ])("rejects %j", (overrides, message) => {
    expect(planOf(overrides)).toContain(message);
  });

  it("rejects a record name outside the zone and two endpoints in one region", () => {
    const conditions = (
      resource("aws_route53_record", "a").lifecycle as { precondition: Condition[] }
    ).precondition;
    const check = (overrides: Record<string, unknown>) =>
      planErrors(json, { ...valid, ...overrides }, conditions);
    expect(check({})).toBe("");
    expect(check({ record_name: "pay.acme-payments.com" })).toBe("");
    expect(check({ record_name: "api.evilacme-payments.com" })).toContain(
      "record_name must be zone_name or a name under it",
    );
    expect(check({ secondary: endpoint("us-east-1", "def456") })).toContain(
      "primary and secondary must be different regions.",
    );
  });

  it("creates the zone only without zone_id, and merges the same validation record from both regions", () => {
    const count = expr(resource("aws_route53_zone", "this").count);
    const existing = expr((json.data?.aws_route53_zone?.existing as Block).count);
    const record = {
      name: "_a.api.pay.acme-payments.com.",
      type: "CNAME",
      value: "_x.acm-validations.aws.",
    };
    const other = { ...record, name: "_b.pay.acme-payments.com." };
    const [created, lookedUp] = evaluate(
      json,
      { ...valid, certificate_validation_records: [record, record, other] },
      [`[${count}, ${existing}]`, expr(json.locals?.certificate_validation_records)],
    );
    expect(created).toEqual([1, 0]);
    expect(lookedUp).toEqual({ [record.name]: record, [other.name]: other });
    const [withId] = evaluate(json, { ...valid, zone_id: "Z0123456789ABCDEFGHIJ" }, [
      `[${count}, ${existing}]`,
    ]);
    expect(withId).toEqual([0, 1]);
  });

  it("follows, for each role, the alarm <name>-region-health in that role's region", () => {
    const check = resource("aws_route53_health_check", "this");
    const [followed] = evaluate(json, valid, [
      `{ for role, e in { primary = var.primary, secondary = var.secondary } : role => { name = "${String(check.cloudwatch_alarm_name)}", region = ${expr(check.cloudwatch_alarm_region).replace("each.value", "e")} } }`,
    ]);
    expect(followed).toEqual({
      primary: { name: "payments-prod-region-health", region: "us-east-1" },
      secondary: { name: "payments-prod-region-health", region: "us-west-2" },
    });
  });
});

describe.skipIf(!hasTerraform)("health checks through a custom domain (real terraform)", () => {
  const regional = {
    ...valid,
    primary: { ...valid.primary, health_check_fqdn: "us-east-1.api.pay.acme-payments.com" },
    secondary: { ...valid.secondary, health_check_fqdn: "us-west-2.api.pay.acme-payments.com" },
    health_check_records: {
      primary: {
        name: "us-east-1.api.pay.acme-payments.com",
        target_domain_name: "d-hc1.execute-api.us-east-1.amazonaws.com",
        target_zone_id: "Z1UJRXOUMOOFQ8",
      },
      secondary: {
        name: "us-west-2.api.pay.acme-payments.com",
        target_domain_name: "d-hc2.execute-api.us-west-2.amazonaws.com",
        target_zone_id: "Z2OJLYMUO9EFXC",
      },
    },
  };

  it("aliases each region's own name to that region's custom domain, A and AAAA", () => {
    for (const type of ["a", "aaaa"]) {
      const record = resource("aws_route53_record", `health_check_${type}`);
      expect(record.for_each).toBe("${var.health_check_records}");
      expect(record.alias).toMatchObject({
        name: "${each.value.target_domain_name}",
        zone_id: "${each.value.target_zone_id}",
      });
      expect(record.name).toBe("${each.value.name}");
    }
    expect(planErrors(json, regional)).toBe("");
  });

  it("refuses a record that is not the endpoint's health-check name", () => {
    const wrong = {
      ...regional,
      health_check_records: {
        ...regional.health_check_records,
        primary: { ...regional.health_check_records.primary, name: "api.pay.acme-payments.com" },
      },
    };
    expect(planErrors(json, wrong)).toContain("each named as that endpoint's health_check_fqdn");
  });

  it("writes none by default", () => {
    expect(planErrors(json, valid)).toBe("");
    expect(variable("health_check_records")?.default).toEqual({});
  });
});
