/**
 * The bootstrap root of one AWS account: what every other root needs before its first init.
 * The state buckets and the GitHub OIDC provider exist once per account, so environments that
 * share an account share one bootstrap root, with local state, applied once with admin
 * credentials. Plain Terraform JSON: no cdktf, readable addresses.
 */
import { basename } from "node:path";
import { canonicalJson } from "@tandem/module-kit/canonical-json";
import { DRILL_CANARY_KEY_PREFIX, DRILL_LOCK_KEY } from "@tandem/module-kit/drill";
import { environmentFiles } from "../environments.ts";
import { CompositionError, ManifestProblems } from "../errors.ts";
import { loadEnvironments, type Environment } from "../manifest/index.ts";
import type { Manifest } from "../manifest/schema.ts";
import type { Toolchain } from "../toolchain.ts";
import { crossRegionNames, STATE_KEY_ALIAS } from "./names.ts";

export interface BootstrapRoot {
  readonly account: string;
  /** Relative to dist/: `bootstrap/<account>`. */
  readonly path: string;
  readonly environments: string[];
  /** main.tf.json: everything but `terraform.required_version`. */
  readonly main: Record<string, unknown>;
  /** versions.tf.json: `terraform.required_version`, apart because checkov cannot parse it. */
  readonly versions: Record<string, unknown>;
  /** `.terraform.lock.hcl`: the committed lock of the account's first environment, when given. */
  readonly providerLock?: string;
}

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const STS_AUDIENCE = "sts.amazonaws.com";
/** The S3 backend writes `<key>.tflock` beside the state with `use_lockfile = true`. */
export const NONCURRENT_STATE_DAYS = 90;
export const ABORT_MULTIPART_DAYS = 7;
/** An apply of both regional roots and the global one can outlast the default hour. */
export const APPLY_SESSION_SECONDS = 4 * 3600;

/**
 * What AWS's ReadOnlyAccess would let pull-request code read of the data itself (items, objects,
 * secrets, log lines, messages), denied on the plan role. Refreshing resources needs none of it.
 */
export const PLAN_DENIED_DATA_READS = [
  "athena:GetQueryResults",
  "dynamodb:BatchGetItem",
  "dynamodb:GetItem",
  "dynamodb:GetRecords",
  "dynamodb:Query",
  "dynamodb:Scan",
  "kinesis:GetRecords",
  "logs:FilterLogEvents",
  "logs:GetLogEvents",
  "logs:GetQueryResults",
  "logs:StartLiveTail",
  "logs:StartQuery",
  "rds:DownloadCompleteDBLogFile",
  "rds:DownloadDBLogFilePortion",
  "secretsmanager:BatchGetSecretValue",
  "secretsmanager:GetSecretValue",
  "sqs:ReceiveMessage",
];

type Resources = Record<string, Record<string, Record<string, unknown>>>;
type Statement = Record<string, unknown>;

export const bootstrapPath = (account: string) => `bootstrap/${account}`;
export const roleName = (env: string, kind: "plan" | "apply" | "drill") => `tandem-${env}-${kind}`;
export const roleArn = (account: string, env: string, kind: "plan" | "apply" | "drill") =>
  `arn:aws:iam::${account}:role/${roleName(env, kind)}`;

/** `us-east-1` -> `us_east_1`: a Terraform name and provider alias. */
const ident = (text: string) => text.replace(/[^A-Za-z0-9_]/g, "_");
const policy = (statements: Statement[]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: statements });
const bucketArn = (bucket: string) => `arn:aws:s3:::${bucket}`;

/**
 * One bootstrap root per account, environments in name order; `locks` are the environments'
 * committed provider locks by name (they all lock the one version the account's manifests pin).
 */
