import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { canonicalJson, synthesizeModule, type TerraformModuleJson } from "@tandem/module-kit";
import compute from "../src/index.ts";
import { HEALTH_ROUTE_LIMITS, RATE_PER_EXECUTION } from "../src/api.ts";
import { ENV, HEALTH_METRICS, PAYMENT_EVENT } from "../src/handler/contract.ts";
import { PEER_REGION, REGION_CHECK_CONCURRENCY } from "../src/function.ts";
import { LOG_RETENTION_DAYS } from "../src/variables.ts";
import {
  evaluate as evaluateAll,
  expr,
  hasTerraform,
  planErrors,
} from "@tandem/module-kit/testing";

/** Evaluates one expression of the module, with resource references replaced by stand-ins. */
function evaluate(
  json: TerraformModuleJson,
  values: Record<string, unknown>,
  expression: string,
  replace: Record<string, string> = {},
) {
  const text = Object.entries(replace).reduce(
    (t, [from, to]) => t.split(from).join(to),
    expression,
  );
  return evaluateAll(json, values, [text])[0];
}

const moduleDir = fileURLToPath(new URL("..", import.meta.url));
const { json, assets, identity } = synthesizeModule(compute, moduleDir);
const idJson = identity!;
type Block = Record<string, unknown>;
type Statement = {
  sid?: string;
  effect?: string;
  actions: string[];
  resources: string[];
  condition?: unknown[];
};
const resource = (type: string, name: string) => json.resource?.[type]?.[name] as Block;
const resources = (type: string) => Object.values(json.resource?.[type] ?? {}) as Block[];
const statements = (name: string) =>
  (json.data?.aws_iam_policy_document?.[name] as { statement: Statement[] }).statement;
/** The identity part's policy documents (the roles live in the environment's identity root). */
const idStatements = (name: string) =>
  (idJson.data?.aws_iam_policy_document?.[name] as { statement: Statement[] }).statement;
const idResources = (type: string) => Object.values(idJson.resource?.[type] ?? {}) as Block[];
const fn = resource("aws_lambda_function", "this");
/** The ARN the regional part computes for the identity root's role `<name>-<kind>-<region>`. */
const roleArn = (kind: string) =>
  `arn:\${data.aws_partition.current.partition}:iam::\${data.aws_caller_identity.current.account_id}:role/\${var.name}-${kind}-\${data.aws_region.current.id}`;

describe("compute contract (docs/module-wiring.md)", () => {
  it("declares exactly the inputs of the wiring contract, with its defaults", () => {
    expect(Object.keys(json.variable ?? {}).sort()).toEqual(
      [
        "api_domain_name",
        "health_cache_seconds",
        "health_check_domain_name",
        "health_reserved_concurrency",
        "jwt_audiences",
        "jwt_issuer",
        "log_retention_days",
        "memory_mb",
        "name",
        "peer_event_bus_arn",
        "reserved_concurrency",
        "role",
        "security_group_ids",
        "subnet_ids",
        "table_arn",
        "table_kms_key_arn",
        "table_name",
        "timeout_seconds",
      ].sort(),
    );
    const defaults = Object.fromEntries(
      Object.entries(json.variable ?? {}).map(([k, v]) => [k, v.default]),
    );
    expect(defaults).toMatchObject({
      reserved_concurrency: 50,
      memory_mb: 512,
      timeout_seconds: 10,
      log_retention_days: 365,
      health_reserved_concurrency: 5,
      health_cache_seconds: 5,
      health_check_domain_name: "",
    });
  });

  it("exposes exactly the outputs of the wiring contract, each described", () => {
    expect(Object.keys(json.output ?? {}).sort()).toEqual(
      [
        "api_domain_target",
        "api_domain_zone_id",
        "api_health_fqdn",
        "api_id",
        "certificate_validation_records",
        "dead_letter_queue_name",
        "drill_parameter_name",
        "event_bus_arn",
        "event_bus_name",
        "function_arn",
        "function_name",
        "health_check_domain_target",
        "health_check_domain_zone_id",
        "region_check_function_name",
        "region_health_alarm_name",
      ].sort(),
    );
    for (const output of Object.values(json.output ?? {})) expect(output.description).toBeTruthy();
  });

  it("names the event bus var.name, the name the peer region computes its ARN from", () => {
    expect(resource("aws_cloudwatch_event_bus", "this").name).toBe("${var.name}");
  });

  it("synthesizes the same JSON every time", () => {
    expect(canonicalJson(synthesizeModule(compute, moduleDir).json)).toBe(canonicalJson(json));
  });
});

