import { describe, expect, it } from "vitest";
import { synthesizeModule } from "@tandem/module-kit";
import networking from "../src/index.ts";
import {
  type Condition,
  evaluate,
  expr,
  hasTerraform,
  planErrors,
} from "@tandem/module-kit/testing";

const { json, identity } = synthesizeModule(networking);
const idJson = identity!;
type Block = Record<string, unknown>;
const resource = (type: string, name: string) => json.resource?.[type]?.[name] as Block;
const data = (type: string, name: string) => json.data?.[type]?.[name] as Block;

describe("networking module", () => {
  it("declares the inputs of the wiring contract with production defaults", () => {
    const defaults = Object.fromEntries(
      Object.entries(json.variable ?? {}).map(([k, v]) => [k, v.default]),
    );
    expect(defaults).toEqual({
      name: undefined,
      role: undefined,
      cidr_block: undefined,
      az_count: 3,
      single_nat_gateway: false,
      flow_log_retention_days: 365,
      database_port: 3306,
    });
  });

  it("exposes the outputs of the wiring contract", () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual([
      "app_security_group_id",
      "database_security_group_id",
      "private_subnet_ids",
      "public_subnet_ids",
      "vpc_id",
    ]);
    expect(json.output?.private_subnet_ids?.value).toBe(
      "${[for az in local.azs : aws_subnet.private[az].id]}",
    );
  });

  it("creates a VPC with DNS support and host names", () => {
    expect(resource("aws_vpc", "this")).toMatchObject({
      cidr_block: "${var.cidr_block}",
      enable_dns_support: true,
      enable_dns_hostnames: true,
    });
  });

  it("spreads subnets over the Region's own AZs, keyed by AZ name, without public IPs", () => {
    // No state filter: an AZ reported impaired must not drop out and re-key the subnets.
    expect(data("aws_availability_zones", "available")).toEqual({
      filter: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    });
    for (const tier of ["public", "private"]) {
      expect(resource("aws_subnet", tier)).toMatchObject({
        for_each: `\${local.${tier}_subnets}`,
        availability_zone: "${each.key}",
        cidr_block: "${each.value}",
        map_public_ip_on_launch: false,
      });
    }
  });

  it("routes the public tier to the internet gateway and each private subnet to a NAT gateway (the seed had no routes)", () => {
    expect(resource("aws_route", "public_internet")).toMatchObject({
      route_table_id: "${aws_route_table.public.id}",
      destination_cidr_block: "0.0.0.0/0",
      gateway_id: "${aws_internet_gateway.this.id}",
    });
    expect(resource("aws_route", "private_nat")).toMatchObject({
      for_each: "${local.private_subnets}",
      route_table_id: "${aws_route_table.private[each.key].id}",
      destination_cidr_block: "0.0.0.0/0",
      nat_gateway_id:
        "${aws_nat_gateway.this[var.single_nat_gateway ? local.azs[0] : each.key].id}",
    });
    expect(resource("aws_route_table_association", "public")).toMatchObject({
      for_each: "${local.public_subnets}",
      subnet_id: "${aws_subnet.public[each.key].id}",
      route_table_id: "${aws_route_table.public.id}",
    });
    expect(resource("aws_route_table_association", "private")).toMatchObject({
      for_each: "${local.private_subnets}",
      subnet_id: "${aws_subnet.private[each.key].id}",
      route_table_id: "${aws_route_table.private[each.key].id}",
    });
    expect(resource("aws_route_table", "private")).toMatchObject({
      for_each: "${local.private_subnets}",
    });
  });

  it("puts each NAT gateway in a public subnet with its own Elastic IP", () => {
    expect(resource("aws_nat_gateway", "this")).toMatchObject({
      for_each: "${local.nat_azs}",
      allocation_id: "${aws_eip.nat[each.key].id}",
      subnet_id: "${aws_subnet.public[each.key].id}",
      depends_on: ["aws_internet_gateway.this"],
    });
    expect(resource("aws_eip", "nat")).toMatchObject({
      for_each: "${local.nat_azs}",
      domain: "vpc",
    });
  });

  it("logs all VPC traffic to a KMS-encrypted log group kept for the configured retention", () => {
    expect(resource("aws_flow_log", "this")).toMatchObject({
      vpc_id: "${aws_vpc.this.id}",
      traffic_type: "ALL",
      log_destination_type: "cloud-watch-logs",
      log_destination: "${aws_cloudwatch_log_group.flow_logs.arn}",
      // The identity root's role of this region, by its computed ARN: no IAM call at plan time.
      iam_role_arn:
        "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${var.name}-flowlogs-${data.aws_region.current.id}",
    });
    expect(resource("aws_cloudwatch_log_group", "flow_logs")).toMatchObject({
      kms_key_id: "${aws_kms_key.flow_logs.arn}",
      retention_in_days: "${var.flow_log_retention_days}",
    });
    expect(resource("aws_kms_key", "flow_logs")).toMatchObject({ enable_key_rotation: true });
    expect(String(resource("aws_kms_key", "flow_logs").policy)).toContain(
      "logs.${data.aws_region.current.id}",
    );
  });

  it("creates no IAM resource and forgets, without destroying, the roles earlier versions created", () => {
    const types = Object.keys(json.resource ?? {});
    expect(types.filter((t) => t.startsWith("aws_iam_"))).toEqual([]);
    expect(json.removed).toEqual([
      { from: "aws_iam_role.flow_logs", lifecycle: { destroy: false } },
      { from: "aws_iam_role_policy.flow_logs", lifecycle: { destroy: false } },
    ]);
  });

  it("lets the identity part's flow-log role of each region write only to that region's log group, for this account's flow logs", () => {
    const identity = idJson.data?.aws_iam_policy_document;
    const policy = identity?.flow_logs as { statement: Block[]; for_each: string };
    expect(policy.for_each).toBe("${toset(var.regions)}");
    const actions = policy.statement.flatMap((s) => s.actions as string[]);
    expect(actions.sort()).toEqual([
      "logs:CreateLogStream",
      "logs:DescribeLogGroups",
      "logs:DescribeLogStreams",
      "logs:PutLogEvents",
    ]);
    const group =
      "arn:${data.aws_partition.current.partition}:logs:${each.key}:${data.aws_caller_identity.current.account_id}:log-group:/aws/vpc-flow-logs/${var.name}";
    expect(policy.statement[0]?.resources).toEqual([group, `${group}:log-stream:*`]);
    expect(policy.statement.flatMap((s) => s.resources as string[])).not.toContain("*");
    const assume = JSON.stringify(identity?.flow_logs_assume);
    expect(assume).toContain("vpc-flow-logs.amazonaws.com");
    expect(assume).toContain("aws:SourceAccount");
    expect(assume).toContain(":ec2:${each.key}:");
    const role = idJson.resource?.aws_iam_role?.flow_logs as Block;
    expect(role).toMatchObject({
      for_each: "${local.flow_logs_role_names}",
      name: "${each.value}",
      permissions_boundary: "${var.permissions_boundary}",
    });
  });

  it.skipIf(!hasTerraform)(
    "names each region's role as the regional part computes its ARN, and gives each resource's import id",
    () => {
      const values = { name: "payments-dev", regions: ["us-east-1", "us-west-2"] };
      const importIds = idJson.output?.import_ids?.value as Record<string, string>;
      const [names, ids] = evaluate(
        idJson,
        values,
        ["local.flow_logs_role_names", expr(importIds["aws_iam_role_policy.flow_logs"])],
        idJson.locals,
      );
      expect(names).toEqual({
        "us-east-1": "payments-dev-flowlogs-us-east-1",
        "us-west-2": "payments-dev-flowlogs-us-west-2",
      });
      expect(ids).toEqual({
        "us-east-1": "payments-dev-flowlogs-us-east-1:write-flow-logs",
        "us-west-2": "payments-dev-flowlogs-us-west-2:write-flow-logs",
      });
      expect(Object.keys(importIds).sort()).toEqual([
        "aws_iam_role.flow_logs",
        "aws_iam_role_policy.flow_logs",
      ]);
    },
  );

  it("adds DynamoDB and S3 gateway endpoints to the private route tables, DynamoDB limited to own tables", () => {
    for (const service of ["dynamodb", "s3"]) {
      expect(resource("aws_vpc_endpoint", service)).toMatchObject({
        vpc_endpoint_type: "Gateway",
        service_name: `com.amazonaws.\${data.aws_region.current.id}.${service}`,
        route_table_ids: "${values(aws_route_table.private)[*].id}",
      });
    }
    expect(resource("aws_vpc_endpoint", "dynamodb").policy).toBe(
      "${data.aws_iam_policy_document.dynamodb_endpoint.json}",
    );
    expect(JSON.stringify(data("aws_iam_policy_document", "dynamodb_endpoint"))).toContain(
      ":${data.aws_caller_identity.current.account_id}:table/*",
    );
  });

  it("strips every rule from the default security group", () => {
    const group = resource("aws_default_security_group", "this");
    expect(group.vpc_id).toBe("${aws_vpc.this.id}");
    expect(group).not.toHaveProperty("ingress");
    expect(group).not.toHaveProperty("egress");
  });

  it("admits the database port only from the application group, and describes every rule", () => {
    const ingress = json.resource?.aws_vpc_security_group_ingress_rule as Record<string, Block>;
    const egress = json.resource?.aws_vpc_security_group_egress_rule as Record<string, Block>;
    expect(Object.keys(ingress)).toEqual(["database_from_app"]);
    expect(ingress.database_from_app).toMatchObject({
      security_group_id: "${aws_security_group.database.id}",
      referenced_security_group_id: "${aws_security_group.app.id}",
      ip_protocol: "tcp",
      from_port: "${var.database_port}",
      to_port: "${var.database_port}",
    });
    expect(egress.app_to_database).toMatchObject({
      security_group_id: "${aws_security_group.app.id}",
      referenced_security_group_id: "${aws_security_group.database.id}",
      from_port: "${var.database_port}",
    });
    const databaseRules = [...Object.values(ingress), ...Object.values(egress)].filter(
      (rule) => rule.security_group_id === "${aws_security_group.database.id}",
    );
    expect(databaseRules).toHaveLength(1);
    for (const rule of [...Object.values(ingress), ...Object.values(egress)]) {
      expect(rule.description).toMatch(/\w/);
      expect(rule.ip_protocol).not.toBe("-1");
    }
    for (const group of Object.values(json.resource?.aws_security_group ?? {})) {
      expect(group).not.toHaveProperty("ingress");
      expect(group).not.toHaveProperty("egress");
      expect(group.description).toMatch(/\w/);
    }
  });

  it("writes every validation condition as an expression (JSON syntax reads a bare string as a literal)", () => {
    for (const variable of Object.values(json.variable ?? {})) {
      for (const rule of variable.validation ?? []) expect(rule.condition).toMatch(/^\$\{.*\}$/s);
    }
  });
});