export function bootstrapRoots(
  manifests: Manifest[],
  toolchain: Toolchain,
  locks: ReadonlyMap<string, string> = new Map(),
): BootstrapRoot[] {
  const accounts = [...new Set(manifests.map((m) => m.account))].sort();
  return accounts.map((account) => {
    const members = manifests
      .filter((m) => m.account === account)
      .sort((a, b) => a.name.localeCompare(b.name));
    const root = accountRoot(account, members, toolchain);
    const lock = members.map((m) => locks.get(m.name)).find((text) => text !== undefined);
    return lock === undefined ? root : { ...root, providerLock: lock };
  });
}

/**
 * The one hashicorp/aws version of an account's bootstrap root: every environment of the
 * account must pin the same, or the root would have two versions to satisfy.
 */
function accountProvider(account: string, manifests: Manifest[], toolchain: Toolchain) {
  const pins = [...new Set(manifests.map((m) => m.toolchain.aws))];
  if (pins.length > 1) {
    const each = manifests.map((m) => `${m.name} ${m.toolchain.aws}`).join(", ");
    throw new CompositionError(
      `account ${account}: its bootstrap root serves ${manifests.map((m) => m.name).join(", ")} with one hashicorp/aws, but toolchain.aws differs (${each}): bump every environment of the account together, in one pull request of its own`,
    );
  }
  return { source: toolchain.awsProvider.source, version: pins[0]! };
}

interface StateBucket {
  region: string;
  bucket: string;
  /** Terraform name of the bucket's resources: `state_<region>`, plus the bucket when a region has several. */
  id: string;
  environments: string[];
}

/** Every state bucket the account's environments name, with who keeps state in it. */
export function stateBuckets(manifests: Manifest[]): StateBucket[] {
  const found = new Map<string, StateBucket>();
  for (const manifest of manifests) {
    const names = crossRegionNames(manifest);
    for (const region of [manifest.regions.primary, manifest.regions.secondary]) {
      const bucket = names.stateBucket(region);
      const key = `${region} ${bucket}`;
      const entry = found.get(key) ?? { region, bucket, id: "", environments: [] };
      entry.environments.push(manifest.name);
      found.set(key, entry);
    }
  }
  const all = [...found.values()].sort((a, b) =>
    `${a.region} ${a.bucket}`.localeCompare(`${b.region} ${b.bucket}`),
  );
  for (const entry of all) {
    const shared = all.filter((e) => e.region === entry.region).length > 1;
    entry.id = `state_${ident(entry.region)}${shared ? `_${ident(entry.bucket)}` : ""}`;
  }
  return all;
}

function accountRoot(account: string, manifests: Manifest[], toolchain: Toolchain): BootstrapRoot {
  const buckets = stateBuckets(manifests);
  const regions = [...new Set(buckets.map((b) => b.region))].sort();
  // IAM is global; its API lives in us-east-1, so use that provider when the account has one.
  const iamRegion = regions.includes("us-east-1") ? "us-east-1" : regions[0]!;
  const iamProvider = `aws.${ident(iamRegion)}`;
  const resources: Resources = {};
  const add = (type: string, name: string, body: Record<string, unknown>) => {
    (resources[type] ??= {})[name] = body;
  };
  for (const region of regions) stateKey(add, account, region);
  for (const bucket of buckets) stateBucket(add, bucket, account);
  const oidc = oidcProvider(add, account, manifests, iamProvider);
  for (const manifest of manifests) {
    const own = buckets.filter((b) => b.environments.includes(manifest.name));
    environmentRoles(add, manifest, { oidc, provider: iamProvider, buckets: own, all: buckets });
  }
  const main: Record<string, unknown> = {
    terraform: { required_providers: { aws: accountProvider(account, manifests, toolchain) } },
    provider: { aws: regions.map((region) => providerFor(account, region)) },
    resource: resources,
    output: outputs(manifests, buckets, regions, oidc),
  };
  if (!oidc.managed) main.data = oidc.data;
  return {
    account,
    path: bootstrapPath(account),
    environments: manifests.map((m) => m.name),
    main,
    versions: { terraform: { required_version: toolchain.requiredVersion } },
  };
}

function providerFor(account: string, region: string) {
  return {
    alias: ident(region),
    region,
    allowed_account_ids: [account],
    default_tags: { tags: { ManagedBy: "tandem", TandemDeployment: "bootstrap" } },
  };
}

