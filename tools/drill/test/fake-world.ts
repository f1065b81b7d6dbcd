/**
 * A DrillWorld in memory, on a virtual clock: the drill runs minutes of AWS time in
 * milliseconds, with no emulator process. Route 53 and Aurora are the emulation's own models
 * (checkers on their schedules, the switchover's states); SSM, DynamoDB, CloudWatch and the
 * payment API are plain maps; a resolver keeps the failover name's answer for the alias TTL.
 * Faults: a command can be made to fail, the name can be held on the primary, a switchover
 * can stall, the token can be missing, payments can be refused or left unreplicated. A region
 * can be lost (`outage`): its API and every call to it fail, Route 53's data plane answers, and
 * payments left unreplicated reach the other region when it is back, as a global table's do.
 */
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import {
  DescribeDBClustersCommand,
  DescribeGlobalClustersCommand,
  FailoverGlobalClusterCommand,
  RemoveFromGlobalClusterCommand,
  SwitchoverGlobalClusterCommand,
} from "@aws-sdk/client-rds";
import {
  GetHealthCheckStatusCommand,
  ListHealthChecksCommand,
  ListTagsForResourcesCommand,
} from "@aws-sdk/client-route-53";
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { ALIAS_ANSWER_TTL_SECONDS } from "@tandem/module-kit/route53";
import type { Clock } from "../src/clock.ts";
import { AuroraGlobalEmulator } from "../src/emulation/aurora.ts";
import { Route53Emulator } from "../src/emulation/route53.ts";
import type { DrillTargets, Role } from "../src/targets.ts";
import { REGION_HEADER } from "../src/traffic.ts";
import type {
  DrillWorld,
  HttpAnswer,
  HttpRequest,
  RegionClients,
  RegionOutage,
} from "../src/world.ts";

/**
 * Time that passes only while every party sleeps: `sleep` queues a wake-up, and once the
 * running code has settled (a macrotask later) the clock jumps to the earliest one.
 */
export function virtualClock(start = Date.parse("2026-03-01T09:00:00Z")): Clock {
  let now = start;
  let order = 0;
  let scheduled = false;
  const sleepers: { at: number; order: number; wake: () => void }[] = [];
  const schedule = () => {
    if (scheduled || sleepers.length === 0) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = sleepers.shift()!;
      now = Math.max(now, next.at);
      next.wake();
      schedule();
    });
  };
  return {
    now: () => now,
    sleep: (ms) =>
      new Promise((resolve) => {
        sleepers.push({ at: now + Math.max(0, ms), order: order++, wake: resolve });
        schedule();
      }),
  };
}

type Command = { input: unknown; constructor: unknown };
type Handler = (input: never, region: string) => unknown;

const clusterArn = (targets: DrillTargets, role: Role) =>
  `arn:aws:rds:${targets.regions[role]}:${targets.account}:cluster:${targets.clusterIdentifier}`;

export class FakeWorld implements DrillWorld {
  readonly clock = virtualClock();
  readonly aurora: AuroraGlobalEmulator;
  readonly route53: Route53Emulator;
  /** SSM parameters by `<region>/<name>`. */
  readonly parameters = new Map<string, string>();
  /** The payments table (a global table: one copy serves both regions). */
  readonly items = new Map<string, Record<string, AttributeValue>>();
  /** Replication lag the secondary publishes; undefined publishes no datapoint. */
  lagMs: number | undefined = 150;
  /** The failover name keeps answering from the primary whatever the checks say. */
  nameStuckOnPrimary = false;
  tokenProblem: string | undefined;
  /** The status POST /payments answers instead of storing the payment. */
  paymentsRefusedWith: number | undefined;
  /** While false, a payment is readable only in the region that stored it. */
  replicating = true;
  /** Payments stored while not replicating: `pk` -> the region that has them. */
  private readonly unreplicated = new Map<string, string>();
  readonly arns: Record<Role, string>;
  /** Regions lost now. */
  readonly lost = new Set<string>();
  /** Each region lost and given back, in order. */
  readonly outages: string[] = [];
  /** The region does not come back: giving it back fails. */
  regionStaysLost = false;
  outage: RegionOutage | undefined = {
    lose: async (region) => {
      this.lost.add(region);
      this.outages.push(`lost ${region}`);
    },
    restore: async (region) => {
      if (this.regionStaysLost) throw new Error(`${region} is still unreachable`);
      this.lost.delete(region);
      this.outages.push(`restored ${region}`);
      this.unreplicated.clear(); // a global table delivers what the region held once it is back
    },
  };
  private readonly failures = new Map<unknown, { message: string; times: number; after: number }>();
  private readonly cache = new Map<string, { region: string; until: number }>();

