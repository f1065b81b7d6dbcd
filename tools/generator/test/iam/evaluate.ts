/**
 * The bootstrap roles as AWS evaluates them: a role's identity policies (inline and attached,
 * AWS-managed documents included), its permissions boundary and the resource policy of the
 * resource called (state bucket, KMS key), judged by @cloud-copilot/iam-simulate.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createValidatedPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import {
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  runUnsafeSimulation,
} from "@cloud-copilot/iam-simulate";
import { GITHUB_OIDC_HOST, roleArn, type BootstrapRoot } from "../../src/compose/bootstrap.ts";

export type Kind = "plan" | "apply" | "drill";
type Json = Record<string, unknown>;
type Policy = { Version: string; Statement: Json[] };
type Context = Record<string, string | string[]>;

export interface Call {
  action: string;
  resource: string;
  context?: Context;
  /** The resource's own policy when it is not in the bootstrap root (a module's KMS key). */
  resourcePolicy?: Policy;
}

export interface Verdict {
  decision: "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";
  /** Sids of the statements that decided: the denying ones, else the allowing ones. */
  statements: string[];
}

const READ_ONLY_ACCESS = (
  JSON.parse(readFileSync(join(import.meta.dirname, "read-only-access.json"), "utf8")) as {
    document: Policy;
  }
).document;

/** AWS-managed policies the roles attach; AdministratorAccess's document is exactly this. */
const AWS_MANAGED: Record<string, Policy> = {
  "arn:aws:iam::aws:policy/ReadOnlyAccess": READ_ONLY_ACCESS,
  "arn:aws:iam::aws:policy/AdministratorAccess": {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }],
  },
};

/** A stand-in id for a key AWS names at creation: `state-<region>`, `data-<region>`. */
export const keyArn = (account: string, region: string, name: string) =>
  `arn:aws:kms:${region}:${account}:key/${name}-${region}`;
export const oidcProviderArn = (account: string) =>
  `arn:aws:iam::${account}:oidc-provider/${GITHUB_OIDC_HOST}`;

/**
 * The root with every `${...}` reference replaced by the concrete value AWS would give it, so
 * policies compare real ARNs. An unknown reference fails: a policy the resolver cannot read
 * would be judged wrongly.
 */
export function concreteRoot(root: BootstrapRoot): Record<string, Record<string, Json>> {
  const resources = root.main.resource as Record<string, Record<string, Json>>;
  const regionOf = (body: Json) => {
    const alias = String(body.provider).replace(/^aws\./, "");
    const providers = (root.main.provider as { aws: Json[] }).aws;
    return String(providers.find((p) => p.alias === alias)!.region);
  };
  const resolve = (ref: string): string => {
    const [type, name, attribute] = ref.replace(/^data\./, "").split(".");
    const body = resources[type!]?.[name!];
    if (type === "aws_iam_openid_connect_provider") {
      const data = (root.main.data as Record<string, Record<string, Json>> | undefined)?.[type];
      return data ? String(data[name!]!.arn) : oidcProviderArn(root.account);
    }
    if (!body) throw new Error(`cannot resolve \${${ref}}`);
    if (type === "aws_kms_key") return keyArn(root.account, regionOf(body), "state");
    if (type === "aws_iam_policy")
      return `arn:aws:iam::${root.account}:policy/${String(body.name)}`;
    if (type === "aws_s3_bucket") return String(body.bucket);
    if (type === "aws_iam_role" && attribute === "arn")
      return `arn:aws:iam::${root.account}:role/${String(body.name)}`;
    if (type === "aws_iam_role") return String(body.name);
    throw new Error(`cannot resolve \${${ref}}`);
  };
  const text = JSON.stringify(resources).replace(/\$\{([^}]+)\}/g, (_, ref: string) =>
    resolve(ref),
  );
  return JSON.parse(text) as Record<string, Record<string, Json>>;
}

const parsePolicy = (text: unknown) => JSON.parse(String(text)) as Policy;

const concreteRoots = new WeakMap<BootstrapRoot, ReturnType<typeof concreteRoot>>();

/** What AWS would hold for one role: its identity policies, boundary and trust policy. */
export function roleView(root: BootstrapRoot, env: string, kind: Kind) {
  const resources = concreteRoots.get(root) ?? concreteRoot(root);
  concreteRoots.set(root, resources);
  const role = resources.aws_iam_role?.[`${env}_${kind}`];
  if (!role) throw new Error(`no role ${env}_${kind} in ${root.path}`);
  const name = String(role.name);
  const inline = Object.entries(resources.aws_iam_role_policy ?? {})
    .filter(([, body]) => body.role === name)
    .map(([id, body]) => ({ name: id, policy: parsePolicy(body.policy) }));
  const attached = Object.values(resources.aws_iam_role_policy_attachment ?? {})
    .filter((body) => body.role === name)
    .map((body) => ({ name: String(body.policy_arn), policy: managedPolicy(resources, body) }));
  const boundaryArn = role.permissions_boundary as string | undefined;
  const boundary = boundaryArn
    ? [{ name: boundaryArn, policy: customerPolicy(resources, boundaryArn) }]
    : undefined;
  return {
    arn: roleArn(root.account, env, kind),
    identity: [...inline, ...attached],
    boundary,
    trust: parsePolicy(role.assume_role_policy),
    resources,
  };
}

