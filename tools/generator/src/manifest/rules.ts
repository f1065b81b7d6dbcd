/**
 * Rules that span several keys, the file name or the released modules. They read the raw data
 * and check only the parts that are well-typed, so a mistake elsewhere (already reported by the
 * schema) does not hide these problems.
 */
import { parse as parsePath } from "node:path";
import { ALIAS_ANSWER_TTL_SECONDS } from "@tandem/module-kit/route53";
import semver from "semver";
import type { z } from "zod";
import type { Finding } from "./issues.ts";
import { cidrProblem, overlaps, parseCidr } from "./net.ts";
import { Releases, resolveVersion } from "./releases.ts";
import { DOMAINS, manifestSchema, type Domain, type Manifest } from "./schema.ts";
import { didYouMean, nearest } from "./suggest.ts";

type Data = Record<string, unknown>;
const shape = manifestSchema.shape;

const record = (value: unknown): Data | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Data)
    : undefined;

/** The section parsed on its own (with defaults), or undefined when the schema rejects it. */
function valid<S extends z.ZodType>(schema: S, value: unknown): z.output<S> | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

export function nameMatchesFile(data: Data, file: string): Finding[] {
  const name = valid(shape.name, data.name);
  const stem = parsePath(file).name;
  return name === undefined || name === stem
    ? []
    : [
        {
          path: ["name"],
          message: `\`${name}\` must equal the file name \`${stem}\`: an environment is named after its manifest`,
        },
      ];
}

function regions(data: Data): { primary: string; secondary: string } | undefined {
  return valid(shape.regions, data.regions);
}

/** Both regions when valid and distinct: what maps keyed by region are checked against. */
function regionPair(data: Data): { primary: string; secondary: string } | undefined {
  const pair = regions(data);
  return pair && pair.primary !== pair.secondary ? pair : undefined;
}

export function distinctRegions(data: Data): Finding[] {
  const pair = regions(data);
  return pair && pair.primary === pair.secondary
    ? [
        {
          path: ["regions", "secondary"],
          message: `must differ from regions.primary (${pair.primary}): disaster recovery needs a second region`,
        },
      ]
    : [];
}

/** A map keyed by region must have exactly the manifest's two regions. */
function regionKeys(map: unknown, path: string[], what: string, data: Data): Finding[] {
  const pair = regionPair(data);
  const entries = record(map);
  if (!pair || !entries) return [];
  const wanted = { primary: pair.primary, secondary: pair.secondary };
  const missing = Object.entries(wanted).filter(([, r]) => !(r in entries));
  const extra = Object.keys(entries).filter((k) => k !== pair.primary && k !== pair.secondary);
  return [
    ...missing.map(([role, r]) => ({
      path,
      message: `missing ${what} for \`${r}\` (regions.${role})`,
    })),
    ...extra.map((k) => ({
      path: [...path, k],
      at: "key" as const,
      message: `\`${k}\` is not one of this manifest's regions (${pair.primary}, ${pair.secondary})${didYouMean(
        k,
        missing.map(([, r]) => r),
      )}`,
    })),
  ];
}

export function cidrRules(data: Data): Finding[] {
  const cidrs = record(record(data.networking)?.cidrs);
  const path = ["networking", "cidrs"];
  const findings = regionKeys(cidrs, path, "the CIDR block", data);
  const blocks = Object.entries(cidrs ?? {}).flatMap(([region, text]) => {
    const cidr = typeof text === "string" && !cidrProblem(text) ? parseCidr(text) : undefined;
    return cidr ? [{ region, text: text as string, cidr }] : [];
  });
  blocks.forEach((b, i) => {
    const earlier = blocks.slice(0, i).find((a) => overlaps(a.cidr, b.cidr));
    if (earlier) {
      findings.push({
        path: [...path, b.region],
        message: `${b.text} overlaps ${earlier.text} (${earlier.region}): the two VPCs need separate ranges to be routable to each other`,
      });
    }
  });
  return findings;
}

export function stateBucketRules(data: Data): Finding[] {
  const buckets = record(record(data.state)?.buckets);
  if (!buckets) return [];
  const findings = regionKeys(buckets, ["state", "buckets"], "the state bucket", data);
  const names = Object.entries(buckets).filter(([, v]) => typeof v === "string");
  const duplicate = names.find(([, v], i) => names.slice(0, i).some(([, w]) => w === v));
  if (duplicate) {
    findings.push({
      path: ["state", "buckets", duplicate[0]],
      message: "S3 bucket names are global: each region needs its own state bucket",
    });
  }
  return findings;
}