describe("the function", () => {
  it("runs the bundled handler on Node.js 22 from the zip shipped inside the module", () => {
    expect(Object.keys(assets)).toEqual(["handler.zip"]);
    expect(fn).toMatchObject({
      runtime: "nodejs22.x",
      handler: "index.handler",
      filename: "${path.module}/handler.zip",
      source_code_hash: '${filebase64sha256("${path.module}/handler.zip")}',
    });
  });

  it("runs in the given private subnets with reserved concurrency, memory and timeout from the inputs", () => {
    expect(fn).toMatchObject({
      vpc_config: {
        subnet_ids: "${var.subnet_ids}",
        security_group_ids: "${var.security_group_ids}",
      },
      reserved_concurrent_executions: "${var.reserved_concurrency}",
      memory_size: "${var.memory_mb}",
      timeout: "${var.timeout_seconds}",
    });
  });

  it("is traced with X-Ray and sends failed async invocations to the dead-letter queue", () => {
    expect(fn.tracing_config).toEqual({ mode: "Active" });
    expect(fn.dead_letter_config).toEqual({ target_arn: "${aws_sqs_queue.dead_letter.arn}" });
  });

  it("gets the configuration the handler reads, with the drill flag's name from the parameter", () => {
    const variables = (fn.environment as { variables: Record<string, string> }).variables;
    expect(Object.keys(variables).sort()).toEqual(
      Object.values(ENV)
        .filter((name) => name !== ENV.healthCacheSeconds && name !== ENV.peerRegion)
        .sort(),
    );
    expect(variables[ENV.drillParameterName]).toBe("${aws_ssm_parameter.drill.name}");
    expect(variables[ENV.eventBusName]).toBe("${aws_cloudwatch_event_bus.this.name}");
    expect(variables[ENV.role]).toBe("${var.role}");
  });

  it("logs to /aws/lambda/<function name> with the retention from the inputs", () => {
    const logs = resource("aws_cloudwatch_log_group", "function");
    expect(logs.name).toBe(`/aws/lambda/${String(fn.function_name)}`);
    expect(logs.retention_in_days).toBe("${var.log_retention_days}");
    expect(fn.logging_config).toMatchObject({
      log_group: "${aws_cloudwatch_log_group.function.name}",
    });
  });

  it("runs as the identity root's role of this region, by its computed ARN (no IAM call at plan time)", () => {
    expect(fn.role).toBe(roleArn("payments"));
    expect(Object.keys(json.resource ?? {}).filter((t) => t.startsWith("aws_iam_"))).toEqual([]);
    // 3 functions x (role, policy, 2 attachments) and the forwarding role and its policy.
    expect(json.removed).toHaveLength(14);
    expect(json.removed?.every((r) => r.lifecycle.destroy === false)).toBe(true);
  });
});

describe("KMS everywhere", () => {
  const key = "${aws_kms_key.this.arn}";

  it("encrypts the environment, both log groups, the dead-letter queue and the event bus with the module's key", () => {
    expect(fn.kms_key_arn).toBe(key);
    for (const logs of resources("aws_cloudwatch_log_group")) expect(logs.kms_key_id).toBe(key);
    expect(resource("aws_sqs_queue", "dead_letter").kms_master_key_id).toBe(key);
    expect(resource("aws_cloudwatch_event_bus", "this").kms_key_identifier).toBe(key);
  });

  it("rotates the key and lets the regional logs principal and EventBridge use it", () => {
    expect(resource("aws_kms_key", "this").enable_key_rotation).toBe(true);
    const principals = String(resource("aws_kms_key", "this").policy);
    expect(principals).toContain("logs.${data.aws_region.current.id}");
    expect(principals).toContain("events.${data.aws_partition.current.dns_suffix}");
  });
});

