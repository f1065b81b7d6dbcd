/**
 * Route 53 facts the dns module and the manifest schema (and its RTO budget) share. No imports:
 * the generator loads this file at run time to validate manifests.
 */

/** The regions Route 53 health checkers run from (Route 53 API, `HealthCheckRegion`). */
export const ROUTE53_HEALTH_CHECK_REGIONS = [
  "us-east-1",
  "us-west-1",
  "us-west-2",
  "eu-west-1",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-northeast-1",
  "sa-east-1",
] as const;

/** At least this many checker regions, so one checker region's trouble cannot fail a healthy endpoint. */
export const MIN_HEALTH_CHECK_REGIONS = 3;

/** The two request intervals Route 53 endpoint health checks support, in seconds. */
export const HEALTH_CHECK_INTERVALS = [10, 30] as const;

/** Consecutive failures before a checker reports an endpoint unhealthy (Route 53 API, `FailureThreshold`). */
export const HEALTH_CHECK_FAILURE_THRESHOLD = { min: 1, max: 10 } as const;

/**
 * An alias record has no TTL of its own: Route 53 answers with the TTL of the AWS resource it
 * points to (Route 53 Developer Guide, "Choosing between alias and non-alias records"), which is
 * 60 seconds for API Gateway regional domain names, as for ELB and S3 (Route 53 FAQ on DNS
 * failover: alias records "with a fixed TTL of 60 seconds").
 */
export const ALIAS_ANSWER_TTL_SECONDS = 60;

/**
 * A checker waits this long for the HTTP status after connecting, or counts a failure (Route 53
 * Developer Guide, "How Amazon Route 53 determines whether a health check is healthy").
 */
export const HEALTH_CHECK_RESPONSE_SECONDS = 2;
