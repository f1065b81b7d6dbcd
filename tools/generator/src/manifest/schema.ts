import { z } from "zod";
import {
  AURORA_BACKUP_RETENTION_DAYS,
  AURORA_ENGINE_VERSION_PATTERN,
  AURORA_INSTANCE_CLASS_PATTERN,
  AURORA_INSTANCES,
  AZ_COUNT,
  BACKUP_RETENTION_DAYS,
  HEALTH_CACHE_SECONDS,
  HOSTED_ZONE_ID_PATTERN,
  JWT_ISSUER_PATTERN,
  LAMBDA_MEMORY_MB,
  LAMBDA_TIMEOUT_SECONDS,
  RESERVED_CONCURRENCY,
  VAULT_LOCK_MIN_CHANGEABLE_DAYS,
  type Range,
} from "@tandem/module-kit/limits";
import {
  HEALTH_CHECK_FAILURE_THRESHOLD,
  HEALTH_CHECK_INTERVALS,
  MIN_HEALTH_CHECK_REGIONS,
  ROUTE53_HEALTH_CHECK_REGIONS,
} from "@tandem/module-kit/route53";
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
/** A whole number in one of the kit's ranges, which the modules' variable validations also use. */
const wholeIn = (range: Range) => z.number().int().min(range.min).max(range.max);

/**
 * Who may call POST /payments: a JWT authorizer on each region's HTTP API validates the token
 * against this issuer and audiences, so a token is valid whichever region answers (a SigV4
 * signature is scoped to one region and fails after failover).
 */
const auth = z.strictObject({
  issuer: z
    .string()
    .regex(
      new RegExp(JWT_ISSUER_PATTERN),
      "must be the identity provider's https:// issuer URL (the token's `iss`), without query or fragment",
    ),
  audiences: z
    .array(z.string().min(1, "an audience must not be empty").max(256))
    .min(1, "needs at least one audience (the token's `aud`)"),
});

const DNS_TTL_REMOVED =
  "dns.ttl configured nothing and is no longer accepted: the failover records are Route 53 aliases, which have no TTL of their own (Route 53 answers with the API Gateway target's 60 s); remove the key";

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
    azCount: wholeIn(AZ_COUNT).default(3),
    natGateways: z.enum(["per-az", "single"]).default("per-az"),
    flowLogRetentionDays: logRetentionDays,
  }),
  database: z
    .strictObject({
      engineVersion: z
        .string()
        .regex(
          new RegExp(AURORA_ENGINE_VERSION_PATTERN),
          "must be an Aurora MySQL version such as 8.0.mysql_aurora.3.08.2",
        )
        .default("8.0.mysql_aurora.3.08.2"),
      instanceClass: z
        .string()
        .regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "must be an RDS instance class such as db.r6g.large")
        // Aurora global databases require memory-optimized classes (Aurora User Guide, "Configuration requirements of an Aurora global database").
        .refine(
          (c) => !c.startsWith("db.t"),
          "burstable db.t* classes cannot run an Aurora global database, which needs a memory-optimized class such as db.r6g.large",
        )
        .refine(
          (c) => c.startsWith("db.t") || new RegExp(AURORA_INSTANCE_CLASS_PATTERN).test(c),
          "an Aurora global database needs a memory-optimized class: db.r5, r6g, r6gd, r6i, r6id, r7g, r7i, r8g, r8gd or x2g (large or *xlarge)",
        )
        .default("db.r6g.large"),
      instances: wholeIn(AURORA_INSTANCES).default(2),
      deletionProtection: z.boolean().default(true),
      backupRetentionDays: wholeIn(AURORA_BACKUP_RETENTION_DAYS).default(14),
      /** Time allowed for promoting the secondary cluster in a failover, part of the RTO budget. */
      promotionAllowance: duration.default(300),
    })
    .prefault({}),
  compute: z
    .strictObject({
      reservedConcurrency: wholeIn(RESERVED_CONCURRENCY).default(50),
      memoryMb: wholeIn(LAMBDA_MEMORY_MB).default(512),
      timeoutSeconds: wholeIn(LAMBDA_TIMEOUT_SECONDS).default(10),
      logRetentionDays,
      /** Required from compute 2.0.0 (rules.ts): the JWT authorizer of POST /payments. */
      auth: auth.optional(),
      /** GET /health runs in its own small function, so a payment spike cannot fail it. */
      health: z
        .strictObject({
          /** Seconds each health function instance reuses the drill flag and table check. */
          cacheSeconds: wholeIn(HEALTH_CACHE_SECONDS).default(5),
          reservedConcurrency: wholeIn({ min: 1, max: 100 }).default(5),
        })
        .prefault({}),
    })
    .prefault({}),
  backup: z
    .strictObject({
      /** AWS Backup uses AWS cron syntax: cron(min hour day month weekday year). */
      schedule: z
        .string()
        .superRefine(satisfies(awsBackupScheduleProblem))
        .default("cron(0 3 * * ? *)"),
      retentionDays: wholeIn(BACKUP_RETENTION_DAYS).default(35),
      copyRetentionDays: wholeIn(BACKUP_RETENTION_DAYS).default(35),
      vaultLock: z
        .strictObject({
          minRetentionDays: wholeIn(BACKUP_RETENTION_DAYS),
          maxRetentionDays: wholeIn(BACKUP_RETENTION_DAYS),
          /** Days before the lock becomes immutable (compliance mode); at least 3. */
          changeableForDays: z.number().int().min(VAULT_LOCK_MIN_CHANGEABLE_DAYS).default(3),
        })
        .optional(),
    })
    .prefault({}),
  dns: z
    .strictObject({
      /** An existing hosted zone id; without it the global root creates the zone. */
      zoneId: z
        .string()
        .regex(new RegExp(HOSTED_ZONE_ID_PATTERN), "must be a Route 53 hosted zone id")
        .optional(),
      /** The failover record under `domain`, e.g. `api` for api.<domain>. */
      recordName: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be one DNS label such as api")
        .default("api"),
      /** Removed: alias records have no TTL of their own (see the RTO budget in rules.ts). */
      ttl: z.never({ error: DNS_TTL_REMOVED }).optional(),
      healthCheck: z
        .strictObject({
          interval: z
            .enum(
              HEALTH_CHECK_INTERVALS.map((s) => `${s}s`),
              {
                error: `must be ${HEALTH_CHECK_INTERVALS.map((s) => `${s}s`).join(" or ")}, the two intervals Route 53 health checks support`,
              },
            )
            .transform((v) => Number(v.slice(0, -1)))
            .default(30),
          failureThreshold: wholeIn(HEALTH_CHECK_FAILURE_THRESHOLD).default(3),
          regions: z
            .array(z.enum(ROUTE53_HEALTH_CHECK_REGIONS))
            .min(MIN_HEALTH_CHECK_REGIONS)
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