describe("least privilege", () => {
  const arn = (service: string, resource: string) =>
    `arn:\${data.aws_partition.current.partition}:${service}:\${each.key}:\${data.aws_caller_identity.current.account_id}:${resource}`;
  const own = [
    arn("dynamodb", "table/${var.table_name}"),
    arn("kms", "key/*"),
    arn("ssm", "parameter/${var.name}/drill/unhealthy"),
    arn("events", "event-bus/${var.name}"),
    arn("sqs", "${var.name}-dead-letter"),
    arn("logs", "log-group:/aws/lambda/${var.name}-payments:*"),
  ];
  it("lets the function touch only its own table, keys, parameter, bus, queue and log group", () => {
    for (const s of idStatements("function")) {
      expect(s.effect ?? "Allow").toBe("Allow");
      for (const action of s.actions) expect(action).not.toMatch(/\*/);
      for (const r of s.resources) expect(own).toContain(r);
    }
  });

  it("gets the actions without resource-level permissions (ENIs, X-Ray) only from AWS's managed policies", () => {
    const attached = Object.values(idJson.resource?.aws_iam_role_policy_attachment ?? {}).map(
      (a) => (a as { policy_arn: string }).policy_arn,
    );
    // The same two for the payment, the health and the region check function.
    const managed = (path: string) =>
      `arn:\${data.aws_partition.current.partition}:iam::aws:policy/${path}`;
    expect(attached.sort()).toEqual([
      ...Array<string>(3).fill(managed("AWSXRayDaemonWriteAccess")),
      ...Array<string>(3).fill(managed("service-role/AWSLambdaENIManagementAccess")),
    ]);
  });

  it("grants exactly the actions the handler calls on its data", () => {
    const grants = Object.fromEntries(
      idStatements("function")
        .filter((s) => !s.resources.includes(own[1]!))
        .map((s) => [s.resources.join(), s.actions]),
    );
    expect(grants[own[0]!]).toEqual(["dynamodb:GetItem", "dynamodb:PutItem"]);
    expect(grants[own[2]!]).toEqual(["ssm:GetParameter"]);
    expect(grants[own[3]!]).toEqual(["events:PutEvents"]);
    expect(grants[own[4]!]).toEqual(["sqs:SendMessage"]);
  });

  it("reaches each KMS key (random ids) only by its alias, and the table's key only through DynamoDB", () => {
    const keys = idStatements("function").filter((s) => s.resources.includes(own[1]!));
    expect(keys.map((k) => k.sid)).toEqual(["PaymentsTableKeyThroughDynamoDb", "ModuleKey"]);
    expect(keys.map((k) => k.condition?.[0])).toEqual([
      {
        test: "ForAnyValue:StringEquals",
        variable: "kms:ResourceAliases",
        values: ["${var.table_key_alias}"],
      },
      {
        test: "ForAnyValue:StringEquals",
        variable: "kms:ResourceAliases",
        values: ["alias/${var.name}-compute"],
      },
    ]);
    expect(JSON.stringify(keys[0]?.condition)).toContain("kms:ViaService");
    expect(resource("aws_kms_alias", "this").name).toBe("alias/${var.name}-compute");
  });

  it("lets the forwarding role put events on the peer bus and nothing else", () => {
    expect(idStatements("events")).toEqual([
      {
        sid: "PeerBusOnly",
        actions: ["events:PutEvents"],
        resources: [
          "arn:${data.aws_partition.current.partition}:events:${[for r in var.regions : r if r != each.key][0]}:${data.aws_caller_identity.current.account_id}:event-bus/${var.name}",
        ],
      },
    ]);
    expect(idJson.resource?.aws_iam_role_policy?.events?.role).toBe(
      "${aws_iam_role.events[each.key].id}",
    );
  });

  it("lets API Gateway invoke the function only from this API", () => {
    expect(resource("aws_lambda_permission", "api")).toMatchObject({
      principal: "apigateway.amazonaws.com",
      source_arn: "${aws_apigatewayv2_api.this.execution_arn}/*",
    });
  });

  it("keeps the two regions' IAM roles apart (IAM names are global)", () => {
    expect(idJson.locals).toEqual({
      function_role_names:
        '${{ for region in var.regions : region => "${var.name}-payments-${region}" }}',
      health_role_names:
        '${{ for region in var.regions : region => "${var.name}-health-${region}" }}',
      region_check_role_names:
        '${{ for region in var.regions : region => "${var.name}-region-check-${region}" }}',
      events_role_names:
        '${{ for region in var.regions : region => "${var.name}-events-${region}" }}',
    });
  });

  it("gives every role the permissions_boundary input: the applying role may create no role outside its own", () => {
    expect(idResources("aws_iam_role").map((role) => role.permissions_boundary)).toEqual(
      Array<string>(4).fill("${var.permissions_boundary}"),
    );
  });
});

