import {
  arnClusterId,
  arnRegion,
  describeGlobalCluster,
  findHealthChecks,
  inSync,
  lockHolder,
  member,
  moveDatabase,
  observations,
  readFlag,
  readPayment,
  releaseLock,
  replicationLagMs,
  settledWithWriter,
  takeLock,
  writeFlag,
  writerRegion,
  type FoundCheck,
} from "./aws.ts";
import { HealthTracker, healthyByFraction, isSuccess } from "./health.ts";
import {
  assess,
  type DrillReport,
  type FailoverOutcome,
  type Measured,
  type StepRecord,
} from "./report.ts";
import type { DrillMode, DrillOptions, DrillTargets, Role } from "./targets.ts";
import { answeringRegion, Prober, TrafficClient, type Payment } from "./traffic.ts";
import type { DrillWorld } from "./world.ts";

/** A step's failure: what went wrong, for the report and the rollback. */
export class StepFailure extends Error {}

/** What the drill has changed, so a rollback undoes exactly that. */
interface Changes {
  flagWritten: boolean;
  /** The world's outage took the primary's region away (the failover drill on the emulation). */
  regionLost: boolean;
  databaseMoveRequested: boolean;
  lockHolder?: string;
}

/** A write the client saw acknowledged: its key and when it was sent. */
interface Acknowledged {
  key: string;
  at: number;
}

interface Discovery {
  checks: Record<Role, FoundCheck>;
  arns: Record<Role, string>;
}

class Drill {
  readonly steps: StepRecord[] = [];
  readonly measured: Measured = {
    trafficRtoSeconds: null,
    detectionSeconds: null,
    databaseSwitchoverSeconds: null,
    rpoSeconds: null,
    recoverySeconds: null,
    failbackSeconds: null,
  };
  readonly notes: string[] = [];
  readonly changes: Changes = {
    flagWritten: false,
    regionLost: false,
    databaseMoveRequested: false,
  };
  /** The failover drill's writes acknowledged in the lost region and missing in the survivor. */
  failoverOutcome?: FailoverOutcome;
  private missing: Acknowledged[] = [];
  readonly client: TrafficClient;
  readonly prober: Prober;
  readonly pollMs: number;
  discovery?: Discovery;
  canaries: Payment[] = [];
  flagAt?: number;
  movedAt?: number;

  constructor(
    readonly world: DrillWorld,
    readonly targets: DrillTargets,
    readonly options: DrillOptions,
  ) {
    this.client = new TrafficClient(world, targets.failoverName, targets.environment);
    this.prober = new Prober(this.client, world.clock, options.probeMs ?? 2_000);
    this.pollMs = options.pollMs ?? Math.min(1_000, (targets.healthCheck.interval * 1000) / 4);
  }

  get now() {
    return this.world.clock.now();
  }

  /** Where the drill asks RDS: the primary's region, unless the outage took it. */
  get askIn(): string {
    return this.targets.regions[this.changes.regionLost ? "secondary" : "primary"];
  }

  /** Runs one step, timed; its detail lines go to the report, a thrown error fails it. */
  async step(name: string, body: (detail: string[]) => Promise<void>): Promise<void> {
    const started = this.now;
    const record: StepRecord = {
      name,
      startedAt: new Date(started).toISOString(),
      seconds: 0,
      ok: false,
      detail: [],
    };
    this.steps.push(record);
    try {
      await body(record.detail);
      record.ok = true;
    } catch (error) {
      record.detail.push(`failed: ${(error as Error).message}`);
      throw error;
    } finally {
      record.seconds = (this.now - started) / 1000;
    }
  }

  /** Polls `check` until it holds, failing the step when `seconds` pass first. */
  async until(what: string, seconds: number, check: () => Promise<boolean>): Promise<number> {
    const deadline = this.now + seconds * 1000;
    for (;;) {
      if (await check()) return this.now;
      if (this.now >= deadline)
        throw new StepFailure(`${what}: not within the ${seconds} s deadline`);
      await this.world.clock.sleep(this.pollMs);
    }
  }

