import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../clock.ts";
import type { AlarmModel } from "./health-model.ts";
import { serve, type Served } from "./http.ts";

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

interface Datum {
  at: number;
  value: number;
}

interface MetricDatum {
  MetricName: string;
  Dimensions?: { Name: string; Value: string }[];
  Timestamp?: number;
  Value: number;
}

/**
 * CloudWatch of every region, as far as the health checks need it: metric data each region's
 * region check puts (PutMetricData) and reads of the peer's (GetMetricStatistics), served in
 * CloudWatch's JSON 1.0 protocol for the real handler's SDK clients, the region taken from each
 * request's SigV4 scope; and the metric alarms of the pinned modules, evaluated as the CloudWatch
 * User Guide describes: the last `evaluationPeriods` complete periods, each breaching by its
 * statistic against the threshold or, with no data, by `treat_missing_data`; ALARM when at least
 * `datapointsToAlarm` breach. A lost region's requests are reset, and nobody can read its alarms.
 */
export class CloudWatchEmulator {
  private readonly series = new Map<string, Datum[]>();

  constructor(
    private readonly clock: Clock,
    private readonly alarms: readonly AlarmModel[],
    private readonly lost: () => string[] = () => [],
  ) {}

  put(region: string, namespace: string, data: readonly MetricDatum[]): void {
    for (const datum of data) {
      const key = seriesKey(region, namespace, datum.MetricName, dimensionsOf(datum.Dimensions));
      const at = datum.Timestamp !== undefined ? datum.Timestamp * 1000 : this.clock.now();
      this.series.set(key, [...(this.series.get(key) ?? []), { at, value: datum.Value }]);
    }
  }

  /**
   * The history a long-running system would have: every series' latest value copied into each
   * of the `periods` minutes before it, so alarms start from what is true now (as the emulated
   * Route 53 checkers start from one probe each).
   */
  seedHistory(periods: number): void {
    for (const [key, data] of this.series) {
      const latest = data.at(-1);
      if (!latest) continue;
      const earlier = Array.from({ length: periods }, (_, i) => ({
        at: latest.at - (periods - i) * 60_000,
        value: latest.value,
      }));
      this.series.set(key, [...earlier, ...data]);
    }
  }

  /** Minimum, Maximum, Sum, SampleCount and Average per `period` seconds between `start` and `end` (ms). */
  statistics(
    region: string,
    query: { namespace: string; metric: string; dimensions: Record<string, string> },
    start: number,
    end: number,
    period: number,
  ) {
    const data = this.series.get(
      seriesKey(region, query.namespace, query.metric, query.dimensions),
    );
    const buckets = new Map<number, number[]>();
    for (const { at, value } of data ?? []) {
      if (at < start || at >= end) continue;
      const bucket = start + Math.floor((at - start) / (period * 1000)) * period * 1000;
      buckets.set(bucket, [...(buckets.get(bucket) ?? []), value]);
    }
    return [...buckets].map(([at, values]) => ({
      at,
      Minimum: Math.min(...values),
      Maximum: Math.max(...values),
      Sum: values.reduce((a, b) => a + b, 0),
      SampleCount: values.length,
      Average: values.reduce((a, b) => a + b, 0) / values.length,
    }));
  }

  /** The alarm's state now; a lost region's alarms cannot be read at all. */
  alarmState(region: string, name: string): AlarmState {
    if (this.lost().includes(region)) throw new Error(`CloudWatch in ${region} is unreachable`);
    const alarm = this.alarms.find((a) => a.region === region && a.name === name);
    if (!alarm) return "INSUFFICIENT_DATA";
    const period = alarm.period * 1000;
    const end = Math.floor(this.clock.now() / period) * period;
    const start = end - alarm.evaluationPeriods * period;
    const points = this.statistics(region, alarm, start, end, alarm.period);
    let breaching = 0;
    let seen = 0;
    for (let at = start; at < end; at += period) {
      const point = points.find((p) => p.at === at);
      if (point) {
        seen += 1;
        if (breaches(alarm, point[alarm.statistic])) breaching += 1;
      } else if (alarm.missing === "breaching") breaching += 1;
    }
    if (breaching >= alarm.datapointsToAlarm) return "ALARM";
    return seen === 0 && alarm.missing !== "notBreaching" && alarm.missing !== "breaching"
      ? "INSUFFICIENT_DATA"
      : "OK";
  }

  /** The alarms' names and states in one region (a lost region: none can be read). */
  alarmStates(region: string): Record<string, AlarmState> {
    return Object.fromEntries(
      this.alarms
        .filter((a) => a.region === region)
        .map((a) => [a.name, this.alarmState(region, a.name)]),
    );
  }

  /** PutMetricData and GetMetricStatistics on loopback, in CloudWatch's JSON 1.0 protocol. */
  serve(): Promise<Served> {
    return serve((request, body, response) => {
      this.answer(request, body, response);
      return Promise.resolve();
    });
  }

  private answer(request: IncomingMessage, body: string, response: ServerResponse): void {
    const region = /Credential=[^/]+\/[^/]+\/([^/]+)\//.exec(
      request.headers.authorization ?? "",
    )?.[1];
    if (!region || this.lost().includes(region)) {
      request.socket.destroy();
      return;
    }
    const json = (status: number, value: unknown): void => {
      response
        .writeHead(status, { "content-type": "application/x-amz-json-1.0" })
        .end(JSON.stringify(value));
    };
    const operation = String(request.headers["x-amz-target"] ?? "").split(".")[1];
    const input = JSON.parse(body || "{}") as Record<string, unknown>;
    if (operation === "PutMetricData") {
      this.put(region, String(input.Namespace), input.MetricData as MetricDatum[]);
      return json(200, {});
    }
    if (operation === "GetMetricStatistics") {
      const stats = this.statistics(
        region,
        {
          namespace: String(input.Namespace),
          metric: String(input.MetricName),
          dimensions: dimensionsOf(input.Dimensions as MetricDatum["Dimensions"]),
        },
        Number(input.StartTime) * 1000,
        Number(input.EndTime) * 1000,
        Number(input.Period),
      );
      const wanted = (input.Statistics as string[] | undefined) ?? [];
      const datapoints = stats.map((s) => ({
        Timestamp: s.at / 1000,
        ...Object.fromEntries(wanted.map((w) => [w, s[w as keyof typeof s]])),
      }));
      return json(200, { Label: input.MetricName, Datapoints: datapoints });
    }
    json(400, {
      __type: "InvalidAction",
      message: `the sandbox does not emulate CloudWatch ${operation}`,
    });
  }
}

function breaches(alarm: AlarmModel, value: number): boolean {
  return alarm.comparison === "LessThanThreshold"
    ? value < alarm.threshold
    : value > alarm.threshold;
}

function dimensionsOf(dimensions: MetricDatum["Dimensions"]): Record<string, string> {
  return Object.fromEntries((dimensions ?? []).map((d) => [d.Name, d.Value]));
}

function seriesKey(
  region: string,
  namespace: string,
  metric: string,
  dimensions: Record<string, string>,
): string {
  const sorted = Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b));
  return JSON.stringify([region, namespace, metric, sorted]);
}