/** One term of the RTO budget, with the manifest key it comes from (none for AWS's own figures). */
export interface BudgetTerm {
  label: string;
  seconds: number;
  key?: string;
}

export interface RtoBudget {
  /**
   * What adds up to `total`: the traffic path (detection, then cached answers expiring) and, when
   * the database promotion outlasts it, the part of the promotion beyond the traffic switch.
   */
  terms: BudgetTerm[];
  /** Seconds until clients reach the secondary's API: what a payment waits for. */
  trafficSeconds: number;
  /** Seconds of the Aurora promotion, which runs in parallel with the traffic switch. */
  databaseSeconds: number;
  /** max(traffic, database): the least time a failover can take, which objectives.rto must cover. */
  total: number;
}

/**
 * The least failover time a manifest implies, which must fit in objectives.rto. It is a lower
 * bound: the drill measures the real figure as a client sees it.
 *
 * Traffic (the payment path):
 *   health-check detection, by the pinned dns release:
 *     from dns 2.0.0, the region-health alarm Route 53 follows: compute's region check runs once
 *       a minute, and the alarm fires after REGION_HEALTH_EVALUATION_PERIODS failed or silent
 *       minutes, so a region lost just after a passing check is unhealthy (n + 1) minutes later;
 *     before it, interval x failure threshold: each checker reports the endpoint unhealthy after
 *       `failureThreshold` consecutive failures made every `interval` seconds, and Route 53 calls
 *       it unhealthy once 18 % or fewer checkers report it healthy (Route 53 Developer Guide,
 *       "How Amazon Route 53 determines whether a health check is healthy");
 *   + alias answer TTL: the failover records are aliases, which have no TTL of their own; Route 53
 *     answers with the target's, 60 s for API Gateway regional domains, and resolvers may keep
 *     the old answer that long (RFC 1035 3.2.1, RFC 2181 8).
 * Database: the Aurora global switchover or failover (Aurora User Guide, "Using switchover or
 *   failover in an Amazon Aurora global database"). Payments are recorded in DynamoDB global
 *   tables, which take writes in both regions, so the promotion is not on the payment path: it
 *   runs in parallel, and only the part that outlasts the traffic switch adds to the total.
 */
export function rtoBudget(manifest: Pick<Manifest, "dns" | "database">, dns: string): RtoBudget {
  const traffic: BudgetTerm[] = [
    detection(manifest.dns.healthCheck, dns),
    { label: "alias answer TTL (Route 53, API Gateway target)", seconds: ALIAS_ANSWER_TTL_SECONDS },
  ];
  const trafficSeconds = traffic.reduce((sum, t) => sum + t.seconds, 0);
  const databaseSeconds = manifest.database.promotionAllowance;
  const beyond = Math.max(0, databaseSeconds - trafficSeconds);
  const terms =
    beyond > 0
      ? [
          ...traffic,
          {
            label: `database promotion beyond the traffic switch (${databaseSeconds} s, in parallel)`,
            seconds: beyond,
            key: "database.promotionAllowance",
          },
        ]
      : traffic;
  return { terms, trafficSeconds, databaseSeconds, total: trafficSeconds + beyond };
}

/** The first dns release whose health checks follow each region's region-health alarm. */
export const ALARM_HEALTH_CHECK_DNS_MAJOR = 2;
/** compute's region check (from 2.2.0): its schedule, the alarm's period, in seconds. */
export const REGION_CHECK_PERIOD_SECONDS = 60;
/** Failed or silent periods before compute's region-health alarm fires. */
export const REGION_HEALTH_EVALUATION_PERIODS = 2;

const followsAlarm = (dns: string) =>
  dns === "workspace" || semver.major(dns) >= ALARM_HEALTH_CHECK_DNS_MAJOR;

function detection(healthCheck: Manifest["dns"]["healthCheck"], dns: string): BudgetTerm {
  if (followsAlarm(dns)) {
    const periods = REGION_HEALTH_EVALUATION_PERIODS;
    return {
      label: `region-health alarm detection (a ${REGION_CHECK_PERIOD_SECONDS} s check, then ${periods} x ${REGION_CHECK_PERIOD_SECONDS} s)`,
      seconds: (periods + 1) * REGION_CHECK_PERIOD_SECONDS,
      key: "modules.dns",
    };
  }
  const { interval, failureThreshold } = healthCheck;
  return {
    label: `health-check detection (${interval} s x ${failureThreshold})`,
    seconds: interval * failureThreshold,
    key: "dns.healthCheck",
  };
}

/**
 * With dns 2.0.0 and later Route 53 follows an alarm, not the endpoint, so the endpoint
 * check's settings configure nothing; the RTO budget then counts the alarm's detection.
 */
