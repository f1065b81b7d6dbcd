import { TerraformOutput, Token } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate/index.js";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation/index.js";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2Authorizer } from "@cdktf/provider-aws/lib/apigatewayv2-authorizer/index.js";
import { Apigatewayv2ApiMapping } from "@cdktf/provider-aws/lib/apigatewayv2-api-mapping/index.js";
import { Apigatewayv2DomainName } from "@cdktf/provider-aws/lib/apigatewayv2-domain-name/index.js";
import { Apigatewayv2Integration } from "@cdktf/provider-aws/lib/apigatewayv2-integration/index.js";
import { Apigatewayv2Route } from "@cdktf/provider-aws/lib/apigatewayv2-route/index.js";
import { Apigatewayv2Stage } from "@cdktf/provider-aws/lib/apigatewayv2-stage/index.js";
import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group/index.js";
import type { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import type { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktf/provider-aws/lib/lambda-permission/index.js";
import type { ModuleStack } from "@tandem/module-kit";
import { HEALTH_ROUTE_LIMITS, RATE_PER_EXECUTION } from "./handler/contract.ts";
import type { ComputeInputs } from "./variables.ts";

/**
 * The routes and who may call them: payments need a JWT from the manifest's issuer, which is
 * valid whichever region answers (a SigV4 signature is scoped to one region, so it fails after
 * failover); health is open, for clients and the drill to see which region answers. Route 53
 * does not read it: its health check follows the scheduled region check's alarm
 * (region-check.ts), so flooding /health can throttle /health and nothing else.
 */
export const ROUTES = {
  "POST /payments": { authorization: "JWT", function: "payments" },
  "GET /health": { authorization: "NONE", function: "health" },
} as const;

export { HEALTH_ROUTE_LIMITS, RATE_PER_EXECUTION };

export interface RouteTargets {
  payments: LambdaFunction;
  health: LambdaFunction;
}

/** The HTTP API in front of the functions, with the regional custom domain Route 53 fails over. */
export function frontDoor(
  stack: ModuleStack,
  inputs: ComputeInputs,
  key: KmsKey,
  targets: RouteTargets,
): void {
  const api = new Apigatewayv2Api(stack, "aws_apigatewayv2_api.this", {
    name: inputs.name,
    protocolType: "HTTP",
    description: "Payments API of this region.",
  });
  const authorizer = jwtAuthorizer(stack, inputs, api);
  const routes = Object.entries(ROUTES).map(([routeKey, route]) => {
    const integration = integrationFor(stack, api, route.function, targets[route.function]);
    return new Apigatewayv2Route(stack, `aws_apigatewayv2_route.${routeKey.split(" /")[1]}`, {
      apiId: api.id,
      routeKey,
      authorizationType: route.authorization,
      ...(route.authorization === "JWT" ? { authorizerId: authorizer.id } : {}),
      target: `integrations/${integration.id}`,
    });
  });
  const stage = defaultStage(stack, inputs, key, api, routes);
  customDomain(stack, inputs, api, stage);
  healthCheckDomain(stack, inputs, api, stage);
  new TerraformOutput(stack, "api_id", {
    value: api.id,
    description: "Id of the HTTP API (CloudWatch metrics dimension `ApiId`).",
  });
}

/**
 * Validates `Authorization: Bearer <JWT>` against the issuer's published keys, the token's
 * `iss` and one of the audiences. Both regions use the same issuer and audiences, so a client's
 * token keeps working after Route 53 moves the name.
 */
function jwtAuthorizer(
  stack: ModuleStack,
  inputs: ComputeInputs,
  api: Apigatewayv2Api,
): Apigatewayv2Authorizer {
  return new Apigatewayv2Authorizer(stack, "aws_apigatewayv2_authorizer.jwt", {
    apiId: api.id,
    name: `${inputs.name}-jwt`,
    authorizerType: "JWT",
    identitySources: ["$request.header.Authorization"],
    jwtConfiguration: { issuer: inputs.jwtIssuer, audience: inputs.jwtAudiences },
  });
}

/** One Lambda proxy integration per function, and the permission for this API only. */
function integrationFor(
  stack: ModuleStack,
  api: Apigatewayv2Api,
  name: "payments" | "health",
  fn: LambdaFunction,
): Apigatewayv2Integration {
  // The payment function keeps its 1.x addresses, so upgrading moves nothing.
  const id = name === "payments" ? "function" : "health";
  new LambdaPermission(stack, `aws_lambda_permission.${name === "payments" ? "api" : "health"}`, {
    statementId: "AllowThisApiOnly",
    action: "lambda:InvokeFunction",
    functionName: fn.functionName,
    principal: "apigateway.amazonaws.com",
    sourceArn: `${api.executionArn}/*`,
  });
  return new Apigatewayv2Integration(stack, `aws_apigatewayv2_integration.${id}`, {
    apiId: api.id,
    integrationType: "AWS_PROXY",
    integrationMethod: "POST",
    integrationUri: fn.invokeArn,
    payloadFormatVersion: "2.0",
  });
}

function defaultStage(
  stack: ModuleStack,
  inputs: ComputeInputs,
  key: KmsKey,
  api: Apigatewayv2Api,
  routes: Apigatewayv2Route[],
): Apigatewayv2Stage {
  // API Gateway access logs are vended logs; the /aws/vendedlogs/ prefix keeps the Logs resource policy small.
  const logs = new CloudwatchLogGroup(stack, "aws_cloudwatch_log_group.access", {
    name: `/aws/vendedlogs/apigateway/${inputs.name}`,
    retentionInDays: inputs.logRetentionDays,
    kmsKeyId: key.arn,
  });
  return new Apigatewayv2Stage(stack, "aws_apigatewayv2_stage.this", {
    apiId: api.id,
    name: "$default",
    autoDeploy: true,
    accessLogSettings: { destinationArn: logs.arn, format: JSON.stringify(ACCESS_LOG_FORMAT) },
    // Turn excess load away with 429 at the door rather than as throttled invocations behind it.
    defaultRouteSettings: {
      throttlingBurstLimit: inputs.reservedConcurrency,
      throttlingRateLimit: Token.asNumber(`\${var.reserved_concurrency * ${RATE_PER_EXECUTION}}`),
    },
    // A route's own settings replace the default, so a payment spike never throttles /health.
    routeSettings: [
      {
        routeKey: "GET /health",
        throttlingBurstLimit: HEALTH_ROUTE_LIMITS.burst,
        throttlingRateLimit: HEALTH_ROUTE_LIMITS.ratePerSecond,
      },
    ],
    // Route settings name a route that must exist first.
    dependsOn: routes,
  });
}

const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  caller: "$context.authorizer.claims.sub",
  routeKey: "$context.routeKey",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  latencyMs: "$context.responseLatency",
  integrationLatencyMs: "$context.integrationLatency",
  integrationError: "$context.integrationErrorMessage",
  domainName: "$context.domainName",
};

/**
 * `var.api_domain_name` on this region's API, with a certificate validated by DNS. Route 53 is
 * written only by the global root, so the validation records leave as an output and the domain
 * waits for the certificate to be issued.
 */
function customDomain(
  stack: ModuleStack,
  inputs: ComputeInputs,
  api: Apigatewayv2Api,
  stage: Apigatewayv2Stage,
): void {
  domainOnApi(stack, { id: "this", domainName: inputs.apiDomainName }, api, stage);
  const target = "aws_apigatewayv2_domain_name.this.domain_name_configuration[0]";
  new TerraformOutput(stack, "api_domain_target", {
    value: `\${${target}.target_domain_name}`,
    description: "The custom domain's regional target name, for the failover alias record.",
  });
  new TerraformOutput(stack, "api_domain_zone_id", {
    value: `\${${target}.hosted_zone_id}`,
    description: "Hosted zone id of that target, for the failover alias record.",
  });
  const record =
    "{ name = o.resource_record_name, type = o.resource_record_type, value = o.resource_record_value }";
  const own = `[for o in aws_acm_certificate.this.domain_validation_options : ${record}]`;
  const healthCheck = `flatten([for c in aws_acm_certificate.health_check : [for o in c.domain_validation_options : ${record}]])`;
  new TerraformOutput(stack, "certificate_validation_records", {
    value: `\${concat(${own}, ${healthCheck})}`,
    description:
      "DNS records that validate the certificates (`name`, `type`, `value`), written by the global root's dns module.",
  });
}

/**
 * This region's own name, `var.health_check_domain_name`: a second custom domain on the same API
 * and stage, so a request to this region's /health goes through a custom domain, an API mapping,
 * the stage, the route and the function, as a client's request does; the failover name resolves
 * to whichever region is healthy, so it cannot reach one region on purpose. dns before 2.0.0
 * pointed Route 53's endpoint check here; from 2.0.0 Route 53 follows the region-health alarm
 * and the drill and operators read this name. Without the input, the default execute-api host.
 */
function healthCheckDomain(
  stack: ModuleStack,
  inputs: ComputeInputs,
  api: Apigatewayv2Api,
  stage: Apigatewayv2Stage,
): void {
  const enabled = Token.asNumber('${var.health_check_domain_name == "" ? 0 : 1}');
  domainOnApi(
    stack,
    { id: "health_check", domainName: inputs.healthCheckDomainName, count: enabled },
    api,
    stage,
  );
  const target = "one(aws_apigatewayv2_domain_name.health_check[*].domain_name_configuration[0]";
  new TerraformOutput(stack, "api_health_fqdn", {
    value: `\${var.health_check_domain_name != "" ? var.health_check_domain_name : trimprefix(${api.fqn}.api_endpoint, "https://")}`,
    description:
      "Host name of this region's own `/health` (Route 53's endpoint check before dns 2.0.0; the drill's and operators' since): `health_check_domain_name` when set, else the default execute-api host. A host name, not a URL.",
  });
  new TerraformOutput(stack, "health_check_domain_target", {
    value: `\${${target}.target_domain_name)}`,
    description:
      "Regional target of the health-check domain, for its alias record (null without `health_check_domain_name`).",
  });
  new TerraformOutput(stack, "health_check_domain_zone_id", {
    value: `\${${target}.hosted_zone_id)}`,
    description: "Hosted zone id of that target (null without `health_check_domain_name`).",
  });
}

interface DomainSpec {
  id: string;
  domainName: string;
  count?: number;
}

/** A certificate validated by DNS, a regional dualstack custom domain and its mapping to the stage. */
function domainOnApi(
  stack: ModuleStack,
  spec: DomainSpec,
  api: Apigatewayv2Api,
  stage: Apigatewayv2Stage,
): void {
  const { id, count } = spec;
  const index = count === undefined ? "" : "[0]";
  const certificate = new AcmCertificate(stack, `aws_acm_certificate.${id}`, {
    count,
    domainName: spec.domainName,
    validationMethod: "DNS",
    lifecycle: { createBeforeDestroy: true },
  });
  const options = `aws_acm_certificate.${id}${index}.domain_validation_options`;
  const validation = new AcmCertificateValidation(stack, `aws_acm_certificate_validation.${id}`, {
    count,
    certificateArn: count === undefined ? certificate.arn : `\${aws_acm_certificate.${id}[0].arn}`,
    validationRecordFqdns: Token.asList(`\${[for o in ${options} : o.resource_record_name]}`),
  });
  const domain = new Apigatewayv2DomainName(stack, `aws_apigatewayv2_domain_name.${id}`, {
    count,
    domainName: spec.domainName,
    domainNameConfiguration: {
      certificateArn:
        count === undefined
          ? validation.certificateArn
          : `\${aws_acm_certificate_validation.${id}[0].certificate_arn}`,
      endpointType: "REGIONAL",
      securityPolicy: "TLS_1_2",
      ipAddressType: "dualstack",
    },
  });
  new Apigatewayv2ApiMapping(stack, `aws_apigatewayv2_api_mapping.${id}`, {
    count,
    apiId: api.id,
    domainName: count === undefined ? domain.id : `\${aws_apigatewayv2_domain_name.${id}[0].id}`,
    stage: stage.id,
  });
}