  /** Every precondition, all checked (not just the first that fails); changes nothing. */
  async preflight(detail: string[]): Promise<void> {
    const problems: string[] = [];
    const { targets, world } = this;
    await world.token().catch((error: Error) => problems.push(error.message));
    const checks = await findHealthChecks(world, targets);
    for (const role of ["primary", "secondary"] as const) {
      const check = checks[role];
      if (!check) {
        problems.push(`no Route 53 health check tagged Name=${targets.healthCheckNames[role]}`);
        continue;
      }
      const health = await this.client.health(check.host);
      const region = targets.regions[role];
      if (health.status !== 200)
        problems.push(`${region} /health answered ${health.status || "nothing"} (${check.host})`);
      else detail.push(`${region} /health: 200`);
      const seen = await observations(world, check);
      const healthy = seen.filter(isSuccess).length;
      if (!healthyByFraction(healthy, seen.length))
        problems.push(
          `${region} health check ${check.id}: ${healthy} of ${seen.length} checkers report healthy (Route 53 needs more than 18 %)`,
        );
      else
        detail.push(
          `${region} health check ${check.id}: ${healthy}/${seen.length} checkers healthy`,
        );
    }
    const cluster = await describeGlobalCluster(world, targets);
    const arns = {
      primary: member(cluster, targets.regions.primary)?.DBClusterArn,
      secondary: member(cluster, targets.regions.secondary)?.DBClusterArn,
    };
    if (targets.writerRegion !== targets.regions.primary)
      problems.push(
        `the manifest says ${targets.writerRegion} writes (database.writer): a drill starts from the primary writing; switch back and remove database.writer first`,
      );
    if (!settledWithWriter(cluster, targets.regions.primary))
      problems.push(
        `global cluster ${targets.globalClusterIdentifier} is ${cluster.Status}${cluster.FailoverState?.Status ? ` (FailoverState ${cluster.FailoverState.Status})` : ""}, writer ${writerRegion(cluster) ?? "none"}: a drill starts from an available cluster written in ${targets.regions.primary}`,
      );
    else
      detail.push(
        `global cluster ${targets.globalClusterIdentifier}: available, writer ${targets.regions.primary}`,
      );
    if (!arns.secondary)
      problems.push(`global cluster has no member in ${targets.regions.secondary}`);
    else await this.checkLag(arns.secondary, problems, detail);
    for (const region of Object.values(targets.regions)) {
      const value = await readFlag(world, targets, region).catch(
        (e: Error) => `unreadable (${e.message})`,
      );
      if (value !== "false")
        problems.push(
          `drill flag ${targets.flagParameterName} in ${region} is ${value}, not false`,
        );
    }
    const holder = await lockHolder(world, targets);
    if (holder)
      problems.push(
        `another drill (${holder.holder}) holds the lock until ${new Date(holder.expiresAt * 1000).toISOString()}`,
      );
    if (problems.length) throw new StepFailure(`preflight: ${problems.join("; ")}`);
    this.discovery = {
      checks: checks as Record<Role, FoundCheck>,
      arns: arns as Record<Role, string>,
    };
    if (!this.options.dryRun) {
      const me = `${targets.environment}-${this.client.runId}`;
      await takeLock(world, targets, me, 2 * 3600);
      this.changes.lockHolder = me;
      detail.push(`drill lock taken (${me})`);
    }
  }

  private async checkLag(secondaryArn: string, problems: string[], detail: string[]) {
    const { targets } = this;
    const lag = await replicationLagMs(
      this.world,
      targets.regions.secondary,
      arnClusterId(secondaryArn),
    );
    const limit = targets.objectives.rpoSeconds * 1000;
    if (lag === undefined)
      problems.push(
        `no AuroraGlobalDBReplicationLag in ${targets.regions.secondary} in the last 5 minutes: lag cannot be shown under the RPO`,
      );
    else if (lag >= limit) problems.push(`replication lag ${lag} ms is over the RPO (${limit} ms)`);
    else detail.push(`replication lag ${lag} ms (RPO ${limit} ms)`);
  }