  constructor(readonly targets: DrillTargets) {
    this.arns = {
      primary: clusterArn(targets, "primary"),
      secondary: clusterArn(targets, "secondary"),
    };
    this.aurora = new AuroraGlobalEmulator(
      targets.globalClusterIdentifier,
      `arn:aws:rds::${targets.account}:global-cluster:${targets.globalClusterIdentifier}`,
      [
        { arn: this.arns.primary, isWriter: true },
        { arn: this.arns.secondary, isWriter: false },
      ],
      this.clock,
      undefined,
      () => [...this.lost],
    );
    this.route53 = new Route53Emulator({
      clock: this.clock,
      interval: targets.healthCheck.interval,
      failureThreshold: targets.healthCheck.failureThreshold,
      checkerRegions: targets.healthCheck.regions,
      probe: async (host, path) => (await this.serve({ host, method: "GET", path })).status,
    });
    for (const role of ["primary", "secondary"] as const) {
      const region = targets.regions[role];
      this.parameters.set(`${region}/${targets.flagParameterName}`, "false");
      this.route53.addCheck({
        role,
        region,
        host: this.healthHost(region),
        path: "/health",
        name: targets.healthCheckNames[role],
      });
    }
  }

  /** Starts the health checkers; `stop` ends them (the clock runs while they do). */
  start = () => this.route53.start();
  stop = () => this.route53.stop();

  /** Calls of `command` (a command class) fail with `message`: `times` of them, after `after`. */
  fail(command: unknown, message: string, { times = Infinity, after = 0 } = {}): void {
    this.failures.set(command, { message, times, after });
  }

  flag(role: Role): string | undefined {
    return this.parameters.get(`${this.targets.regions[role]}/${this.targets.flagParameterName}`);
  }

  writer(): string | undefined {
    return this.aurora.describe().members.find((m) => m.isWriter)?.arn;
  }

  clients(region: string): RegionClients {
    const send = async (command: Command) => {
      // Route 53's data plane answers from everywhere; anything else in a lost region does not.
      if (this.lost.has(region) && command.constructor !== GetHealthCheckStatusCommand)
        throw new Error(`read ECONNRESET (${region} is lost)`);
      const failure = this.failures.get(command.constructor);
      if (failure && failure.after-- <= 0 && failure.times-- > 0) throw new Error(failure.message);
      const handler = this.handlers.get(command.constructor);
      if (!handler) throw new Error(`the fake world has no ${String(command.constructor)}`);
      return handler(command.input as never, region);
    };
    const client = { send };
    return {
      rds: client,
      ssm: client,
      route53: client,
      cloudwatch: client,
      dynamodb: client,
    } as unknown as RegionClients;
  }

  async token(): Promise<string> {
    if (this.tokenProblem) throw new Error(this.tokenProblem);
    return "a-client-token";
  }

  /** HTTPS as a client sends it: the failover name through the caching resolver. */
  async request(request: HttpRequest): Promise<HttpAnswer> {
    return this.serve(request);
  }

  private healthHost = (region: string) => `health.${region}.${this.targets.failoverName}`;

  private resolve(host: string): string | undefined {
    if (host !== this.targets.failoverName)
      return Object.values(this.targets.regions).find((r) => host === this.healthHost(r));
    const cached = this.cache.get(host);
    if (cached && cached.until > this.clock.now()) return cached.region;
    const role = this.nameStuckOnPrimary ? "primary" : this.route53.failoverAnswer();
    const region = this.targets.regions[role];
    this.cache.set(host, { region, until: this.clock.now() + ALIAS_ANSWER_TTL_SECONDS * 1000 });
    return region;
  }