type Add = (type: string, name: string, body: Record<string, unknown>) => void;

/**
 * A customer managed key per region, rotated yearly: unlike the aws/s3 key, its policy and IAM
 * decide who may decrypt state (which holds every resource's attributes), and each use is
 * logged against it.
 */
function stateKey(add: Add, account: string, region: string) {
  const name = `state_${ident(region)}`;
  const provider = `aws.${ident(region)}`;
  add("aws_kms_key", name, {
    provider,
    description: `Terraform state of every Tandem environment of account ${account} in ${region}`,
    enable_key_rotation: true,
    deletion_window_in_days: 30,
    policy: policy([
      {
        Sid: "DelegateToIam",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: "kms:*",
        Resource: "*",
      },
    ]),
  });
  add("aws_kms_alias", name, {
    provider,
    name: STATE_KEY_ALIAS,
    target_key_id: `\${aws_kms_key.${name}.key_id}`,
  });
}

function stateBucket(add: Add, state: StateBucket, account: string) {
  const { id } = state;
  const provider = `aws.${ident(state.region)}`;
  const bucket = `\${aws_s3_bucket.${id}.id}`;
  add("aws_s3_bucket", id, { provider, bucket: state.bucket, force_destroy: false });
  add("aws_s3_bucket_ownership_controls", id, {
    provider,
    bucket,
    rule: { object_ownership: "BucketOwnerEnforced" },
  });
  add("aws_s3_bucket_public_access_block", id, {
    provider,
    bucket,
    block_public_acls: true,
    block_public_policy: true,
    ignore_public_acls: true,
    restrict_public_buckets: true,
  });
  add("aws_s3_bucket_versioning", id, {
    provider,
    bucket,
    versioning_configuration: { status: "Enabled" },
  });
  add("aws_s3_bucket_server_side_encryption_configuration", id, {
    provider,
    bucket,
    rule: {
      apply_server_side_encryption_by_default: {
        sse_algorithm: "aws:kms",
        kms_master_key_id: `\${aws_kms_key.state_${ident(state.region)}.arn}`,
      },
      bucket_key_enabled: true,
    },
  });
  add("aws_s3_bucket_lifecycle_configuration", id, {
    provider,
    bucket,
    rule: {
      id: "state-history",
      status: "Enabled",
      filter: { prefix: "" },
      noncurrent_version_expiration: { noncurrent_days: NONCURRENT_STATE_DAYS },
      abort_incomplete_multipart_upload: { days_after_initiation: ABORT_MULTIPART_DAYS },
    },
    depends_on: [`aws_s3_bucket_versioning.${id}`],
  });
  add("aws_s3_bucket_policy", id, {
    provider,
    bucket,
    policy: policy(bucketPolicy(state, account)),
    // A policy written before the public access block may be judged public and refused.
    depends_on: [`aws_s3_bucket_public_access_block.${id}`],
  });
}

/** TLS only, and each environment's roles touch only that environment's keys. */
function bucketPolicy(state: StateBucket, account: string): Statement[] {
  const arn = bucketArn(state.bucket);
  return [
    {
      Sid: "DenyInsecureTransport",
      Effect: "Deny",
      Principal: "*",
      Action: "s3:*",
      Resource: [arn, `${arn}/*`],
      Condition: { Bool: { "aws:SecureTransport": "false" } },
    },
    ...state.environments.map((env) => ({
      Sid: `Only${ident(env).replace(/_/g, "")}Keys`,
      Effect: "Deny",
      Principal: "*",
      Action: ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"],
      NotResource: [arn, `${arn}/${env}/*`],
      Condition: {
        ArnEquals: {
          "aws:PrincipalArn": (["plan", "apply", "drill"] as const).map((kind) =>
            roleArn(account, env, kind),
          ),
        },
      },
    })),
  ];
}

