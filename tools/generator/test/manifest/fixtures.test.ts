import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatProblem, loadEnvironment } from "../../src/manifest/index.ts";
import { join } from "node:path";
import { releaseRoot } from "../../src/testing.ts";

const FIXTURES = join(import.meta.dirname, "../fixtures/invalid");

/**
 * Every bad manifest under fixtures/invalid/ and exactly the problems it must produce, as
 * `line:col: key.path: message` (the file name is prepended). Each fixture's first line says
 * what it breaks; each is named after its rule and carries `name: <its file name>`, so the
 * name rule stays quiet except where it is the point.
 */
const EXPECTED: Record<string, string[]> = {
  "account-digits.yaml": [
    '3:10: account: must be a 12-digit AWS account id, such as "123456789012"',
  ],
  "account-number.yaml": [
    "3:10: account: must be a 12-digit AWS account id in quotes: unquoted, YAML reads it as a number (and drops leading zeros)",
  ],
  "alarm-email.yaml": ["21:17: monitoring.alarmEmails[0]: must be an email address"],
  "alias-bomb.yaml": [
    "4:8: aliases expand to more than 100 nodes; rejected as a possible alias bomb",
  ],
  "backup-hourly.yaml": [
    "21:13: backup.schedule: AWS Backup runs a rule at most once an hour: the minute field must be one number, not `0/15`",
  ],
  "backup-rate.yaml": [
    '21:13: backup.schedule: AWS Backup takes a cron(...) expression, not rate(...): write one such as "cron(0 3 * * ? *)"',
  ],
  "backup-schedule.yaml": [
    "21:13: backup.schedule: exactly one of day-of-month and day-of-week must be `?`",
  ],
  "binary.yaml": ["2:10: is a binary file (it contains a NUL byte), not a YAML manifest"],
  "cidr-format.yaml": [
    "18:48: networking.cidrs.us-west-2: `10.21.0/16` is not an IPv4 CIDR block such as 10.0.0.0/16",
  ],
  "cidr-host-bits.yaml": [
    "18:23: networking.cidrs.us-east-1: `10.20.1.0/16` has host bits set: the network address is 10.20.0.0/16",
  ],
  "cidr-overlap.yaml": [
    "18:48: networking.cidrs.us-west-2: 10.20.128.0/17 overlaps 10.20.0.0/16 (us-east-1): the two VPCs need separate ranges to be routable to each other",
  ],
  "cidr-prefix.yaml": [
    "18:23: networking.cidrs.us-east-1: prefix /8 is outside /16 to /20: an AWS VPC block is at most a /16, and the networking module needs at least a /20: each public subnet is the block's prefix + 8, which must stay within AWS's smallest subnet (/28)",
    "18:46: networking.cidrs.us-west-2: prefix /26 is outside /16 to /20: an AWS VPC block is at most a /16, and the networking module needs at least a /20: each public subnet is the block's prefix + 8, which must stay within AWS's smallest subnet (/28)",
  ],
  "cidr-public.yaml": [
    "18:49: networking.cidrs.us-west-2: `172.32.0.0/16` is outside the private ranges of RFC 1918 (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16): the VPC's local route would capture traffic to those addresses, so the internet hosts that own them become unreachable through NAT",
  ],
  "cidr-regions.yaml": [
    "18:10: networking.cidrs: missing the CIDR block for `us-west-2` (regions.secondary)",
    "18:37: networking.cidrs.us-west-1: `us-west-1` is not one of this manifest's regions (us-east-1, us-west-2); did you mean `us-west-2`?",
  ],
  "comments-only.yaml": [
    "1:1: is empty: a manifest is a mapping of keys such as name, account and regions",
  ],
  "cron-aws.yaml": [
    '25:13: drill.schedule: `cron(0 6 ? * MON *)` is AWS EventBridge syntax; GitHub Actions cron has 5 fields: minute hour day-of-month month day-of-week, e.g. "0 6 * * MON"',
  ],
  "cron-fields.yaml": [
    "25:13: drill.schedule: has 6 fields; GitHub Actions cron has 5 fields: minute hour day-of-month month day-of-week (no seconds field as in Quartz, no year field as in AWS cron)",
  ],
  "cron-range.yaml": ["25:13: drill.schedule: hour 24 is out of range 0-23"],
  "cron-weekday.yaml": [
    "25:13: drill.schedule: day-of-week 7 is out of range 0-6: GitHub Actions uses 0 for Sunday",
  ],
  "deep-nesting.yaml": ["3:36: nests deeper than 32 levels, which no manifest needs"],
  "domain-label.yaml": [
    "6:9: domain: label `pay_staging` may contain only letters, digits and hyphens, and may not start or end with a hyphen",
  ],
  "domain-local.yaml": [
    "6:9: domain: `.local` is reserved for multicast DNS (RFC 6762, a special-use name under RFC 6761): resolvers never ask Route 53 for it, so the seed's swap of example.com for .local cannot work; use a domain you own",
  ],
  "domain-reserved.yaml": [
    "6:9: domain: `pay.example.com` is under example.com, reserved for documentation (RFC 2606): it can never be delegated to a Route 53 public zone, so the failover records would not resolve; use a domain you own",
  ],
  "domain-test-tld.yaml": [
    "6:9: domain: `.test` is a reserved top-level domain (RFC 2606, special-use under RFC 6761): it can never be delegated to a Route 53 public zone, so the failover records would not resolve; use a domain you own",
  ],
  "drill-failover-prod.yaml": [
    "25:9: drill.mode: a scheduled drill in production must not use `failover`: like an unplanned outage, an Aurora global failover accepts data loss up to the replication lag; use `switchover`, which synchronizes the secondary first and loses no data",
  ],
  "drill-mode.yaml": [
    "26:9: drill.mode: must be one of `switchover`, `failover`, not the text `switchovr`; did you mean `switchover`?",
  ],
  "duplicate-key.yaml": ["7:1: account: duplicate key: each key may appear only once in a mapping"],
  "empty.yaml": [
    "1:1: is empty: a manifest is a mapping of keys such as name, account and regions",
  ],
  "gh-subject-claims.yaml": [
    "33:12: github.subject: custom needs github.subjectClaims: the include_claim_keys of the repository's subject template, in order",
  ],
  "gh-subject-custom.yaml": [
    "31:1: github.ownerId: is required: github.subjectClaims names repository_owner_id",
    "34:18: github.subjectClaims: must include context: without it a token of any environment or pull request would match every role",
    "34:18: github.subjectClaims: must include one of repo, repository, repository_id: without it a token of another repository would match",
  ],
  "gh-subject-immutable.yaml": [
    "31:1: github.repositoryId: is required: the immutable subject is repo:<owner>@<ownerId>/<name>@<repositoryId>:<context>",
    "35:18: github.subjectClaims: applies only to github.subject: custom, not immutable",
  ],
  "github-account.yaml": [
    "33:20: github.oidcProviderArn: is in account 210987654321, not this manifest's account 123456789012: a role can trust only an OIDC provider of its own account",
    "34:3: github.repositry: unknown key `repositry`; did you mean `repository`?",
  ],
  "github-format.yaml": [
    "32:15: github.repository: must be a GitHub repository as owner/name, such as acme-payments/payments-infra",
    "33:20: github.oidcProviderArn: must be the ARN of GitHub's OIDC provider, arn:aws:iam::<account>:oidc-provider/token.actions.githubusercontent.com",
  ],
  "github-missing.yaml": ["2:1: github: is required"],
  "health-interval.yaml": [
    "21:28: dns.healthCheck.interval: must be 10s or 30s, the two intervals Route 53 health checks support",
  ],
  "instance-burstable.yaml": [
    "18:18: database.instanceClass: burstable db.t* classes cannot run an Aurora global database, which needs a memory-optimized class such as db.r6g.large",
  ],
  "invalid-utf8.yaml": ["1:26: is not valid UTF-8 text"],
  "log-retention.yaml": [
    "19:25: networking.flowLogRetentionDays: 200 days is not a retention period CloudWatch Logs accepts; the nearest are 180 and 365 days",
    "22:21: compute.logRetentionDays: 0 (never expire) is not allowed: logs must expire; the nearest retention CloudWatch Logs accepts is 1 day",
  ],
  "missing-key.yaml": ["2:1: account: is required", "22:1: drill.mode: is required"],
  "module-range.yaml": [
    "11:13: modules.database: no released version satisfies `^2.0.0`; released: 1.0.0",
  ],
  "module-unreleased.yaml": [
    "10:15: modules.networking: 1.2.0 is not released; released: 1.0.0, 1.1.0",
  ],
  "module-version.yaml": [
    "12:12: modules.compute: `latest` must be an exact version (1.2.3), a semver range (^1.2.0) or `workspace`",
    "13:11: modules.backup: must be a string, not the number 1: YAML read the unquoted value as a number, so put it in quotes",
  ],
  "module-workspace.yaml": [
    "10:15: modules.networking: `workspace` needs `allowWorkspaceModules: true` in this manifest",
  ],
  "multiple-docs.yaml": [
    "30:1: holds more than one YAML document (a `---` separator); a manifest is exactly one",
  ],
  "name-mismatch.yaml": [
    "2:7: name: `staging` must equal the file name `name-mismatch`: an environment is named after its manifest",
  ],
  "not-a-mapping.yaml": [
    "2:1: must be a mapping of keys such as name, account and regions, not a list",
  ],
  "region-partition.yaml": [
    "5:43: regions.secondary: `us-gov-west-1` is in the AWS GovCloud (US) partition; Tandem deploys to commercial regions only",
  ],
  "region-same.yaml": [
    "5:43: regions.secondary: must differ from regions.primary (us-east-1): disaster recovery needs a second region",
  ],
  "region-typo.yaml": [
    "5:21: regions.primary: `us-est-1` is not an AWS commercial region code; did you mean `us-east-1`?",
  ],
  "rto-format.yaml": [
    "7:20: objectives.rto: must be a duration such as 30s, 15m or 1h",
    "7:29: objectives.rpo: must be a duration such as 30s, 15m or 1h",
  ],
  "rto-unachievable.yaml": [
    "7:20: objectives.rto: 4m (240 s) is shorter than the least failover time this manifest implies: 300 s = health-check detection (30 s x 3) 90 s (dns.healthCheck) + alias answer TTL (Route 53, API Gateway target) 60 s + database promotion beyond the traffic switch (300 s, in parallel) 150 s (database.promotionAllowance)",
  ],
  "state-buckets.yaml": [
    "18:12: state.buckets: missing the state bucket for `us-west-2` (regions.secondary)",
  ],
  "tag-costcenter.yaml": [
    "28:1: tags.CostCenter: is required: every environment carries a CostCenter tag for cost allocation; found `costCenter` (tag keys are case-sensitive)",
  ],
  "tag-key.yaml": [
    "30:3: tags.aws:owner: tag keys starting with `aws:` are reserved for AWS",
    "31:3: tags.Owner!: a tag key may contain only letters, digits, spaces and _ . : / = + - @",
  ],
  "tag-value.yaml": [
    "30:9: tags.Tier: must be a string, not the number 1: YAML read the unquoted value as a number, so put it in quotes",
    "31:8: tags.PCI: must be a string, not the boolean true: YAML read the unquoted value as a boolean, so put it in quotes",
  ],
  "unknown-key.yaml": [
    "17:1: databse: unknown key `databse`; did you mean `database`?",
    "21:3: networking.natGateway: unknown key `natGateway`; did you mean `natGateways`?",
  ],
  "toolchain-versions.yaml": [
    "34:14: toolchain.terraform: must be an exact version such as 1.11.4 (x.y.z): a range would let a release between plan and apply change what runs",
    "35:13: toolchain.opentofu: must be an exact version such as 1.12.6, as text (x.y.z)",
    "37:3: toolchain.tofu: unknown key `tofu`; expected one of terraform, opentofu, aws",
  ],
  "unresolved-alias.yaml": ["6:9: alias `*apex` has no anchor `&apex` before it"],
  "vault-lock-order.yaml": [
    "21:56: backup.vaultLock.maxRetentionDays: must be at least minRetentionDays (30)",
  ],
  "vault-lock.yaml": [
    "21:18: backup.retentionDays: 3 days is outside the vault lock's 7-365 days: AWS Backup fails backup and copy jobs whose retention the lock does not allow",
    "22:22: backup.copyRetentionDays: 400 days is outside the vault lock's 7-365 days: AWS Backup fails backup and copy jobs whose retention the lock does not allow",
  ],
  "workspace-in-prod/prod.yaml": [
    "11:15: modules.networking: `workspace` is never allowed in prod: pin a released version",
  ],
  "workspace-tier.yaml": [
    "11:15: modules.networking: `workspace` is not allowed when tier is production (the default): pin a released version",
  ],
  "wrong-type.yaml": [
    "19:12: networking.azCount: must be a number, not the text `3`: remove the quotes",
    "22:16: monitoring.alarmEmails: must be a list, not the text `payments-staging@acme-payments.com`",
    "25:12: drill.enabled: must be true or false, not the text `yes`",
  ],
  "yaml-syntax.yaml": [
    "6:1: YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }",
  ],
};

const fixtures = readdirSync(FIXTURES, { recursive: true })
  .map(String)
  .filter((file) => file.endsWith(".yaml"))
  .sort();

describe("invalid manifests", () => {
  // networking has two releases so "released: ..." lists more than one version.
  const root = releaseRoot({ networking: ["1.0.0", "1.1.0"] });

  it("has a fixture for every expectation and an expectation for every fixture", () => {
    expect(fixtures).toEqual(Object.keys(EXPECTED).sort());
    expect(fixtures.length).toBeGreaterThanOrEqual(30);
  });

  it.each(fixtures)("%s", (file) => {
    const started = performance.now();
    const result = loadEnvironment(file, { root, cwd: FIXTURES });
    const elapsed = performance.now() - started;

    expect(result.environment).toBeUndefined();
    expect(result.problems.map(formatProblem)).toEqual(
      EXPECTED[file]!.map((line) => `${file}:${line}`),
    );
    // Alias bombs, deep nesting and binary files end as fast as any other mistake.
    expect(elapsed).toBeLessThan(1000);
  });
});