  /** The payment API of a region: /health fails while the drill flag is set there. */
  private async serve(request: HttpRequest): Promise<HttpAnswer> {
    const region = this.resolve(request.host);
    if (!region) throw new Error(`${request.host}: no answer`);
    if (this.lost.has(region)) throw new Error(`read ECONNRESET (${region} is lost)`);
    const answer = (status: number, body: object) => ({
      status,
      headers: { [REGION_HEADER]: region, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (request.path === "/health") {
      const flagged = this.parameters.get(`${region}/${this.targets.flagParameterName}`) === "true";
      return answer(flagged ? 503 : 200, { region, ok: !flagged });
    }
    if (this.paymentsRefusedWith) return answer(this.paymentsRefusedWith, { error: "refused" });
    const key = request.headers?.["idempotency-key"] ?? "";
    const pk = `payment#${key}`;
    if (!this.items.has(pk)) {
      const stored = JSON.stringify({ id: `pay-${this.items.size + 1}`, key, region });
      this.items.set(pk, { pk: { S: pk }, response: { S: stored } });
      if (!this.replicating) this.unreplicated.set(pk, region);
    }
    return { ...answer(201, {}), body: this.items.get(pk)!.response!.S! };
  }

  private readonly handlers = new Map<unknown, Handler>([
    [
      ListHealthChecksCommand,
      () => ({ HealthChecks: this.route53.checks.map(healthCheck), IsTruncated: false }),
    ],
    [
      ListTagsForResourcesCommand,
      (input: { ResourceIds: string[] }) => ({
        ResourceTagSets: input.ResourceIds.map((id) => ({
          ResourceType: "healthcheck",
          ResourceId: id,
          Tags: [{ Key: "Name", Value: this.route53.checks.find((c) => c.id === id)?.name }],
        })),
      }),
    ],
    [
      GetHealthCheckStatusCommand,
      (input: { HealthCheckId: string }) => ({
        HealthCheckObservations: this.route53.checks
          .find((c) => c.id === input.HealthCheckId)!
          .checkers.filter((c) => c.last)
          .map((c) => ({
            Region: c.region,
            IPAddress: c.ip,
            StatusReport: { Status: c.last!.status, CheckedTime: new Date(c.last!.checkedAt) },
          })),
      }),
    ],
    [DescribeGlobalClustersCommand, () => ({ GlobalClusters: [globalCluster(this.aurora)] })],
    [
      SwitchoverGlobalClusterCommand,
      (input: { TargetDbClusterIdentifier: string }) =>
        this.aurora.move(input.TargetDbClusterIdentifier, false),
    ],
    [
      FailoverGlobalClusterCommand,
      (input: { TargetDbClusterIdentifier: string }) =>
        this.aurora.move(input.TargetDbClusterIdentifier, true),
    ],
    [
      RemoveFromGlobalClusterCommand,
      (input: { DbClusterIdentifier: string }) => this.aurora.detach(input.DbClusterIdentifier),
    ],
    [
      DescribeDBClustersCommand,
      (input: { DBClusterIdentifier: string }, region: string) => ({
        DBClusters: this.aurora
          .clusters(region)
          .filter((c) => c.arn.endsWith(`:cluster:${input.DBClusterIdentifier}`))
          .map((c) => ({
            DBClusterIdentifier: input.DBClusterIdentifier,
            DBClusterArn: c.arn,
            Status: c.status,
            GlobalClusterIdentifier: c.globalClusterIdentifier,
          })),
      }),
    ],
    [
      GetMetricStatisticsCommand,
      () => ({ Datapoints: this.lagMs === undefined ? [] : [{ Maximum: this.lagMs }] }),
    ],
    [
      GetParameterCommand,
      (input: { Name: string }, region: string) => {
        const value = this.parameters.get(`${region}/${input.Name}`);
        if (value === undefined) throw new Error(`ParameterNotFound: ${input.Name}`);
        return { Parameter: { Name: input.Name, Value: value } };
      },
    ],
    [
      PutParameterCommand,
      (input: { Name: string; Value: string }, region: string) =>
        this.parameters.set(`${region}/${input.Name}`, input.Value),
    ],
    [
      GetItemCommand,
      (input: { Key: { pk: { S: string } } }, region: string) => {
        const pk = input.Key.pk.S;
        const elsewhere = (this.unreplicated.get(pk) ?? region) !== region;
        return elsewhere ? {} : { Item: this.items.get(pk) };
      },
    ],
    [PutItemCommand, (input: { Item: Record<string, AttributeValue> }) => this.putLock(input.Item)],
    [
      DeleteItemCommand,
      (input: {
        Key: { pk: { S: string } };
        ExpressionAttributeValues: Record<string, AttributeValue>;
      }) => {
        const item = this.items.get(input.Key.pk.S);
        if (item?.holder?.S !== input.ExpressionAttributeValues[":holder"]?.S)
          throw new Error("ConditionalCheckFailedException: the lock is not this drill's");
        this.items.delete(input.Key.pk.S);
      },
    ],
  ]);

  /** The drill's only PutItem: its lock, refused while another drill's is unexpired. */
  private putLock(item: Record<string, AttributeValue>): void {
    const pk = item.pk!.S!;
    const held = this.items.get(pk);
    if (held && Number(held.expiresAt?.N) >= Math.floor(this.clock.now() / 1000))
      throw new Error("ConditionalCheckFailedException: another drill holds the lock");
    this.items.set(pk, item);
  }
}

function healthCheck(check: Route53Emulator["checks"][number]) {
  return {
    Id: check.id,
    CallerReference: check.id,
    HealthCheckVersion: 1,
    HealthCheckConfig: {
      Type: "HTTPS",
      FullyQualifiedDomainName: check.host,
      ResourcePath: check.path,
    },
  };
}

function globalCluster(aurora: AuroraGlobalEmulator) {
  const state = aurora.describe();
  return {
    GlobalClusterIdentifier: state.identifier,
    GlobalClusterArn: state.arn,
    Status: state.status,
    GlobalClusterMembers: state.members.map((m) => ({
      DBClusterArn: m.arn,
      IsWriter: m.isWriter,
      SynchronizationStatus: m.synchronization,
    })),
    ...(state.failoverState
      ? {
          FailoverState: {
            Status: state.failoverState.status,
            FromDbClusterArn: state.failoverState.from,
            ToDbClusterArn: state.failoverState.to,
            IsDataLossAllowed: state.failoverState.dataLoss,
          },
        }
      : {}),
  };
}
