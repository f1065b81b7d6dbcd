import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  bootstrapRoots,
  BootstrapConflict,
  PLAN_DENIED_DATA_READS,
  type BootstrapRoot,
} from "../src/compose/bootstrap.ts";
import { crossRegionNames } from "../src/compose/names.ts";
import { DRILL_LOCK_KEY } from "@tandem/module-kit/drill";
import { manifestSchema, type Manifest } from "../src/manifest/schema.ts";
import { REPO, TOOLCHAIN } from "./helpers.ts";

type Body = Record<string, unknown>;
type Statement = {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  NotResource?: string | string[];
  Principal?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
};

const manifest = (name: string, edit: (raw: Body) => void = () => {}): Manifest => {
  const raw = parse(readFileSync(join(REPO, "environments", `${name}.yaml`), "utf8")) as Body;
  edit(raw);
  return manifestSchema.parse(raw);
};
const EXAMPLES = ["dev", "staging", "prod"].map((name) => manifest(name));
const roots = (manifests = EXAMPLES) => bootstrapRoots(manifests, TOOLCHAIN);
const rootOf = (account: string, manifests = EXAMPLES) =>
  roots(manifests).find((r) => r.account === account)!;
const SHARED = rootOf("123456789012");

const resources = (root: BootstrapRoot, type: string) =>
  ((root.main.resource as Record<string, Record<string, Body>>)[type] ?? {}) as Record<
    string,
    Body
  >;
const resource = (root: BootstrapRoot, type: string, name: string) => {
  const found = resources(root, type)[name];
  if (!found) throw new Error(`no ${type}.${name}`);
  return found;
};
const statements = (json: unknown) =>
  (JSON.parse(json as string) as { Statement: Statement[] }).Statement;
const list = (value: string | string[] | undefined) =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];
const inlinePolicy = (root: BootstrapRoot, name: string) =>
  statements(resource(root, "aws_iam_role_policy", name).policy);
const trust = (root: BootstrapRoot, role: string) =>
  statements(resource(root, "aws_iam_role", role).assume_role_policy);
const allowed = (sts: Statement[]) =>
  sts.filter((s) => s.Effect === "Allow").flatMap((s) => list(s.Action));

describe("bootstrap roots: one per account", () => {
  it("puts dev and staging (one account) in one root, prod in its own, under bootstrap/<account>", () => {
    expect(roots().map((r) => [r.path, r.environments])).toEqual([
      ["bootstrap/123456789012", ["dev", "staging"]],
      ["bootstrap/210987654321", ["prod"]],
    ]);
  });

  it("keeps local state: no backend block; required_version apart in versions.tf.json", () => {
    for (const root of roots()) {
      expect(root.main.terraform).toEqual({
        required_providers: { aws: { source: "hashicorp/aws", version: "5.100.0" } },
      });
      expect(root.versions).toEqual({ terraform: { required_version: TOOLCHAIN.requiredVersion } });
    }
  });

  it("has one aliased provider per region any environment of the account uses, pinned to the account", () => {
    const providers = (SHARED.main.provider as { aws: Body[] }).aws;
    expect(providers).toEqual(
      ["us-east-1", "us-east-2", "us-west-2"].map((region) => ({
        alias: region.replace(/-/g, "_"),
        region,
        allowed_account_ids: ["123456789012"],
        default_tags: { tags: { ManagedBy: "tandem", TandemDeployment: "bootstrap" } },
      })),
    );
  });

  it("adds a region that only one environment of the account uses", () => {
    const qa = manifest("dev", (raw) => {
      raw.name = "qa";
      raw.regions = { primary: "eu-west-1", secondary: "us-west-2" };
      raw.networking = { cidrs: { "eu-west-1": "10.50.0.0/16", "us-west-2": "10.51.0.0/16" } };
    });
    const root = rootOf("123456789012", [...EXAMPLES, qa]);
    const regions = (root.main.provider as { aws: Body[] }).aws.map((p) => p.region);
    expect(regions).toEqual(["eu-west-1", "us-east-1", "us-east-2", "us-west-2"]);
    expect(resource(root, "aws_s3_bucket", "state_eu_west_1").provider).toBe("aws.eu_west_1");
  });

  it("gives every resource an explicit provider of a region of the root", () => {
    for (const root of roots()) {
      const aliases = (root.main.provider as { aws: Body[] }).aws.map((p) => `aws.${p.alias}`);
      for (const [type, byName] of Object.entries(
        root.main.resource as Record<string, Record<string, Body>>,
      ))
        for (const [name, body] of Object.entries(byName))
          expect(aliases, `${type}.${name}`).toContain(body.provider);
    }
  });
});

