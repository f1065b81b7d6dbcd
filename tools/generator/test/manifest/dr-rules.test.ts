import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadEnvironment } from "../../src/manifest/index.ts";
import {
  REGION_CHECK_PERIOD_SECONDS,
  REGION_HEALTH_EVALUATION_PERIODS,
  rtoBudget,
  rtoRule,
} from "../../src/manifest/rules.ts";

interface ComputeJson {
  resource: {
    aws_cloudwatch_metric_alarm?: Record<string, { period?: number; evaluation_periods?: number }>;
    aws_cloudwatch_event_rule?: Record<string, { schedule_expression?: string }>;
  };
}
import { manifestSchema } from "../../src/manifest/schema.ts";
import { REPO, releasedRoot, scratch } from "../../src/testing.ts";

const STAGING = readFileSync(join(REPO, "environments/staging.yaml"), "utf8");
const AUTH = 'auth: { issuer: "https://auth.acme-payments.com", audiences: [payments-api] }';

/** staging.yaml with a compute section and `[old, new]` substitutions, as `key: message` lines. */
function problems(
  substitutions: [RegExp | string, string][],
  computeVersion = "2.0.0",
  dnsVersion = "1.2.0",
): string[] {
  let text = STAGING.replace(/compute: [^\n]+/, `compute: ${computeVersion}`)
    .replace(/ dns: [^\n]+/, ` dns: ${dnsVersion}`)
    // staging.yaml has its own compute.auth: the tests edit this one instead.
    .replace(/\n {2}auth: [^\n]*\n/, `\n  ${AUTH}\n`);
  for (const [old, replacement] of substitutions) {
    expect(text).toMatch(old);
    text = text.replace(old, replacement);
  }
  const dir = scratch();
  writeFileSync(join(dir, "staging.yaml"), text);
  const root = releasedRoot({
    compute: ["1.0.0", "1.1.0", computeVersion],
    dns: ["1.0.0", "1.1.0", dnsVersion],
  });
  return loadEnvironment("staging.yaml", { root, cwd: dir }).problems.map(
    (p) => `${p.path}: ${p.message}`,
  );
}

describe("authentication that survives failover (compute.auth)", () => {
  it("is accepted with an https issuer and at least one audience", () => {
    expect(problems([])).toEqual([]);
  });

  it("is required from compute 2.0.0, which authorizes payments with a JWT", () => {
    expect(problems([[`  ${AUTH}\n`, "  memoryMb: 512\n"]])).toEqual([
      "compute.auth: is required with compute 2.0.0: POST /payments accepts a JWT (Authorization: Bearer) from this issuer and these audiences in both regions; add `auth: { issuer: https://..., audiences: [...] }`",
    ]);
  });

  it("is not needed by the 1.x releases, which sign with SigV4", () => {
    expect(problems([[`  ${AUTH}\n`, "  memoryMb: 512\n"]], "1.1.0")).toEqual([]);
  });

  it("refuses a plain-http issuer and an empty audience list", () => {
    expect(
      problems([[AUTH, 'auth: { issuer: "http://auth.acme-payments.com", audiences: [] }']]),
    ).toEqual([
      "compute.auth.issuer: must be the identity provider's https:// issuer URL (the token's `iss`), without query or fragment",
      "compute.auth.audiences: needs at least one audience (the token's `aud`)",
    ]);
  });

  it("refuses an issuer with a query", () => {
    expect(
      problems([[AUTH, 'auth: { issuer: "https://auth.acme.com/?x=1", audiences: [a] }']]),
    ).toEqual([
      "compute.auth.issuer: must be the identity provider's https:// issuer URL (the token's `iss`), without query or fragment",
    ]);
  });
});

describe("health checks through each region's custom domain", () => {
  it("need dns 1.2.0 with compute 2.x, which writes the names the checks probe", () => {
    expect(problems([], "2.0.0", "1.1.0")).toEqual([
      "modules.dns: 1.1.0 cannot serve compute 2.0.0: its health checks probe each region's own custom domain, whose records dns 1.2.0 and later write; use dns 1.2.0 or later",
    ]);
    expect(problems([[`  ${AUTH}\n`, "  memoryMb: 512\n"]], "1.1.0", "1.1.0")).toEqual([]);
  });
});

describe("database.writer: the region whose cluster writes after a failover", () => {
  /** staging.yaml with `database.writer` set, against the given database releases. */
  function writerProblems(writer: string, database: string[]): string[] {
    const text = STAGING.replace("database:\n", `database:\n  writer: ${writer}\n`).replace(
      /database: \^[^\n]+/,
      `database: ${database.at(-1)}`,
    );
    const dir = scratch();
    writeFileSync(join(dir, "staging.yaml"), text);
    const root = releasedRoot({ database });
    return loadEnvironment("staging.yaml", { root, cwd: dir }).problems.map(
      (p) => `${p.path}: ${p.message}`,
    );
  }

  it("is one of the pair, the secondary from database 2.1.1 on", () => {
    expect(writerProblems("us-west-2", ["2.0.0", "2.1.1"])).toEqual([]);
    expect(writerProblems("us-east-1", ["2.0.0"])).toEqual([]);
  });

  it("refuses a region outside the pair, located at the key", () => {
    expect(writerProblems("eu-west-1", ["2.0.0", "2.1.1"])).toEqual([
      "database.writer: `eu-west-1` is not one of this manifest's regions (us-east-1, us-west-2): the writer is the cluster of one of them",
    ]);
  });

  it("refuses the secondary with a release that would plan the primary root's cluster as the writer", () => {
    expect(writerProblems("us-west-2", ["2.0.0", "2.1.0"])).toEqual([
      "database.writer: needs database 2.1.1 or later (modules.database is 2.1.0): older releases would plan the primary root's cluster as the writer",
    ]);
  });
});

