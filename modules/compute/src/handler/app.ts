import type { APIGatewayProxyEventV2 } from "aws-lambda";
import type { Deps } from "./deps.ts";
import { health } from "./health.ts";
import { json, type Response } from "./http.ts";
import { recordPayment } from "./payments.ts";

/** The Lambda handler for the HTTP API's routes (payload format 2.0). */
export function createHandler(deps: Deps): (event: APIGatewayProxyEventV2) => Promise<Response> {
  return async (event) => {
    try {
      switch (event.routeKey) {
        case "POST /payments":
          return await recordPayment(deps, event);
        case "GET /health":
          return await health(deps);
        default:
          return json(404, { message: "not found" });
      }
    } catch (error) {
      console.error("request failed", error);
      return json(500, { message: "internal error: retry with the same Idempotency-Key" });
    }
  };
}
