import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SSMClient } from "@aws-sdk/client-ssm";
import { createHandler, createHealthHandler } from "./app.ts";
import { configFromEnv, peerRegionFromEnv } from "./config.ts";
import type { Deps } from "./deps.ts";
import { createRegionCheck, type RegionCheckResult } from "./region-check.ts";

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

let regionCheckRun: (() => Promise<RegionCheckResult>) | undefined;
/** The scheduled region check (`index.regionCheck`); only its function sets PEER_REGION. */
export const regionCheck = async (): Promise<RegionCheckResult> => {
  if (!regionCheckRun) {
    const peerRegion = peerRegionFromEnv(process.env);
    regionCheckRun = createRegionCheck({
      ...deps,
      cloudwatch: new CloudWatchClient({}),
      peerCloudwatch: new CloudWatchClient({ region: peerRegion }),
      peerRegion,
    });
  }
  return await regionCheckRun();
};
