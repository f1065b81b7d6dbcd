import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatProblem, loadEnvironment, type Problem } from "../../src/manifest/index.ts";
import { REPO, releasedRoot, scratch } from "../../src/testing.ts";

const STAGING = readFileSync(join(REPO, "environments/staging.yaml"), "utf8");
const root = releasedRoot();

/** staging.yaml with `[old, new]` substitutions, saved as `<name>.yaml` and loaded. */
function load(substitutions: [string, string][], name = "staging") {
  let text = STAGING.replace("name: staging", `name: ${name}`);
  for (const [old, replacement] of substitutions) {
    expect(text, old).toContain(old);
    text = text.replace(old, replacement);
  }
  const dir = scratch();
  writeFileSync(join(dir, `${name}.yaml`), text);
  return loadEnvironment(`${name}.yaml`, { root, cwd: dir });
}

const said = (problems: Problem[]) => problems.map((p) => `${p.path}: ${p.message}`);

describe("schema messages", () => {
  it.each<[string, [string, string][], string[]]>([
    [
      "a number above its maximum",
      [["instances: 1", "instances: 20"]],
      ["database.instances: must be at most 16"],
    ],
    [
      "a fraction where a count belongs",
      [["natGateways: single", "natGateways: single\n  azCount: 2.5"]],
      ["networking.azCount: must be a whole number, not 2.5"],
    ],
    [
      "infinity",
      [["natGateways: single", "natGateways: single\n  flowLogRetentionDays: .inf"]],
      ["networking.flowLogRetentionDays: must be a finite number"],
    ],
    [
      "a log retention beyond the longest CloudWatch Logs accepts",
      [["natGateways: single", "natGateways: single\n  flowLogRetentionDays: 4000"]],
      [
        "networking.flowLogRetentionDays: 4000 days is not a retention period CloudWatch Logs accepts; the nearest is 3653 days",
      ],
    ],
    [
      "a negative log retention",
      [["\ncompute:\n", "\ncompute:\n  logRetentionDays: -7\n"]],
      [
        "compute.logRetentionDays: -7 days is not a retention period CloudWatch Logs accepts; the nearest is 1 day",
      ],
    ],
    [
      "a fractional log retention, reported once",
      [["natGateways: single", "natGateways: single\n  flowLogRetentionDays: 365.5"]],
      ["networking.flowLogRetentionDays: must be a whole number, not 365.5"],
    ],
    [
      "a duplicate key inside a list",
      [
        [
          "alarmEmails: [payments-staging@acme-payments.com]",
          "alarmEmails:\n    - { to: a, to: b }",
        ],
      ],
      [
        "monitoring.alarmEmails[0]: must be an email address",
        "monitoring.alarmEmails[0].to: duplicate key: each key may appear only once in a mapping",
      ],
    ],
    [
      "an empty list",
      [["alarmEmails: [payments-staging@acme-payments.com]", "alarmEmails: []"]],
      ["monitoring.alarmEmails: must list at least 1 item"],
    ],
    [
      "too few health-checker regions",
      [["\nmonitoring:", "\ndns:\n  healthCheck: { regions: [us-east-1] }\n\nmonitoring:"]],
      ["dns.healthCheck.regions: must list at least 3 items"],
    ],
    [
      "an empty tag value",
      [["CostCenter: payments", "CostCenter: payments\n  Owner:"]],
      ["tags.Owner: must be a string, not an empty value"],
    ],
    [
      "binary data",
      [["CostCenter: payments", "CostCenter: payments\n  Owner: !!binary aGVsbG8="]],
      ["tags.Owner: must be a string, not binary data"],
    ],
    [
      "a long tag value",
      [["CostCenter: payments", `CostCenter: ${"p".repeat(257)}`]],
      ["tags.CostCenter: an AWS tag value has at most 256 characters"],
    ],
    [
      "a bad record name",
      [["\nmonitoring:", "\ndns:\n  recordName: Api!\n\nmonitoring:"]],
      ["dns.recordName: must be one DNS label such as api"],
    ],
    [
      "an empty section",
      [
        [
          'drill:\n  enabled: true\n  schedule: "0 6 * * 1" # Mondays 06:00 UTC\n  mode: switchover',
          "drill:",
        ],
      ],
      ["drill: must be a mapping, not an empty value"],
    ],
    [
      "a bad region type",
      [["primary: us-east-1", "primary: [us-east-1]"]],
      ["regions.primary: must be an AWS region code such as us-east-1"],
    ],
    [
      "an enum typo",
      [["tier: staging", "tier: stagin"]],
      [
        "tier: must be one of `production`, `staging`, `development`, not the text `stagin`; did you mean `staging`?",
      ],
    ],
  ])("%s", (_, substitutions, expected) => {
    expect(said(load(substitutions).problems)).toEqual(expected);
  });

  it("lists the known keys when an unknown one resembles none", () => {
    expect(said(load([["tier: staging", "tier: staging\nzzzzzzzz: 1"]]).problems)).toEqual([
      "zzzzzzzz: unknown key `zzzzzzzz`; expected one of name, account, tier, allowWorkspaceModules, regions, domain, objectives, modules, toolchain, state, networking, database, compute, backup, dns, monitoring, drill, tags, github",
    ]);
  });
});