interface Oidc {
  managed: boolean;
  /** The provider's ARN as a Terraform expression or a literal. */
  arn: string;
  data?: Record<string, unknown>;
}

/** GitHub's provider, created here unless a manifest of the account names an existing one. */
function oidcProvider(add: Add, account: string, manifests: Manifest[], provider: string): Oidc {
  const given = [...new Set(manifests.flatMap((m) => m.github.oidcProviderArn ?? []))];
  if (given.length > 1) {
    throw new BootstrapConflict(
      `environments of account ${account} name different github.oidcProviderArn values (${given.join(", ")}): an account has one GitHub OIDC provider`,
    );
  }
  if (given.length === 1) {
    // Read, not managed: the data source fails the plan if the ARN does not exist.
    return {
      managed: false,
      arn: "${data.aws_iam_openid_connect_provider.github.arn}",
      data: { aws_iam_openid_connect_provider: { github: { provider, arn: given[0] } } },
    };
  }
  add("aws_iam_openid_connect_provider", "github", {
    provider,
    url: `https://${GITHUB_OIDC_HOST}`,
    client_id_list: [STS_AUDIENCE],
  });
  return { managed: true, arn: "${aws_iam_openid_connect_provider.github.arn}" };
}

/** Two environments of one account disagree on something the account has once. */
export class BootstrapConflict extends CompositionError {}

/** The `sub` values a role trusts; patterns when a claim in them varies (`job_workflow_ref`). */
interface Subjects {
  values: string[];
  exact: boolean;
}

/**
 * Trusts GitHub's token for exactly the given subjects of the repository, for STS only, and
 * when `workflows` is given only for jobs of those workflows.
 */
export function githubTrust(oidcArn: string, subjects: Subjects, workflows?: string[]) {
  const claim = (name: string) => `${GITHUB_OIDC_HOST}:${name}`;
  const like = {
    ...(!subjects.exact && { [claim("sub")]: subjects.values }),
    ...(workflows && { [claim("job_workflow_ref")]: workflows }),
  };
  return policy([
    {
      Effect: "Allow",
      Principal: { Federated: oidcArn },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: {
        StringEquals: {
          [claim("aud")]: STS_AUDIENCE,
          ...(subjects.exact && { [claim("sub")]: subjects.values }),
        },
        ...(Object.keys(like).length > 0 && { StringLike: like }),
      },
    },
  ]);
}

/** `job_workflow_ref` of any run of one of the repository's workflows. */
const workflowRefs = (repository: string, files: string[]) =>
  files.map((file) => `${repository}/.github/workflows/${file}@*`);

/**
 * The `sub` claim of the repository's jobs in each context (`pull_request`, `ref:refs/heads/main`,
 * `environment:<name>`), in the subject format the manifest names.
 */
export function githubSubjects(
  gh: Manifest["github"],
  contexts: string[],
  workflows: string[],
): Subjects {
  const [owner, name] = gh.repository.split("/") as [string, string];
  if (gh.subject === "default")
    return { values: contexts.map((c) => `repo:${gh.repository}:${c}`), exact: true };
  if (gh.subject === "immutable") {
    const repo = `${owner}@${gh.ownerId}/${name}@${gh.repositoryId}`;
    return { values: contexts.map((c) => `repo:${repo}:${c}`), exact: true };
  }
  const claims = gh.subjectClaims ?? [];
  const refs = claims.includes("job_workflow_ref") ? workflowRefs(gh.repository, workflows) : [""];
  const render = (context: string, ref: string) =>
    claims
      .map((key) => {
        const value: Record<(typeof claims)[number], string> = {
          repo: gh.repository,
          context,
          repository: gh.repository,
          repository_owner: owner,
          repository_owner_id: gh.ownerId ?? "",
          repository_id: gh.repositoryId ?? "",
          job_workflow_ref: ref,
        };
        return key === "context" ? context : `${key}:${value[key]}`;
      })
      .join(":");
  return {
    values: contexts.flatMap((c) => refs.map((ref) => render(c, ref))),
    exact: !claims.includes("job_workflow_ref"),
  };
}