export function rtoRule(data: Data, resolvedDns: string | undefined): Finding[] {
  const objectives = valid(shape.objectives, data.objectives);
  const dns = valid(shape.dns, data.dns);
  const database = valid(shape.database, data.database);
  if (!objectives || !dns || !database || resolvedDns === undefined) return [];
  const unused = followsAlarm(resolvedDns) && record(data.dns)?.healthCheck !== undefined;
  if (unused) {
    return [
      {
        path: ["dns", "healthCheck"],
        message: `configures nothing with dns ${resolvedDns}: Route 53 follows each region's region-health alarm, not an endpoint; remove it`,
      },
    ];
  }
  const budget = rtoBudget({ dns, database }, resolvedDns);
  if (budget.total <= objectives.rto) return [];
  const terms = budget.terms
    .map((t) => `${t.label} ${t.seconds} s${t.key ? ` (${t.key})` : ""}`)
    .join(" + ");
  const rto = String(record(data.objectives)?.rto);
  return [
    {
      path: ["objectives", "rto"],
      message: `${rto} (${objectives.rto} s) is shorter than the least failover time this manifest implies: ${budget.total} s = ${terms}`,
    },
  ];
}

/**
 * A scheduled drill in production must not lose payments: an Aurora global failover (AllowDataLoss)
 * drops writes not yet replicated, a switchover syncs the secondary first (RDS API Reference,
 * FailoverGlobalCluster and SwitchoverGlobalCluster).
 */
export function drillRule(data: Data): Finding[] {
  const drill = record(data.drill);
  const production = valid(shape.tier, data.tier) === "production";
  return production && drill?.enabled === true && drill.mode === "failover"
    ? [
        {
          path: ["drill", "mode"],
          message:
            "a scheduled drill in production must not use `failover`: like an unplanned outage, an Aurora global failover accepts data loss up to the replication lag; use `switchover`, which synchronizes the secondary first and loses no data",
        },
      ]
    : [];
}

export function vaultLockRules(data: Data): Finding[] {
  const backup = valid(shape.backup, data.backup);
  const lock = backup?.vaultLock;
  if (!backup || !lock) return [];
  const { minRetentionDays: min, maxRetentionDays: max } = lock;
  if (min > max) {
    return [
      {
        path: ["backup", "vaultLock", "maxRetentionDays"],
        message: `must be at least minRetentionDays (${min})`,
      },
    ];
  }
  return (["retentionDays", "copyRetentionDays"] as const)
    .filter((key) => backup[key] < min || backup[key] > max)
    .map((key) => ({
      path: ["backup", key],
      message: `${backup[key]} days is outside the vault lock's ${min}-${max} days: AWS Backup fails backup and copy jobs whose retention the lock does not allow`,
    }));
}

const TAG_KEY_CHARS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

function tagKeyProblem(key: string): string | undefined {
  if (key.length === 0) return "a tag key must not be empty";
  if (key.length > 128) return `tag key is ${key.length} characters; AWS allows at most 128`;
  if (/^aws:/i.test(key)) return "tag keys starting with `aws:` are reserved for AWS";
  if (!TAG_KEY_CHARS.test(key))
    return "a tag key may contain only letters, digits, spaces and _ . : / = + - @";
  return undefined;
}

export function tagRules(data: Data): Finding[] {
  const tags = record(data.tags);
  if (!tags) return [];
  const findings: Finding[] = Object.keys(tags).flatMap((key) => {
    const message = tagKeyProblem(key);
    return message ? [{ path: ["tags", key], message, at: "key" as const }] : [];
  });
  if (!("CostCenter" in tags)) {
    const near = nearest("CostCenter", Object.keys(tags));
    const hint = near ? `; found \`${near}\` (tag keys are case-sensitive)` : "";
    findings.push({
      path: ["tags", "CostCenter"],
      message: `is required: every environment carries a CostCenter tag for cost allocation${hint}`,
    });
  }
  return findings;
}

/** Why `workspace` is not allowed here, or undefined when it is (or cannot be decided yet). */
function workspaceProblem(data: Data): string | undefined {
  if (data.name === "prod") return "`workspace` is never allowed in prod: pin a released version";
  const tier = valid(shape.tier, data.tier);
  const allowed = valid(shape.allowWorkspaceModules, data.allowWorkspaceModules);
  if (tier === "production")
    return "`workspace` is not allowed when tier is production (the default): pin a released version";
  if (tier !== undefined && allowed === false)
    return "`workspace` needs `allowWorkspaceModules: true` in this manifest";
  return undefined;
}

