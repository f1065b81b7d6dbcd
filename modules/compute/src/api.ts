import { Fn, TerraformOutput, Token } from "cdktf";
import { AcmCertificate } from "@cdktf/provider-aws/lib/acm-certificate/index.js";
import { AcmCertificateValidation } from "@cdktf/provider-aws/lib/acm-certificate-validation/index.js";
import { Apigatewayv2Api } from "@cdktf/provider-aws/lib/apigatewayv2-api/index.js";
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
import type { ComputeInputs } from "./variables.ts";

/**
 * The routes and who may call them: payments need SigV4-signed requests from an IAM principal;
 * health is open, because Route 53 health checkers cannot sign requests.
 */
export const ROUTES = { "POST /payments": "AWS_IAM", "GET /health": "NONE" } as const;

/** Requests per second the stage admits for each reserved execution (about 100 ms per request). */
export const RATE_PER_EXECUTION = 10;

/** The HTTP API in front of the function, with the regional custom domain Route 53 fails over. */
export function frontDoor(
  stack: ModuleStack,
  inputs: ComputeInputs,
  key: KmsKey,
  fn: LambdaFunction,
): void {
  const api = new Apigatewayv2Api(stack, "aws_apigatewayv2_api.this", {
    name: inputs.name,
    protocolType: "HTTP",
    description: "Payments API of this region.",
  });
  const integration = new Apigatewayv2Integration(stack, "aws_apigatewayv2_integration.function", {
    apiId: api.id,
    integrationType: "AWS_PROXY",
    integrationMethod: "POST",
    integrationUri: fn.invokeArn,
    payloadFormatVersion: "2.0",
  });
  for (const [routeKey, authorizationType] of Object.entries(ROUTES)) {
    new Apigatewayv2Route(stack, `aws_apigatewayv2_route.${routeKey.split(" /")[1]}`, {
      apiId: api.id,
      routeKey,
      authorizationType,
      target: `integrations/${integration.id}`,
    });
  }
  new LambdaPermission(stack, "aws_lambda_permission.api", {
    statementId: "AllowThisApiOnly",
    action: "lambda:InvokeFunction",
    functionName: fn.functionName,
    principal: "apigateway.amazonaws.com",
    sourceArn: `${api.executionArn}/*`,
  });
  const stage = defaultStage(stack, inputs, key, api);
  customDomain(stack, inputs, api, stage);
  new TerraformOutput(stack, "api_id", {
    value: api.id,
    description: "Id of the HTTP API (CloudWatch metrics dimension `ApiId`).",
  });
  new TerraformOutput(stack, "api_health_fqdn", {
    value: Fn.trimprefix(api.apiEndpoint, "https://"),
    description:
      "Host name of the regional API endpoint, e.g. `abc123.execute-api.us-east-1.amazonaws.com`: the Route 53 health check target (`/health`). A host name, not a URL.",
  });
}

function defaultStage(
  stack: ModuleStack,
  inputs: ComputeInputs,
  key: KmsKey,
  api: Apigatewayv2Api,
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
  });
}

const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  requestTime: "$context.requestTime",
  ip: "$context.identity.sourceIp",
  caller: "$context.identity.userArn",
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
  const certificate = new AcmCertificate(stack, "aws_acm_certificate.this", {
    domainName: inputs.apiDomainName,
    validationMethod: "DNS",
    lifecycle: { createBeforeDestroy: true },
  });
  const validationOptions = "aws_acm_certificate.this.domain_validation_options";
  const validation = new AcmCertificateValidation(stack, "aws_acm_certificate_validation.this", {
    certificateArn: certificate.arn,
    validationRecordFqdns: Token.asList(
      `\${[for o in ${validationOptions} : o.resource_record_name]}`,
    ),
  });
  const domain = new Apigatewayv2DomainName(stack, "aws_apigatewayv2_domain_name.this", {
    domainName: inputs.apiDomainName,
    domainNameConfiguration: {
      certificateArn: validation.certificateArn,
      endpointType: "REGIONAL",
      securityPolicy: "TLS_1_2",
      ipAddressType: "dualstack",
    },
  });
  new Apigatewayv2ApiMapping(stack, "aws_apigatewayv2_api_mapping.this", {
    apiId: api.id,
    domainName: domain.id,
    stage: stage.id,
  });
  const target = "aws_apigatewayv2_domain_name.this.domain_name_configuration[0]";
  new TerraformOutput(stack, "api_domain_target", {
    value: `\${${target}.target_domain_name}`,
    description: "The custom domain's regional target name, for the failover alias record.",
  });
  new TerraformOutput(stack, "api_domain_zone_id", {
    value: `\${${target}.hosted_zone_id}`,
    description: "Hosted zone id of that target, for the failover alias record.",
  });
  new TerraformOutput(stack, "certificate_validation_records", {
    value: `\${[for o in ${validationOptions} : { name = o.resource_record_name, type = o.resource_record_type, value = o.resource_record_value }]}`,
    description:
      "DNS records that validate the certificate (`name`, `type`, `value`), written by the global root's dns module.",
  });
}
