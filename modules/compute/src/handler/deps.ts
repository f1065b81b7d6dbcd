import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { SSMClient } from "@aws-sdk/client-ssm";
import type { Config } from "./config.ts";

/** Everything the handler talks to, injected so tests can mock the clients and fix the time. */
export interface Deps {
  readonly dynamodb: DynamoDBClient;
  readonly ssm: SSMClient;
  readonly events: EventBridgeClient;
  readonly config: Config;
  readonly now: () => Date;
}
