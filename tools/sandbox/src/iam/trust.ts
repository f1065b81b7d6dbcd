/**
 * AssumeRoleWithWebIdentity's trust check, as STS makes it: the role's trust policy judged by
 * @cloud-copilot/iam-simulate with the token's claims as the provider's condition keys
 * (`token.actions.githubusercontent.com:sub`, `:aud`, `:job_workflow_ref`, ...).
 */
import { createValidatedPolicy, validateTrustPolicy } from "@cloud-copilot/iam-policy";
import { runUnsafeSimulation } from "@cloud-copilot/iam-simulate";
import { GITHUB_OIDC_HOST, type Claims } from "./oidc.ts";

export interface PolicyDocument {
  Version?: string;
  Statement: Record<string, unknown>[];
}

export interface TrustVerdict {
  readonly allowed: boolean;
  /** Each trust condition that refuses the token alone (`StringEquals <key>`). */
  readonly refusing: string[];
}

/**
 * Judges the token's claims against `trust`. The unsafe entry point is used because
 * iam-data does not list the `sub` and `aud` keys AWS documents for GitHub's provider, and the
 * validating one would drop them; the trust policy is validated here instead.
 */
export function judgeTrust(
  trust: PolicyDocument,
  request: { roleArn: string; providerArn: string; account: string; claims: Claims },
): TrustVerdict {
  const context = Object.fromEntries(
    Object.entries(request.claims).map(([k, v]) => [`${GITHUB_OIDC_HOST}:${k}`, v]),
  );
  const judge = (policy: PolicyDocument) =>
    runUnsafeSimulation(
      {
        request: {
          principal: request.providerArn,
          action: "sts:AssumeRoleWithWebIdentity",
          resource: { resource: request.roleArn, accountId: request.account },
          contextVariables: context,
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: validated(policy),
      },
      {},
    ) === "Allowed";
  const refusing = trust.Statement.flatMap((statement) =>
    Object.entries((statement.Condition ?? {}) as Record<string, Record<string, unknown>>).flatMap(
      ([operator, keys]) =>
        Object.entries(keys)
          .filter(
            ([key, value]) =>
              !judge({
                ...trust,
                Statement: [{ ...statement, Condition: { [operator]: { [key]: value } } }],
              }),
          )
          .map(([key]) => `${operator} ${key}`),
    ),
  );
  return { allowed: judge(trust), refusing: [...new Set(refusing)] };
}

/** sts:AssumeRole by another role's session (role chaining): the target's trust must name it. */
export function trustAllowsRole(
  trust: PolicyDocument,
  request: { callerArn: string; roleArn: string; account: string },
): boolean {
  return (
    runUnsafeSimulation(
      {
        request: {
          principal: request.callerArn,
          action: "sts:AssumeRole",
          resource: { resource: request.roleArn, accountId: request.account },
          contextVariables: { "aws:PrincipalArn": request.callerArn },
        },
        identityPolicies: [],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy: validated(trust),
      },
      {},
    ) === "Allowed"
  );
}

function validated(document: PolicyDocument) {
  const policy = createValidatedPolicy(document, validateTrustPolicy, { name: "trust" });
  if (policy.errors.length > 0) {
    throw new Error(`invalid trust policy: ${JSON.stringify(policy.errors)}`);
  }
  return policy;
}
