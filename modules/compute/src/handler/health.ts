import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import type { Deps } from "./deps.ts";
import { json, type Response } from "./http.ts";

type Check = "ok" | "drill" | "error";

/**
 * 200 when this region can take payments, 503 otherwise, which takes the region out of DNS.
 * Checks the table on the data path (a GetItem also proves the table's KMS key works) and the
 * drill flag, so a drill can fail a region over without touching Route 53.
 */
export async function health(deps: Deps): Promise<Response> {
  const { config } = deps;
  const [drill, table] = await Promise.allSettled([
    deps.ssm.send(new GetParameterCommand({ Name: config.drillParameterName })),
    deps.dynamodb.send(
      new GetItemCommand({
        TableName: config.tableName,
        Key: { pk: { S: "health#probe" } },
        ProjectionExpression: "pk",
      }),
    ),
  ]);
  const checks: Record<string, Check> = {
    drill:
      drill.status === "rejected" ? "error" : isOn(drill.value.Parameter?.Value) ? "drill" : "ok",
    table: table.status === "rejected" ? "error" : "ok",
  };
  for (const result of [drill, table]) {
    if (result.status === "rejected")
      console.error("health check dependency failed", result.reason);
  }
  const healthy = Object.values(checks).every((check) => check === "ok");
  return json(healthy ? 200 : 503, {
    status: healthy ? "ok" : "unhealthy",
    region: config.region,
    role: config.role,
    checks,
  });
}

function isOn(value: string | undefined): boolean {
  return value?.trim().toLowerCase() === "true";
}