  async writeCanaries(detail: string[]): Promise<void> {
    const where = await this.client.health();
    if (where.region !== this.targets.regions.primary)
      throw new StepFailure(
        `the failover name answers from ${where.region ?? "nowhere"}, not ${this.targets.regions.primary}`,
      );
    for (let i = 0; i < (this.options.canaries ?? 3); i++) {
      const { key, body } = this.client.newPayment("canary");
      const payment = await this.client.pay(key, body);
      if (payment.answer?.status !== 201)
        throw new StepFailure(`canary ${key}: ${payment.answer?.status ?? payment.error}`);
      this.canaries.push(payment);
      detail.push(`canary ${key}: 201`);
    }
  }

  /** The switchover's cut: the drill flag makes the primary's /health fail. */
  async setFlag(detail: string[]): Promise<void> {
    const primary = this.targets.regions.primary;
    this.changes.flagWritten = true;
    await writeFlag(this.world, this.targets, primary, "true");
    detail.push(`drill flag set in ${primary}`);
  }

  /**
   * The failover's cut, mid-traffic: the client pays for a few rounds first, then the primary's
   * region is lost (the world's outage) or, on AWS, which cannot lose a region on request, the
   * flag stands in for it.
   */
  async loseRegion(detail: string[]): Promise<void> {
    const { targets, world } = this;
    const primary = targets.regions.primary;
    const rounds = 3;
    await this.until(`${rounds} payments before the loss`, targets.objectives.rtoSeconds, () =>
      Promise.resolve(this.prober.samples.length >= rounds),
    );
    if (!world.outage) {
      await this.setFlag(detail);
      detail.push("AWS cannot lose a region on request: the flag's 503 stands in for the loss");
      return;
    }
    this.changes.regionLost = true;
    await world.outage.lose(primary);
    detail.push(`${primary} lost: its endpoints answer nothing`);
  }

  async takePrimaryOut(detail: string[], cut: (detail: string[]) => Promise<void>): Promise<void> {
    const { targets, world } = this;
    const checks = this.discovery!.checks;
    const tracker = new HealthTracker(targets.healthCheck.failureThreshold);
    this.prober.outageRegion = targets.regions.primary;
    this.prober.start();
    await cut(detail);
    const flagAt = (this.flagAt = this.now);
    let detected: number | undefined;
    let moved: number | undefined;
    await this.until("the primary out of DNS", targets.objectives.rtoSeconds, async () => {
      if (detected === undefined) {
        tracker.observe(await observations(world, checks.primary));
        if (!tracker.healthy) detected = this.now;
      }
      if (moved === undefined && (await this.client.health()).region === targets.regions.secondary)
        moved = this.now;
      return (
        detected !== undefined &&
        moved !== undefined &&
        this.prober.outage(flagAt, targets.regions.secondary) !== undefined
      );
    });
    this.measured.detectionSeconds = (detected! - flagAt) / 1000;
    this.movedAt = moved!;
    const outage = this.prober.outage(flagAt, targets.regions.secondary)!;
    this.measured.trafficRtoSeconds = (outage.recoveredAt - outage.failedAt) / 1000;
    const gaps = this.prober.samples.slice(1).map((x, i) => x.at - this.prober.samples[i]!.at);
    if (gaps.length)
      this.notes.push(
        `the client paid every ${Math.round(Math.max(...gaps) / 100) / 10} s at most (each payment and /health round trip included), so the traffic RTO is known to within that`,
      );
    detail.push(
      `health check unhealthy after ${this.measured.detectionSeconds} s; the name answers from ${targets.regions.secondary} after ${(moved! - flagAt) / 1000} s`,
    );
  }

