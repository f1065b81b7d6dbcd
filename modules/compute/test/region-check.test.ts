import {
  CloudWatchClient,
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
  type GetMetricStatisticsCommandInput,
} from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { peerRegionFromEnv } from "../src/handler/config.ts";
import { ENV, HEALTH_METRICS } from "../src/handler/contract.ts";
import { createRegionCheck, PEER_VERDICT_MAX_AGE_MS } from "../src/handler/region-check.ts";
import { config } from "./fakes.ts";

const NOW = new Date("2026-01-02T03:04:05.000Z");
const PEER = "us-west-2";

function setup(options: { drill?: string; peer?: { at: Date; minimum: number }[] | Error } = {}) {
  const own = new CloudWatchClient({ region: config.region });
  const peer = new CloudWatchClient({ region: PEER });
  const ownMock = mockClient(own);
  const peerMock = mockClient(peer);
  const dynamodb = mockClient(DynamoDBClient);
  const ssm = mockClient(SSMClient);
  dynamodb.on(GetItemCommand).resolves({});
  ssm.on(GetParameterCommand).resolves({ Parameter: { Value: options.drill ?? "false" } });
  ownMock.on(PutMetricDataCommand).resolves({});
  const verdicts = options.peer ?? [{ at: new Date(NOW.getTime() - 30_000), minimum: 1 }];
  if (verdicts instanceof Error) peerMock.on(GetMetricStatisticsCommand).rejects(verdicts);
  else
    peerMock.on(GetMetricStatisticsCommand).resolves({
      Datapoints: verdicts.map((v) => ({ Timestamp: v.at, Minimum: v.minimum })),
    });
  const run = createRegionCheck({
    dynamodb: new DynamoDBClient({ region: config.region }),
    ssm: new SSMClient({ region: config.region }),
    events: new EventBridgeClient({ region: config.region }),
    config,
    now: () => NOW,
    cloudwatch: own,
    peerCloudwatch: peer,
    peerRegion: PEER,
  });
  const published = () => {
    const [call] = ownMock.commandCalls(PutMetricDataCommand);
    const input = call!.args[0].input;
    expect(input.Namespace).toBe(HEALTH_METRICS.namespace);
    return Object.fromEntries(
      (input.MetricData ?? []).map((d) => [
        `${d.MetricName}/${d.Dimensions?.[0]?.Value}`,
        { value: d.Value, at: d.Timestamp },
      ]),
    );
  };
  const restore = () => [ownMock, peerMock, dynamodb, ssm].forEach((m) => m.restore());
  return { run, published, peerMock, ownMock, dynamodb, ssm, restore };
}

let s = setup();
let logs = vi.spyOn(console, "info");
let errors = vi.spyOn(console, "error");
beforeEach(() => {
  logs = vi.spyOn(console, "info").mockImplementation(() => undefined);
  errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
});
afterEach(() => {
  s.restore();
  logs.mockRestore();
  errors.mockRestore();
});

describe("the scheduled region check", () => {
  it("publishes RegionHealthy 1 for this region and PeerHealthy 1 for a peer that said so a minute ago", async () => {
    s = setup();
    expect(await s.run()).toEqual({
      healthy: true,
      checks: { drill: "ok", table: "ok" },
      peerHealthy: true,
    });
    expect(s.published()).toEqual({
      [`RegionHealthy/${config.region}`]: { value: 1, at: NOW },
      [`PeerHealthy/${PEER}`]: { value: 1, at: NOW },
    });
  });

  it("publishes RegionHealthy 0 while the drill flag is on, and when the table cannot be read", async () => {
    s = setup({ drill: "true" });
    await s.run();
    expect(s.published()[`RegionHealthy/${config.region}`]?.value).toBe(0);
    s.restore();
    s = setup();
    s.dynamodb.on(GetItemCommand).rejects(new Error("ResourceNotFoundException"));
    expect((await s.run()).checks.table).toBe("error");
    expect(s.published()[`RegionHealthy/${config.region}`]?.value).toBe(0);
  });

  it("reads the peer's own RegionHealthy in the peer's region, over the last minutes", async () => {
    s = setup();
    await s.run();
    const [call] = s.peerMock.commandCalls(GetMetricStatisticsCommand);
    const input: GetMetricStatisticsCommandInput = call!.args[0].input;
    expect(input).toMatchObject({
      Namespace: HEALTH_METRICS.namespace,
      MetricName: HEALTH_METRICS.region,
      Dimensions: [{ Name: HEALTH_METRICS.dimension, Value: PEER }],
      Statistics: ["Minimum"],
      Period: 60,
    });
    expect(input.EndTime!.getTime() - input.StartTime!.getTime()).toBe(PEER_VERDICT_MAX_AGE_MS);
  });

  it("counts the peer unhealthy when its latest verdict is 0, when it said nothing lately, and when its region cannot be reached", async () => {
    const older = new Date(NOW.getTime() - 120_000);
    const newer = new Date(NOW.getTime() - 60_000);
    for (const peer of [
      [
        { at: older, minimum: 1 },
        { at: newer, minimum: 0 },
      ],
      [],
      new Error("connect ETIMEDOUT monitoring.us-west-2.amazonaws.com"),
    ]) {
      s.restore();
      s = setup({ peer });
      expect((await s.run()).peerHealthy).toBe(false);
      expect(s.published()[`PeerHealthy/${PEER}`]?.value).toBe(0);
      // This region's own verdict does not depend on the peer.
      expect(s.published()[`RegionHealthy/${config.region}`]?.value).toBe(1);
    }
    expect(errors).toHaveBeenCalledWith(
      `the peer region ${PEER} could not be read`,
      expect.any(Error),
    );
  });

  it("fails the run when its metrics cannot be published, so the alarm sees silence, not health", async () => {
    s = setup();
    s.ownMock.on(PutMetricDataCommand).rejects(new Error("AccessDenied"));
    await expect(s.run()).rejects.toThrow("AccessDenied");
  });

  it("takes its peer region from PEER_REGION, and refuses a missing or malformed one at init", () => {
    expect(peerRegionFromEnv({ [ENV.peerRegion]: "us-west-2" })).toBe("us-west-2");
    expect(() => peerRegionFromEnv({})).toThrow("PEER_REGION must be an AWS region, not unset");
    expect(() => peerRegionFromEnv({ [ENV.peerRegion]: "arn:aws:events" })).toThrow(
      "PEER_REGION must be an AWS region",
    );
  });
});