describe("front door (seed corrections)", () => {
  it("has no Lambda function URL: a CNAME to one cannot serve the custom domain", () => {
    expect(json.resource).not.toHaveProperty("aws_lambda_function_url");
  });

  it("authorizes POST /payments with a JWT valid in both regions (not SigV4), and leaves only GET /health open", () => {
    const routes = Object.fromEntries(
      resources("aws_apigatewayv2_route").map((r) => [
        r.route_key,
        [r.authorization_type, r.authorizer_id, r.target],
      ]),
    );
    expect(routes).toEqual({
      "POST /payments": [
        "JWT",
        "${aws_apigatewayv2_authorizer.jwt.id}",
        "integrations/${aws_apigatewayv2_integration.function.id}",
      ],
      "GET /health": ["NONE", undefined, "integrations/${aws_apigatewayv2_integration.health.id}"],
    });
    expect(resource("aws_apigatewayv2_authorizer", "jwt")).toMatchObject({
      authorizer_type: "JWT",
      identity_sources: ["$request.header.Authorization"],
      jwt_configuration: { issuer: "${var.jwt_issuer}", audience: "${var.jwt_audiences}" },
    });
    expect(JSON.stringify(json)).not.toContain("AWS_IAM");
  });

  it("serves /health from its own function with its own reserved concurrency and route limits", () => {
    const health = resource("aws_lambda_function", "health");
    expect(health).toMatchObject({
      handler: "index.health",
      reserved_concurrent_executions: "${var.health_reserved_concurrency}",
      role: roleArn("health"),
    });
    expect(Number(health.timeout)).toBeLessThanOrEqual(3);
    const env = (health.environment as { variables: Record<string, string> }).variables;
    expect(env[ENV.healthCacheSeconds]).toBe("${var.health_cache_seconds}");
    expect(resource("aws_apigatewayv2_integration", "health").integration_uri).toBe(
      "${aws_lambda_function.health.invoke_arn}",
    );
    const stage = resource("aws_apigatewayv2_stage", "this");
    expect(stage.route_settings).toEqual([
      {
        route_key: "GET /health",
        throttling_burst_limit: HEALTH_ROUTE_LIMITS.burst,
        throttling_rate_limit: HEALTH_ROUTE_LIMITS.ratePerSecond,
      },
    ]);
    // Its role reads one item and the flag; it cannot write payments or publish events.
    const actions = idStatements("health").flatMap((st) => st.actions);
    expect(actions).not.toContain("dynamodb:PutItem");
    expect(actions).not.toContain("events:PutEvents");
  });

  it("proxies to the function with payload format 2.0", () => {
    expect(resource("aws_apigatewayv2_integration", "function")).toMatchObject({
      integration_type: "AWS_PROXY",
      integration_uri: "${aws_lambda_function.this.invoke_arn}",
      payload_format_version: "2.0",
    });
  });

  it("throttles at the stage and writes access logs to an encrypted log group", () => {
    const stage = resource("aws_apigatewayv2_stage", "this");
    expect(stage.default_route_settings).toEqual({
      throttling_burst_limit: "${var.reserved_concurrency}",
      throttling_rate_limit: `\${var.reserved_concurrency * ${RATE_PER_EXECUTION}}`,
    });
    const access = stage.access_log_settings as { destination_arn: string; format: string };
    expect(access.destination_arn).toBe("${aws_cloudwatch_log_group.access.arn}");
    expect(JSON.parse(access.format)).toMatchObject({
      requestId: "$context.requestId",
      status: "$context.status",
    });
  });

  it("serves var.api_domain_name as a regional domain with a DNS-validated certificate it waits for", () => {
    expect(resource("aws_acm_certificate", "this")).toMatchObject({
      domain_name: "${var.api_domain_name}",
      validation_method: "DNS",
    });
    expect(resource("aws_apigatewayv2_domain_name", "this")).toMatchObject({
      domain_name: "${var.api_domain_name}",
      domain_name_configuration: {
        certificate_arn: "${aws_acm_certificate_validation.this.certificate_arn}",
        endpoint_type: "REGIONAL",
        security_policy: "TLS_1_2",
      },
    });
    expect(resource("aws_apigatewayv2_api_mapping", "this")).toMatchObject({
      domain_name: "${aws_apigatewayv2_domain_name.this.id}",
    });
  });

  it("gives the alias records the domain's regional target and zone, and the health check the API's host", () => {
    expect(json.output?.api_domain_target?.value).toBe(
      "${aws_apigatewayv2_domain_name.this.domain_name_configuration[0].target_domain_name}",
    );
    expect(json.output?.api_domain_zone_id?.value).toBe(
      "${aws_apigatewayv2_domain_name.this.domain_name_configuration[0].hosted_zone_id}",
    );
  });
});

