import type { IncomingMessage, ServerResponse } from "node:http";
import { lostBy } from "@tandem/sandbox";
import type { Clock } from "../clock.ts";
import { RdsFault, type AuroraGlobalEmulator } from "./aurora.ts";
import { serve, type Served } from "./http.ts";
import type { Route53Emulator } from "./route53.ts";

/**
 * The control-plane calls moto cannot answer, served on loopback in each API's own protocol,
 * so the real SDK clients make them: RDS (Query: DescribeGlobalClusters, DescribeDBClusters,
 * SwitchoverGlobalCluster, FailoverGlobalCluster, RemoveFromGlobalCluster), Route 53 (REST-XML:
 * ListHealthChecks, ListTagsForResources, GetHealthCheckStatus) and CloudWatch (JSON 1.0:
 * GetMetricStatistics for the replication lag Aurora publishes in the secondary region). A call
 * that reaches a region `lost()` names is dropped as the sandbox's gateway drops it (`lostBy`:
 * by its SigV4 scope, Route 53's control plane with us-east-1, its data plane never).
 */
export function startControlPlane(parts: {
  clock: Clock;
  aurora: AuroraGlobalEmulator;
  route53: Route53Emulator;
  secondaryClusterId: string;
  lost?: () => readonly string[];
}): Promise<Served> {
  return serve(async (request, body, response): Promise<void> => {
    const scope = signingScope(request);
    const path = new URL(request.url ?? "/", "http://x").pathname;
    if (lostBy(parts.lost?.() ?? [], { ...scope, path })) {
      request.socket.resetAndDestroy();
      return;
    }
    const target = request.headers["x-amz-target"];
    if (typeof target === "string" && target.startsWith("GraniteServiceVersion20100801."))
      cloudwatch(parts, target.split(".")[1]!, body, response);
    else if (request.url?.startsWith("/2013-04-01/")) route53(parts.route53, request, response);
    else rds(parts.aurora, scope.region ?? "", new URLSearchParams(body), response);
  });
}

/** The service and region a SigV4 signature is scoped to (`Credential=key/date/region/service/...`). */
function signingScope(request: IncomingMessage): { service?: string; region?: string } {
  const match = /Credential=[^/]+\/\d+\/([^/]+)\/([^/]+)\//.exec(
    request.headers.authorization ?? "",
  );
  return match ? { region: match[1]!, service: match[2]! } : {};
}

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const el = (name: string, content: string | number | boolean) =>
  `<${name}>${typeof content === "string" && !content.startsWith("<") ? escape(content) : content}</${name}>`;

function xml(response: ServerResponse, status: number, text: string) {
  response
    .writeHead(status, { "content-type": "text/xml" })
    .end(`<?xml version="1.0" encoding="UTF-8"?>\n${text}`);
}

// ---- RDS (Query protocol) ----
const RDS_NS = "http://rds.amazonaws.com/doc/2014-10-31/";

function globalClusterXml(aurora: AuroraGlobalEmulator): string {
  const state = aurora.describe();
  const members = state.members
    .map((m) =>
      el(
        "GlobalClusterMember",
        el("DBClusterArn", m.arn) +
          el("IsWriter", m.isWriter) +
          el("Readers", "") +
          el("SynchronizationStatus", m.synchronization),
      ),
    )
    .join("");
  const failover = state.failoverState
    ? el(
        "FailoverState",
        el("Status", state.failoverState.status) +
          el("FromDbClusterArn", state.failoverState.from) +
          el("ToDbClusterArn", state.failoverState.to) +
          el("IsDataLossAllowed", state.failoverState.dataLoss),
      )
    : "";
  return (
    el("GlobalClusterIdentifier", state.identifier) +
    el("GlobalClusterArn", state.arn) +
    el("Status", state.status) +
    el("Engine", "aurora-mysql") +
    el("GlobalClusterMembers", members) +
    failover
  );
}

function dbClustersXml(aurora: AuroraGlobalEmulator, region: string, id: string | null): string {
  const clusters = aurora
    .clusters(region)
    .filter((c) => id === null || c.arn === id || c.arn.endsWith(`:cluster:${id}`));
  return clusters
    .map((c) =>
      el(
        "DBCluster",
        el("DBClusterIdentifier", c.arn.split(":").slice(6).join(":")) +
          el("DBClusterArn", c.arn) +
          el("Status", c.status) +
          el("Engine", "aurora-mysql") +
          (c.globalClusterIdentifier
            ? el("GlobalClusterIdentifier", c.globalClusterIdentifier)
            : ""),
      ),
    )
    .join("");
}