describe("one truth for limits shared with the modules", () => {
  it("rejects a /21 VPC block, which the networking module would reject at plan time", () => {
    const [message] = problems([["10.20.0.0/16", "10.20.0.0/21"]]);
    expect(message).toMatch(/^networking\.cidrs\.us-east-1: prefix \/21 is outside \/16 to \/20/);
  });

  it("rejects an instance class the database module would reject (db.m5 is not memory-optimized)", () => {
    expect(problems([["instanceClass: db.r6g.large", "instanceClass: db.m5.large"]])).toEqual([
      "database.instanceClass: an Aurora global database needs a memory-optimized class: db.r5, r6g, r6gd, r6i, r6id, r7g, r7i, r8g, r8gd or x2g (large or *xlarge)",
    ]);
  });

  it("rejects an engine version the database module would reject", () => {
    expect(
      problems([["instances: 1", "instances: 1\n  engineVersion: 8.0.32"]]).map((p) =>
        p.slice(0, 40),
      ),
    ).toEqual(["database.engineVersion: must be an Auror"]);
  });

  it("rejects reserved concurrency above the compute module's 10000 and backups past 100 years", () => {
    expect(
      problems([
        [`  ${AUTH}\n`, `  ${AUTH}\n  reservedConcurrency: 20000\n`],
        ["retentionDays: 14", "retentionDays: 40000"],
      ]),
    ).toEqual([
      "compute.reservedConcurrency: must be at most 10000",
      "backup.retentionDays: must be at most 36500",
    ]);
  });
});

describe("dns.ttl", () => {
  it("is refused with the reason: alias records have no TTL of their own", () => {
    expect(problems([["\nmonitoring:\n", "\ndns:\n  ttl: 60s\n\nmonitoring:\n"]])).toEqual([
      "dns.ttl: dns.ttl configured nothing and is no longer accepted: the failover records are Route 53 aliases, which have no TTL of their own (Route 53 answers with the API Gateway target's 60 s); remove the key",
    ]);
  });
});

describe("rtoBudget", () => {
  const manifest = (interval: "10s" | "30s", threshold: number, promotion: string) => ({
    dns: manifestSchema.shape.dns.parse({ healthCheck: { interval, failureThreshold: threshold } }),
    database: manifestSchema.shape.database.parse({ promotionAllowance: promotion }),
  });

  it("adds detection and the alias answer TTL, and no DNS TTL term", () => {
    const budget = rtoBudget(manifest("10s", 3, "30s"), "1.2.0");
    expect(budget.terms.map((t) => [t.key, t.seconds])).toEqual([
      ["dns.healthCheck", 30],
      [undefined, 60],
    ]);
    expect(budget).toMatchObject({ trafficSeconds: 90, databaseSeconds: 30, total: 90 });
  });

  it("counts the region-health alarm from dns 2.0.0 (and the workspace's), whatever the endpoint check's keys", () => {
    for (const dns of ["2.0.0", "workspace"]) {
      const budget = rtoBudget(manifest("10s", 3, "30s"), dns);
      expect(budget.terms.map((t) => [t.key, t.seconds])).toEqual([
        ["modules.dns", 3 * 60],
        [undefined, 60],
      ]);
    }
  });

  it("times the alarm as every compute release with a region check defines it", () => {
    const releases = join(REPO, "modules", "compute", "releases");
    const withCheck = readdirSync(releases)
      .map((version) => join(releases, version, "main.tf.json"))
      .filter((file) => existsSync(file))
      .map((file) => JSON.parse(readFileSync(file, "utf8")) as ComputeJson)
      .filter((json) => json.resource.aws_cloudwatch_metric_alarm?.region_health);
    expect(withCheck.length).toBeGreaterThan(0);
    for (const { resource } of withCheck) {
      expect(resource.aws_cloudwatch_event_rule?.region_check?.schedule_expression).toBe(
        `rate(${REGION_CHECK_PERIOD_SECONDS / 60} minute)`,
      );
      expect(resource.aws_cloudwatch_metric_alarm?.region_health).toMatchObject({
        period: REGION_CHECK_PERIOD_SECONDS,
        evaluation_periods: REGION_HEALTH_EVALUATION_PERIODS,
      });
    }
  });

  it("refuses dns.healthCheck where Route 53 follows the alarm: it configures nothing", () => {
    const data = {
      objectives: { rto: "15m", rpo: "1m" },
      dns: { healthCheck: { interval: "10s" } },
      database: {},
    };
    expect(rtoRule(data, "1.2.0")).toEqual([]);
    expect(rtoRule(data, "2.0.0")).toEqual([
      {
        path: ["dns", "healthCheck"],
        message:
          "configures nothing with dns 2.0.0: Route 53 follows each region's region-health alarm, not an endpoint; remove it",
      },
    ]);
  });

  it("runs the database promotion in parallel: only what outlasts the traffic switch counts", () => {
    const budget = rtoBudget(manifest("30s", 3, "5m"), "1.2.0");
    expect(budget.trafficSeconds).toBe(150);
    expect(budget.total).toBe(300);
    // The terms always add up to the total, so a printed sum is honest.
    expect(budget.terms.reduce((sum, t) => sum + t.seconds, 0)).toBe(budget.total);
    expect(budget.terms.at(-1)).toMatchObject({ key: "database.promotionAllowance", seconds: 150 });
  });
});
