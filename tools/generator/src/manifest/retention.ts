import { LOG_RETENTION_DAYS } from "@tandem/module-kit/retention";

export { LOG_RETENTION_DAYS };

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
