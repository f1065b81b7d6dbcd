/**
 * Role x call x expected, judged by a policy evaluator over the synthesized bootstrap roots:
 * what each role may do once AWS evaluates its policies, boundary and the resource policies.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DRILL_LOCK_KEY } from "@tandem/module-kit/drill";
import { bootstrapRoots } from "../../src/compose/bootstrap.ts";
import { crossRegionNames } from "../../src/compose/names.ts";
import { manifestSchema, type Manifest } from "../../src/manifest/schema.ts";
import { Releases, resolveVersion } from "../../src/manifest/releases.ts";
import { DOMAINS } from "../../src/manifest/schema.ts";
import { REPO, TOOLCHAIN } from "../helpers.ts";
import { refreshReads } from "./refresh-reads.ts";
import {
  assume,
  evaluate,
  keyArn,
  type Call,
  type Claims,
  type Kind,
  type Verdict,
} from "./evaluate.ts";

const manifest = (name: string): Manifest =>
  manifestSchema.parse(
    parse(readFileSync(join(REPO, "environments", `${name}.yaml`), "utf8")) as unknown,
  );
const STAGING = manifest("staging");
const PROD = manifest("prod");
const ROOTS = bootstrapRoots([manifest("dev"), STAGING, PROD], TOOLCHAIN);
const rootOf = (m: Manifest) => ROOTS.find((r) => r.environments.includes(m.name))!;

type Expected = Verdict["decision"] | "Denied";
interface Row extends Call {
  role: Kind;
  expected: Expected;
}

/** Every evaluated call, with its time, for the table the report prints. */
const seen: { row: string; decision: string; ms: number }[] = [];

async function judge(m: Manifest, row: Row): Promise<Verdict> {
  const started = performance.now();
  const { dataKey } = environmentArns(m);
  const resourcePolicy = row.resource === dataKey ? delegatingKeyPolicy(m.account) : undefined;
  const verdict = await evaluate(rootOf(m), m.name, row.role, { resourcePolicy, ...row });
  seen.push({
    row: `${m.name} ${row.role} ${row.action} ${row.resource}`,
    decision: verdict.decision,
    ms: performance.now() - started,
  });
  return verdict;
}

const denied = (decision: string) => decision !== "Allowed";
function check(m: Manifest, rows: Row[]) {
  it.each(rows.map((row) => [`${row.role} ${row.action} ${row.resource}`, row] as const))(
    `${m.name}: %s`,
    async (_, row) => {
      const verdict = await judge(m, row);
      if (row.expected === "Denied")
        expect(denied(verdict.decision), verdict.statements.join()).toBe(true);
      else expect(verdict.decision, verdict.statements.join()).toBe(row.expected);
    },
  );
}

/** The calls and ARNs of one environment, from its manifest. */
function environmentArns(m: Manifest) {
  const names = crossRegionNames(m);
  const region = m.regions.primary;
  const arn = (service: string, resource: string, where = region) =>
    `arn:aws:${service}:${where}:${m.account}:${resource}`;
  return {
    names,
    region,
    arn,
    table: arn("dynamodb", `table/${names.tableName}`),
    dataKey: keyArn(m.account, region, "data"),
    stateObject: (env: string) =>
      `arn:aws:s3:::${names.stateBucket(region)}/${env}/${region}.tfstate`,
  };
}

/** The data key's policy (module-kit's kmsKey): it delegates to IAM in the account. */
const delegatingKeyPolicy = (account: string) => ({
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "AccountAdministersKeyThroughIam",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: "kms:*",
      Resource: "*",
    },
  ],
});

describe("the plan role reads what a refresh reads, and no data", () => {
  const { names, table, dataKey, arn, stateObject, region } = environmentArns(STAGING);
  const plan = (action: string, resource: string, expected: Expected, context?: Row["context"]) =>
    ({ role: "plan", action, resource, expected, context }) as Row;
  check(STAGING, [
    plan(
      "secretsmanager:GetSecretValue",
      arn("secretsmanager", `secret:${names.name}/aurora/master-AbCdEf`),
      "Denied",
    ),
    plan("dynamodb:GetItem", table, "Denied"),
    plan("dynamodb:Query", table, "Denied"),
    plan("s3:GetObject", stateObject("dev"), "Denied"),
    plan("s3:GetObject", stateObject("staging"), "Allowed"),
    plan("kms:Decrypt", keyArn(STAGING.account, region, "state"), "Allowed", {
      "kms:ViaService": `s3.${region}.amazonaws.com`,
    }),
    plan("kms:Decrypt", dataKey, "Denied", {
      "kms:ViaService": `dynamodb.${region}.amazonaws.com`,
    }),
    plan("s3:ListBucket", `arn:aws:s3:::${names.stateBucket(region)}`, "Allowed", {
      "s3:prefix": "staging/",
    }),
  ]);
});

