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
import { cidrProblem, domainProblem, MAX_PREFIX, MIN_PREFIX } from "./net.ts";
import { LOG_RETENTION_DAYS, logRetentionProblem } from "./retention.ts";
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
const logRetentionDays = z
  .number()
  .int()
  .superRefine(satisfies(logRetentionProblem))
  .default(365)
  .describe(
    `Days CloudWatch Logs keeps these logs, one of the values it accepts: ${LOG_RETENTION_DAYS.join(", ")}; never 0 (logs must expire).`,
  );
/** A map keyed by the manifest's two regions (rules.ts: exactly those two). */
const regionMap = <T extends z.ZodType>(value: T) =>
  z.record(z.string().meta({ title: "region" }), value);
/** A whole number in one of the kit's ranges, which the modules' variable validations also use. */
const wholeIn = (range: Range) => z.number().int().min(range.min).max(range.max);

// A JWT, not SigV4: a SigV4 signature is scoped to one region and fails after failover.
const auth = z
  .strictObject({
    issuer: z
      .string()
      .regex(
        new RegExp(JWT_ISSUER_PATTERN),
        "must be the identity provider's https:// issuer URL (the token's `iss`), without query or fragment",
      )
      .describe(
        "The identity provider's https:// issuer URL (the token's `iss`), without query or fragment.",
      ),
    audiences: z
      .array(z.string().min(1, "an audience must not be empty").max(256))
      .min(1, "needs at least one audience (the token's `aud`)")
      .describe("Accepted token audiences (the token's `aud`)."),
  })
  .describe(
    "Who may call POST /payments: the JWT authorizer of both regions' HTTP APIs checks tokens against this issuer and these audiences, so a token works whichever region answers. Required from compute 2.0.0.",
  );

const DNS_TTL_REMOVED =
  "dns.ttl configured nothing and is no longer accepted: the failover records are Route 53 aliases, which have no TTL of their own (Route 53 answers with the API Gateway target's 60 s); remove the key";

/** How a repository's OIDC `sub` claim is built (GitHub changelog 2026-04-23 for `immutable`). */
export const SUBJECT_FORMATS = ["default", "immutable", "custom"] as const;
/** Claim keys a custom subject template may include whose value the manifest determines. */
export const SUBJECT_CLAIMS = [
  "repo",
  "context",
  "repository",
  "repository_owner",
  "repository_owner_id",
  "repository_id",
  "job_workflow_ref",
] as const;
/**
 * The versions every root of an environment runs with, by default the ones this repository's
 * sandbox tests (terraform and OpenTofu side by side, the AWS provider from its mirror).
 */
export const DEFAULT_TOOLCHAIN = {
  terraform: "1.11.4",
  opentofu: "1.12.6",
  aws: "5.100.0",
} as const;
const exactVersion = (example: string) =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : `must be an exact version such as ${example}, as text (x.y.z)`,
    })
    .regex(/^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/, {
      error: `must be an exact version such as ${example} (x.y.z): a range would let a release between plan and apply change what runs`,
    });
const toolchain = z
  .strictObject({
    terraform: exactVersion(DEFAULT_TOOLCHAIN.terraform)
      .default(DEFAULT_TOOLCHAIN.terraform)
      .describe(
        "The Terraform version that plans and applies this environment (when the repository runs `terraform`): the setup action installs it and the deploy action refuses any other.",
      ),
    opentofu: exactVersion(DEFAULT_TOOLCHAIN.opentofu)
      .default(DEFAULT_TOOLCHAIN.opentofu)
      .describe(
        "The OpenTofu version that plans and applies this environment (when the repository runs `tofu`): the setup action installs it and the deploy action refuses any other.",
      ),
    aws: exactVersion(DEFAULT_TOOLCHAIN.aws)
      .default(DEFAULT_TOOLCHAIN.aws)
      .describe(
        "The hashicorp/aws provider version every root of the environment (and its account's bootstrap root) requires exactly; `environments/<env>.terraform.lock.hcl` must lock it (`tandem toolchain lock --env <env>` writes it). Within the modules' range.",
      ),
  })
  .prefault({})
  .describe(
    "The pinned toolchain. Bump a version in a pull request of its own, with the lock file `tandem toolchain lock` writes for it.",
  );