describe("problems are reported together, without cascades", () => {
  it("keeps checking after a duplicate key", () => {
    const { environment, problems } = load([
      ["tier: staging", "tier: staging\ntier: staging"],
      ['account: "123456789012"', 'account: "1234"'],
    ]);
    expect(environment).toBeUndefined();
    expect(problems.map(formatProblem)).toEqual([
      'staging.yaml:3:10: account: must be a 12-digit AWS account id, such as "123456789012"',
      "staging.yaml:5:1: tier: duplicate key: each key may appear only once in a mapping",
    ]);
  });

  it("reports schema and cross-field problems in one pass", () => {
    expect(
      said(
        load([
          ["rto: 15m", "rto: 1m"],
          ["CostCenter: payments", "Owner: payments"],
          ["mode: switchover", "mode: both"],
        ]).problems,
      ),
    ).toEqual([
      "objectives.rto: 1m (60 s) is shorter than the least failover time this manifest implies: 300 s = region-health alarm detection (a 60 s check, then 2 x 60 s) 180 s (modules.dns) + alias answer TTL (Route 53, API Gateway target) 60 s + database promotion beyond the traffic switch (300 s, in parallel) 60 s (database.promotionAllowance)",
      "drill.mode: must be one of `switchover`, `failover`, not the text `both`",
      "tags.CostCenter: is required: every environment carries a CostCenter tag for cost allocation",
    ]);
  });

  it("does not check maps keyed by region when the regions themselves are wrong", () => {
    expect(said(load([["secondary: us-west-2", "secondary: mars-1"]]).problems)).toEqual([
      "regions.secondary: `mars-1` is not an AWS commercial region code",
    ]);
  });

  it("does not look for CostCenter in tags that are not a mapping", () => {
    expect(said(load([["tags:\n  CostCenter: payments", "tags: [payments]"]]).problems)).toEqual([
      "tags: must be a mapping, not a list",
    ]);
  });

  it("leaves workspace alone while the tier is itself invalid", () => {
    expect(
      said(
        load([
          ["tier: staging", "tier: qa"],
          ["networking: ^2.0.0", "networking: workspace"],
        ]).problems,
      ),
    ).toEqual(["tier: must be one of `production`, `staging`, `development`, not the text `qa`"]);
  });

  it("skips the RTO budget when the objectives are missing", () => {
    expect(said(load([["objectives: { rto: 15m, rpo: 1m }\n", ""]]).problems)).toEqual([
      "objectives: is required",
    ]);
  });
});