  async moveDatabase(detail: string[], to: Role, mode: DrillMode): Promise<number> {
    const { targets, world } = this;
    const started = this.now;
    this.changes.databaseMoveRequested = true;
    await moveDatabase(world, targets, this.discovery!.arns[to], mode);
    detail.push(
      `${mode === "switchover" ? "SwitchoverGlobalCluster" : "FailoverGlobalCluster"} to ${this.discovery!.arns[to]}`,
    );
    const states = new Set<string>();
    await this.until(
      `the writer in ${targets.regions[to]}`,
      targets.promotionAllowanceSeconds,
      async () => {
        const cluster = await describeGlobalCluster(world, targets, this.askIn);
        states.add(cluster.FailoverState?.Status ?? cluster.Status ?? "?");
        return settledWithWriter(cluster, targets.regions[to]);
      },
    );
    detail.push(`states seen: ${[...states].join(" → ")}`);
    return (this.now - started) / 1000;
  }

  async verify(detail: string[]): Promise<void> {
    const { targets, world } = this;
    const lost: Payment[] = [];
    for (const canary of this.canaries) {
      const stored = await readPayment(world, targets, targets.regions.secondary, canary.key);
      if (stored !== canary.answer!.body) lost.push(canary);
    }
    this.measured.rpoSeconds = lost.length
      ? Math.max(...lost.map((c) => (this.flagAt! - c.sentAt) / 1000))
      : 0;
    detail.push(
      `${this.canaries.length - lost.length} of ${this.canaries.length} canaries readable in ${targets.regions.secondary}`,
    );
    const fresh = this.client.newPayment("verify");
    const payment = await this.client.pay(fresh.key, fresh.body);
    const where = await this.client.health();
    if (payment.answer?.status !== 201 || where.region !== targets.regions.secondary)
      throw new StepFailure(
        `a new payment answered ${payment.answer?.status ?? payment.error} from ${where.region ?? "?"}`,
      );
    detail.push(`new payment through ${targets.failoverName}: 201 from ${where.region}`);
    const first = this.canaries.find((c) => !lost.includes(c));
    if (first) {
      const replay = await this.client.pay(first.key, first.body);
      if (replay.answer?.status !== 201 || replay.answer.body !== first.answer!.body)
        throw new StepFailure(
          `replaying ${first.key} answered ${replay.answer?.status ?? replay.error} with another body: idempotency broke across regions`,
        );
      detail.push(`replayed ${first.key}: the first result, byte for byte`);
    }
    if (lost.length && this.options.mode === "switchover")
      throw new StepFailure(`${lost.length} canaries lost in a switchover, which must lose none`);
  }

  async failBack(detail: string[]): Promise<void> {
    const { targets, world } = this;
    await this.prober.stop();
    const started = this.now;
    await this.moveDatabase(detail, "primary", "switchover");
    this.changes.databaseMoveRequested = false;
    await writeFlag(world, targets, targets.regions.primary, "false");
    this.changes.flagWritten = false;
    detail.push(`drill flag cleared in ${targets.regions.primary}`);
    const tracker = new HealthTracker(targets.healthCheck.failureThreshold, false);
    await this.until(
      "both regions healthy, the name on the primary",
      targets.objectives.rtoSeconds,
      async () => {
        tracker.observe(await observations(world, this.discovery!.checks.primary));
        return tracker.healthy && (await this.client.health()).region === targets.regions.primary;
      },
    );
    this.measured.failbackSeconds = (this.now - started) / 1000;
  }

