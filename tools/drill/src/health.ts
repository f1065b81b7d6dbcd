import type { HealthCheckObservation } from "@aws-sdk/client-route-53";

/**
 * Route 53's rule (Developer Guide, "How Amazon Route 53 determines whether a health check is
 * healthy"): an endpoint is healthy when more than 18 % of the health checkers consider it
 * healthy.
 */
export const HEALTHY_CHECKER_FRACTION = 0.18;

export function healthyByFraction(healthy: number, total: number): boolean {
  return total > 0 && healthy / total > HEALTHY_CHECKER_FRACTION;
}

export function isSuccess(observation: HealthCheckObservation): boolean {
  return observation.StatusReport?.Status?.startsWith("Success") ?? false;
}

/**
 * Follows a health check as Route 53 decides it, from GetHealthCheckStatus observations: each
 * checker changes its view after `threshold` consecutive results the other way, and the check
 * is healthy while more than 18 % of checkers see it healthy. Each observation is a checker's
 * latest result, so one is counted once, by its CheckedTime.
 */
export class HealthTracker {
  private readonly checkers = new Map<
    string,
    { healthy: boolean; streak: number; lastChecked: string }
  >();

  constructor(
    private readonly threshold: number,
    private readonly initiallyHealthy = true,
  ) {}

  observe(observations: readonly HealthCheckObservation[]): void {
    for (const observation of observations) {
      const key = `${observation.Region ?? "?"}/${observation.IPAddress ?? "?"}`;
      const checked = String(observation.StatusReport?.CheckedTime?.valueOf() ?? "");
      const checker = this.checkers.get(key) ?? {
        healthy: this.initiallyHealthy,
        streak: 0,
        lastChecked: "",
      };
      if (checked !== checker.lastChecked) {
        checker.lastChecked = checked;
        const agrees = isSuccess(observation) === checker.healthy;
        checker.streak = agrees ? 0 : checker.streak + 1;
        if (checker.streak >= this.threshold) {
          checker.healthy = !checker.healthy;
          checker.streak = 0;
        }
      }
      this.checkers.set(key, checker);
    }
  }

  get healthy(): boolean {
    const views = [...this.checkers.values()];
    return healthyByFraction(views.filter((c) => c.healthy).length, views.length);
  }
}