describe("cross-field rules that pass", () => {
  it("allow workspace modules outside production when the manifest opts in", () => {
    const { environment } = load([
      ["tier: staging", "tier: staging\nallowWorkspaceModules: true"],
      ["networking: ^2.0.0", "networking: workspace"],
    ]);
    expect(environment?.modules.networking).toBe("workspace");
  });

  it("accept a failover drill outside production, or a disabled one in production", () => {
    const failover: [string, string] = ["mode: switchover", "mode: failover"];
    expect(load([failover]).problems).toEqual([]);
    const disabled: [string, string] = ["enabled: true", "enabled: false"];
    const production: [string, string] = ["tier: staging", "tier: production"];
    expect(load([production, disabled, failover]).problems).toEqual([]);
    expect(said(load([production, failover]).problems)).toEqual([
      expect.stringMatching(
        /^drill\.mode: a scheduled drill in production must not use `failover`/,
      ),
    ]);
  });

  it("accept any whole log retention CloudWatch Logs accepts", () => {
    const { environment } = load([
      ["natGateways: single", "natGateways: single\n  flowLogRetentionDays: 1"],
      ["\ncompute:\n", "\ncompute:\n  logRetentionDays: 3653\n"],
    ]);
    expect(environment?.manifest.networking.flowLogRetentionDays).toBe(1);
    expect(environment?.manifest.compute.logRetentionDays).toBe(3653);
  });

  it("accept one state bucket per region, and reject one shared bucket", () => {
    const both =
      "\nstate:\n  buckets: { us-east-1: tandem-state-use1, us-west-2: tandem-state-usw2 }\n\nnetworking:";
    expect(load([["\nnetworking:", both]]).environment?.manifest.state.buckets).toEqual({
      "us-east-1": "tandem-state-use1",
      "us-west-2": "tandem-state-usw2",
    });
    const shared =
      "\nstate:\n  buckets: { us-east-1: tandem-state, us-west-2: tandem-state }\n\nnetworking:";
    expect(said(load([["\nnetworking:", shared]]).problems)).toEqual([
      "state.buckets.us-west-2: S3 bucket names are global: each region needs its own state bucket",
    ]);
  });
});

describe("files that are not manifests", () => {
  it("accepts a byte-order mark and CRLF line ends", () => {
    const dir = scratch();
    writeFileSync(join(dir, "staging.yaml"), `\uFEFF${STAGING.replace(/\n/g, "\r\n")}`);
    expect(loadEnvironment("staging.yaml", { root, cwd: dir }).problems).toEqual([]);
  });

  it("reports a YAML warning such as an unknown tag", () => {
    expect(said(load([["domain: pay", "domain: !host pay"]]).problems)).toEqual([
      ": YAML warning: Unresolved tag: !host",
    ]);
  });

  it("refuses oversized files without parsing them", () => {
    const dir = scratch();
    writeFileSync(join(dir, "big.yaml"), `name: big\n#${"x".repeat(1024 * 1024)}\n`);
    expect(said(loadEnvironment("big.yaml", { root, cwd: dir }).problems)).toEqual([
      ": is 1048588 bytes; a manifest is at most 1048576 bytes",
    ]);
  });

  it("refuses deep block nesting before the parser recurses", () => {
    const dir = scratch();
    writeFileSync(join(dir, "deep.yaml"), `name: deep\nx:\n${"- ".repeat(100_000)}x\n`);
    const { problems } = loadEnvironment("deep.yaml", { root, cwd: dir });
    expect(problems.map(formatProblem)).toEqual([
      "deep.yaml:3:1: nests deeper than 32 levels, which no manifest needs",
    ]);
  });

  it("reports a directory or a missing file as unreadable", () => {
    const dir = scratch();
    mkdirSync(join(dir, "dir.yaml"));
    expect(said(loadEnvironment("dir.yaml", { root, cwd: dir }).problems)).toEqual([
      ": is a directory, not a regular file",
    ]);
    expect(said(loadEnvironment("gone.yaml", { root, cwd: dir }).problems)).toEqual([
      ": cannot be read (ENOENT)",
    ]);
  });

  it("turns a validator bug into a located problem rather than a stack trace", () => {
    const { problems } = loadEnvironment("x.yaml", { root: 42 as unknown as string });
    expect(problems).toHaveLength(1);
    expect(formatProblem(problems[0]!)).toMatch(
      /^x\.yaml:1:1: internal error in the validator, please report it: /,
    );
  });
});