  /**
   * RPO as the client sees it: of the payments acknowledged by the lost region (canaries and the
   * client's, sent before the loss), those the survivor does not hold; the RPO spans from the
   * earliest of them to the loss. Then a new payment and a replay, through the failover name.
   */
  async verifyFailover(detail: string[]): Promise<void> {
    const { targets, world } = this;
    const { primary, secondary } = targets.regions;
    const acknowledged = this.acknowledgedIn(primary, this.flagAt!);
    this.missing = [];
    for (const write of acknowledged)
      if ((await readPayment(world, targets, secondary, write.key)) === undefined)
        this.missing.push(write);
    this.measured.rpoSeconds = this.missing.length
      ? (this.flagAt! - Math.min(...this.missing.map((w) => w.at))) / 1000
      : 0;
    this.failoverOutcome = {
      writerWhenRegionReturned: null,
      acknowledged: acknowledged.length,
      missingAtFailover: this.missing.map((w) => w.key),
      arrivedAfterRecovery: null,
    };
    detail.push(
      `${acknowledged.length} payments acknowledged in ${primary} before the loss; ${this.missing.length} of them missing in ${secondary} (RPO ${this.measured.rpoSeconds} s)`,
    );
    const fresh = this.client.newPayment("verify");
    const payment = await this.client.pay(fresh.key, fresh.body);
    const where = payment.answer && answeringRegion(payment.answer);
    if (payment.answer?.status !== 201 || where !== secondary)
      throw new StepFailure(
        `a new payment answered ${payment.answer?.status ?? payment.error} from ${where ?? "?"}`,
      );
    detail.push(`new payment through ${targets.failoverName}: 201 from ${secondary}`);
    const kept = this.canaries.find((c) => !this.missing.some((m) => m.key === c.key));
    if (kept) {
      const replay = await this.client.pay(kept.key, kept.body);
      if (replay.answer?.status !== 201 || replay.answer.body !== kept.answer!.body)
        throw new StepFailure(
          `replaying ${kept.key} answered ${replay.answer?.status ?? replay.error} with another body: idempotency broke across regions`,
        );
      detail.push(`replayed ${kept.key}: the first result, byte for byte`);
    }
  }

  /** Payments `region` acknowledged (201 from it) that were sent by `before`. */
  private acknowledgedIn(region: string, before: number): Acknowledged[] {
    const canaries = this.canaries
      .filter((c) => c.answer?.status === 201 && answeringRegion(c.answer) === region)
      .map((c) => ({ key: c.key, at: c.sentAt }));
    const probes = this.prober.samples
      .filter((s) => s.status === 201 && s.region === region && s.at <= before)
      .map((s) => ({ key: s.key, at: s.at }));
    return [...canaries, ...probes];
  }

  /**
   * The region returns: which region writes now, the old primary rejoining the global cluster as
   * a secondary (Aurora rebuilds it once it can be reached), its health check healthy again, and
   * what became of the writes that were missing.
   */
  async recover(detail: string[]): Promise<void> {
    const { targets, world } = this;
    const { primary, secondary } = targets.regions;
    await this.prober.stop();
    const started = this.now;
    if (this.changes.regionLost && world.outage) {
      await world.outage.restore(primary);
      this.changes.regionLost = false;
      detail.push(`${primary} is back`);
    } else {
      await writeFlag(world, targets, primary, "false");
      this.changes.flagWritten = false;
      detail.push(`drill flag cleared in ${primary}`);
    }
    const writer = writerRegion(await describeGlobalCluster(world, targets, this.askIn));
    this.failoverOutcome!.writerWhenRegionReturned = writer ?? null;
    detail.push(
      `the database writes in ${writer ?? "no region"}; the manifests still name ${primary} primary`,
    );
    await this.until(
      `${primary}'s cluster back in the global cluster as a secondary, in sync`,
      targets.objectives.rtoSeconds,
      async () => {
        const cluster = await describeGlobalCluster(world, targets, this.askIn);
        const old = member(cluster, primary);
        return writerRegion(cluster) === secondary && !old?.IsWriter && !!old && inSync(cluster);
      },
    );
    detail.push(
      `${primary}'s cluster rejoined as a secondary after ${(this.now - started) / 1000} s`,
    );
    const tracker = new HealthTracker(targets.healthCheck.failureThreshold, false);
    await this.until(
      `${primary}'s health check healthy`,
      targets.objectives.rtoSeconds,
      async () => {
        tracker.observe(await observations(world, this.discovery!.checks.primary));
        return tracker.healthy;
      },
    );
    this.measured.recoverySeconds = (this.now - started) / 1000;
    let arrived = 0;
    for (const write of this.missing)
      if ((await readPayment(world, targets, secondary, write.key)) !== undefined) arrived += 1;
    this.failoverOutcome!.arrivedAfterRecovery = arrived;
    detail.push(
      `${arrived} of the ${this.missing.length} payments missing at failover arrived in ${secondary} once ${primary} was back`,
    );
  }

