/** What the gateway reads from a request: who signed it, for which service, and its parameters. */
import type { IncomingMessage } from "node:http";

export interface SignedRequest {
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  /** The SigV4 access key id, from the Authorization header or a presigned URL's query. */
  readonly accessKeyId?: string;
  /** The SigV4 scope's service and region. */
  readonly service?: string;
  readonly region?: string;
  /** Query-string parameters and, for a form-encoded body (query protocol), the body's. */
  readonly params: Record<string, string>;
  /** The JSON body of a JSON-protocol request (`X-Amz-Target`). */
  readonly json?: Record<string, unknown>;
}

export function signedBy(req: IncomingMessage, body: Buffer): SignedRequest {
  const url = new URL(req.url ?? "/", "http://gateway");
  const params = Object.fromEntries(url.searchParams);
  const type = String(req.headers["content-type"] ?? "");
  if (type.includes("x-www-form-urlencoded")) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString("utf8"))));
  }
  const credential =
    /Credential=([^,\s]+)/.exec(String(req.headers.authorization ?? ""))?.[1] ??
    params["X-Amz-Credential"];
  const [accessKeyId, , region, service] = credential?.split("/") ?? [];
  return {
    method: req.method ?? "GET",
    path: decodeURIComponent(url.pathname),
    headers: req.headers,
    ...(accessKeyId ? { accessKeyId } : {}),
    ...(service ? { service } : {}),
    ...(region ? { region } : {}),
    params,
    ...(req.headers["x-amz-target"] ? { json: jsonBody(body) } : {}),
  };
}

function jsonBody(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
  } catch {
    return {};
  }
}
