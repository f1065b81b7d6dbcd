/**
 * The apply role creates every IAM role, user and policy the modules declare. Its boundary
 * refuses any of them that does not carry that same boundary, so each is judged here, as the
 * environments compose it, by the calls the AWS provider makes to create it.
 */
import { describe, expect, it } from "vitest";
import { environmentFiles } from "../../src/environments.ts";
import type { Deployment } from "../../src/compose/deployments.ts";
import type { Domain } from "../../src/manifest/schema.ts";
import { synthesizeTree } from "../../src/synth.ts";
import { REPO } from "../helpers.ts";
import { evaluate, type Call } from "./evaluate.ts";

type Body = Record<string, unknown>;

const synth = await synthesizeTree(REPO, environmentFiles(REPO, ["dev", "staging"]));

/** The create call of each IAM type and what it acts on: the identity itself, or the one in `role` / `user`. */
const CREATE_CALLS: Record<string, { action: string; on: "self" | "role" | "user" }> = {
  aws_iam_role: { action: "iam:CreateRole", on: "self" },
  aws_iam_role_policy: { action: "iam:PutRolePolicy", on: "role" },
  aws_iam_role_policy_attachment: { action: "iam:AttachRolePolicy", on: "role" },
  aws_iam_user: { action: "iam:CreateUser", on: "self" },
  aws_iam_user_policy: { action: "iam:PutUserPolicy", on: "user" },
  aws_iam_user_policy_attachment: { action: "iam:AttachUserPolicy", on: "user" },
};
/** IAM types that give no identity permissions of their own. */
const NOT_GRANTING = new Set(["aws_iam_policy", "aws_iam_service_linked_role"]);

interface ModuleCall {
  env: string;
  deployment: Deployment;
  domain: Domain;
  inputs: Body;
  resources: Record<string, Record<string, Body>>;
  variables: Record<string, { default?: unknown }>;
  locals: Record<string, unknown>;
  /** In an identity part (roles `for_each` over the regions): the region `each.key` stands for. */
  region?: string;
}

function moduleCalls(): ModuleCall[] {
  return synth.environments.flatMap(({ name: env, deployments }) =>
    deployments.flatMap((deployment) =>
      Object.entries(deployment.resolved).flatMap(([domain, resolved]) => {
        const call = {
          env,
          deployment,
          domain: domain as Domain,
          inputs: (deployment.root.module as Record<string, Body>)[domain]!,
          resources: resolved.files.json.resource ?? {},
          variables: resolved.files.json.variable ?? {},
          locals: (resolved.files.json.locals ?? {}) as Record<string, unknown>,
        };
        // An identity part holds each role once per region of the pair.
        const regions = call.inputs.regions as string[] | undefined;
        return regions ? regions.map((region) => ({ ...call, region })) : [call];
      }),
    ),
  );
}

/**
 * `each.value` of a resource that is `for_each` over `local.<id>_role_names` (region -> name):
 * the local's name template with the region and the call's inputs in place.
 */
function eachValue(call: ModuleCall, body: Body): string {
  const local = /^\$\{local\.(\w+)\}$/.exec(String(body.for_each))?.[1];
  const template = /=> "(.+)" \}\}$/.exec(String(local && call.locals[local]))?.[1];
  if (!template)
    throw new Error(`${call.domain}: for_each ${String(body.for_each)} not understood`);
  return String(concrete(call, template.replaceAll("${region}", call.region!)));
}

/**
 * A module attribute with the call's inputs (or the variable's default) and the root's region
 * in place; an absent attribute stays null.
 */
function concrete(call: ModuleCall, value: unknown): unknown {
  if (value === undefined || value === null) return null;
  const text = String(value);
  const whole = /^\$\{var\.(\w+)\}$/.exec(text);
  if (whole) return call.inputs[whole[1]!] ?? call.variables[whole[1]!]?.default ?? null;
  return text.replace(/\$\{([^}]+)\}/g, (_, ref: string) => {
    const name = /^var\.(\w+)$/.exec(ref)?.[1];
    if (name && typeof call.inputs[name] === "string") return call.inputs[name];
    if (ref === "data.aws_region.current.id") return call.deployment.region;
    if (ref === "each.key" && call.region) return call.region;
    if (ref === "data.aws_partition.current.partition") return "aws";
    throw new Error(`${call.domain}: cannot make \${${ref}} concrete`);
  });
}

/** Each IAM resource as the apply role's call that creates it, with the identity's boundary. */
function creations(call: ModuleCall): { label: string; call: Call }[] {
  const account = synth.environments.find((e) => e.name === call.env)!.manifest.account;
  const identity = (type: "aws_iam_role" | "aws_iam_user", name: string) => {
    const body = call.resources[type]?.[name];
    if (!body) throw new Error(`${call.domain}: no ${type}.${name}`);
    const kind = type === "aws_iam_role" ? "role" : "user";
    const named = body.name === "${each.value}" ? eachValue(call, body) : concrete(call, body.name);
    return {
      arn: `arn:aws:iam::${account}:${kind}/${String(named)}`,
      boundary: concrete(call, body.permissions_boundary),
    };
  };
  return Object.entries(call.resources)
    .filter(([type]) => type.startsWith("aws_iam_") && !NOT_GRANTING.has(type))
    .flatMap(([type, bodies]) =>
      Object.entries(bodies).map(([name, body]) => {
        const create = CREATE_CALLS[type];
        if (!create) throw new Error(`${call.domain}: no create call known for ${type}`);
        const target =
          create.on === "self"
            ? identity(type as "aws_iam_role" | "aws_iam_user", name)
            : identity(`aws_iam_${create.on}`, referenced(call, body[create.on], create.on));
        const context: Record<string, string> = {};
        if (target.boundary) context["iam:PermissionsBoundary"] = String(target.boundary);
        if (body.policy_arn) context["iam:PolicyARN"] = String(concrete(call, body.policy_arn));
        return {
          label: `${call.env} ${call.deployment.name} ${call.domain} ${type}.${name}${call.region ? `["${call.region}"]` : ""}`,
          call: { action: create.action, resource: target.arn, context },
        };
      }),
    );
}

/** `${aws_iam_role.this[0].name}` -> `this`. */
function referenced(call: ModuleCall, value: unknown, kind: string): string {
  const name = new RegExp(`aws_iam_${kind}\\.(\\w+)`).exec(String(value))?.[1];
  if (!name) throw new Error(`${call.domain}: ${String(value)} names no aws_iam_${kind}`);
  return name;
}

const rows = moduleCalls().flatMap((call) => creations(call).map((c) => ({ ...c, env: call.env })));
const bootstrapOf = (env: string) => synth.bootstraps.find((b) => b.environments.includes(env))!;

describe("the apply role may create every IAM identity and policy the modules declare", () => {
  it.each(["dev", "staging"])(
    "%s: finds the modules' roles, and the same role without its boundary is refused",
    async (env) => {
      const created = rows.filter((r) => r.env === env && r.call.action === "iam:CreateRole");
      expect(created.length).toBeGreaterThan(0);
      const bare = { ...created[0]!.call, context: {} };
      expect((await evaluate(bootstrapOf(env), env, "apply", bare)).statements).toEqual([
        "IdentitiesKeepThisBoundary",
      ]);
    },
  );

  it.each(rows.map((r) => [r.label, r] as const))("%s", async (_, row) => {
    const verdict = await evaluate(bootstrapOf(row.env), row.env, "apply", row.call);
    expect(
      verdict.decision,
      `${row.call.action} ${row.call.resource}: ${verdict.statements.join()}`,
    ).toBe("Allowed");
  });
});
