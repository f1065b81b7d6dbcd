import type { Clock } from "../clock.ts";

export interface AuroraMember {
  arn: string;
  isWriter: boolean;
}

export interface AuroraTimings {
  /** FailoverState `pending`: the request accepted, nothing moved yet. */
  pendingSeconds: number;
  /** FailoverState `failing-over`: the secondary catches up, roles change. */
  failingOverSeconds: number;
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

/**
 * An Aurora global database's switchover and failover as the RDS API Reference describes them
 * (SwitchoverGlobalCluster, FailoverGlobalCluster, the FailoverState and GlobalClusterMember
 * types): while one runs, the global cluster's Status is `switching-over` (or `failing-over`),
 * FailoverState goes `pending` → `failing-over` and disappears when done, and IsWriter moves to
 * the target. State is computed from the clock on each call, so nothing runs in the background.
 */
export class AuroraGlobalEmulator {
  lagMs = 150;
  /** Transitions towards these member ARNs stall in `failing-over` (fault cases). */
  readonly stallTowards = new Set<string>();
  private transition: Transition | undefined;

  constructor(
    readonly identifier: string,
    readonly arn: string,
    readonly members: AuroraMember[],
    private readonly clock: Clock,
    private readonly timings: AuroraTimings = { pendingSeconds: 5, failingOverSeconds: 40 },
  ) {}

  private advance(): void {
    const t = this.transition;
    if (!t || t.stalls) return;
    const done =
      t.startedAt + (this.timings.pendingSeconds + this.timings.failingOverSeconds) * 1000;
    if (this.clock.now() < done) return;
    for (const m of this.members) m.isWriter = m.arn === t.to;
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
      members: this.members.map((m) => ({ ...m })),
      failoverState: t
        ? { status: phase, from: t.from, to: t.to, dataLoss: t.dataLoss }
        : undefined,
    };
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
    this.transition = {
      from: this.members.find((m) => m.isWriter)!.arn,
      to: targetArn,
      startedAt: this.clock.now(),
      dataLoss,
      stalls: this.stallTowards.has(targetArn),
    };
  }
}
