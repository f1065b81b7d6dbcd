import { z } from "zod";
import { ROUTE53_HEALTH_CHECK_REGIONS } from "@tandem/module-kit/route53";
import { awsBackupScheduleProblem, githubCronProblem } from "./cron.ts";
import { cidrProblem, domainProblem } from "./net.ts";
import { logRetentionProblem } from "./retention.ts";
import { nearest } from "./suggest.ts";

/** The six domains, in apply order inside a regional root. */
export const DOMAINS = [
  "networking",
  "database",
  "backup",
  "compute",
  "monitoring",
  "dns",
] as const;
export type Domain = (typeof DOMAINS)[number];

/** AWS commercial regions (partition `aws`). GovCloud and China are separate partitions. */
export const AWS_REGIONS = [
  "af-south-1",
  "ap-east-1",
  "ap-east-2",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-south-1",
  "ap-south-2",
  "ap-southeast-1",
  "ap-southeast-2",
  "ap-southeast-3",
  "ap-southeast-4",
  "ap-southeast-5",
  "ap-southeast-6",
  "ap-southeast-7",
  "ca-central-1",
  "ca-west-1",
  "eu-central-1",
  "eu-central-2",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "il-central-1",
  "me-central-1",
  "me-south-1",
  "mx-central-1",
  "sa-east-1",
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
] as const;