interface RoleContext {
  oidc: Oidc;
  provider: string;
  /** The state buckets this environment keeps state in. */
  buckets: StateBucket[];
  /** Every state bucket of the account, which the apply role must not reconfigure. */
  all: StateBucket[];
}

function environmentRoles(add: Add, manifest: Manifest, ctx: RoleContext) {
  planRole(add, manifest, ctx);
  applyRole(add, manifest, ctx);
  drillRole(add, manifest, ctx);
}

const stateKeyArn = (b: StateBucket) => `\${aws_kms_key.state_${ident(b.region)}.arn}`;

function role(
  add: Add,
  manifest: Manifest,
  ctx: RoleContext,
  kind: "plan" | "apply" | "drill",
  body: {
    /** The jobs' contexts as the `sub` claim names them, e.g. `environment:prod`. */
    contexts: string[];
    /** The workflow files whose jobs assume the role. */
    workflows: string[];
    /** Trust only jobs of those workflows (`job_workflow_ref`), whatever the subject says. */
    onlyTheseWorkflows?: boolean;
    description: string;
    extra?: Record<string, unknown>;
  },
) {
  const name = `${manifest.name}_${kind}`;
  add("aws_iam_role", name, {
    provider: ctx.provider,
    name: roleName(manifest.name, kind),
    description: body.description,
    assume_role_policy: githubTrust(
      ctx.oidc.arn,
      githubSubjects(manifest.github, body.contexts, body.workflows),
      body.onlyTheseWorkflows
        ? workflowRefs(manifest.github.repository, body.workflows)
        : undefined,
    ),
    max_session_duration: 3600,
    ...body.extra,
  });
  return name;
}

/**
 * Pull requests run their own code, so this role reads: AWS's ReadOnlyAccess (what refreshing
 * every resource type needs) with the data itself denied, plus this environment's state keys
 * and its lock files.
 */
function planRole(add: Add, manifest: Manifest, ctx: RoleContext) {
  const env = manifest.name;
  const name = role(add, manifest, ctx, "plan", {
    // Pull requests, and the daily drift check, which runs from main without an environment.
    contexts: ["pull_request", "ref:refs/heads/main"],
    workflows: ["plan.yml", "drift.yml"],
    description: `Plans ${env} for pull requests and drift: read-only, no data reads, state and lock file only`,
    // A production plan role trusts only the repository's own plan and drift workflows, not any
    // job a pull request adds.
    onlyTheseWorkflows: manifest.tier === "production",
  });
  add("aws_iam_role_policy_attachment", `${name}_read_only`, {
    provider: ctx.provider,
    role: `\${aws_iam_role.${name}.name}`,
    policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
  });
  add("aws_iam_role_policy", `${name}_state`, {
    provider: ctx.provider,
    name: "state",
    role: `\${aws_iam_role.${name}.id}`,
    policy: policy(planStatements(env, ctx.buckets)),
  });
}

function planStatements(env: string, buckets: StateBucket[]): Statement[] {
  const keys = buckets.map((b) => `${bucketArn(b.bucket)}/${env}/*`);
  const stateKeys = [...new Set(buckets.map(stateKeyArn))];
  return [
    { Sid: "ReadState", Effect: "Allow", Action: "s3:GetObject", Resource: keys },
    {
      Sid: "ListState",
      Effect: "Allow",
      Action: "s3:ListBucket",
      Resource: buckets.map((b) => bucketArn(b.bucket)),
      Condition: { StringLike: { "s3:prefix": [`${env}/*`] } },
    },
    {
      Sid: "StateKey",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: stateKeys,
      Condition: {
        StringEquals: {
          "kms:ViaService": [...new Set(buckets.map((b) => `s3.${b.region}.amazonaws.com`))],
        },
      },
    },
    {
      // A plan opens the database's ephemeral master password: random bytes, no stored data,
      // and not in ReadOnlyAccess. The action has no resource-level permissions.
      Sid: "OpenEphemeralPasswords",
      Effect: "Allow",
      Action: "secretsmanager:GetRandomPassword",
      Resource: "*",
    },
    {
      Sid: "NoObjectsButState",
      Effect: "Deny",
      Action: ["s3:GetObject", "s3:GetObjectVersion"],
      NotResource: keys,
    },
    // Plan and drift run with -lock=false: pull-request code can neither plant an apply's lock
    // file nor remove one.
    {
      Sid: "NoStateWrites",
      Effect: "Deny",
      Action: ["s3:PutObject", "s3:DeleteObject"],
      Resource: buckets.map((b) => `${bucketArn(b.bucket)}/*`),
    },
    { Sid: "NoDataReads", Effect: "Deny", Action: PLAN_DENIED_DATA_READS, Resource: "*" },
    { Sid: "NoDecryptButState", Effect: "Deny", Action: "kms:Decrypt", NotResource: stateKeys },
  ];
}

