import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";

export type Response = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** A JSON response from a body that is already serialized (a stored response replays byte for byte). */
export function raw(
  statusCode: number,
  body: string,
  headers: Record<string, string> = {},
): Response {
  return {
    statusCode,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
    body,
  };
}

export function json(statusCode: number, body: unknown): Response {
  return raw(statusCode, JSON.stringify(body));
}
