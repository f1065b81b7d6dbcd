/**
 * The regions Route 53 health checkers run from (Route 53 API, `HealthCheckRegion`). No imports:
 * the generator loads this file at run time to validate manifests.
 */
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
