import {
  GetMetricStatisticsCommand,
  PutMetricDataCommand,
  type CloudWatchClient,
} from "@aws-sdk/client-cloudwatch";
import { HEALTH_METRICS } from "./contract.ts";
import type { Deps } from "./deps.ts";
import { allOk, readChecks, type Checks } from "./health.ts";

/** The region check's clients: this region's CloudWatch, and the peer region's to read its verdict. */
export interface RegionCheckDeps extends Deps {
  readonly cloudwatch: CloudWatchClient;
  readonly peerCloudwatch: CloudWatchClient;
  readonly peerRegion: string;
}

export interface RegionCheckResult {
  healthy: boolean;
  checks: Checks;
  peerHealthy: boolean;
}

/**
 * A peer verdict older than this is no verdict: the peer publishes every minute, so three
 * minutes allows one missed run and CloudWatch's ingestion delay.
 */
export const PEER_VERDICT_MAX_AGE_MS = 3 * 60_000;

/** How long the cross-region read may take before the peer counts as unreachable. */
export const PEER_READ_TIMEOUT_MS = 3_000;

/**
 * Runs once a minute on an EventBridge schedule, never from the internet: reads this region's
 * dependencies as `/health` does (the table and the drill flag, uncached), reads the peer's own
 * verdict from the peer region's CloudWatch, and publishes both as HEALTH_METRICS in this
 * region. Route 53 follows the alarm on `RegionHealthy`, so public traffic cannot move it; the
 * alarm on `PeerHealthy` pages from this region when the peer is lost, us-east-1 included.
 */
export function createRegionCheck(deps: RegionCheckDeps): () => Promise<RegionCheckResult> {
  return async () => {
    const [checks, peerHealthy] = await Promise.all([readChecks(deps), readPeer(deps)]);
    const healthy = allOk(checks);
    const at = deps.now();
    const datum = (metric: string, region: string, ok: boolean) => ({
      MetricName: metric,
      Dimensions: [{ Name: HEALTH_METRICS.dimension, Value: region }],
      Timestamp: at,
      Value: ok ? 1 : 0,
      Unit: "Count" as const,
    });
    await deps.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: HEALTH_METRICS.namespace,
        MetricData: [
          datum(HEALTH_METRICS.region, deps.config.region, healthy),
          datum(HEALTH_METRICS.peer, deps.peerRegion, peerHealthy),
        ],
      }),
    );
    const result = { healthy, checks, peerHealthy };
    console.info("region check", JSON.stringify(result));
    return result;
  };
}

/** The peer's latest `RegionHealthy`, read in the peer's region: healthy only if fresh and 1. */
async function readPeer(deps: RegionCheckDeps): Promise<boolean> {
  const now = deps.now().getTime();
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), PEER_READ_TIMEOUT_MS);
  try {
    const { Datapoints = [] } = await deps.peerCloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: HEALTH_METRICS.namespace,
        MetricName: HEALTH_METRICS.region,
        Dimensions: [{ Name: HEALTH_METRICS.dimension, Value: deps.peerRegion }],
        StartTime: new Date(now - PEER_VERDICT_MAX_AGE_MS),
        EndTime: new Date(now),
        Period: 60,
        Statistics: ["Minimum"],
      }),
      { abortSignal: abort.signal },
    );
    const latest = Datapoints.reduce<(typeof Datapoints)[number] | undefined>(
      (a, b) => (!a || (b.Timestamp?.getTime() ?? 0) > (a.Timestamp?.getTime() ?? 0) ? b : a),
      undefined,
    );
    return latest?.Minimum === 1;
  } catch (error) {
    console.error(`the peer region ${deps.peerRegion} could not be read`, error);
    return false;
  } finally {
    clearTimeout(timer);
  }
}
