/**
 * The retention periods CloudWatch Logs accepts (PutRetentionPolicy, and `retention_in_days` of
 * aws_cloudwatch_log_group). The provider also takes 0 (never expire); Tandem refuses it, so
 * logs always expire.
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;