/** Each module resolves to a released version, or to `workspace` where that is allowed. */
export function moduleRules(
  data: Data,
  releases: Releases,
): { findings: Finding[]; modules?: Record<Domain, string> } {
  const modules = record(data.modules);
  const findings: Finding[] = [];
  const resolved: Partial<Record<Domain, string>> = {};
  for (const domain of DOMAINS) {
    const wanted = modules?.[domain];
    if (typeof wanted !== "string" || wanted === "") continue;
    const path = ["modules", domain];
    if (wanted === "workspace") {
      const problem = workspaceProblem(data);
      if (problem) findings.push({ path, message: problem });
      else resolved[domain] = "workspace";
      continue;
    }
    const resolution = resolveVersion(domain, wanted, releases);
    if ("problem" in resolution) findings.push({ path, message: resolution.problem });
    else resolved[domain] = resolution.version;
  }
  findings.push(
    ...authRule(data, resolved.compute),
    ...healthCheckPairRule(resolved),
    ...writerRule(data, resolved.database),
  );
  const complete = DOMAINS.every((d) => resolved[d] !== undefined);
  return complete ? { findings, modules: resolved as Record<Domain, string> } : { findings };
}

/** The first database release whose `writer_region` plans (2.1.0 failed on the password version). */
export const WRITER_REGION_DATABASE = "2.1.1";

/** The region whose Aurora cluster writes: `database.writer`, else the primary. */
export function writerRegion(manifest: Pick<Manifest, "database" | "regions">): string {
  return manifest.database.writer ?? manifest.regions.primary;
}

/**
 * `database.writer` names one of the pair; a writer other than the primary needs a database
 * release that takes `writer_region`, or the composer would drop it and the primary root would
 * plan its cluster as the writer (master credentials on a cluster that is now a secondary).
 */
export function writerRule(data: Data, database: string | undefined): Finding[] {
  const writer = valid(shape.database, data.database)?.writer;
  const pair = regionPair(data);
  if (writer === undefined || !pair) return [];
  const path = ["database", "writer"];
  if (writer !== pair.primary && writer !== pair.secondary)
    return [
      {
        path,
        message: `\`${writer}\` is not one of this manifest's regions (${pair.primary}, ${pair.secondary}): the writer is the cluster of one of them`,
      },
    ];
  const old =
    writer !== pair.primary &&
    database !== undefined &&
    database !== "workspace" &&
    semver.lt(database, WRITER_REGION_DATABASE);
  return old
    ? [
        {
          path,
          message: `needs database ${WRITER_REGION_DATABASE} or later (modules.database is ${database}): older releases would plan the primary root's cluster as the writer`,
        },
      ]
    : [];
}

/** The first compute release whose POST /payments takes a JWT instead of SigV4. */
export const JWT_COMPUTE_MAJOR = 2;

/**
 * compute 2.x authorizes POST /payments with a JWT from the manifest's issuer, so it needs
 * compute.auth; there is no safe default for who may make payments.
 */
function authRule(data: Data, compute: string | undefined): Finding[] {
  if (compute === undefined) return [];
  const usesJwt = compute === "workspace" || semver.major(compute) >= JWT_COMPUTE_MAJOR;
  const given = record(data.compute)?.auth !== undefined;
  return usesJwt && !given
    ? [
        {
          path: ["compute", "auth"],
          message: `is required with compute ${compute}: POST /payments accepts a JWT (Authorization: Bearer) from this issuer and these audiences in both regions; add \`auth: { issuer: https://..., audiences: [...] }\``,
        },
      ]
    : [];
}

/** The first dns release that writes the per-region health-check names compute 2.x checks. */
const HEALTH_CHECK_RECORDS_DNS = "1.2.0";

/**
 * compute 2.x points the Route 53 health check at each region's own custom domain, whose alias
 * record dns 1.2.0 writes; with an older dns the checked name would not resolve and both regions
 * would look unhealthy.
 */
function healthCheckPairRule(resolved: Partial<Record<Domain, string>>): Finding[] {
  const { compute, dns } = resolved;
  if (compute === undefined || dns === undefined || dns === "workspace") return [];
  const newCompute = compute === "workspace" || semver.major(compute) >= JWT_COMPUTE_MAJOR;
  return newCompute && semver.lt(dns, HEALTH_CHECK_RECORDS_DNS)
    ? [
        {
          path: ["modules", "dns"],
          message: `${dns} cannot serve compute ${compute}: its health checks probe each region's own custom domain, whose records dns ${HEALTH_CHECK_RECORDS_DNS} and later write; use dns ${HEALTH_CHECK_RECORDS_DNS} or later`,
        },
      ]
    : [];
}
