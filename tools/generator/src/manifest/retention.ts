/**
 * The retention periods CloudWatch Logs accepts (PutRetentionPolicy, and `retention_in_days` of
 * aws_cloudwatch_log_group). The provider also takes 0 (never expire); the modules refuse it, so
 * logs always expire.
 */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

const days = (n: number) => `${n} day${n === 1 ? "" : "s"}`;

/** Why `value` (a whole number) is not a log retention the modules accept, naming the nearest ones. */
export function logRetentionProblem(value: number): string | undefined {
  const allowed: readonly number[] = LOG_RETENTION_DAYS;
  if (allowed.includes(value)) return undefined;
  if (value === 0) {
    return `0 (never expire) is not allowed: logs must expire; the nearest retention CloudWatch Logs accepts is ${days(1)}`;
  }
  const below = allowed.filter((n) => n < value).at(-1);
  const above = allowed.find((n) => n > value);
  const nearest =
    below !== undefined && above !== undefined
      ? `the nearest are ${below} and ${days(above)}`
      : `the nearest is ${days((below ?? above)!)}`;
  return `${days(value)} is not a retention period CloudWatch Logs accepts; ${nearest}`;
}