describe("events (seed correction: no DynamoDB Stream Record rule)", () => {
  const rule = resource("aws_cloudwatch_event_rule", "forward_to_peer");

  it("listens on the module's bus and forwards to the peer's bus with the forwarding role", () => {
    expect(rule.event_bus_name).toBe("${aws_cloudwatch_event_bus.this.name}");
    expect(resource("aws_cloudwatch_event_target", "peer_bus")).toMatchObject({
      rule: "${aws_cloudwatch_event_rule.forward_to_peer.name}",
      event_bus_name: "${aws_cloudwatch_event_bus.this.name}",
      arn: "${var.peer_event_bus_arn}",
      role_arn: roleArn("events"),
      dead_letter_config: { arn: "${aws_sqs_queue.dead_letter.arn}" },
    });
  });

  it("lets EventBridge deliver dead letters only from this bus and rule", () => {
    const [allow] = statements("dead_letter");
    expect(allow?.actions).toEqual(["sqs:SendMessage"]);
    expect(JSON.stringify(allow?.condition)).toContain(
      "${aws_cloudwatch_event_rule.forward_to_peer.arn}",
    );
  });
});

describe("the region check (what Route 53 follows; no public request reaches it)", () => {
  const check = resource("aws_lambda_function", "region_check");

  it("runs the bundle's regionCheck on a one-minute EventBridge schedule, invocable by that rule only", () => {
    expect(check).toMatchObject({
      function_name: "${var.name}-region-check",
      handler: "index.regionCheck",
      reserved_concurrent_executions: REGION_CHECK_CONCURRENCY,
      role: roleArn("region-check"),
    });
    const env = (check.environment as { variables: Record<string, string> }).variables;
    expect(env[ENV.peerRegion]).toBe(PEER_REGION);
    expect(resource("aws_cloudwatch_event_rule", "region_check").schedule_expression).toBe(
      "rate(1 minute)",
    );
    expect(resource("aws_cloudwatch_event_target", "region_check")).toMatchObject({
      rule: "${aws_cloudwatch_event_rule.region_check.name}",
      arn: "${aws_lambda_function.region_check.arn}",
    });
    expect(resource("aws_lambda_permission", "region_check")).toMatchObject({
      principal: "events.${data.aws_partition.current.dns_suffix}",
      source_arn: "${aws_cloudwatch_event_rule.region_check.arn}",
    });
  });

  it("is no route of the API: the public reaches only the payment and /health functions", () => {
    const targets = resources("aws_apigatewayv2_integration").map((i) => i.integration_uri);
    expect(targets).not.toContain("${aws_lambda_function.region_check.invoke_arn}");
    expect(
      resources("aws_lambda_permission").filter((p) => p.principal === "apigateway.amazonaws.com"),
    ).toHaveLength(2);
  });

  it("may read its dependencies and write metrics only in its own namespace", () => {
    const grants = idStatements("region_check");
    const write = grants.find((s) => s.actions.includes("cloudwatch:PutMetricData"));
    expect(write?.condition).toEqual([
      {
        test: "StringEquals",
        variable: "cloudwatch:namespace",
        values: [HEALTH_METRICS.namespace],
      },
    ]);
    const actions = grants.flatMap((s) => s.actions).sort();
    expect(actions).toEqual(
      [
        "cloudwatch:GetMetricStatistics",
        "cloudwatch:PutMetricData",
        "dynamodb:GetItem",
        "kms:Decrypt",
        "kms:Decrypt",
        "kms:DescribeKey",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "sqs:SendMessage",
        "ssm:GetParameter",
      ].sort(),
    );
  });

  it("alarms, as Route 53 can read it, when the region published 0 or nothing for two minutes", () => {
    expect(resource("aws_cloudwatch_metric_alarm", "region_health")).toMatchObject({
      alarm_name: "${var.name}-region-health",
      namespace: HEALTH_METRICS.namespace,
      metric_name: HEALTH_METRICS.region,
      dimensions: { [HEALTH_METRICS.dimension]: "${data.aws_region.current.id}" },
      statistic: "Minimum",
      comparison_operator: "LessThanThreshold",
      threshold: 1,
      period: 60,
      evaluation_periods: 2,
      datapoints_to_alarm: 2,
      treat_missing_data: "breaching",
    });
    expect(json.output?.region_health_alarm_name?.value).toBe(
      "${aws_cloudwatch_metric_alarm.region_health.alarm_name}",
    );
  });
});

