import { Agent } from "node:http";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SSMClient } from "@aws-sdk/client-ssm";
import { createRegionCheck } from "@tandem/compute/handler";
import type { Clock } from "../clock.ts";
import type { DrillTargets, Role } from "../targets.ts";

const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };

/** EventBridge's `rate(1 minute)`, the schedule compute gives its region check. */
export const REGION_CHECK_INTERVAL_MS = 60_000;

export interface RegionChecksOptions {
  clock: Clock;
  targets: DrillTargets;
  /** moto: the table and the drill flag the check reads. */
  awsEndpoint: string;
  /** The emulated CloudWatch (every region on one loopback URL, told apart by SigV4 scope). */
  cloudwatchUrl: string;
  lost: () => string[];
}

/**
 * Each region's scheduled region check: the real handler (`createRegionCheck`), invoked once
 * a minute as EventBridge would, on moto's table and flag, publishing to the emulated
 * CloudWatch and reading the peer's verdict there. A lost region runs nothing.
 */
export class ScheduledRegionChecks {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly runs: Record<string, () => Promise<unknown>> = {};

  constructor(private readonly options: RegionChecksOptions) {
    const { targets } = options;
    for (const role of ["primary", "secondary"] as const) {
      const region = targets.regions[role];
      const peer = targets.regions[role === "primary" ? "secondary" : "primary"];
      this.runs[region] = createRegionCheck(this.deps(role, region, peer));
    }
  }

  /**
   * Every region checks now, twice (the second pass reads the verdict the peer's first one
   * published, as a schedule that has run all along would), then once a minute.
   */
  async start(): Promise<void> {
    this.running = true;
    await this.runAll();
    await this.runAll();
    this.loop = this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async schedule(): Promise<void> {
    const { clock } = this.options;
    let next = clock.now() + REGION_CHECK_INTERVAL_MS;
    while (this.running) {
      while (this.running && clock.now() < next)
        await clock.sleep(Math.min(next - clock.now(), 1_000));
      if (!this.running) return;
      next += REGION_CHECK_INTERVAL_MS;
      await this.runAll();
    }
  }

  /** A run that fails publishes nothing, which the alarm counts as breaching, as on AWS. */
  private async runAll(): Promise<void> {
    const lost = this.options.lost();
    await Promise.all(
      Object.entries(this.runs)
        .filter(([region]) => !lost.includes(region))
        .map(([, run]) => run().catch(() => undefined)),
    );
  }

  private deps(role: Role, region: string, peer: string) {
    const { targets, awsEndpoint, cloudwatchUrl, clock } = this.options;
    const client = { region, endpoint: awsEndpoint, credentials, maxAttempts: 1 };
    // A fresh connection per call: at a fast clock the schedule's gap outlasts the server's
    // keep-alive, and a reused socket it just closed would fail the run.
    const requestHandler = { httpAgent: new Agent({ keepAlive: false }) };
    const cloudwatch = (r: string) =>
      new CloudWatchClient({
        region: r,
        endpoint: cloudwatchUrl,
        credentials,
        maxAttempts: 1,
        requestHandler,
      });
    return {
      dynamodb: new DynamoDBClient(client),
      ssm: new SSMClient(client),
      events: new EventBridgeClient(client),
      cloudwatch: cloudwatch(region),
      peerCloudwatch: cloudwatch(peer),
      peerRegion: peer,
      config: {
        tableName: targets.tableName,
        eventBusName: targets.eventBusName,
        drillParameterName: targets.flagParameterName,
        region,
        role,
        healthCacheSeconds: 0,
      },
      now: () => new Date(clock.now()),
    };
  }
}
