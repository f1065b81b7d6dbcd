import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { createHandler, HEALTH_ROUTE_LIMITS } from "@tandem/compute/handler";
import type { Clock } from "../clock.ts";
import type { DrillTargets, Role } from "../targets.ts";
import { serve, type Served } from "./http.ts";
import type { IdentityProvider } from "./identity.ts";
import { TokenBucket } from "./throttle.ts";

/**
 * Routes the HTTP API defines, whether the JWT authorizer guards them, and the route's own
 * throttling where the stage sets one (the payment route's stage default is not emulated).
 */
const ROUTES: Record<string, { authorized: boolean; limits?: typeof HEALTH_ROUTE_LIMITS }> = {
  "POST /payments": { authorized: true },
  "GET /health": { authorized: false, limits: HEALTH_ROUTE_LIMITS },
};

export interface RegionApiOptions {
  region: string;
  role: Role;
  targets: DrillTargets;
  clock: Clock;
  awsEndpoint: string;
  identity: IdentityProvider;
}

const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

/**
 * One region's API Gateway HTTP API in front of the real payment handler, on moto's DynamoDB,
 * SSM and EventBridge: the JWT authorizer's check, then the payload-format-2.0 event the
 * Lambda integration would pass, then the handler's answer as API Gateway returns it.
 */
export async function startRegionApi(options: RegionApiOptions): Promise<Served> {
  const { region, targets, clock } = options;
  const client = { region, endpoint: options.awsEndpoint, credentials, maxAttempts: 1 };
  const handler = createHandler({
    dynamodb: new DynamoDBClient(client),
    ssm: new SSMClient(client),
    events: new EventBridgeClient(client),
    config: {
      tableName: targets.tableName,
      eventBusName: targets.eventBusName,
      drillParameterName: targets.flagParameterName,
      region,
      role: options.role,
      healthCacheSeconds: targets.healthCacheSeconds,
    },
    now: () => new Date(clock.now()),
  });
  const buckets = new Map(
    Object.entries(ROUTES).flatMap(([key, route]) =>
      route.limits ? [[key, new TokenBucket(clock, route.limits)] as const] : [],
    ),
  );
  return serve(async (request, body, response) => {
    const event = toEvent(request, body, clock.now());
    const route = ROUTES[event.routeKey];
    if (!route) {
      response
        .writeHead(404, { "content-type": "application/json" })
        .end('{"message":"Not Found"}');
      return;
    }
    if (buckets.get(event.routeKey)?.admit() === false) {
      response
        .writeHead(429, { "content-type": "application/json" })
        .end('{"message":"Too Many Requests"}');
      return;
    }
    if (route.authorized) {
      const claims = await authorize(options.identity, event.headers.authorization);
      if (!claims) {
        response
          .writeHead(401, { "content-type": "application/json", "www-authenticate": "Bearer" })
          .end('{"message":"Unauthorized"}');
        return;
      }
      (event.requestContext as { authorizer?: unknown }).authorizer = {
        jwt: { claims, scopes: [] },
      };
    }
    const result = await handler(event);
    response
      .writeHead(result.statusCode, {
        ...(result.headers as Record<string, string>),
        "apigw-requestid": event.requestContext.requestId,
      })
      .end(result.body);
  });
}

async function authorize(identity: IdentityProvider, header: string | undefined) {
  const token = /^Bearer (.+)$/.exec(header ?? "")?.[1];
  if (!token) return undefined;
  try {
    const payload = await identity.verify(token);
    return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, String(v)]));
  } catch {
    return undefined;
  }
}

function toEvent(request: IncomingMessage, body: string, now: number): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? "/", "http://localhost");
  const method = request.method ?? "GET";
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.join(",") : (v ?? ""),
    ]),
  );
  const requestId = randomUUID();
  return {
    version: "2.0",
    routeKey: `${method} ${url.pathname}`,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: "anonymous",
      apiId: "sandbox",
      domainName: headers.host ?? "localhost",
      domainPrefix: (headers.host ?? "localhost").split(".")[0]!,
      http: {
        method,
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: request.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey: `${method} ${url.pathname}`,
      stage: "$default",
      time: new Date(now).toUTCString(),
      timeEpoch: now,
    },
    ...(body ? { body } : {}),
    isBase64Encoded: false,
  };
}