describe("the drill flag", () => {
  it("is a parameter the drill flips, created false and then left to the drill", () => {
    expect(resource("aws_ssm_parameter", "drill")).toMatchObject({
      name: "/${var.name}/drill/unhealthy",
      type: "String",
      value: "false",
      lifecycle: { ignore_changes: ["value"] },
    });
    expect(json.output?.drill_parameter_name?.value).toBe("${aws_ssm_parameter.drill.name}");
  });
});

describe.runIf(hasTerraform)("expressions, evaluated by Terraform", () => {
  const values = {
    name: "payments-prod",
    role: "primary",
    subnet_ids: ["subnet-0a", "subnet-0b"],
    security_group_ids: ["sg-0a"],
    table_name: "payments-prod-sessions",
    table_arn: "arn:aws:dynamodb:us-east-1:210987654321:table/payments-prod-sessions",
    table_kms_key_arn:
      "arn:aws:kms:us-east-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    api_domain_name: "api.pay.acme-payments.com",
    peer_event_bus_arn: "arn:aws:events:us-west-2:210987654321:event-bus/payments-prod",
    jwt_issuer: "https://auth.acme-payments.com",
    jwt_audiences: ["payments-api"],
  };

  it("matches this region's payment events only, so forwarded events never bounce back", () => {
    const pattern = evaluate(json, values, expr(rule().event_pattern), {
      "data.aws_region.current.id": '"us-east-1"',
    });
    expect(JSON.parse(String(pattern))).toEqual({
      source: [PAYMENT_EVENT.source],
      "detail-type": [PAYMENT_EVENT.detailType],
      detail: { originRegion: ["us-east-1"] },
    });
    expect(String(pattern)).not.toMatch(/aws\.dynamodb|DynamoDB Stream Record/);
  });

  it("tells the region check its peer region, read from the peer bus ARN", () => {
    expect(evaluate(json, values, expr(PEER_REGION))).toBe("us-west-2");
  });

  it("outputs the validation records as { name, type, value } and waits on their names", () => {
    const options =
      '[{ domain_name = "api.pay.acme-payments.com", resource_record_name = "_x.api.pay.acme-payments.com.", resource_record_type = "CNAME", resource_record_value = "_y.acm-validations.aws." }]';
    const replace = {
      "aws_acm_certificate.this.domain_validation_options": options,
      "aws_acm_certificate.health_check": `[{ domain_validation_options = ${options.replace(/_x[.]api/, "_z.us-east-1.api")} }]`,
    };
    expect(
      evaluate(json, values, expr(json.output?.certificate_validation_records?.value), replace),
    ).toEqual([
      { name: "_x.api.pay.acme-payments.com.", type: "CNAME", value: "_y.acm-validations.aws." },
      {
        name: "_z.us-east-1.api.pay.acme-payments.com.",
        type: "CNAME",
        value: "_y.acm-validations.aws.",
      },
    ]);
    const fqdns = resource("aws_acm_certificate_validation", "this").validation_record_fqdns;
    expect(evaluate(json, values, expr(fqdns), replace)).toEqual(["_x.api.pay.acme-payments.com."]);
  });

  it("gives the health check a host name, not a URL: the region's custom domain when set", () => {
    const replace = {
      "aws_apigatewayv2_api.this.api_endpoint":
        '"https://abc123.execute-api.us-east-1.amazonaws.com"',
    };
    const fqdn = expr(json.output?.api_health_fqdn?.value);
    expect(evaluate(json, values, fqdn, replace)).toBe(
      "abc123.execute-api.us-east-1.amazonaws.com",
    );
    const regional = { ...values, health_check_domain_name: "us-east-1.api.pay.acme-payments.com" };
    expect(evaluate(json, regional, fqdn, replace)).toBe("us-east-1.api.pay.acme-payments.com");
  });

  it("creates the health-check domain (certificate, domain, mapping) only when named", () => {
    for (const type of [
      "aws_acm_certificate",
      "aws_acm_certificate_validation",
      "aws_apigatewayv2_domain_name",
      "aws_apigatewayv2_api_mapping",
    ]) {
      const count = expr(resource(type, "health_check").count);
      expect(evaluate(json, values, count)).toBe(0);
      const named = { ...values, health_check_domain_name: "us-east-1.api.pay.acme-payments.com" };
      expect(evaluate(json, named, count)).toBe(1);
    }
  });

  // name and role come from the kit (commonVariables); these are the module's own inputs.
  const own = {
    ...json,
    variable: Object.fromEntries(
      Object.entries(json.variable ?? {}).filter(([k]) => k !== "name" && k !== "role"),
    ),
  } as TerraformModuleJson;
  const ownValues = Object.fromEntries(
    Object.entries(values).filter(([k]) => k !== "name" && k !== "role"),
  );

  it("accepts realistic inputs", () => {
    expect(planErrors(own, ownValues)).toBe("");
  });

  it.each([
    ["subnet_ids", ["subnet-0a"], "at least two private subnets"],
    ["security_group_ids", [], "at least one security group"],
    ["table_name", "x", "table_name must be"],
    ["table_arn", "payments-prod-sessions", "DynamoDB table ARN"],
    ["table_kms_key_arn", "arn:aws:kms:us-east-1:210987654321:alias/payments", "KMS key ARN"],
    ["api_domain_name", "https://api.pay.acme-payments.com/", "not a URL"],
    ["peer_event_bus_arn", "arn:aws:sqs:us-west-2:210987654321:payments-prod", "event bus ARN"],
    ["reserved_concurrency", 0, "reserved_concurrency must be"],
    ["memory_mb", 64, "memory_mb must be"],
    ["timeout_seconds", 30, "API Gateway stops waiting at 30"],
    ["log_retention_days", 0, "log_retention_days must be one of"],
    ["jwt_issuer", "http://auth.acme-payments.com", "jwt_issuer must be an https:// URL"],
    ["jwt_audiences", [], "jwt_audiences needs at least one"],
    ["health_cache_seconds", 61, "health_cache_seconds must be"],
    ["health_reserved_concurrency", 0, "health_reserved_concurrency must be"],
    ["health_check_domain_name", "api.pay.acme-payments.com", "must differ from api_domain_name"],
  ])("rejects %s = %j", (name, value, message) => {
    expect(planErrors(own, { ...ownValues, [name]: value })).toContain(message);
  });

  it("knows every retention CloudWatch Logs accepts", () => {
    expect(planErrors(own, { ...ownValues, log_retention_days: LOG_RETENTION_DAYS.at(-1) })).toBe(
      "",
    );
  });

  function rule() {
    return resource("aws_cloudwatch_event_rule", "forward_to_peer");
  }
});