  /** After a failover: a switchover back to the primary, then a payment written there. */
  async failBackAfterFailover(detail: string[]): Promise<void> {
    const { targets } = this;
    const { primary } = targets.regions;
    const started = this.now;
    await this.moveDatabase(detail, "primary", "switchover");
    this.changes.databaseMoveRequested = false;
    await this.until(`the failover name on ${primary}`, targets.objectives.rtoSeconds, async () => {
      return (await this.client.health()).region === primary;
    });
    const fresh = this.client.newPayment("failback");
    const payment = await this.client.pay(fresh.key, fresh.body);
    const where = payment.answer && answeringRegion(payment.answer);
    if (payment.answer?.status !== 201 || where !== primary)
      throw new StepFailure(
        `a payment after failing back answered ${payment.answer?.status ?? payment.error} from ${where ?? "?"}`,
      );
    detail.push(`new payment through ${targets.failoverName}: 201 from ${primary}`);
    this.measured.failbackSeconds = (this.now - started) / 1000;
  }

  /** Undoes what moved: the flag always, the database only if it moved; then says what is left. */
  async rollback(): Promise<{ actions: string[]; ok: boolean }> {
    const { targets, world } = this;
    const actions: string[] = [];
    let ok = true;
    await this.prober.stop();
    /** Runs `action`, which says what it did; if it throws, the ledger says it failed to `todo`. */
    const attempt = async (todo: string, action: () => Promise<string>) => {
      try {
        actions.push(await action());
      } catch (error) {
        ok = false;
        actions.push(`FAILED to ${todo}: ${(error as Error).message}`);
      }
    };
    const primary = targets.regions.primary;
    if (this.changes.regionLost && world.outage) {
      const outage = world.outage;
      await attempt(`give ${primary} back`, async () => {
        await outage.restore(primary);
        this.changes.regionLost = false;
        return `gave ${primary} back (the drill's outage ended)`;
      });
    }
    if (this.changes.databaseMoveRequested && this.discovery) {
      await attempt(`switch the database back to ${primary}`, async () => {
        await this.settle();
        const cluster = await describeGlobalCluster(world, targets, this.askIn);
        if (writerRegion(cluster) === primary) return `the database writer stayed in ${primary}`;
        await moveDatabase(world, targets, this.discovery!.arns.primary, "switchover");
        await this.settle();
        if (writerRegion(await describeGlobalCluster(world, targets, this.askIn)) !== primary)
          throw new Error("the switchover back did not complete");
        return `switched the database back to ${primary}`;
      });
    }
    if (this.changes.flagWritten)
      await attempt(`clear the drill flag in ${primary}`, async () => {
        await writeFlag(world, targets, primary, "false");
        return `cleared the drill flag in ${primary}`;
      });
    return { actions, ok };
  }

  /**
   * Waits (within the promotion allowance) for a switchover or failover in progress to finish
   * either way, and for every member to be in sync (a switchover refuses one that is not).
   */
  private async settle(): Promise<void> {
    await this.until(
      "the global cluster to settle",
      this.targets.promotionAllowanceSeconds,
      async () => {
        const cluster = await describeGlobalCluster(this.world, this.targets, this.askIn);
        return !cluster.FailoverState?.Status && cluster.Status === "available" && inSync(cluster);
      },
    );
  }

  async releaseLock(): Promise<string | undefined> {
    if (!this.changes.lockHolder) return undefined;
    try {
      await releaseLock(this.world, this.targets, this.changes.lockHolder);
      return undefined;
    } catch (error) {
      return `the drill lock (${this.changes.lockHolder}) could not be released: ${(error as Error).message}; it expires by itself`;
    }
  }