/**
 * Applying creates IAM roles, KMS keys and everything else, so AdministratorAccess; the
 * permissions boundary keeps it off what the bootstrap owns (these roles, the OIDC provider,
 * the state buckets' settings and keys) and off long-lived credentials and the organization.
 */
function applyRole(add: Add, manifest: Manifest, ctx: RoleContext) {
  const env = manifest.name;
  const boundary = `${env}_apply_boundary`;
  add("aws_iam_policy", boundary, {
    provider: ctx.provider,
    name: `${roleName(env, "apply")}-boundary`,
    description: `Permissions boundary of ${roleName(env, "apply")}: nothing the bootstrap root owns`,
    policy: policy(applyBoundary(manifest.account, env, ctx.all)),
  });
  const name = role(add, manifest, ctx, "apply", {
    contexts: [`environment:${env}`],
    workflows: ["apply.yml"],
    description: `Applies ${env} on pushes to main, inside the GitHub environment ${env}`,
    extra: {
      max_session_duration: APPLY_SESSION_SECONDS,
      permissions_boundary: `\${aws_iam_policy.${boundary}.arn}`,
    },
  });
  add("aws_iam_role_policy_attachment", `${name}_administrator`, {
    provider: ctx.provider,
    role: `\${aws_iam_role.${name}.name}`,
    policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess",
  });
}

/** The apply role's permissions boundary: every role the apply role creates must carry it too. */
export const applyBoundaryArn = (account: string, env: string) =>
  `arn:aws:iam::${account}:policy/${roleName(env, "apply")}-boundary`;

/** IAM calls that give a role or user permissions: each must name this boundary as theirs. */
const GRANTING_IAM_CALLS = [
  "iam:AttachRolePolicy",
  "iam:AttachUserPolicy",
  "iam:CreateRole",
  "iam:CreateUser",
  "iam:DeleteRolePolicy",
  "iam:DeleteUserPolicy",
  "iam:DetachRolePolicy",
  "iam:DetachUserPolicy",
  "iam:PutRolePermissionsBoundary",
  "iam:PutRolePolicy",
  "iam:PutUserPermissionsBoundary",
  "iam:PutUserPolicy",
];

