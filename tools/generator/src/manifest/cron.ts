/**
 * Schedule expressions. The drill runs from a GitHub Actions workflow (`on.schedule.cron`: five
 * POSIX fields, `*` `,` `-` `/`, names JAN-DEC and SUN-SAT, day of week 0-6); AWS Backup takes
 * an AWS cron(...) expression (six fields with a year, `?` in day-of-month or day-of-week).
 */

interface Field {
  name: string;
  min: number;
  max: number;
  /** Three-letter names for min, min+1, ... */
  names?: readonly string[];
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MINUTE: Field = { name: "minute", min: 0, max: 59 };
const HOUR: Field = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: Field = { name: "day-of-month", min: 1, max: 31 };
const MONTH: Field = { name: "month", min: 1, max: 12, names: MONTHS };

const GITHUB_FIELDS: Field[] = [
  MINUTE,
  HOUR,
  DAY_OF_MONTH,
  MONTH,
  { name: "day-of-week", min: 0, max: 6, names: DAYS },
];
const AWS_FIELDS: Field[] = [
  MINUTE,
  HOUR,
  DAY_OF_MONTH,
  MONTH,
  { name: "day-of-week", min: 1, max: 7, names: DAYS },
  { name: "year", min: 1970, max: 2199 },
];
const GITHUB_SHAPE = "GitHub Actions cron has 5 fields: minute hour day-of-month month day-of-week";

function value(token: string, field: Field): number | string {
  const index = field.names?.indexOf(token.toUpperCase()) ?? -1;
  if (index >= 0) return field.min + index;
  if (!/^\d+$/.test(token))
    return `${field.name} \`${token}\` is not a number${field.names ? ` or a name (${field.names[0]}-${field.names.at(-1)})` : ""}`;
  const n = Number(token);
  return n < field.min || n > field.max
    ? `${field.name} ${token} is out of range ${field.min}-${field.max}`
    : n;
}

/** One list item: `*`, `n`, `a-b`, each optionally `/step`. Returns an error or undefined. */
function item(text: string, field: Field): string | undefined {
  const [range = "", step, extra] = text.split("/");
  if (extra !== undefined || range === "") return `${field.name} \`${text}\` is malformed`;
  if (step !== undefined && (!/^\d+$/.test(step) || Number(step) < 1 || Number(step) > field.max)) {
    return `${field.name} step \`${step}\` must be a number from 1 to ${field.max}`;
  }
  if (range === "*") return undefined;
  const [from = "", to, more] = range.split("-");
  if (more !== undefined) return `${field.name} \`${text}\` is malformed`;
  const start = value(from, field);
  if (typeof start === "string") return start;
  if (to === undefined) return undefined;
  const end = value(to, field);
  if (typeof end === "string") return end;
  return start > end ? `${field.name} range \`${range}\` runs backwards` : undefined;
}

function checkField(text: string, field: Field): string | undefined {
  for (const part of text.split(",")) {
    const problem = item(part, field);
    if (problem) return problem;
  }
  return undefined;
}

/** Why `expr` is not a GitHub Actions schedule, with a hint for AWS and Quartz habits. */
export function githubCronProblem(expr: string): string | undefined {
  const text = expr.trim();
  if (/^(cron|rate)\(/i.test(text)) {
    const converted = awsToGithub(text);
    return `\`${text}\` is AWS EventBridge syntax; ${GITHUB_SHAPE}${converted ? `, e.g. "${converted}"` : ""}`;
  }
  if (text.startsWith("@"))
    return `\`${text}\` is not documented for GitHub Actions; ${GITHUB_SHAPE}`;
  const fields = text === "" ? [] : text.split(/\s+/);
  if (fields.length === 6) {
    return `has 6 fields; ${GITHUB_SHAPE} (no seconds field as in Quartz, no year field as in AWS cron)`;
  }
  if (fields.length !== 5) return `has ${fields.length} fields; ${GITHUB_SHAPE}, e.g. "0 6 * * 1"`;
  if (fields.some((f) => f.includes("?")))
    return "`?` is AWS and Quartz syntax; GitHub Actions uses `*`";
  if (/(^|[,-])7($|[,/-])/.test(fields[4]!))
    return "day-of-week 7 is out of range 0-6: GitHub Actions uses 0 for Sunday";
  for (const [i, f] of fields.entries()) {
    const problem = checkField(f, GITHUB_FIELDS[i]!);
    if (problem) return problem;
  }
  return undefined;
}

/** The 5-field equivalent of a simple AWS cron(...) expression, if there is an obvious one. */
function awsToGithub(text: string): string | undefined {
  const fields = /^cron\((.*)\)$/i.exec(text)?.[1]?.trim().split(/\s+/);
  if (fields?.length !== 6 || /^\d/.test(fields[4]!)) return undefined; // AWS numbers weekdays 1-7
  const github = fields
    .slice(0, 5)
    .map((f) => (f === "?" ? "*" : f))
    .join(" ");
  return githubCronProblem(github) === undefined ? github : undefined;
}

function awsDayField(text: string, field: Field, special: RegExp): string | undefined {
  return text === "?" || special.test(text.toUpperCase()) ? undefined : checkField(text, field);
}

/** Why `expr` is not an AWS Backup schedule (AWS cron, at most hourly), or undefined. */
export function awsBackupScheduleProblem(expr: string): string | undefined {
  const example = 'such as "cron(0 3 * * ? *)"';
  if (/^rate\(/i.test(expr))
    return `AWS Backup takes a cron(...) expression, not rate(...): write one ${example}`;
  const inner = /^cron\((.*)\)$/.exec(expr)?.[1];
  if (inner === undefined) return `must be an AWS cron expression ${example}`;
  const fields = inner.trim().split(/\s+/);
  if (fields.length !== 6)
    return `AWS cron has 6 fields (minute hour day-of-month month day-of-week year), found ${fields.length}`;
  const [minute, hour, dom, month, dow, year] = fields as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if ((dom === "?") === (dow === "?"))
    return "exactly one of day-of-month and day-of-week must be `?`";
  if (!/^\d+$/.test(minute))
    return `AWS Backup runs a rule at most once an hour: the minute field must be one number, not \`${minute}\``;
  return (
    checkField(minute, AWS_FIELDS[0]!) ??
    checkField(hour, AWS_FIELDS[1]!) ??
    awsDayField(dom, AWS_FIELDS[2]!, /^(L|LW|([1-9]|[12]\d|3[01])W)$/) ??
    checkField(month, AWS_FIELDS[3]!) ??
    awsDayField(dow, AWS_FIELDS[4]!, /^(L|([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5]))$/) ??
    checkField(year, AWS_FIELDS[5]!)
  );
}