  /** What the environment looks like now, read back rather than assumed. */
  async finalState(): Promise<Record<string, string>> {
    const { targets, world } = this;
    const state: Record<string, string> = {};
    for (const region of Object.values(targets.regions))
      state[`drill flag in ${region}`] = await readFlag(world, targets, region).catch(
        (e: Error) => `unknown (${e.message})`,
      );
    state["database writer"] = await describeGlobalCluster(world, targets, this.askIn)
      .then(
        (c) =>
          `${writerRegion(c) ?? "none"} (${c.Status}${c.FailoverState?.Status ? `, FailoverState ${c.FailoverState.Status}` : ""})`,
      )
      .catch((e: Error) => `unknown (${e.message})`);
    if (this.options.mode === "failover")
      state["global cluster members"] = await describeGlobalCluster(world, targets, this.askIn)
        .then((c) =>
          (c.GlobalClusterMembers ?? [])
            .map(
              (m) =>
                `${arnRegion(m.DBClusterArn)} ${m.IsWriter ? "writer" : "secondary"} (${m.SynchronizationStatus ?? "connected"})`,
            )
            .join(", "),
        )
        .catch((e: Error) => `unknown (${e.message})`);
    state["failover name answers from"] = (await this.client.health()).region ?? "unknown";
    return state;
  }
}

async function switchover(drill: Drill): Promise<void> {
  await drill.step("take the primary out", (d) => drill.takePrimaryOut(d, (x) => drill.setFlag(x)));
  await drill.step("move the database", async (d) => {
    drill.measured.databaseSwitchoverSeconds = await drill.moveDatabase(
      d,
      "secondary",
      "switchover",
    );
  });
  await drill.step("verify", (d) => drill.verify(d));
  await drill.step("fail back", (d) => drill.failBack(d));
}

/** The unplanned case: the primary's region lost mid-traffic, then recovery and fail back. */
async function failover(drill: Drill): Promise<void> {
  await drill.step("lose the primary", (d) => drill.takePrimaryOut(d, (x) => drill.loseRegion(x)));
  await drill.step("fail the database over", async (d) => {
    drill.measured.databaseSwitchoverSeconds = await drill.moveDatabase(d, "secondary", "failover");
  });
  await drill.step("verify", (d) => drill.verifyFailover(d));
  await drill.step("recover", (d) => drill.recover(d));
  await drill.step("fail back", (d) => drill.failBackAfterFailover(d));
}

/** Runs the drill against `world`: every step timed, any failure rolled back, a report always. */
export async function runDrill(
  world: DrillWorld,
  targets: DrillTargets,
  options: DrillOptions,
): Promise<DrillReport> {
  const drill = new Drill(world, targets, options);
  const startedAt = new Date(world.clock.now()).toISOString();
  let failure: { step: string; message: string } | undefined;
  let rollback: { actions: string[]; ok: boolean } | undefined;
  try {
    await drill.step("preflight", (d) => drill.preflight(d));
    if (!options.dryRun) {
      await drill.step("canaries", (d) => drill.writeCanaries(d));
      if (options.mode === "failover") await failover(drill);
      else await switchover(drill);
    }
  } catch (error) {
    const step = drill.steps.at(-1)?.name ?? "start";
    failure = { step, message: (error as Error).message };
    rollback = await drill.rollback();
  }
  const lockProblem = await drill.releaseLock();
  if (lockProblem) drill.notes.push(lockProblem);
  await drill.prober.stop();
  const finalState = options.dryRun && !failure ? undefined : await drill.finalState();
  return assess({
    targets,
    nameMovedSeconds:
      drill.movedAt !== undefined && drill.flagAt !== undefined
        ? (drill.movedAt - drill.flagAt) / 1000
        : null,
    options,
    startedAt,
    steps: drill.steps,
    measured: drill.measured,
    notes: drill.notes,
    ...(drill.failoverOutcome ? { failover: drill.failoverOutcome } : {}),
    ...(failure ? { failure } : {}),
    ...(rollback ? { rollback } : {}),
    ...(finalState ? { finalState } : {}),
  });
}