function applyBoundary(account: string, env: string, buckets: StateBucket[]): Statement[] {
  const bucketArns = buckets.map((b) => bucketArn(b.bucket));
  return [
    {
      // Otherwise the role could create or widen a role without this boundary and assume it.
      Sid: "IdentitiesKeepThisBoundary",
      Effect: "Deny",
      Action: GRANTING_IAM_CALLS,
      Resource: "*",
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": applyBoundaryArn(account, env) } },
    },
    {
      Sid: "NoBoundaryRemoved",
      Effect: "Deny",
      Action: ["iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"],
      Resource: "*",
    },
    {
      Sid: "AllButOrganization",
      Effect: "Allow",
      NotAction: ["organizations:*", "account:*"],
      Resource: "*",
    },
    {
      Sid: "NotTheBootstrapIdentities",
      Effect: "Deny",
      Action: "iam:*",
      Resource: [
        `arn:aws:iam::${account}:role/tandem-*`,
        `arn:aws:iam::${account}:policy/tandem-*`,
        `arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`,
      ],
    },
    {
      Sid: "NoLongLivedCredentials",
      Effect: "Deny",
      Action: [
        "iam:CreateAccessKey",
        "iam:CreateLoginProfile",
        "iam:CreateUser",
        "iam:UpdateLoginProfile",
      ],
      Resource: "*",
    },
    {
      Sid: "NotTheStateBuckets",
      Effect: "Deny",
      Action: [
        "s3:DeleteBucket",
        "s3:DeleteBucketPolicy",
        "s3:PutBucketAcl",
        "s3:PutBucketObjectLockConfiguration",
        "s3:PutBucketOwnershipControls",
        "s3:PutBucketPolicy",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketVersioning",
        "s3:PutEncryptionConfiguration",
        "s3:PutLifecycleConfiguration",
      ],
      Resource: bucketArns,
    },
    {
      Sid: "NotTheStateKeys",
      Effect: "Deny",
      Action: [
        "kms:DisableKey",
        "kms:DisableKeyRotation",
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
      ],
      Resource: [...new Set(buckets.map(stateKeyArn))],
    },
  ];
}

/** Only what the drill does: the flag, the global switchover, health, metrics and its lock. */
function drillRole(add: Add, manifest: Manifest, ctx: RoleContext) {
  const env = manifest.name;
  const name = role(add, manifest, ctx, "drill", {
    // .github/workflows/drill.yml runs each drill inside the GitHub environment drill-<env>.
    contexts: [`environment:drill-${env}`],
    workflows: ["drill.yml"],
    description: `Runs the DR drill of ${env}, inside the GitHub environment drill-${env}`,
  });
  add("aws_iam_role_policy", `${name}_drill`, {
    provider: ctx.provider,
    name: "drill",
    role: `\${aws_iam_role.${name}.id}`,
    policy: policy(drillStatements(manifest)),
  });
}

export function drillStatements(manifest: Manifest): Statement[] {
  const names = crossRegionNames(manifest);
  const { account } = manifest;
  const regions = [manifest.regions.primary, manifest.regions.secondary];
  const globalCluster = `arn:aws:rds::${account}:global-cluster:${names.globalClusterIdentifier}`;
  const clusters = regions.map((r) => `arn:aws:rds:${r}:${account}:cluster:${names.name}`);
  const tables = regions.map((r) => `arn:aws:dynamodb:${r}:${account}:table/${names.tableName}`);
  const promote = ["rds:SwitchoverGlobalCluster"];
  if (manifest.drill.mode === "failover") promote.push("rds:FailoverGlobalCluster");
  return [
    {
      Sid: "DrillFlag",
      Effect: "Allow",
      Action: ["ssm:GetParameter", "ssm:PutParameter"],
      // modules/compute names the flag /<name>/drill/unhealthy in each region.
      Resource: regions.map((r) => `arn:aws:ssm:${r}:${account}:parameter/${names.name}/drill/*`),
    },
    {
      Sid: "DescribeDatabase",
      Effect: "Allow",
      Action: ["rds:DescribeGlobalClusters", "rds:DescribeDBClusters"],
      Resource: [globalCluster, ...clusters],
    },
    {
      Sid: "PromoteDatabase",
      Effect: "Allow",
      Action: promote,
      Resource: [globalCluster, ...clusters],
    },
    {
      Sid: "HealthCheckStatus",
      Effect: "Allow",
      // The drill finds its checks by their Name tag.
      Action: ["route53:GetHealthCheckStatus", "route53:ListTagsForResources"],
      Resource: "arn:aws:route53:::healthcheck/*",
    },
    {
      // These three APIs have no resource-level permissions (Service Authorization Reference).
      Sid: "ListAndMeasure",
      Effect: "Allow",
      Action: [
        "route53:ListHealthChecks",
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
      ],
      Resource: "*",
    },
    {
      // The canaries are written through the API; the drill reads them back, and its lock.
      Sid: "ReadLockAndCanaries",
      Effect: "Allow",
      Action: "dynamodb:GetItem",
      Resource: tables,
      Condition: onlyLeadingKeys("StringLike", [DRILL_LOCK_KEY, `${DRILL_CANARY_KEY_PREFIX}*`]),
    },
    {
      Sid: "DrillLock",
      Effect: "Allow",
      Action: ["dynamodb:PutItem", "dynamodb:DeleteItem"],
      Resource: tables,
      Condition: onlyLeadingKeys("StringEquals", [DRILL_LOCK_KEY]),
    },
    {
      // The table is encrypted with the database's data key, which delegates to IAM: DynamoDB
      // uses it with the caller's permission. modules/database aliases it <name>-data.
      Sid: "TableKeyThroughDynamoDb",
      Effect: "Allow",
      Action: ["kms:Decrypt", "kms:GenerateDataKey"],
      Resource: regions.map((r) => `arn:aws:kms:${r}:${account}:key/*`),
      Condition: {
        StringEquals: { "kms:ViaService": regions.map((r) => `dynamodb.${r}.amazonaws.com`) },
        "ForAnyValue:StringEquals": { "kms:ResourceAliases": [`alias/${names.name}-data`] },
      },
    },
  ];
}

