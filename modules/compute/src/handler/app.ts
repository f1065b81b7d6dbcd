import type { APIGatewayProxyEventV2 } from "aws-lambda";
import { REGION_HEADER } from "./contract.ts";
import type { Deps } from "./deps.ts";
import { createHealth } from "./health.ts";
import { json, type Response } from "./http.ts";
import { recordPayment } from "./payments.ts";

export { HEALTH_METRICS, HEALTH_ROUTE_LIMITS, RATE_PER_EXECUTION } from "./contract.ts";
export { createRegionCheck, type RegionCheckDeps, type RegionCheckResult } from "./region-check.ts";

type Handler = (event: APIGatewayProxyEventV2) => Promise<Response>;

/** The payment handler for the HTTP API's routes (payload format 2.0). */
export function createHandler(deps: Deps): Handler {
  const health = createHealth(deps, deps.config.healthCacheSeconds);
  return withRegion(deps, async (event) => {
    switch (event.routeKey) {
      case "POST /payments":
        return await recordPayment(deps, event);
      case "GET /health":
        return await health();
      default:
        return json(404, { message: "not found" });
    }
  });
}

/** The /health function's handler: its own instances and concurrency, the same answer. */
export function createHealthHandler(deps: Deps): Handler {
  const health = createHealth(deps, deps.config.healthCacheSeconds);
  return withRegion(deps, () => health());
}

/** Every response names the region that answered; an unexpected error is a 500, not a crash. */
function withRegion(deps: Deps, route: Handler): Handler {
  return async (event) => {
    let response: Response;
    try {
      response = await route(event);
    } catch (error) {
      console.error("request failed", error);
      response = json(500, { message: "internal error: retry with the same Idempotency-Key" });
    }
    return { ...response, headers: { ...response.headers, [REGION_HEADER]: deps.config.region } };
  };
}
