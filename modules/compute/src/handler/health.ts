import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { Deps } from "./deps.ts";
import { json, type Response } from "./http.ts";

type Check = "ok" | "drill" | "error";
export type Checks = Record<"drill" | "table", Check>;

/**
 * Each dependency call gets this long before it counts as an error, so the answer leaves well
 * inside the 2 seconds Route 53 waits after connecting (both calls run at once).
 */
export const DEPENDENCY_TIMEOUT_MS = 1000;

/**
 * 200 when this region can take payments, 503 otherwise, which takes the region out of DNS.
 * Checks the table on the data path (a GetItem also proves the table's KMS key works) and the
 * drill flag, so a drill can fail a region over without touching Route 53. Route 53's checkers
 * probe several times a second, so each instance reuses its last reading for `cacheSeconds`:
 * probes cost no SSM or DynamoDB calls in between, and a drill takes effect that much later.
 */
export function createHealth(deps: Deps, cacheSeconds: number): () => Promise<Response> {
  let cached: { at: number; checks: Checks } | undefined;
  return async () => {
    const now = deps.now().getTime();
    if (!cached || now - cached.at >= cacheSeconds * 1000) {
      cached = { at: now, checks: await readChecks(deps) };
    }
    return answer(deps, cached.checks);
  };
}

/** The region's dependencies, read now: the drill flag and one item of the table. */
export async function readChecks(deps: Deps): Promise<Checks> {
  const { config } = deps;
  const abort = new AbortController();
  const abortSignal = abort.signal;
  const [drill, table] = await Promise.allSettled([
    bounded(
      deps.ssm.send(new GetParameterCommand({ Name: config.drillParameterName }), { abortSignal }),
    ),
    bounded(
      deps.dynamodb.send(
        new GetItemCommand({
          TableName: config.tableName,
          Key: { pk: { S: "health#probe" } },
          ProjectionExpression: "pk",
        }),
        { abortSignal },
      ),
    ),
  ]);
  abort.abort();
  for (const result of [drill, table]) {
    if (result.status === "rejected")
      console.error("health check dependency failed", result.reason);
  }
  return {
    drill:
      drill.status === "rejected" ? "error" : isOn(drill.value.Parameter?.Value) ? "drill" : "ok",
    table: table.status === "rejected" ? "error" : "ok",
  };
}

/** The call's result, or a rejection once DEPENDENCY_TIMEOUT_MS has passed without one. */
export async function bounded<T>(call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${DEPENDENCY_TIMEOUT_MS} ms`)),
      DEPENDENCY_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([call, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function allOk(checks: Checks): boolean {
  return Object.values(checks).every((check) => check === "ok");
}

function answer(deps: Deps, checks: Checks): Response {
  const healthy = allOk(checks);
  return json(healthy ? 200 : 503, {
    status: healthy ? "ok" : "unhealthy",
    region: deps.config.region,
    role: deps.config.role,
    checks,
  });
}

function isOn(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
