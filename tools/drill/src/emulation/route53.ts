import type { Clock } from "../clock.ts";
import { healthyByFraction } from "../health.ts";
import type { Role } from "../targets.ts";
import type { AlarmState } from "./cloudwatch.ts";
import type { InsufficientDataStatus } from "./health-model.ts";

export interface EmulatedCheck {
  id: string;
  role: Role;
  region: string;
  host: string;
  path: string;
  name: string;
  /** A CLOUDWATCH_METRIC check: the alarm it follows, in the check's region. */
  alarm?: { name: string; insufficientData: InsufficientDataStatus };
  checkers: Checker[];
}

interface Checker {
  region: string;
  ip: string;
  healthy: boolean;
  streak: number;
  last?: { status: string; checkedAt: number };
}

export interface Route53Options {
  clock: Clock;
  interval: number;
  failureThreshold: number;
  checkerRegions: string[];
  /** GET `path` on `host` as a health checker does: the HTTP status, or 0 for no answer. */
  probe(host: string, path: string): Promise<number>;
  /** The state of an alarm in a region; throws when the region's CloudWatch cannot be read. */
  alarmState?(region: string, name: string): AlarmState;
}

/**
 * Route 53 health checks as the Developer Guide describes them: a checker in each of the
 * check's regions requests the endpoint every `interval` seconds (each on its own schedule);
 * a 2xx or 3xx answer is a success; a checker changes its view after `failureThreshold`
 * consecutive results the other way; the check is healthy when more than 18 % of checkers say
 * so. A check that follows a CloudWatch alarm (dns 2.0.0) requests nothing: each checker reads
 * the alarm at the same interval, OK is healthy, ALARM unhealthy, and an alarm it cannot read
 * (a lost region) or without data takes the check's insufficient-data status; the failure
 * threshold applies to endpoint checks only. A failover record answers with the primary while
 * its check is healthy, else with the secondary if that one is healthy, else with the primary.
 */
export class Route53Emulator {
  readonly checks: EmulatedCheck[] = [];
  private running = false;
  private loops: Promise<void>[] = [];

  constructor(private readonly options: Route53Options) {}

  addCheck(check: Omit<EmulatedCheck, "checkers" | "id">): EmulatedCheck {
    const id = `sandbox${String(this.checks.length + 1).padStart(4, "0")}-${check.role}`;
    const checkers = this.options.checkerRegions.map((region, i) => ({
      region,
      ip: `15.177.${i}.1`,
      healthy: true,
      streak: 0,
    }));
    const full = { ...check, id, checkers };
    this.checks.push(full);
    return full;
  }

  healthy(check: EmulatedCheck): boolean {
    return healthyByFraction(check.checkers.filter((c) => c.healthy).length, check.checkers.length);
  }

  /** The failover record's answer: the role whose endpoint a resolver gets now. */
  failoverAnswer(): Role {
    const byRole = (role: Role) => this.checks.find((c) => c.role === role);
    const primary = byRole("primary");
    const secondary = byRole("secondary");
    if (primary && this.healthy(primary)) return "primary";
    return secondary && this.healthy(secondary) ? "secondary" : "primary";
  }

  /** Every checker probes once now (so the checks start from what is true), then on its schedule. */
  async start(): Promise<void> {
    this.running = true;
    const all = this.checks.flatMap((check) =>
      check.checkers.map((checker) => ({ check, checker })),
    );
    await Promise.all(all.map(({ check, checker }) => this.probe(check, checker, true)));
    const period = this.options.interval * 1000;
    this.loops = all.map(({ check, checker }, i) =>
      this.loop(check, checker, (period * (i + 1)) / (all.length + 1)),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(check: EmulatedCheck, checker: Checker, offset: number): Promise<void> {
    const period = this.options.interval * 1000;
    let next = this.options.clock.now() + offset;
    while (this.running) {
      await this.sleepUntil(next);
      if (!this.running) return;
      next += period;
      await this.probe(check, checker);
    }
  }

  /** Sleeps in short slices so stop() never waits a whole interval. */
  private async sleepUntil(at: number): Promise<void> {
    const { clock } = this.options;
    while (this.running && clock.now() < at) await clock.sleep(Math.min(at - clock.now(), 1_000));
  }

  private async probe(check: EmulatedCheck, checker: Checker, initial = false): Promise<void> {
    if (check.alarm) return this.readAlarm(check, check.alarm, checker);
    const status = await this.options.probe(check.host, check.path).catch(() => 0);
    const success = status >= 200 && status < 400;
    checker.last = {
      status: success
        ? `Success: HTTP Status Code ${status}, OK`
        : status
          ? `Failure: HTTP Status Code ${status}`
          : "Failure: Connection timed out.",
      checkedAt: this.options.clock.now(),
    };
    if (initial) {
      checker.healthy = success;
      return;
    }
    checker.streak = success === checker.healthy ? 0 : checker.streak + 1;
    if (checker.streak >= this.options.failureThreshold) {
      checker.healthy = success;
      checker.streak = 0;
    }
  }

  private readAlarm(
    check: EmulatedCheck,
    alarm: NonNullable<EmulatedCheck["alarm"]>,
    checker: Checker,
  ): void {
    let state: AlarmState;
    try {
      state = this.options.alarmState!(check.region, alarm.name);
    } catch {
      state = "INSUFFICIENT_DATA";
    }
    const healthy =
      state === "OK" ||
      (state === "INSUFFICIENT_DATA" &&
        (alarm.insufficientData === "Healthy" ||
          (alarm.insufficientData === "LastKnownStatus" && checker.healthy)));
    checker.healthy = healthy;
    checker.streak = 0;
    checker.last = {
      status: `${healthy ? "Success" : "Failure"}: CloudWatch alarm ${alarm.name} is ${state}`,
      checkedAt: this.options.clock.now(),
    };
  }
}