describe("state buckets", () => {
  // dev runs in us-east-2 and us-west-2, staging in us-east-1 and us-west-2: one account.
  const regions = ["us-east-1", "us-east-2", "us-west-2"];
  const users = { "us-east-1": ["staging"], "us-east-2": ["dev"], "us-west-2": ["dev", "staging"] };
  const id = (region: string) => `state_${region.replace(/-/g, "_")}`;

  it("are named as the roots' backends name them, one per region, in that region", () => {
    const names = crossRegionNames(EXAMPLES[0]!);
    for (const region of regions) {
      const bucket = resource(SHARED, "aws_s3_bucket", id(region));
      expect(bucket.bucket).toBe(names.stateBucket(region));
      expect(bucket.provider).toBe(`aws.${id(region).slice("state_".length)}`);
      expect(bucket.force_destroy).toBe(false);
    }
    expect(Object.keys(resources(SHARED, "aws_s3_bucket"))).toEqual(regions.map(id));
  });

  it("honour state.buckets overrides", () => {
    const custom = manifest("prod", (raw) => {
      raw.state = { buckets: { "us-east-1": "acme-state-use1", "us-west-2": "acme-state-usw2" } };
    });
    const root = rootOf("210987654321", [custom]);
    expect(resource(root, "aws_s3_bucket", "state_us_east_1").bucket).toBe("acme-state-use1");
    expect(resource(root, "aws_s3_bucket", "state_us_west_2").bucket).toBe("acme-state-usw2");
  });

  it("keeps two buckets of one region apart when two environments name different ones", () => {
    const own = manifest("dev", (raw) => {
      raw.state = { buckets: { "us-east-2": "dev-state-use2", "us-west-2": "dev-state-usw2" } };
    });
    const root = rootOf("123456789012", [own, EXAMPLES[1]!]);
    const names = Object.values(resources(root, "aws_s3_bucket")).map((b) => b.bucket);
    expect(names.sort()).toEqual([
      "dev-state-use2",
      "dev-state-usw2",
      "tandem-tfstate-123456789012-us-east-1",
      "tandem-tfstate-123456789012-us-west-2",
    ]);
    expect(Object.keys(resources(root, "aws_s3_bucket")).sort()).toEqual([
      "state_us_east_1",
      "state_us_east_2",
      "state_us_west_2_dev_state_usw2",
      "state_us_west_2_tandem_tfstate_123456789012_us_west_2",
    ]);
  });

  it.each(regions)("in %s: versioning on", (region) => {
    const versioning = resource(SHARED, "aws_s3_bucket_versioning", id(region));
    expect(versioning.bucket).toBe(`\${aws_s3_bucket.${id(region)}.id}`);
    expect(versioning.versioning_configuration).toEqual({ status: "Enabled" });
  });

  it.each(regions)("in %s: SSE-KMS with that region's own key, rotation on", (region) => {
    const sse = resource(SHARED, "aws_s3_bucket_server_side_encryption_configuration", id(region));
    expect(sse.bucket).toBe(`\${aws_s3_bucket.${id(region)}.id}`);
    expect(sse.rule).toEqual({
      apply_server_side_encryption_by_default: {
        sse_algorithm: "aws:kms",
        kms_master_key_id: `\${aws_kms_key.${id(region)}.arn}`,
      },
      bucket_key_enabled: true,
    });
    const key = resource(SHARED, "aws_kms_key", id(region));
    expect(key.enable_key_rotation).toBe(true);
    expect(key.provider).toBe(sse.provider);
    const policy = statements(key.policy);
    expect(policy.every((s) => s.Principal !== "*")).toBe(true);
  });

  it.each(regions)("in %s: all four public access blocks and BucketOwnerEnforced", (region) => {
    expect(resource(SHARED, "aws_s3_bucket_public_access_block", id(region))).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(resource(SHARED, "aws_s3_bucket_ownership_controls", id(region)).rule).toEqual({
      object_ownership: "BucketOwnerEnforced",
    });
  });

  it.each(regions)("in %s: the bucket policy refuses any request without TLS", (region) => {
    const bucket = crossRegionNames(EXAMPLES[0]!).stateBucket(region);
    const policy = statements(resource(SHARED, "aws_s3_bucket_policy", id(region)).policy);
    expect(policy).toContainEqual({
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
  });

  it.each(regions)(
    "in %s: each environment's roles reach only that environment's keys",
    (region) => {
      const bucket = crossRegionNames(EXAMPLES[0]!).stateBucket(region);
      const policy = statements(resource(SHARED, "aws_s3_bucket_policy", id(region)).policy);
      const fences = policy.filter((s) => s.Sid !== "DenyInsecureTransport");
      expect(fences).toHaveLength(users[region as keyof typeof users].length);
      for (const env of users[region as keyof typeof users]) {
        const fence = policy.find(
          (s) =>
            s.Effect === "Deny" &&
            list(s.Condition?.ArnEquals?.["aws:PrincipalArn"] as string[]).includes(
              `arn:aws:iam::123456789012:role/tandem-${env}-apply`,
            ),
        );
        expect(fence, env).toBeDefined();
        expect(fence!.NotResource).toEqual([
          `arn:aws:s3:::${bucket}`,
          `arn:aws:s3:::${bucket}/${env}/*`,
        ]);
        expect(list(fence!.Action)).toEqual(
          expect.arrayContaining(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]),
        );
      }
    },
  );

  it.each(regions)("in %s: old state versions expire, unfinished uploads are aborted", (region) => {
    const lifecycle = resource(SHARED, "aws_s3_bucket_lifecycle_configuration", id(region));
    const rule = lifecycle.rule as Body;
    expect(rule.status).toBe("Enabled");
    expect(rule.filter).toEqual({ prefix: "" });
    expect(rule.noncurrent_version_expiration).toEqual({ noncurrent_days: 90 });
    expect(rule.abort_incomplete_multipart_upload).toEqual({ days_after_initiation: 7 });
  });
});

describe("GitHub OIDC provider", () => {
  it("is created once per account for token.actions.githubusercontent.com, audience sts.amazonaws.com", () => {
    expect(resources(SHARED, "aws_iam_openid_connect_provider")).toEqual({
      github: {
        provider: "aws.us_east_1",
        url: "https://token.actions.githubusercontent.com",
        client_id_list: ["sts.amazonaws.com"],
      },
    });
  });

  it("is read by ARN, not created, when the manifest names an existing one", () => {
    const arn = "arn:aws:iam::210987654321:oidc-provider/token.actions.githubusercontent.com";
    const prod = manifest("prod", (raw) => {
      (raw.github as Body).oidcProviderArn = arn;
    });
    const root = rootOf("210987654321", [prod]);
    expect(resources(root, "aws_iam_openid_connect_provider")).toEqual({});
    expect(root.main.data).toEqual({
      aws_iam_openid_connect_provider: { github: { provider: "aws.us_east_1", arn } },
    });
    expect(trust(root, "prod_plan")[0]!.Principal).toEqual({
      Federated: "${data.aws_iam_openid_connect_provider.github.arn}",
    });
  });

  it("refuses two different existing providers for one account", () => {
    const withArn = (name: string, account: string) =>
      manifest(name, (raw) => {
        (raw.github as Body).oidcProviderArn =
          `arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`;
      });
    expect(() =>
      roots([withArn("dev", "123456789012"), withArn("staging", "123456789013")]),
    ).toThrow(BootstrapConflict);
  });
});

describe("roles: trust", () => {
  const subjects = {
    plan: [
      "repo:acme-payments/payments-infra:pull_request",
      "repo:acme-payments/payments-infra:ref:refs/heads/main",
    ],
    apply: ["repo:acme-payments/payments-infra:environment:staging"],
    drill: ["repo:acme-payments/payments-infra:environment:drill-staging"],
  };

  it.each(Object.entries(subjects))(
    "%s trusts exactly its subjects (StringEquals, no wildcard), audience sts.amazonaws.com",
    (kind, sub) => {
      const role = resource(SHARED, "aws_iam_role", `staging_${kind}`);
      expect(role.name).toBe(`tandem-staging-${kind}`);
      expect(statements(role.assume_role_policy)).toEqual([
        {
          Effect: "Allow",
          Principal: { Federated: "${aws_iam_openid_connect_provider.github.arn}" },
          Action: "sts:AssumeRoleWithWebIdentity",
          Condition: {
            StringEquals: {
              "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
              "token.actions.githubusercontent.com:sub": sub,
            },
          },
        },
      ]);
    },
  );

  it("names every role tandem-<env>-<plan|apply|drill> for each environment of the account", () => {
    const names = Object.values(resources(SHARED, "aws_iam_role")).map((r) => r.name);
    expect(names.sort()).toEqual(
      ["dev", "staging"].flatMap((e) => ["apply", "drill", "plan"].map((k) => `tandem-${e}-${k}`)),
    );
  });

  it("takes the repository from the manifest", () => {
    const fork = manifest("prod", (raw) => {
      raw.github = { repository: "other-org/infra" };
    });
    const root = rootOf("210987654321", [fork]);
    const sub = trust(root, "prod_apply")[0]!.Condition!.StringEquals![
      "token.actions.githubusercontent.com:sub"
    ];
    expect(sub).toEqual(["repo:other-org/infra:environment:prod"]);
  });
});

describe("plan role: read-only, no data, its own state and lock file", () => {
  const plan = inlinePolicy(SHARED, "staging_plan_state");
  const buckets = ["us-east-1", "us-west-2"].map(
    (r) => `arn:aws:s3:::tandem-tfstate-123456789012-${r}`,
  );

  it("attaches ReadOnlyAccess and nothing broader", () => {
    const attached = Object.values(resources(SHARED, "aws_iam_role_policy_attachment"))
      .filter((a) => a.role === "${aws_iam_role.staging_plan.name}")
      .map((a) => a.policy_arn);
    expect(attached).toEqual(["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
  });

  it("reads state only under <env>/ and may write no object, not even a lock file (plans take none)", () => {
    const byAction = (action: string, effect = "Allow") =>
      plan
        .filter((s) => s.Effect === effect && list(s.Action).includes(action))
        .flatMap((s) => list(s.Resource));
    expect(byAction("s3:GetObject")).toEqual(buckets.map((b) => `${b}/staging/*`));
    expect(byAction("s3:PutObject")).toEqual([]);
    expect(byAction("s3:DeleteObject")).toEqual([]);
    expect(byAction("s3:PutObject", "Deny")).toEqual(buckets.map((b) => `${b}/*`));
    expect(byAction("s3:DeleteObject", "Deny")).toEqual(buckets.map((b) => `${b}/*`));
    const list_ = plan.find((s) => list(s.Action).includes("s3:ListBucket"))!;
    expect(list_.Condition).toEqual({ StringLike: { "s3:prefix": ["staging/*"] } });
  });

  it("denies every object outside its state keys, whatever ReadOnlyAccess allows", () => {
    const deny = plan.find((s) => s.Effect === "Deny" && list(s.Action).includes("s3:GetObject"))!;
    expect(deny.NotResource).toEqual(buckets.map((b) => `${b}/staging/*`));
    expect(deny.Resource).toBeUndefined();
  });

  it("denies secret values, table items, log lines and messages", () => {
    const denied = plan
      .filter((s) => s.Effect === "Deny" && s.Resource === "*")
      .flatMap((s) => list(s.Action));
    for (const action of [
      "secretsmanager:GetSecretValue",
      "dynamodb:Scan",
      "dynamodb:GetItem",
      "logs:GetLogEvents",
      "sqs:ReceiveMessage",
    ])
      expect(denied).toContain(action);
    expect(denied).toEqual(PLAN_DENIED_DATA_READS);
  });

  it("decrypts only with the state keys, only through S3", () => {
    const keys = ["${aws_kms_key.state_us_east_1.arn}", "${aws_kms_key.state_us_west_2.arn}"];
    const use = plan.find((s) => s.Effect === "Allow" && list(s.Action).includes("kms:Decrypt"))!;
    expect(use.Resource).toEqual(keys);
    expect(use.Condition).toEqual({
      StringEquals: {
        "kms:ViaService": ["s3.us-east-1.amazonaws.com", "s3.us-west-2.amazonaws.com"],
      },
    });
    const deny = plan.find((s) => s.Effect === "Deny" && list(s.Action).includes("kms:Decrypt"))!;
    expect(deny.NotResource).toEqual(keys);
  });

  it("allows no wildcard action", () => {
    for (const action of allowed(plan)) expect(action).not.toMatch(/\*/);
  });
});

describe("apply role: administrator, fenced by a permissions boundary", () => {
  const boundary = statements(resource(SHARED, "aws_iam_policy", "staging_apply_boundary").policy);

  it("has AdministratorAccess and the boundary, and a session long enough for a full apply", () => {
    const role = resource(SHARED, "aws_iam_role", "staging_apply");
    expect(role.permissions_boundary).toBe("${aws_iam_policy.staging_apply_boundary.arn}");
    expect(role.max_session_duration).toBe(14400);
    expect(
      resource(SHARED, "aws_iam_role_policy_attachment", "staging_apply_administrator").policy_arn,
    ).toBe("arn:aws:iam::aws:policy/AdministratorAccess");
  });

  it("cannot touch the bootstrap's roles, policies and OIDC provider, nor mint users or keys", () => {
    const iam = boundary.find((s) => s.Sid === "NotTheBootstrapIdentities")!;
    expect(iam).toMatchObject({ Effect: "Deny", Action: "iam:*" });
    expect(iam.Resource).toEqual([
      "arn:aws:iam::123456789012:role/tandem-*",
      "arn:aws:iam::123456789012:policy/tandem-*",
      "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com",
    ]);
    const users = boundary.find((s) => s.Sid === "NoLongLivedCredentials")!;
    expect(list(users.Action)).toEqual(
      expect.arrayContaining(["iam:CreateUser", "iam:CreateAccessKey"]),
    );
  });

  it("cannot reconfigure or delete any state bucket of the account, nor its keys", () => {
    const s3 = boundary.find((s) => s.Sid === "NotTheStateBuckets")!;
    expect(s3.Effect).toBe("Deny");
    expect(list(s3.Action)).toEqual(
      expect.arrayContaining([
        "s3:DeleteBucket",
        "s3:PutBucketPolicy",
        "s3:PutBucketVersioning",
        "s3:PutLifecycleConfiguration",
      ]),
    );
    expect(s3.Resource).toEqual(
      ["us-east-1", "us-east-2", "us-west-2"].map(
        (r) => `arn:aws:s3:::tandem-tfstate-123456789012-${r}`,
      ),
    );
    const kms = boundary.find((s) => s.Sid === "NotTheStateKeys")!;
    expect(list(kms.Action)).toEqual(
      expect.arrayContaining(["kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"]),
    );
  });
});

describe("drill role: only what the drill does", () => {
  const drill = (m: Manifest) => inlinePolicy(rootOf(m.account, [m]), `${m.name}_drill_drill`);
  const prod = EXAMPLES[2]!;

  it("allows exactly these actions for a switchover drill", () => {
    expect(new Set(allowed(drill(prod)))).toEqual(
      new Set([
        "ssm:GetParameter",
        "ssm:PutParameter",
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "rds:SwitchoverGlobalCluster",
        "route53:GetHealthCheckStatus",
        "route53:ListTagsForResources",
        "route53:ListHealthChecks",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "kms:Decrypt",
        "kms:GenerateDataKey",
      ]),
    );
  });

  it("may fail over only when the manifest's drill mode is failover", () => {
    expect(allowed(drill(prod))).not.toContain("rds:FailoverGlobalCluster");
    const failover = manifest("staging", (raw) => {
      (raw.drill as Body).mode = "failover";
    });
    expect(allowed(drill(failover))).toContain("rds:FailoverGlobalCluster");
  });

  it("flips the compute module's drill flag, named as the pinned release names it, in both regions", () => {
    const version = readFileSync(join(REPO, "environments", "prod.yaml"), "utf8").match(
      /compute: (\S+)/,
    )![1]!;
    const release = JSON.parse(
      readFileSync(join(REPO, "modules/compute/releases", version, "main.tf.json"), "utf8"),
    ) as { resource: { aws_ssm_parameter: { drill: { name: string } } } };
    const flag = release.resource.aws_ssm_parameter.drill.name.replace(
      "${var.name}",
      crossRegionNames(prod).name,
    );
    const granted = drill(prod).find((s) => s.Sid === "DrillFlag")!;
    const pattern = (arn: string) =>
      new RegExp(`^${arn.replace(/[.]/g, "\\.").replace(/\*/g, ".*")}$`);
    for (const region of ["us-east-1", "us-west-2"]) {
      const arn = `arn:aws:ssm:${region}:210987654321:parameter${flag}`;
      expect(
        list(granted.Resource).some((r) => pattern(r).test(arn)),
        arn,
      ).toBe(true);
    }
    for (const r of list(granted.Resource))
      expect(r).toMatch(/^arn:aws:ssm:[a-z0-9-]+:210987654321:parameter\/payments-prod\/drill\//);
  });

  it("writes and deletes only the drill lock item of the environment's table", () => {
    const table = crossRegionNames(prod).tableName;
    const sts = drill(prod);
    const tables = ["us-east-1", "us-west-2"].map(
      (r) => `arn:aws:dynamodb:${r}:210987654321:table/${table}`,
    );
    for (const s of sts.filter((s) => list(s.Action).some((a) => a.startsWith("dynamodb:"))))
      expect(s.Resource).toEqual(tables);
    const writes = sts.filter((s) =>
      list(s.Action).some((a) => a === "dynamodb:DeleteItem" || a === "dynamodb:PutItem"),
    );
    expect(writes).toHaveLength(1);
    expect(writes[0]!.Condition).toEqual({
      "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [DRILL_LOCK_KEY] },
      Null: { "dynamodb:LeadingKeys": "false" },
    });
    expect(DRILL_LOCK_KEY).toBe("drill#lock");
  });

  it("allows no wildcard action, and a wildcard resource only for APIs without resource-level permissions", () => {
    const sts = drill(prod);
    for (const action of allowed(sts)) expect(action).not.toMatch(/\*/);
    const anywhere = sts.filter((s) => s.Resource === "*").flatMap((s) => list(s.Action));
    expect(anywhere.sort()).toEqual([
      "cloudwatch:GetMetricData",
      "cloudwatch:GetMetricStatistics",
      "route53:ListHealthChecks",
    ]);
  });
});