const githubId = z.string().regex(/^[1-9][0-9]{0,19}$/, "must be a numeric GitHub id, quoted");

export const manifestSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,19}$/, "must be 1-20 lower-case letters, digits or hyphens")
    .describe("The environment's name; equals the manifest's file name."),
  account: z
    .string({
      error: (issue) =>
        issue.input === undefined
          ? undefined
          : "must be a 12-digit AWS account id in quotes: unquoted, YAML reads it as a number (and drops leading zeros)",
    })
    .regex(/^[0-9]{12}$/, 'must be a 12-digit AWS account id, such as "123456789012"')
    .describe(
      "The 12-digit AWS account id, quoted (unquoted, YAML reads a number). Every root pins it with `allowed_account_ids`.",
    ),
  tier: z
    .enum(["production", "staging", "development"])
    .default("production")
    .describe("The environment's tier; `production` forbids `workspace` module versions."),
  allowWorkspaceModules: z
    .boolean()
    .default(false)
    .describe(
      "Lets `modules.<domain>: workspace` follow the current source; never in production or in `prod`.",
    ),
  regions: z
    .strictObject({
      primary: region.describe("The region that takes writes normally; applied first."),
      secondary: region.describe("The standby region; must differ from the primary."),
    })
    .describe(
      "The region pair: one root per region, each applying and failing over without the other.",
    ),
  domain: z
    .string()
    .superRefine(satisfies(domainProblem))
    .describe(
      "A DNS name you own (lower case, no trailing dot); reserved names (`example.*`, `.local`, `.test`, ...) are refused.",
    ),
  objectives: z
    .strictObject({
      rto: duration.describe(
        "Recovery time objective (`30s`, `15m`, `1h`); must fit the least failover time the manifest implies (the RTO budget).",
      ),
      rpo: duration.describe(
        "Recovery point objective; the drill's preflight requires replication lag under it.",
      ),
    })
    .describe("Recovery objectives the drill measures against."),
  modules: z
    .strictObject(
      Object.fromEntries(
        DOMAINS.map((d) => [
          d,
          moduleVersion.describe(
            `The ${d} module: an exact released version, a semver range that resolves to a release, or \`workspace\` (the current source, where allowed).`,
          ),
        ]),
      ) as Record<Domain, typeof moduleVersion>,
    )
    .describe("The released module version each domain uses."),
  toolchain,
  state: z
    .strictObject({
      buckets: regionMap(
        z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, "must be a valid S3 bucket name")
          .describe(
            "The state bucket of that region; default `tandem-tfstate-<account>-<region>`.",
          ),
      )
        .optional()
        .describe("The Terraform state bucket per region; each region's name must differ."),
    })
    .prefault({})
    .describe("Where Terraform keeps state."),
  networking: z
    .strictObject({
      cidrs: regionMap(
        z
          .string()
          .superRefine(satisfies(cidrProblem))
          .describe(
            `The VPC's IPv4 block in that region: private (RFC 1918), /${MIN_PREFIX} to /${MAX_PREFIX}, no host bits, not overlapping the other region's.`,
          ),
      ).describe("One VPC block for each of the two regions."),
      azCount: wholeIn(AZ_COUNT).default(3).describe("Availability zones per region."),
      natGateways: z
        .enum(["per-az", "single"])
        .default("per-az")
        .describe("A NAT gateway in every availability zone, or a single one per region."),
      flowLogRetentionDays: logRetentionDays,
    })
    .describe("The VPC of each region."),
  database: z
    .strictObject({
      engineVersion: z
        .string()
        .regex(
          new RegExp(AURORA_ENGINE_VERSION_PATTERN),
          "must be an Aurora MySQL version such as 8.0.mysql_aurora.3.08.2",
        )
        .default("8.0.mysql_aurora.3.08.2")
        .describe("The Aurora MySQL engine version of the global database."),
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
        .default("db.r6g.large")
        .describe(
          "Aurora instance class; global databases need a memory-optimized one, so burstable `db.t*` classes are refused.",
        ),
      instances: wholeIn(AURORA_INSTANCES).default(2).describe("Aurora instances per region."),
      deletionProtection: z
        .boolean()
        .default(true)
        .describe("Whether Aurora refuses to delete the clusters."),
      backupRetentionDays: wholeIn(AURORA_BACKUP_RETENTION_DAYS)
        .default(14)
        .describe("Days Aurora keeps automated backups."),
      writer: region
        .optional()
        .describe(
          "The region whose cluster writes, when it is not `regions.primary`: after a managed failover, the old secondary's. The roots keep their roles (the primary root still owns the global cluster and the sessions table); the primary root's cluster then joins as a secondary, without master credentials. Omit it, or fail back, to say the primary writes. Needs database 2.1.1 or later.",
        ),
      // prefault: the default is written as in a manifest and parsed like one.
      promotionAllowance: duration
        .prefault("5m")
        .describe(
          "Time allowed for switching the global database to the secondary; the database term of the RTO budget.",
        ),
    })
    .prefault({})
    .describe("The Aurora MySQL global database."),
  compute: z
    .strictObject({
      reservedConcurrency: wholeIn(RESERVED_CONCURRENCY)
        .default(50)
        .describe("Reserved concurrency of the payment function."),
      memoryMb: wholeIn(LAMBDA_MEMORY_MB).default(512).describe("Memory of the payment function."),
      timeoutSeconds: wholeIn(LAMBDA_TIMEOUT_SECONDS)
        .default(10)
        .describe("Timeout of the payment function; API Gateway's own limit is 29 s."),
      logRetentionDays,
      /** Required from compute 2.0.0 (rules.ts): the JWT authorizer of POST /payments. */
      auth: auth.optional(),
      health: z
        .strictObject({
          cacheSeconds: wholeIn(HEALTH_CACHE_SECONDS)
            .default(5)
            .describe(
              "Seconds each /health function instance reuses the drill flag and table check; a drill waits up to this long for the flag to be read.",
            ),
          reservedConcurrency: wholeIn({ min: 1, max: 100 })
            .default(5)
            .describe("Reserved concurrency of the /health function."),
        })
        .prefault({})
        .describe("GET /health runs in its own small function, so a payment spike cannot fail it."),
    })
    .prefault({})
    .describe("The payment API's functions in each region."),
  backup: z
    .strictObject({
      schedule: z
        .string()
        .superRefine(satisfies(awsBackupScheduleProblem))
        .default("cron(0 3 * * ? *)")
        .describe(
          "When AWS Backup runs, in AWS cron syntax: `cron(minute hour day-of-month month day-of-week year)`, at most hourly.",
        ),
      retentionDays: wholeIn(BACKUP_RETENTION_DAYS)
        .default(35)
        .describe("Days each region keeps its backups."),
      copyRetentionDays: wholeIn(BACKUP_RETENTION_DAYS)
        .default(35)
        .describe("Days the copy in the other region is kept."),
      vaultLock: z
        .strictObject({
          minRetentionDays: wholeIn(BACKUP_RETENTION_DAYS).describe(
            "The shortest retention the lock allows; the retentions above must be within the lock's range.",
          ),
          maxRetentionDays: wholeIn(BACKUP_RETENTION_DAYS).describe(
            "The longest retention the lock allows; at least minRetentionDays.",
          ),
          changeableForDays: z
            .number()
            .int()
            .min(VAULT_LOCK_MIN_CHANGEABLE_DAYS)
            .default(3)
            .describe("Grace days before the lock becomes immutable."),
        })
        .optional()
        .describe("A compliance-mode vault lock: irreversible once the grace days have passed."),
    })
    .prefault({})
    .describe("AWS Backup in each region, with a copy to the other."),
  dns: z
    .strictObject({
      zoneId: z
        .string()
        .regex(new RegExp(HOSTED_ZONE_ID_PATTERN), "must be a Route 53 hosted zone id")
        .optional()
        .describe("An existing hosted zone to use; without it the global root creates the zone."),
      recordName: z
        .string()
        .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, "must be one DNS label such as api")
        .default("api")
        .describe(
          "The failover name is `<recordName>.<domain>`; each region's health-check name is `<region>.<recordName>.<domain>`.",
        ),
      ttl: z
        .never({ error: DNS_TTL_REMOVED })
        .optional()
        .describe(
          "Refused: it configured nothing. The failover records are aliases, which have no TTL of their own.",
        ),
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
            .prefault("30s")
            .describe("Seconds between one checker's requests."),
          failureThreshold: wholeIn(HEALTH_CHECK_FAILURE_THRESHOLD)
            .default(3)
            .describe("Consecutive failures before a checker reports the endpoint unhealthy."),
          regions: z
            .array(z.enum(ROUTE53_HEALTH_CHECK_REGIONS))
            .min(MIN_HEALTH_CHECK_REGIONS)
            .default(["us-east-1", "us-west-2", "eu-west-1"])
            .describe("The Route 53 checker regions."),
        })
        .prefault({})
        .describe(
          "The Route 53 endpoint checks of each region's /health, with dns before 2.0.0; from 2.0.0 Route 53 follows each region's region-health alarm and this key is refused.",
        ),
    })
    .prefault({})
    .describe("Route 53: the zone, the failover records and their health checks."),
  monitoring: z
    .strictObject({
      alarmEmails: z
        .array(z.email("must be an email address"))
        .min(1)
        .describe("Who the alarms email (through the SNS topic)."),
    })
    .describe("Alarms and where they go."),
  drill: z
    .strictObject({
      enabled: z.boolean().describe("Whether the drill workflow runs on the schedule."),
      schedule: z
        .string()
        .superRefine(satisfies(githubCronProblem))
        .describe("5-field cron as GitHub Actions reads it, e.g. `0 6 * * 1`."),
      mode: z
        .enum(["switchover", "failover"])
        .describe(
          "`switchover` synchronizes the secondary first and loses no data; a scheduled drill in production must use it.",
        ),
    })
    .describe("The scheduled DR drill."),
  /** Tag keys (1-128 characters, no `aws:` prefix) and CostCenter are checked in rules.ts. */
  tags: z
    .record(
      z.string().meta({ title: "key" }),
      z
        .string()
        .max(256, "an AWS tag value has at most 256 characters")
        .regex(
          /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u,
          "an AWS tag value may contain only letters, digits, spaces and _ . : / = + - @",
        )
        .describe("A tag value (AWS's characters, at most 256)."),
    )
    .describe(
      "Tags applied to every resource; `CostCenter` is required; keys have 1-128 characters and no `aws:` prefix.",
    ),
  github: z
    .strictObject({
      repository: z
        .string()
        .regex(
          /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}\/(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/,
          "must be a GitHub repository as owner/name, such as acme-payments/payments-infra",
        )
        .describe("`owner/name`: the repository whose workflows the bootstrap roles trust."),
      oidcProviderArn: z
        .string()
        .regex(
          /^arn:aws:iam::[0-9]{12}:oidc-provider\/token\.actions\.githubusercontent\.com$/,
          "must be the ARN of GitHub's OIDC provider, arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
        )
        .optional()
        .describe(
          "GitHub's OIDC provider the account already has; without it the bootstrap root creates one.",
        ),
      subject: z
        .enum(SUBJECT_FORMATS)
        .default("default")
        .describe(
          "The format of the repository's OIDC `sub` claim, which the roles trust exactly: `default` (`repo:<owner>/<name>:<context>`), `immutable` (`repo:<owner>@<ownerId>/<name>@<repositoryId>:<context>`, repositories created or renamed from 2026-07-15) or `custom` (the repository's subject template, `subjectClaims`).",
        ),
      ownerId: githubId
        .optional()
        .describe(
          "The owner's numeric id (`immutable`, or a custom template naming `repository_owner_id`).",
        ),
      repositoryId: githubId
        .optional()
        .describe(
          "The repository's numeric id (`immutable`, or a custom template naming `repository_id`).",
        ),
      subjectClaims: z
        .array(z.enum(SUBJECT_CLAIMS))
        .min(1)
        .optional()
        .describe(
          "`custom` only: the template's `include_claim_keys`, in order; must name `context` and the repository (`repo`, `repository` or `repository_id`).",
        ),
    })
    .describe("The GitHub repository the bootstrap roles trust."),
});

/** A manifest as written (before defaults). */
export type ManifestInput = z.input<typeof manifestSchema>;
/** A validated manifest with defaults applied; durations are seconds. */
export type Manifest = z.output<typeof manifestSchema>;
