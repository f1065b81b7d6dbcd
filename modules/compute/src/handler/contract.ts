/**
 * What the handler and the Terraform module must agree on: the environment variables the
 * function reads and the event it publishes, which the forwarding rule matches.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  drillParameterName: "DRILL_PARAMETER_NAME",
  role: "REGION_ROLE",
  healthCacheSeconds: "HEALTH_CACHE_SECONDS",
  peerRegion: "PEER_REGION",
} as const;

/**
 * What the scheduled region check publishes in its own region's CloudWatch, once a minute:
 * `RegionHealthy` (dimension `Region` = this region) is 1 when this region can take payments,
 * and Route 53's health check follows the alarm on it; `PeerHealthy` (dimension `Region` = the
 * peer) is 1 when the peer said so of itself within the last minutes, and pages this region's
 * on-call when it is not. Both 0 or 1, published every minute: silence means the check stopped.
 */
export const HEALTH_METRICS = {
  namespace: "Tandem/Health",
  region: "RegionHealthy",
  peer: "PeerHealthy",
  dimension: "Region",
} as const;

/** On every response, the region that answered: the drill and clients see which region serves the failover name. */
export const REGION_HEADER = "x-tandem-region";

export const PAYMENT_EVENT = { source: "tandem.payments", detailType: "PaymentRecorded" } as const;

/** Requests per second the stage admits for each reserved execution (about 100 ms per request). */
export const RATE_PER_EXECUTION = 10;

/**
 * /health's own route limits, apart from the stage default that payments share: clients and
 * the drill poll it; a flood beyond them gets 429 from API Gateway and reaches no function.
 * (The emulated API enforces the same numbers.)
 */
export const HEALTH_ROUTE_LIMITS = { burst: 100, ratePerSecond: 50 } as const;
