import type { Clock } from "../clock.ts";

/**
 * API Gateway's throttling of one route, a token bucket (API Gateway Developer Guide,
 * "Throttle requests to your HTTP APIs"): `burst` tokens at most, refilled at `ratePerSecond`;
 * a request without a token gets 429 and reaches no integration.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly clock: Clock,
    private readonly limits: { burst: number; ratePerSecond: number },
  ) {
    this.tokens = limits.burst;
    this.at = clock.now();
  }

  admit(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(
      this.limits.burst,
      this.tokens + ((now - this.at) / 1000) * this.limits.ratePerSecond,
    );
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
