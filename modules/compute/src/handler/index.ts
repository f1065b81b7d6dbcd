import { randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SSMClient } from "@aws-sdk/client-ssm";
import { createHandler } from "./app.ts";
import { configFromEnv } from "./config.ts";

// Clients live for the execution environment, so connections are reused across invocations.
export const handler = createHandler({
  dynamodb: new DynamoDBClient({}),
  ssm: new SSMClient({}),
  events: new EventBridgeClient({}),
  config: configFromEnv(process.env),
  now: () => new Date(),
  newId: randomUUID,
});