/** `resource.<type>` as `<type>`, `data.<type>` and `ephemeral.<type>` as written. */
function typesOfAdoptedReleases(m: Manifest): string[] {
  const releases = new Releases(REPO);
  const types = DOMAINS.flatMap((domain) => {
    const wanted = m.modules[domain];
    // `workspace` follows the source, which the latest release snapshots.
    const resolved =
      wanted === "workspace"
        ? { version: releases.versions(domain).at(-1)! }
        : resolveVersion(domain, wanted, releases);
    if (!("version" in resolved)) throw new Error(resolved.problem);
    const file = join(REPO, "modules", domain, "releases", resolved.version, "main.tf.json");
    const json = JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, unknown>>;
    return [
      ...Object.keys(json.resource ?? {}),
      ...Object.keys(json.data ?? {}).map((t) => `data.${t}`),
      ...Object.keys(json.ephemeral ?? {}).map((t) => `ephemeral.${t}`),
    ];
  });
  return [...new Set(types)].sort();
}

describe("the plan role makes every refresh read of the module releases each environment adopts", () => {
  const expectedRefusals: Record<string, string[]> = {
    dev: [],
    staging: [],
    // prod stays on database 1.2.0, whose master secret version only GetSecretValue refreshes.
    prod: ["aws_secretsmanager_secret_version secretsmanager:GetSecretValue"],
  };
  it.each([manifest("dev"), STAGING, PROD])("$name", async (m) => {
    const { names, table, dataKey, arn } = environmentArns(m);
    const reads = refreshReads({ arn, account: m.account, name: names.name, table, dataKey });
    const types = typesOfAdoptedReleases(m);
    expect(
      types.filter((t) => !(t in reads)),
      "types without their refresh reads",
    ).toEqual([]);
    const refused: string[] = [];
    for (const type of types) {
      for (const read of reads[type]!) {
        const verdict = await judge(m, { role: "plan", expected: "Allowed", ...read });
        if (verdict.decision !== "Allowed") refused.push(`${type} ${read.action}`);
      }
    }
    expect(refused).toEqual(expectedRefusals[m.name]);
  });
});

describe("the drill role: its lock and canary calls, through the table's key, and nothing else", () => {
  const { names, table, dataKey, region } = environmentArns(STAGING);
  const viaDynamoDb = {
    "kms:ViaService": `dynamodb.${region}.amazonaws.com`,
    "kms:ResourceAliases": [`alias/${names.name}-data`],
  };
  const drill = (action: string, resource: string, expected: Expected, context?: Row["context"]) =>
    ({ role: "drill", action, resource, expected, context }) as Row;
  check(STAGING, [
    drill("dynamodb:PutItem", table, "Allowed", { "dynamodb:LeadingKeys": [DRILL_LOCK_KEY] }),
    drill("dynamodb:DeleteItem", table, "Allowed", { "dynamodb:LeadingKeys": [DRILL_LOCK_KEY] }),
    drill("dynamodb:GetItem", table, "Allowed", { "dynamodb:LeadingKeys": [DRILL_LOCK_KEY] }),
    drill("dynamodb:GetItem", table, "Allowed", {
      "dynamodb:LeadingKeys": ["payment#tandem-drill-r1-canary-1"],
    }),
    drill("kms:Decrypt", dataKey, "Allowed", viaDynamoDb),
    drill("kms:GenerateDataKey", dataKey, "Allowed", viaDynamoDb),
    drill("dynamodb:PutItem", table, "Denied", { "dynamodb:LeadingKeys": ["payment#p-1"] }),
    drill("dynamodb:GetItem", table, "Denied", { "dynamodb:LeadingKeys": ["payment#p-1"] }),
    drill("dynamodb:Scan", table, "Denied"),
    drill("kms:Decrypt", dataKey, "Denied", {
      "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
    }),
    drill("kms:Decrypt", dataKey, "Denied"),
    drill("kms:Decrypt", keyArn(STAGING.account, region, "other"), "Denied", {
      "kms:ViaService": `dynamodb.${region}.amazonaws.com`,
      "kms:ResourceAliases": ["alias/another-table-key"],
    }),
  ]);
});