function rds(
  aurora: AuroraGlobalEmulator,
  region: string,
  params: URLSearchParams,
  response: ServerResponse,
) {
  const action = params.get("Action") ?? "";
  const wrap = (result: string) =>
    xml(
      response,
      200,
      `<${action}Response xmlns="${RDS_NS}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></${action}Response>`,
    );
  const fault = (status: number, code: string, message: string) =>
    xml(
      response,
      status,
      `<ErrorResponse xmlns="${RDS_NS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escape(message)}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>`,
    );
  const id = params.get("GlobalClusterIdentifier");
  if (id !== null && id !== aurora.identifier)
    return fault(404, "GlobalClusterNotFoundFault", `global cluster ${id} not found`);
  try {
    switch (action) {
      case "DescribeGlobalClusters":
        return wrap(el("GlobalClusters", el("GlobalClusterMember", globalClusterXml(aurora))));
      case "DescribeDBClusters": {
        const clusters = dbClustersXml(aurora, region, params.get("DBClusterIdentifier"));
        if (!clusters && params.get("DBClusterIdentifier") !== null)
          return fault(
            404,
            "DBClusterNotFoundFault",
            `DBCluster ${params.get("DBClusterIdentifier")} not found`,
          );
        return wrap(el("DBClusters", clusters));
      }
      case "RemoveFromGlobalCluster":
        aurora.detach(params.get("DbClusterIdentifier") ?? "");
        return wrap(el("GlobalCluster", globalClusterXml(aurora)));
      case "SwitchoverGlobalCluster":
      case "FailoverGlobalCluster":
        aurora.move(
          params.get("TargetDbClusterIdentifier") ?? "",
          action === "FailoverGlobalCluster",
        );
        return wrap(el("GlobalCluster", globalClusterXml(aurora)));
      default:
        return fault(400, "InvalidAction", `the sandbox does not emulate RDS ${action}`);
    }
  } catch (error) {
    if (error instanceof RdsFault) return fault(400, error.code, error.message);
    throw error;
  }
}

// ---- Route 53 (REST-XML) ----
const R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/";

function route53(emulator: Route53Emulator, request: IncomingMessage, response: ServerResponse) {
  const path = new URL(request.url ?? "/", "http://x").pathname;
  const reply = (name: string, content: string) =>
    xml(response, 200, `<${name} xmlns="${R53_NS}">${content}</${name}>`);
  if (request.method === "GET" && path === "/2013-04-01/healthcheck") {
    const checks = emulator.checks
      .map((c) =>
        el(
          "HealthCheck",
          el("Id", c.id) +
            el("CallerReference", c.id) +
            el(
              "HealthCheckConfig",
              // As Route 53 lists them: an alarm check has no endpoint of its own.
              c.alarm
                ? el("Type", "CLOUDWATCH_METRIC") +
                    el("AlarmIdentifier", el("Region", c.region) + el("Name", c.alarm.name)) +
                    el("InsufficientDataHealthStatus", c.alarm.insufficientData)
                : el("FullyQualifiedDomainName", c.host) +
                    el("ResourcePath", c.path) +
                    el("Type", "HTTPS") +
                    el("Port", 443),
            ) +
            el("HealthCheckVersion", 1),
        ),
      )
      .join("");
    return reply(
      "ListHealthChecksResponse",
      el("HealthChecks", checks) +
        el("IsTruncated", false) +
        el("Marker", "") +
        el("MaxItems", 100),
    );
  }
  if (request.method === "POST" && path === "/2013-04-01/tags/healthcheck") {
    const sets = emulator.checks
      .map((c) =>
        el(
          "ResourceTagSet",
          el("ResourceType", "healthcheck") +
            el("ResourceId", c.id) +
            el("Tags", el("Tag", el("Key", "Name") + el("Value", c.name))),
        ),
      )
      .join("");
    return reply("ListTagsForResourcesResponse", el("ResourceTagSets", sets));
  }
  const status = /^\/2013-04-01\/healthcheck\/([^/]+)\/status$/.exec(path);
  const check = status && emulator.checks.find((c) => c.id === status[1]);
  if (request.method === "GET" && check) {
    const observations = check.checkers
      .filter((c) => c.last)
      .map((c) =>
        el(
          "HealthCheckObservation",
          el("Region", c.region) +
            el("IPAddress", c.ip) +
            el(
              "StatusReport",
              el("Status", c.last!.status) +
                el("CheckedTime", new Date(c.last!.checkedAt).toISOString()),
            ),
        ),
      )
      .join("");
    return reply("GetHealthCheckStatusResponse", el("HealthCheckObservations", observations));
  }
  return xml(
    response,
    404,
    `<ErrorResponse xmlns="${R53_NS}"><Error><Type>Sender</Type><Code>NoSuchHealthCheck</Code><Message>not emulated: ${escape(path)}</Message></Error></ErrorResponse>`,
  );
}

// ---- CloudWatch (JSON 1.0) ----
function cloudwatch(
  parts: { clock: Clock; aurora: AuroraGlobalEmulator; secondaryClusterId: string },
  operation: string,
  body: string,
  response: ServerResponse,
) {
  const json = (status: number, value: unknown) =>
    response
      .writeHead(status, { "content-type": "application/x-amz-json-1.0" })
      .end(JSON.stringify(value));
  if (operation !== "GetMetricStatistics")
    return json(400, {
      __type: "InvalidAction",
      message: `the sandbox does not emulate CloudWatch ${operation}`,
    });
  const input = JSON.parse(body) as {
    MetricName?: string;
    Dimensions?: { Name: string; Value: string }[];
  };
  const cluster = input.Dimensions?.find((d) => d.Name === "DBClusterIdentifier")?.Value;
  const published =
    input.MetricName === "AuroraGlobalDBReplicationLag" && cluster === parts.secondaryClusterId;
  const now = Math.floor(parts.clock.now() / 1000);
  const datapoints = published
    ? [{ Timestamp: now - 60, Maximum: parts.aurora.lagMs, Unit: "Milliseconds" }]
    : [];
  return json(200, { Label: input.MetricName ?? "", Datapoints: datapoints });
}