function managedPolicy(resources: Record<string, Record<string, Json>>, body: Json): Policy {
  const arn = String(body.policy_arn);
  return AWS_MANAGED[arn] ?? customerPolicy(resources, arn);
}

function customerPolicy(resources: Record<string, Record<string, Json>>, arn: string): Policy {
  const name = arn.split("/").pop();
  const found = Object.values(resources.aws_iam_policy ?? {}).find((p) => p.name === name);
  if (!found) throw new Error(`no policy ${arn} in the root`);
  return parsePolicy(found.policy);
}

/** The bootstrap root's own policy on the resource called: its bucket's or its key's. */
function ownResourcePolicy(resources: Record<string, Record<string, Json>>, resource: string) {
  const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
  if (bucket) {
    const found = Object.values(resources.aws_s3_bucket_policy ?? {}).find(
      (p) => p.bucket === bucket,
    );
    return found ? parsePolicy(found.policy) : undefined;
  }
  const region = /^arn:aws:kms:([^:]+):/.exec(resource)?.[1];
  if (region && resource.endsWith(`/state-${region}`)) {
    const key = Object.values(resources.aws_kms_key ?? {}).find((k) =>
      String(k.description).endsWith(` in ${region}`),
    );
    return key ? parsePolicy(key.policy) : undefined;
  }
  return undefined;
}

/** One call as the role, over TLS as every SDK call is. */
export async function evaluate(
  root: BootstrapRoot,
  env: string,
  kind: Kind,
  call: Call,
): Promise<Verdict> {
  const view = roleView(root, env, kind);
  const response = await runSimulation(
    {
      request: {
        principal: view.arn,
        action: call.action,
        resource: { resource: call.resource, accountId: root.account },
        contextVariables: {
          "aws:PrincipalArn": view.arn,
          "aws:PrincipalAccount": root.account,
          "aws:SecureTransport": "true",
          ...call.context,
        },
      },
      identityPolicies: view.identity,
      permissionBoundaryPolicies: view.boundary,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: call.resourcePolicy ?? ownResourcePolicy(view.resources, call.resource),
    },
    {},
  );
  if (response.resultType === "error") {
    throw new Error(`${call.action} on ${call.resource}: ${response.errors.message}`);
  }
  // A "*" resource is judged once per resource type the action takes.
  const results = response.resultType === "single" ? [response.result] : response.results;
  const ignored = [...new Set(results.flatMap((r) => r.ignoredContextKeys ?? []))];
  if (ignored.length > 0) {
    throw new Error(`${call.action} does not take the context keys ${ignored.join(", ")}`);
  }
  const sid = (s: { statementId?: string; statementIndex: number }) =>
    s.statementId ?? `#${s.statementIndex}`;
  const allowed = response.overallResult === "Allowed";
  const statements = results.flatMap(({ analysis }) =>
    allowed
      ? getGrantReasons(analysis).map(sid)
      : getDenialReasons(analysis).flatMap((d) => (d.denialType === "Explicit" ? [sid(d)] : [])),
  );
  return { decision: response.overallResult, statements: [...new Set(statements)] };
}

/** The claims of a GitHub Actions token, by claim name. */
export type Claims = Record<string, string>;

const claimContext = (claims: Claims): Context =>
  Object.fromEntries(Object.entries(claims).map(([k, v]) => [`${GITHUB_OIDC_HOST}:${k}`, v]));

/**
 * AssumeRoleWithWebIdentity with the token's claims against the role's trust policy, and the
 * trust's conditions that refuse the token, each judged alone by the evaluator
 * (`StringEquals token.actions.githubusercontent.com:sub`). The unsafe entry point is used
 * because iam-data does not list the `sub` and `aud` keys AWS documents for GitHub's provider,
 * and the validating one would drop them; the trust policy is validated here instead.
 */
export function assume(root: BootstrapRoot, env: string, kind: Kind, claims: Claims) {
  const { trust, arn } = roleView(root, env, kind);
  const judge = (policy: Policy) =>
    runUnsafeSimulation(
      {
        request: {
          principal: oidcProviderArn(root.account),
          action: "sts:AssumeRoleWithWebIdentity",
          resource: { resource: arn, accountId: root.account },
          contextVariables: claimContext(claims),
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: trustPolicy(policy),
      },
      {},
    );
  const refusing = trust.Statement.flatMap((statement) =>
    Object.entries((statement.Condition ?? {}) as Record<string, Json>).flatMap(([op, keys]) =>
      Object.entries(keys)
        .filter(
          ([key, value]) =>
            judge({
              ...trust,
              Statement: [{ ...statement, Condition: { [op]: { [key]: value } } }],
            }) !== "Allowed",
        )
        .map(([key]) => `${op} ${key}`),
    ),
  );
  return { decision: judge(trust), refusing };
}

function trustPolicy(document: Policy) {
  const validated = createValidatedPolicy(document, validateTrustPolicy, { name: "trust" });
  if (validated.errors.length > 0) {
    throw new Error(`invalid trust policy: ${JSON.stringify(validated.errors)}`);
  }
  return validated;
}
