import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SSMClient } from "@aws-sdk/client-ssm";
import { createHandler, createHealthHandler } from "./app.ts";
import { configFromEnv } from "./config.ts";
import type { Deps } from "./deps.ts";

// Clients live for the execution environment, so connections are reused across invocations.
const deps: Deps = {
  dynamodb: new DynamoDBClient({}),
  ssm: new SSMClient({}),
  events: new EventBridgeClient({}),
  config: configFromEnv(process.env),
  now: () => new Date(),
};

/** POST /payments (`index.handler`). */
export const handler = createHandler(deps);
/** GET /health, in its own function (`index.health`). */
export const health = createHealthHandler(deps);
