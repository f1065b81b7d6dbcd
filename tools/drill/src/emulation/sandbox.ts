import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from "@aws-sdk/client-dynamodb";
import { CreateEventBusCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { ALIAS_ANSWER_TTL_SECONDS } from "@tandem/module-kit/route53";
import {
  lostRegions,
  privateRoleSession,
  setOutage,
  startPrivateMoto,
  type PrivateRoleSession,
} from "@tandem/sandbox";
import { fastClock, type Clock } from "../clock.ts";
import { runDrill } from "../engine.ts";
import type { DrillReport } from "../report.ts";
import {
  drillTargets,
  loadDrillEnvironment,
  type DrillMode,
  type DrillTargets,
  type Role,
} from "../targets.ts";
import {
  clientsFactory,
  type DrillWorld,
  type HttpRequest,
  type RegionClients,
  type RegionOutage,
} from "../world.ts";
import { AuroraGlobalEmulator } from "./aurora.ts";
import { CloudWatchEmulator } from "./cloudwatch.ts";
import { startControlPlane } from "./control.ts";
import { startRegionApi } from "./gateway.ts";
import { loopbackRequest, type Served } from "./http.ts";
import { healthModel, type HealthModel, type ModulePins } from "./health-model.ts";
import { localIdentityProvider } from "./identity.ts";
import { ScheduledRegionChecks } from "./region-check.ts";
import { TableReplication } from "./replication.ts";
import { Route53Emulator } from "./route53.ts";

export type SandboxFault =
  | "switchover-stalls"
  | "secondary-unhealthy"
  | "lag-over-rpo"
  | "flag-write-fails"
  | "failback-fails"
  | "writes-unreplicated"
  | "secondary-detached";

export const SANDBOX_FAULTS: readonly SandboxFault[] = [
  "switchover-stalls",
  "secondary-unhealthy",
  "lag-over-rpo",
  "flag-write-fails",
  "failback-fails",
  "writes-unreplicated",
  "secondary-detached",
];

export interface SandboxDrillOptions {
  /** Repository root (environments/, modules/, .venv). */
  root: string;
  env: string;
  mode?: DrillMode;
  dryRun?: boolean;
  /** How much faster than real time the emulation runs; default 50. */
  speed?: number;
  /** A running moto (e.g. the sandbox's); default: a private one for this run. */
  motoEndpoint?: string;
  faults?: SandboxFault[];
  /** Module versions instead of the manifest's, for the health checks' design (tests of an older one). */
  modulePins?: ModulePins;
}

const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
const SANDBOX_ISSUER = "https://auth.sandbox.tandem.invalid/";

/** A running emulation of one environment: the world the drill and the posture check act on. */
export interface SandboxEmulation {
  targets: DrillTargets;
  world: DrillWorld;
  role: PrivateRoleSession;
  faults: ReadonlySet<SandboxFault>;
  /** Every region's emulated CloudWatch: the region checks' metrics and the modules' alarms. */
  cloudwatch: CloudWatchEmulator;
  /** Where each service the drill calls is served: the role's gateway, or the emulated control plane. */
  endpoints: Record<keyof RegionClients, string>;
  close(): Promise<void>;
}

/** Moto (or `motoEndpoint`), the drill role's session, the region APIs, Route 53, Aurora, replication. */
export async function startEmulation(
  options: Omit<SandboxDrillOptions, "mode" | "dryRun">,
): Promise<SandboxEmulation> {
  const environment = loadDrillEnvironment(options.root, options.env);
  const targets = await drillTargets(options.root, environment);
  const health = await healthModel(options.root, environment, options.modulePins);
  const clock = fastClock(options.speed ?? 50);
  const faults = new Set(options.faults ?? []);
  const stops: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const moto = options.motoEndpoint
      ? undefined
      : // The account of the manifest: the drill role's policies name its resources' ARNs.
        await startPrivateMoto(options.root, { label: "drill", account: targets.account });
    if (moto) stops.push(moto.stop);
    const awsEndpoint = options.motoEndpoint ?? moto!.endpoint;
    await provision(targets, awsEndpoint);
    const role = await privateRoleSession(options.root, options.env, "drill", awsEndpoint);
    stops.push(role.close);
    const outage = sandboxOutage(options.root, options.env, role.name);
    const { world, endpoints, cloudwatch } = await emulate(
      targets,
      clock,
      { awsEndpoint, role, outage, health },
      faults,
      stops,
    );
    return { targets, world, role, faults, endpoints, cloudwatch, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The drill, unchanged, against an emulated AWS: real handler, moto, Route 53 and Aurora as documented. */
export async function runSandboxDrill(options: SandboxDrillOptions): Promise<DrillReport> {
  const environment = loadDrillEnvironment(options.root, options.env);
  const mode = options.mode ?? environment.manifest.drill.mode;
  if (mode === "failover" && environment.manifest.drill.mode !== "failover")
    throw new Error(
      `failover mode accepts data loss; ${environment.file} schedules drill.mode: ${environment.manifest.drill.mode}`,
    );
  const emulation = await startEmulation(options);
  const { targets, role, faults } = emulation;
  try {
    const report = await runDrill(emulation.world, targets, {
      mode,
      dryRun: options.dryRun ?? false,
      where: `the sandbox (moto, emulated Route 53 and Aurora, clock ${options.speed ?? 50}x${faults.size ? `, faults: ${[...faults].join(", ")}` : ""})`,
    });
    const calls = role.calls();
    report.notes.push(
      `the drill's DynamoDB and SSM calls ran as ${role.role} through the sandbox's IAM gateway (${calls.allowed} allowed, ${calls.denied} denied); the payment handler, the table replication and the emulated Route 53, Aurora and CloudWatch take the admin test credentials`,
    );
    report.notes.push(
      `emulation: ${targets.healthCheck.regions.length} checkers (one per checker region), resolver TTL ${ALIAS_ANSWER_TTL_SECONDS} s, Aurora switchover pending 5 s then failing-over 40 s, an old primary rebuilt as a secondary 120 s after its region is back, the table replicated every 100 ms of real time; real I/O is multiplied by the clock speed too, so figures carry about a second of jitter`,
    );
    if (mode === "failover")
      report.notes.push(
        `the region was lost as \`tandem sandbox outage\` loses it, recorded for the drill's private sandbox ${role.name}: its IAM gateway dropped the drill role's calls there, and the emulated API, Route 53 checkers, Aurora control plane and table replication read the same record`,
      );
    return report;
  } finally {
    await emulation.close();
  }
}

const regional = (region: string, endpoint: string) => ({
  region,
  endpoint,
  credentials,
  maxAttempts: 1,
});

/** What Terraform would have created, on moto: the table, the drill flag and the event bus per region. */
async function provision(targets: DrillTargets, endpoint: string): Promise<void> {
  for (const region of Object.values(targets.regions)) {
    const dynamodb = new DynamoDBClient(regional(region, endpoint));
    await dynamodb
      .send(
        new CreateTableCommand({
          TableName: targets.tableName,
          AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
          KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
          BillingMode: "PAY_PER_REQUEST",
        }),
      )
      .catch((error: unknown) => {
        if (!(error instanceof ResourceInUseException)) throw error;
      });
    await new SSMClient(regional(region, endpoint)).send(
      new PutParameterCommand({
        Name: targets.flagParameterName,
        Value: "false",
        Type: "String",
        Overwrite: true,
      }),
    );
    await new EventBridgeClient(regional(region, endpoint))
      .send(new CreateEventBusCommand({ Name: targets.eventBusName }))
      .catch((error: Error) => {
        if (error.name !== "ResourceAlreadyExistsException") throw error;
      });
  }
}

/** The sandbox's outage record for the drill's private sandbox: what `tandem sandbox outage` writes. */
function sandboxOutage(root: string, env: string, name: string) {
  const lost = () => lostRegions(root, name);
  const set = (region: string, restore: boolean) => {
    setOutage(root, { environment: env, region, name, restore });
    return Promise.resolve();
  };
  const outage: RegionOutage = {
    lose: (region) => set(region, false),
    restore: (region) => set(region, true),
  };
  return { lost, outage };
}

/** A lost region answers nothing: its connections are reset, as the sandbox's gateway resets them. */
function unreachable(region: string): Error {
  return Object.assign(new Error(`read ECONNRESET (${region} is lost)`), { code: "ECONNRESET" });
}

async function emulate(
  targets: DrillTargets,
  clock: Clock,
  aws: {
    awsEndpoint: string;
    role: PrivateRoleSession;
    outage: { lost: () => string[]; outage: RegionOutage };
    health: HealthModel;
  },
  faults: Set<SandboxFault>,
  stops: (() => Promise<void>)[],
) {
  const { awsEndpoint, role } = aws;
  const { lost } = aws.outage;
  /** The region API of `region`, unless the outage took it. */
  const reach = (region: string) => {
    if (lost().includes(region)) throw unreachable(region);
    return apis[region]!.port;
  };
  const auth = targets.auth ?? {
    issuer: SANDBOX_ISSUER,
    audiences: [`${targets.environment}-payments`],
  };
  const identity = await localIdentityProvider(auth.issuer, auth.audiences, clock);
  const apis: Record<string, Served> = {};
  const hosts: Record<string, string> = {};
  for (const role of ["primary", "secondary"] as const) {
    const region = targets.regions[role];
    const api = await startRegionApi({ region, role, targets, clock, awsEndpoint, identity });
    stops.push(api.close);
    apis[region] = api;
    hosts[`sandbox.execute-api.${region}.amazonaws.com`] = region;
    hosts[targets.regionHosts[role]] = region;
  }
  const { checks } = aws.health;
  const cloudwatch = new CloudWatchEmulator(clock, aws.health.alarms, lost);
  const route53 = new Route53Emulator({
    clock,
    interval: targets.healthCheck.interval,
    failureThreshold: targets.healthCheck.failureThreshold,
    checkerRegions: targets.healthCheck.regions,
    probe: async (host, path) =>
      (await loopbackRequest(reach(hosts[host]!), host, "GET", path, {}, undefined, 4_000)).status,
    alarmState: (region, name) => cloudwatch.alarmState(region, name),
  });
  for (const role of ["primary", "secondary"] as const) {
    const region = targets.regions[role];
    route53.addCheck({
      role,
      region,
      host: `sandbox.execute-api.${region}.amazonaws.com`,
      path: "/health",
      name: targets.healthCheckNames[role],
      ...(checks.kind === "alarm"
        ? { alarm: { name: checks.alarmName, insufficientData: checks.insufficientData } }
        : {}),
    });
  }
  const arn = (region: string) =>
    `arn:aws:rds:${region}:${targets.account}:cluster:${targets.clusterIdentifier}`;
  const aurora = new AuroraGlobalEmulator(
    targets.globalClusterIdentifier,
    `arn:aws:rds::${targets.account}:global-cluster:${targets.globalClusterIdentifier}`,
    [
      { arn: arn(targets.regions.primary), isWriter: true },
      { arn: arn(targets.regions.secondary), isWriter: false },
    ],
    clock,
    undefined,
    lost,
  );
  await applyFaults(faults, { targets, aurora, awsEndpoint, arn });
  const control = await startControlPlane({
    clock,
    aurora,
    route53,
    secondaryClusterId: targets.clusterIdentifier,
    lost,
  });
  stops.push(control.close);
  await startRegionChecks({ clock, targets, awsEndpoint, lost, cloudwatch, stops }, aws.health);
  await route53.start();
  stops.push(() => route53.stop());
  const replication = new TableReplication(
    Object.values(targets.regions).map((r) =>
      offWhenLost(new DynamoDBClient(regional(r, awsEndpoint)), r, lost),
    ),
    targets.tableName,
  );
  await replication.start();
  stops.push(() => replication.stop());
  // The lost region's last writes never left it: they reach the survivor once it is back.
  replication.paused = faults.has("writes-unreplicated");
  const resolver = new CachingResolver(clock, (name) =>
    name === targets.failoverName ? targets.regions[route53.failoverAnswer() as Role] : hosts[name],
  );
  // The drill's own calls carry the drill role's session, as the workflow's OIDC step gives it.
  const endpoints = {
    dynamodb: role.endpoint,
    ssm: role.endpoint,
    rds: control.url,
    route53: control.url,
    cloudwatch: control.url,
  };
  const factory = clientsFactory({ credentials: role.credentials, endpoints });
  const world: DrillWorld = {
    clock,
    clients: (region) => {
      const clients = factory(region);
      if (faults.has("flag-write-fails") && region === targets.regions.primary)
        denyFlagWrites(clients.ssm, targets);
      return clients;
    },
    outage: {
      lose: aws.outage.outage.lose,
      restore: async (region) => {
        await aws.outage.outage.restore(region);
        replication.paused = false;
      },
    },
    request: async (request: HttpRequest) => {
      const region = resolver.resolve(request.host);
      if (!region) throw new Error(`getaddrinfo ENOTFOUND ${request.host}`);
      return loopbackRequest(
        reach(region),
        request.host,
        request.method,
        request.path,
        request.headers,
        request.body,
      );
    },
    token: () => identity.sign("tandem-drill"),
  };
  return { world, endpoints, cloudwatch };
}

/**
 * Compute's scheduled region checks (2.2.0 and later) on the emulated CloudWatch, started with
 * a history as if they had run all along, so the alarms start from what is true now.
 */
async function startRegionChecks(
  parts: {
    clock: Clock;
    targets: DrillTargets;
    awsEndpoint: string;
    lost: () => string[];
    cloudwatch: CloudWatchEmulator;
    stops: (() => Promise<void>)[];
  },
  health: HealthModel,
): Promise<void> {
  if (health.alarms.length === 0) return;
  const served = await parts.cloudwatch.serve();
  parts.stops.push(served.close);
  const checks = new ScheduledRegionChecks({ ...parts, cloudwatchUrl: served.url });
  await checks.start();
  parts.stops.push(() => checks.stop());
  parts.cloudwatch.seedHistory(Math.max(...health.alarms.map((a) => a.evaluationPeriods)));
}

async function applyFaults(
  faults: Set<SandboxFault>,
  parts: {
    targets: DrillTargets;
    aurora: AuroraGlobalEmulator;
    awsEndpoint: string;
    arn: (r: string) => string;
  },
) {
  const { targets, aurora } = parts;
  if (faults.has("switchover-stalls"))
    aurora.stallTowards.add(parts.arn(targets.regions.secondary));
  if (faults.has("failback-fails")) aurora.stallTowards.add(parts.arn(targets.regions.primary));
  // As RemoveFromGlobalCluster leaves it: a standalone cluster ("detach and promote").
  if (faults.has("secondary-detached")) aurora.detach(parts.arn(targets.regions.secondary));
  if (faults.has("lag-over-rpo")) aurora.lagMs = targets.objectives.rpoSeconds * 1000 + 30_000;
  if (faults.has("secondary-unhealthy"))
    // The secondary loses its table: its real handler's /health answers 503.
    await new DynamoDBClient(regional(targets.regions.secondary, parts.awsEndpoint)).send(
      new DeleteTableCommand({ TableName: targets.tableName }),
    );
}

/** A client whose calls fail while `region` is lost: the table replication stops with it. */
function offWhenLost(client: DynamoDBClient, region: string, lost: () => string[]): DynamoDBClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      if (lost().includes(region)) throw unreachable(region);
      return next(args);
    },
    { step: "initialize", name: "sandboxLostRegion" },
  );
  return client;
}

const denied = new WeakSet<object>();

/** The drill role without ssm:PutParameter in the primary: AWS refuses the call. */
function denyFlagWrites(ssm: SSMClient, targets: DrillTargets): void {
  if (denied.has(ssm)) return;
  denied.add(ssm);
  ssm.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "PutParameterCommand") {
        const error = new Error(
          `User: arn:aws:sts::${targets.account}:assumed-role/tandem-drill is not authorized to perform: ssm:PutParameter on resource: ${targets.flagParameterName}`,
        );
        error.name = "AccessDeniedException";
        throw error;
      }
      return next(args);
    },
    { step: "initialize", name: "sandboxDenyPutParameter" },
  );
}

/** A recursive resolver's cache: an answer is reused for the alias record's TTL. */
class CachingResolver {
  private readonly cache = new Map<string, { region: string | undefined; until: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly authority: (name: string) => string | undefined,
  ) {}

  resolve(name: string): string | undefined {
    const cached = this.cache.get(name);
    if (cached && cached.until > this.clock.now()) return cached.region;
    const region = this.authority(name);
    this.cache.set(name, { region, until: this.clock.now() + ALIAS_ANSWER_TTL_SECONDS * 1000 });
    return region;
  }
}