describe.skipIf(!hasTerraform)("networking expressions, evaluated by Terraform", () => {
  const valid = { name: "payments-prod", role: "primary", cidr_block: "10.0.0.0/16" };

  it.each([
    [{}, ""],
    [
      {
        cidr_block: "172.16.0.0/20",
        az_count: 6,
        flow_log_retention_days: 3653,
        database_port: 5432,
      },
      "",
    ],
    [{ cidr_block: "10.0.1.0/16" }, "cidr_block must be an IPv4 network address"],
    [{ cidr_block: "10.0.0.0/8" }, "cidr_block must be an IPv4 network address"],
    [{ cidr_block: "10.0.0.0/24" }, "cidr_block must be an IPv4 network address"],
    [{ cidr_block: "vpc" }, "cidr_block must be an IPv4 network address"],
    [{ az_count: 1 }, "az_count must be a whole number from 2 to 6"],
    [{ az_count: 7 }, "az_count must be a whole number from 2 to 6"],
    [{ az_count: 2.5 }, "az_count must be a whole number from 2 to 6"],
    [{ flow_log_retention_days: 366 }, "flow_log_retention_days must be one of"],
    [{ flow_log_retention_days: 0 }, "flow_log_retention_days must be one of"],
    [{ database_port: 0 }, "database_port must be a TCP port"],
    [{ database_port: 65536 }, "database_port must be a TCP port"],
  ])("validates %j", (change, error) => {
    const errors = planErrors(json, { ...valid, ...change });
    if (error) expect(errors).toContain(error);
    else expect(errors).toBe("");
  });

  it("stops the plan when the Region has fewer AZs than az_count", () => {
    const vpc = resource("aws_vpc", "this") as { lifecycle: { precondition: Condition[] } };
    const withZones = (names: string[]) =>
      vpc.lifecycle.precondition.map((c) => ({
        ...c,
        condition: c.condition.replaceAll(
          "data.aws_availability_zones.available.names",
          JSON.stringify(names),
        ),
      }));
    expect(planErrors(json, { ...valid, az_count: 3 }, withZones(["a", "b", "c"]))).toBe("");
    expect(planErrors(json, { ...valid, az_count: 4 }, withZones(["a", "b", "c"]))).toContain(
      "az_count exceeds the availability zones",
    );
  });

  const azs = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"];
  const plan = (cidr: string, zones: string[], single: boolean) => {
    const [pub, priv, nat] = evaluate(
      json,
      { ...valid, cidr_block: cidr, single_nat_gateway: single },
      ["local.public_subnets", "local.private_subnets", "local.nat_azs"],
      { ...json.locals, azs: zones },
    );
    return {
      public: pub as Record<string, string>,
      private: priv as Record<string, string>,
      nat: nat as string[],
    };
  };

  it.each(["10.0.0.0/16", "10.1.0.0/16", "192.168.16.0/20"])(
    "gives %s six public and six private subnets that fit inside it and never overlap",
    (cidr) => {
      const { public: pub, private: priv } = plan(cidr, azs, false);
      expect(Object.keys(pub)).toEqual(azs);
      expect(Object.keys(priv)).toEqual(azs);
      const all = [...Object.values(pub), ...Object.values(priv)].map(range);
      const vpc = range(cidr);
      for (const [i, a] of all.entries()) {
        expect(a.start >= vpc.start && a.end <= vpc.end).toBe(true);
        for (const b of all.slice(i + 1)) expect(a.end < b.start || b.end < a.start).toBe(true);
      }
      expect(prefix(priv["us-east-1a"]!)).toBe(prefix(cidr) + 4);
      expect(prefix(pub["us-east-1a"]!)).toBe(prefix(cidr) + 8);
    },
  );

  it("keeps an AZ's subnets when AZs are added (addresses are keyed by AZ name)", () => {
    const three = plan("10.0.0.0/16", azs.slice(0, 3), false);
    const six = plan("10.0.0.0/16", azs, false);
    expect(six.private).toMatchObject(three.private);
    expect(six.public).toMatchObject(three.public);
    expect(three.private).toEqual({
      "us-east-1a": "10.0.0.0/20",
      "us-east-1b": "10.0.16.0/20",
      "us-east-1c": "10.0.32.0/20",
    });
    expect(three.public["us-east-1a"]).toBe("10.0.240.0/24");
  });

  it("creates a NAT gateway per AZ by default, one in the first AZ when single_nat_gateway is set", () => {
    expect(plan("10.0.0.0/16", azs.slice(0, 3), false).nat).toEqual(azs.slice(0, 3));
    expect(plan("10.0.0.0/16", azs.slice(0, 3), true).nat).toEqual(["us-east-1a"]);
  });
});

function prefix(cidr: string): number {
  return Number(cidr.split("/")[1]);
}

function range(cidr: string): { start: number; end: number } {
  const [ip = "", bits = "32"] = cidr.split("/");
  const start = ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
  return { start, end: start + 2 ** (32 - Number(bits)) - 1 };
}