describe("the apply role cannot leave its boundary", () => {
  const account = PROD.account;
  const boundary = `arn:aws:iam::${account}:policy/tandem-prod-apply-boundary`;
  const workload = `arn:aws:iam::${account}:role/payments-prod-api`;
  const apply = (action: string, resource: string, expected: Expected, context?: Row["context"]) =>
    ({ role: "apply", action, resource, expected, context }) as Row;
  check(PROD, [
    apply("iam:CreateRole", workload, "Denied"),
    apply("iam:CreateRole", workload, "Allowed", { "iam:PermissionsBoundary": boundary }),
    apply("iam:CreateRole", workload, "Denied", {
      "iam:PermissionsBoundary": `arn:aws:iam::${account}:policy/wide-open`,
    }),
    apply("iam:AttachRolePolicy", workload, "Denied", {
      "iam:PolicyARN": "arn:aws:iam::aws:policy/AdministratorAccess",
    }),
    apply("iam:PutRolePolicy", workload, "Allowed", { "iam:PermissionsBoundary": boundary }),
    apply("iam:DeleteRolePermissionsBoundary", workload, "Denied"),
    apply("iam:PutRolePermissionsBoundary", workload, "Denied", {
      "iam:PermissionsBoundary": `arn:aws:iam::${account}:policy/wide-open`,
    }),
    apply("iam:CreatePolicyVersion", boundary, "Denied"),
    apply("iam:CreateUser", `arn:aws:iam::${account}:user/someone`, "Denied"),
    apply("iam:PutUserPolicy", `arn:aws:iam::${account}:user/someone`, "Denied"),
    apply("iam:UpdateAssumeRolePolicy", `arn:aws:iam::${account}:role/tandem-prod-plan`, "Denied"),
    apply(
      "dynamodb:CreateTable",
      `arn:aws:dynamodb:us-east-1:${account}:table/payments-prod-sessions`,
      "Allowed",
    ),
  ]);
});

describe("trust: a GitHub token's claims against each role's trust policy", () => {
  const repo = PROD.github.repository;
  const host = "token.actions.githubusercontent.com";
  /** The claims GitHub issues to a job of `repository` (default subject format). */
  const token = (over: Partial<Claims> & { context: string; workflow: string }): Claims => {
    const repository = over.repository ?? repo;
    return {
      aud: "sts.amazonaws.com",
      sub: `repo:${repository}:${over.context}`,
      repository,
      job_workflow_ref: `${repository}/.github/workflows/${over.workflow}`,
      ...over,
    };
  };
  const cases: [string, Kind, Claims, string[]][] = [
    [
      "prod plan: a pull request's plan job",
      "plan",
      token({ context: "pull_request", workflow: "plan.yml@refs/pull/7/merge" }),
      [],
    ],
    [
      "prod plan: the daily drift job on main",
      "plan",
      token({ context: "ref:refs/heads/main", workflow: "drift.yml@refs/heads/main" }),
      [],
    ],
    [
      "prod plan: another workflow a pull request adds",
      "plan",
      token({ context: "pull_request", workflow: "exfiltrate.yml@refs/pull/7/merge" }),
      [`StringLike ${host}:job_workflow_ref`],
    ],
    [
      "prod plan: another repository",
      "plan",
      token({
        repository: "someone/payments-infra",
        context: "pull_request",
        workflow: "plan.yml@refs/pull/7/merge",
      }),
      [`StringEquals ${host}:sub`, `StringLike ${host}:job_workflow_ref`],
    ],
    [
      "prod plan: a fork's pull_request (its own repository in the claims)",
      "plan",
      token({
        repository: "forker/payments-infra",
        context: "pull_request",
        workflow: "plan.yml@refs/pull/7/merge",
      }),
      [`StringEquals ${host}:sub`, `StringLike ${host}:job_workflow_ref`],
    ],
    [
      "prod plan: the immutable subject format",
      "plan",
      token({
        context: "pull_request",
        workflow: "plan.yml@refs/pull/7/merge",
        sub: `repo:${repo.replace("/", "@1001/")}@2002:pull_request`,
      }),
      [`StringEquals ${host}:sub`],
    ],
    [
      "prod plan: a custom subject template",
      "plan",
      token({
        context: "pull_request",
        workflow: "plan.yml@refs/pull/7/merge",
        sub: `repo:${repo}:context:pull_request:job_workflow_ref:${repo}/.github/workflows/plan.yml@refs/pull/7/merge`,
      }),
      [`StringEquals ${host}:sub`],
    ],
    [
      "prod plan: another audience",
      "plan",
      token({
        context: "pull_request",
        workflow: "plan.yml@refs/pull/7/merge",
        aud: "https://github.com/acme",
      }),
      [`StringEquals ${host}:aud`],
    ],
    [
      "prod apply: a job in the environment prod",
      "apply",
      token({ context: "environment:prod", workflow: "apply.yml@refs/heads/main" }),
      [],
    ],
    [
      "prod apply: a job in another environment",
      "apply",
      token({ context: "environment:staging", workflow: "apply.yml@refs/heads/main" }),
      [`StringEquals ${host}:sub`],
    ],
    [
      "prod apply: a pull request",
      "apply",
      token({ context: "pull_request", workflow: "apply.yml@refs/pull/7/merge" }),
      [`StringEquals ${host}:sub`],
    ],
    [
      "prod drill: a job in drill-prod",
      "drill",
      token({ context: "environment:drill-prod", workflow: "drill.yml@refs/heads/main" }),
      [],
    ],
    [
      "prod drill: a job in prod",
      "drill",
      token({ context: "environment:prod", workflow: "drill.yml@refs/heads/main" }),
      [`StringEquals ${host}:sub`],
    ],
  ];
  it.each(cases)("%s", (_, kind, claims, refusing) => {
    const started = performance.now();
    const answer = assume(rootOf(PROD), "prod", kind, claims);
    seen.push({
      row: `prod ${kind} AssumeRoleWithWebIdentity`,
      decision: answer.decision,
      ms: performance.now() - started,
    });
    expect(answer.refusing).toEqual(refusing);
    expect(answer.decision === "Allowed").toBe(refusing.length === 0);
  });

  it("a development plan role trusts any workflow of the repository's pull requests (no job_workflow_ref condition)", () => {
    const claims = token({
      repository: STAGING.github.repository,
      context: "pull_request",
      workflow: "other.yml@refs/pull/7/merge",
    });
    expect(assume(rootOf(STAGING), "staging", "plan", claims)).toEqual({
      decision: "Allowed",
      refusing: [],
    });
  });
});