/** Every key the request names is one of these; a request naming none is refused too. */
const onlyLeadingKeys = (operator: "StringEquals" | "StringLike", keys: string[]) => ({
  [`ForAllValues:${operator}`]: { "dynamodb:LeadingKeys": keys },
  Null: { "dynamodb:LeadingKeys": "false" },
});

function outputs(manifests: Manifest[], buckets: StateBucket[], regions: string[], oidc: Oidc) {
  const out: Record<string, { value: unknown; description: string }> = {
    github_oidc_provider_arn: { value: oidc.arn, description: "GitHub's OIDC provider" },
    state_buckets: {
      value: Object.fromEntries(buckets.map((b) => [b.id, `\${aws_s3_bucket.${b.id}.id}`])),
      description: "State bucket per region",
    },
    state_key_arns: {
      value: Object.fromEntries(regions.map((r) => [r, `\${aws_kms_key.state_${ident(r)}.arn}`])),
      description: "KMS key of the state buckets per region",
    },
  };
  for (const m of manifests) {
    out[`${m.name}_role_arns`] = {
      value: Object.fromEntries(
        (["plan", "apply", "drill"] as const).map((k) => [
          k,
          `\${aws_iam_role.${m.name}_${k}.arn}`,
        ]),
      ),
      description: `Roles of ${m.name} for the GitHub workflows`,
    };
  }
  return out;
}

/** main.tf.json and versions.tf.json of each root, by path relative to dist/. */
export function bootstrapFiles(roots: BootstrapRoot[]): Map<string, Uint8Array> {
  const encoder = new TextEncoder();
  return new Map(
    roots.flatMap((root) => [
      [`${root.path}/main.tf.json`, encoder.encode(canonicalJson(root.main))] as const,
      [`${root.path}/versions.tf.json`, encoder.encode(canonicalJson(root.versions))] as const,
      ...(root.providerLock === undefined
        ? []
        : [[`${root.path}/.terraform.lock.hcl`, encoder.encode(root.providerLock)] as const]),
    ]),
  );
}

/**
 * The given environments and every other manifest of the tree: a bootstrap root covers its
 * whole account whichever environments are synthesized, because one missing an environment
 * would delete that environment's roles when applied. So the others must be valid too.
 */
export function everyManifest(
  root: string,
  given: Environment[],
  providerLocks: "require" | "read" = "require",
): Environment[] {
  const names = new Set(given.map((e) => e.manifest.name));
  const others = environmentFiles(root).filter((file) => !names.has(basename(file, ".yaml")));
  const { environments, problems } = loadEnvironments(others, { root, providerLocks });
  if (problems.length > 0) throw new ManifestProblems(problems);
  return [...given, ...environments];
}
