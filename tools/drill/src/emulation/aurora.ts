import type { Clock } from "../clock.ts";

export type Synchronization = "connected" | "pending-resync";

export interface AuroraMember {
  arn: string;
  isWriter: boolean;
  /** GlobalClusterMember.SynchronizationStatus: `pending-resync` after a failover left it behind. */
  synchronization?: Synchronization;
}

export interface AuroraTimings {
  /** FailoverState `pending`: the request accepted, nothing moved yet. */
  pendingSeconds: number;
  /** FailoverState `failing-over`: the secondary catches up, roles change. */
  failingOverSeconds: number;
  /** An old primary's rebuild as a secondary, once its region is back. */
  resyncSeconds: number;
}

export class RdsFault extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Transition {
  from: string;
  to: string;
  startedAt: number;
  dataLoss: boolean;
  stalls: boolean;
}

/** A regional DB cluster as DescribeDBClusters shows it. */
export interface RegionalCluster {
  arn: string;
  status: string;
  /** Empty for a cluster detached from the global cluster (standalone, writable). */
  globalClusterIdentifier?: string;
}

/** `arn:aws:rds:<region>:<account>:cluster:<id>` */
const regionOf = (arn: string) => arn.split(":")[3]!;

const DEFAULT_TIMINGS: AuroraTimings = {
  pendingSeconds: 5,
  failingOverSeconds: 40,
  resyncSeconds: 120,
};

/**
 * An Aurora global database's switchover and failover as the RDS API Reference and the Aurora
 * User Guide describe them (SwitchoverGlobalCluster, FailoverGlobalCluster, RemoveFromGlobalCluster,
 * the FailoverState and GlobalClusterMember types): while one runs, the global cluster's Status
 * is `switching-over` (or `failing-over`), FailoverState goes `pending` → `failing-over` and
 * disappears when done, and IsWriter moves to the target. A switchover needs every member
 * reachable and in sync; a failover (AllowDataLoss) needs only the target, and leaves the old
 * primary `pending-resync` until its region is back, when Aurora rebuilds it as a secondary.
 * State is computed from the clock and the regions `lost()` names on each call, so nothing runs
 * in the background.
 */
export class AuroraGlobalEmulator {
  lagMs = 150;
  /** Transitions towards these member ARNs stall in `failing-over` (fault cases). */
  readonly stallTowards = new Set<string>();
  /** Clusters removed from the global cluster ("detach and promote"): standalone writers. */
  readonly detached: string[] = [];
  private transition: Transition | undefined;
  /** When each pending-resync member's region was first seen back. */
  private readonly resyncFrom = new Map<string, number>();

  constructor(
    readonly identifier: string,
    readonly arn: string,
    readonly members: AuroraMember[],
    private readonly clock: Clock,
    private readonly timings: AuroraTimings = DEFAULT_TIMINGS,
    private readonly lost: () => readonly string[] = () => [],
  ) {}

  private isLost = (arn: string) => this.lost().includes(regionOf(arn));

  private advance(): void {
    this.finishTransition();
    const now = this.clock.now();
    for (const m of this.members) {
      if (m.synchronization !== "pending-resync") continue;
      if (this.isLost(m.arn)) {
        this.resyncFrom.delete(m.arn);
        continue;
      }
      const from = this.resyncFrom.get(m.arn) ?? now;
      this.resyncFrom.set(m.arn, from);
      if (now >= from + this.timings.resyncSeconds * 1000) {
        m.synchronization = "connected";
        this.resyncFrom.delete(m.arn);
      }
    }
  }

  private finishTransition(): void {
    const t = this.transition;
    if (!t || t.stalls) return;
    const done =
      t.startedAt + (this.timings.pendingSeconds + this.timings.failingOverSeconds) * 1000;
    if (this.clock.now() < done) return;
    for (const m of this.members) {
      m.isWriter = m.arn === t.to;
      // A failover does not wait for the old primary: it is rebuilt once it can be reached.
      if (t.dataLoss && m.arn === t.from) m.synchronization = "pending-resync";
    }
    this.transition = undefined;
  }

  describe() {
    this.advance();
    const t = this.transition;
    const phase =
      t && (t.stalls || this.clock.now() >= t.startedAt + this.timings.pendingSeconds * 1000)
        ? "failing-over"
        : "pending";
    return {
      identifier: this.identifier,
      arn: this.arn,
      status: t ? (t.dataLoss ? "failing-over" : "switching-over") : "available",
      members: this.members.map((m) => ({
        ...m,
        synchronization: m.synchronization ?? "connected",
      })),
      failoverState: t
        ? { status: phase, from: t.from, to: t.to, dataLoss: t.dataLoss }
        : undefined,
    };
  }

  /** The DB clusters DescribeDBClusters shows in `region`: members and detached ones. */
  clusters(region: string): RegionalCluster[] {
    this.advance();
    const inRegion = (arn: string) => regionOf(arn) === region;
    return [
      ...this.members
        .filter((m) => inRegion(m.arn))
        .map((m) => ({
          arn: m.arn,
          status: m.synchronization === "pending-resync" ? "resyncing" : "available",
          globalClusterIdentifier: this.identifier,
        })),
      ...this.detached.filter(inRegion).map((arn) => ({ arn, status: "available" })),
    ];
  }

  move(targetArn: string, dataLoss: boolean): void {
    this.advance();
    const target = this.members.find((m) => m.arn === targetArn);
    if (!target)
      throw new RdsFault(
        "DBClusterNotFoundFault",
        `${targetArn} is not a member of global cluster ${this.identifier}`,
      );
    if (this.transition)
      throw new RdsFault(
        "InvalidGlobalClusterStateFault",
        `global cluster ${this.identifier} is ${this.describe().status}`,
      );
    if (target.isWriter)
      throw new RdsFault(
        "InvalidDBClusterStateFault",
        `${targetArn} is already the writer of ${this.identifier}`,
      );
    if (this.isLost(targetArn) || target.synchronization === "pending-resync")
      throw new RdsFault(
        "InvalidDBClusterStateFault",
        `${targetArn} is not available to be promoted`,
      );
    const behind = this.members.find(
      (m) => this.isLost(m.arn) || m.synchronization === "pending-resync",
    );
    if (!dataLoss && behind)
      throw new RdsFault(
        "InvalidGlobalClusterStateFault",
        `a switchover needs every member of ${this.identifier} available and in sync; ${behind.arn} is not (a global failover with AllowDataLoss does not)`,
      );
    this.transition = {
      from: this.members.find((m) => m.isWriter)!.arn,
      to: targetArn,
      startedAt: this.clock.now(),
      dataLoss,
      stalls: this.stallTowards.has(targetArn),
    };
  }

  /** RemoveFromGlobalCluster: the cluster leaves the global database and stands alone. */
  detach(clusterArn: string): void {
    this.advance();
    const index = this.members.findIndex((m) => m.arn === clusterArn);
    if (index < 0)
      throw new RdsFault(
        "DBClusterNotFoundFault",
        `${clusterArn} is not a member of global cluster ${this.identifier}`,
      );
    if (this.transition)
      throw new RdsFault(
        "InvalidGlobalClusterStateFault",
        `global cluster ${this.identifier} is ${this.describe().status}`,
      );
    this.members.splice(index, 1);
    this.detached.push(clusterArn);
  }
}