describe("trust: the roles trust exactly the subject format the manifest names", () => {
  const host = "token.actions.githubusercontent.com";
  const repo = STAGING.github.repository;
  const withSubject = (github: Record<string, unknown>) =>
    manifestSchema.parse({
      ...(parse(readFileSync(join(REPO, "environments", "staging.yaml"), "utf8")) as object),
      github: { repository: repo, ...github },
    });
  const claims = (sub: string, workflow = "apply.yml@refs/heads/main"): Claims => ({
    aud: "sts.amazonaws.com",
    sub,
    job_workflow_ref: `${repo}/.github/workflows/${workflow}`,
  });
  const apply = (m: Manifest, token: Claims) =>
    assume(bootstrapRoots([m], TOOLCHAIN)[0]!, "staging", "apply", token);
  const defaultSub = `repo:${repo}:environment:staging`;
  const immutableSub = `repo:${repo.replace("/", "@1001/")}@2002:environment:staging`;
  const customSub = `repo:${repo}:environment:staging:job_workflow_ref:${repo}/.github/workflows/apply.yml@refs/heads/main`;
  const formats: [string, Record<string, unknown>, string, string[]][] = [
    [
      "immutable",
      { subject: "immutable", ownerId: "1001", repositoryId: "2002" },
      immutableSub,
      [defaultSub, customSub],
    ],
    [
      "custom",
      { subject: "custom", subjectClaims: ["repo", "context", "job_workflow_ref"] },
      customSub,
      [defaultSub, immutableSub],
    ],
    ["default", {}, defaultSub, [immutableSub, customSub]],
  ];
  it.each(formats)(
    "%s: its subject is trusted, the other formats' are refused by sub",
    (_, github, good, others) => {
      const m = withSubject(github);
      expect(apply(m, claims(good))).toEqual({ decision: "Allowed", refusing: [] });
      for (const sub of others) {
        expect(apply(m, claims(sub)).refusing, sub).toEqual([
          `${m.github.subject === "custom" ? "StringLike" : "StringEquals"} ${host}:sub`,
        ]);
      }
    },
  );

  it("custom with job_workflow_ref: another workflow of the repository is refused by sub", () => {
    const m = withSubject({
      subject: "custom",
      subjectClaims: ["repo", "context", "job_workflow_ref"],
    });
    const other = customSub.replace("apply.yml", "exfiltrate.yml");
    expect(apply(m, claims(other, "exfiltrate.yml@refs/heads/main")).refusing).toEqual([
      `StringLike ${host}:sub`,
    ]);
  });
});

afterAll(() => {
  const total = seen.reduce((sum, s) => sum + s.ms, 0);
  console.log(
    `iam: ${seen.length} calls evaluated, ${(total / seen.length).toFixed(2)} ms per call`,
  );
});