/** Turns a check returning a message (or undefined) into a zod refinement. */
const satisfies =
  <T>(check: (value: T) => string | undefined) =>
  (value: T, ctx: z.RefinementCtx) => {
    const message = check(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  };

function regionMessage(input: unknown): string | undefined {
  if (input === undefined) return undefined;
  if (typeof input !== "string") return "must be an AWS region code such as us-east-1";
  const partition = /^us-gov-/.test(input)
    ? "AWS GovCloud (US)"
    : /^cn-/.test(input)
      ? "AWS China"
      : undefined;
  if (partition)
    return `\`${input}\` is in the ${partition} partition; Tandem deploys to commercial regions only`;
  const guess = nearest(input, AWS_REGIONS);
  return `\`${input}\` is not an AWS commercial region code${guess ? `; did you mean \`${guess}\`?` : ""}`;
}

const region = z.enum(AWS_REGIONS, { error: (issue) => regionMessage(issue.input) });
/** `30s`, `15m`, `1h`: parsed to seconds. */
export const duration = z
  .string({
    error: (issue) =>
      issue.input === undefined ? undefined : "must be a duration such as 30s, 15m or 1h",
  })
  .regex(/^[1-9][0-9]*[smh]$/, "must be a duration such as 30s, 15m or 1h")
  .transform((text) => Number(text.slice(0, -1)) * { s: 1, m: 60, h: 3600 }[text.slice(-1) as "s"]);

const moduleVersion = z.string().min(1);
/** Checked here, not only by the modules' variable validations, which fail at plan time. */
const logRetentionDays = z.number().int().superRefine(satisfies(logRetentionProblem)).default(365);
const regionMap = <T extends z.ZodType>(value: T) => z.record(z.string(), value);

export const manifestSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, "must be 1-20 lower-case letters, digits or hyphens"),
  account: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : "must be a 12-digit AWS account id in quotes: unquoted, YAML reads it as a number (and drops leading zeros)",
    })
    .regex(/^[0-9]{12}$/, 'must be a 12-digit AWS account id, such as "123456789012"'),
  /** production (the default) forbids `workspace` module versions. */
  tier: z.enum(["production", "staging", "development"]).default("production"),
  /** Opt-in to `workspace` module versions (current source); never allowed in production. */
  allowWorkspaceModules: z.boolean().default(false),
  regions: z.strictObject({ primary: region, secondary: region }),
  domain: z.string().superRefine(satisfies(domainProblem)),
  objectives: z.strictObject({ rto: duration, rpo: duration }),
  modules: z.strictObject(
    Object.fromEntries(DOMAINS.map((d) => [d, moduleVersion])) as Record<
      Domain,
      typeof moduleVersion
    >,
  ),
  state: z
    .strictObject({
      /** State bucket per region; default `tandem-tfstate-<account>-<region>`. */
      buckets: regionMap(
        z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name"),
      ).optional(),
    })
    .prefault({}),
  networking: z.strictObject({
    cidrs: regionMap(z.string().superRefine(satisfies(cidrProblem))),
    azCount: z.number().int().min(2).max(6).default(3),
    natGateways: z.enum(["per-az", "single"]).default("per-az"),
    flowLogRetentionDays: logRetentionDays,
  }),
  database: z
    .strictObject({
      engineVersion: z.string().default("8.0.mysql_aurora.3.08.2"),
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as db.r6g.large")
        // Aurora global databases require memory-optimized classes (Aurora User Guide, "Configuration requirements of an Aurora global database").
        .refine(
          (c) => !c.startsWith("db.t"),
          "burstable db.t* classes cannot run an Aurora global database, which needs a memory-optimized class such as db.r6g.large",
        )
        .default("db.r6g.large"),
      instances: z.number().int().min(1).max(16).default(2),
      deletionProtection: z.boolean().default(true),
      backupRetentionDays: z.number().int().min(1).max(35).default(14),
      /** Time allowed for promoting the secondary cluster in a failover, part of the RTO budget. */
      promotionAllowance: duration.default(300),
    })
    .prefault({}),
  compute: z
    .strictObject({
      reservedConcurrency: z.number().int().min(1).default(50),
      memoryMb: z.number().int().min(128).max(10240).default(512),
      timeoutSeconds: z.number().int().min(1).max(29).default(10),
      logRetentionDays,
    })
    .prefault({}),
  backup: z
    .strictObject({
      /** AWS Backup uses AWS cron syntax: cron(min hour day month weekday year). */
      schedule: z
        .string()
        .superRefine(satisfies(awsBackupScheduleProblem))
        .default("cron(0 3 * * ? *)"),
      retentionDays: z.number().int().min(1).default(35),
      copyRetentionDays: z.number().int().min(1).default(35),
      vaultLock: z
        .strictObject({
          minRetentionDays: z.number().int().min(1).max(36500),
          maxRetentionDays: z.number().int().min(1).max(36500),
          /** Days before the lock becomes immutable (compliance mode); at least 3. */
          changeableForDays: z.number().int().min(3).default(3),
        })
        .optional(),
    })
    .prefault({}),
  dns: z
    .strictObject({
      /** An existing hosted zone id; without it the global root creates the zone. */
      zoneId: z
        .string()
        .regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id")
        .optional(),
      /** The failover record under `domain`, e.g. `api` for api.<domain>. */
      recordName: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be one DNS label such as api")
        .default("api"),
      /** How long resolvers may cache an answer; alias records to API Gateway are served with 60 s. */
      ttl: duration.default(60),
      healthCheck: z
        .strictObject({
          interval: z
            .enum(["10s", "30s"], {
              error: "must be 10s or 30s, the two intervals Route 53 health checks support",
            })
            .transform((v) => (v === "10s" ? 10 : 30))
            .default(30),
          failureThreshold: z.number().int().min(1).max(10).default(3),
          regions: z
            .array(z.enum(ROUTE53_HEALTH_CHECK_REGIONS))
            .min(3)
            .default(["us-east-1", "us-west-2", "eu-west-1"]),
        })
        .prefault({}),
    })
    .prefault({}),
  monitoring: z.strictObject({
    alarmEmails: z.array(z.email("must be an email address")).min(1),
  }),
  drill: z.strictObject({
    enabled: z.boolean(),
    schedule: z.string().superRefine(satisfies(githubCronProblem)),
    mode: z.enum(["switchover", "failover"]),
  }),
  /** Tag keys (1-128 characters, no `aws:` prefix) and CostCenter are checked in rules.ts. */
  tags: z.record(
    z.string(),
    z
      .string()
      .max(256, "an AWS tag value has at most 256 characters")
      .regex(
        /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
        "an AWS tag value may contain only letters, digits, spaces and _ . : / = + - @",
      ),
  ),
  /** The repository whose workflows the bootstrap root's roles trust (GitHub OIDC). */
  github: z.strictObject({
    repository: z
      .string()
      .regex(
        /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/,
        "must be a GitHub repository as owner/name, such as acme-payments/payments-infra",
      ),
    /** An OIDC provider the account already has; without it the bootstrap root creates one. */
    oidcProviderArn: z
      .string()
      .regex(
        /^arn:aws:iam::[0-9]{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
        "must be the ARN of GitHub's OIDC provider, arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
      )
      .optional(),
  }),
});

/** A manifest as written (before defaults). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A validated manifest with defaults applied; durations are seconds. */
export type Manifest = z.output<typeof manifestSchema>;
