/**
 * A module's identity part: the IAM roles its regional part uses, for both regions of the pair,
 * applied from the environment's identity root. IAM's control plane runs only in us-east-1, so a
 * regional root that created roles could not refresh them with us-east-1 lost. The regional part
 * refers to each role by the ARN computed from its name (roleArn), never by a lookup, so nothing
 * calls IAM when a regional root plans: the role names are the contract between the two parts.
 */
import { TerraformLocal, TerraformOutput, type TerraformResource } from "cdktf";
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktf/provider-aws/lib/iam-role-policy/index.js";
import { IamRolePolicyAttachment } from "@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js";
import { awsContext, nameVariable } from "./common.ts";
import { permissionsBoundaryVariable, PERMISSIONS_BOUNDARY } from "./iam.ts";
import { IMPORT_IDS_OUTPUT } from "./identity-names.ts";
import type { ModuleStack } from "./module-stack.ts";
import { AWS_REGION_PATTERN } from "./patterns.ts";
import { variable } from "./variable.ts";

/** The ARN of the role named `name` in this account, computed: no IAM call at plan time. */
export function roleArn(stack: ModuleStack, name: string): string {
  const aws = awsContext(stack);
  return `arn:${aws.partition}:iam::${aws.accountId}:role/${name}`;
}

/** The inputs of every identity part: the name prefix, the pair's regions, the roles' boundary. */
export function identityVariables(stack: ModuleStack): { name: string } {
  const name = nameVariable(stack);
  variable(stack, "regions", {
    type: "list(string)",
    description:
      "The environment's two regions: each role of the module exists once per region, named for it.",
    rules: [
      [
        `length(var.regions) == 2 && length(distinct(var.regions)) == 2 && alltrue([for r in var.regions : can(regex("${AWS_REGION_PATTERN}", r))])`,
        "regions must be two different AWS regions.",
      ],
    ],
  });
  permissionsBoundaryVariable(stack);
  return { name: name.stringValue };
}

/** A role per region: `aws_iam_role.<id>["<region>"]`. */
export interface IdentityRole {
  readonly id: string;
  /** `${local.<id>_role_names}`: region -> role name. */
  readonly names: string;
}

export interface IdentityRoleOptions {
  /** The role's name in `region`, an HCL template fragment (`${var.name}-x-${region}`). */
  name: (region: string) => string;
  description: string;
  /** The trust policy: JSON, or an expression that may use `each.key` (the region). */
  assumeRolePolicy: string;
}

const importIds = new WeakMap<ModuleStack, Record<string, string>>();

function registerImport(stack: ModuleStack, address: string, ids: string): void {
  const found = importIds.get(stack) ?? {};
  found[address] = ids;
  importIds.set(stack, found);
}

/** `for_each` over the regions' role names: each.key is the region, each.value the role name. */
function perRegion(resource: TerraformResource, role: IdentityRole): void {
  resource.addOverride("for_each", role.names);
}

export function identityRole(
  stack: ModuleStack,
  id: string,
  options: IdentityRoleOptions,
): IdentityRole {
  const boundary = stack.node.tryFindChild(PERMISSIONS_BOUNDARY);
  if (!boundary) throw new Error(`aws_iam_role.${id}: declare identityVariables first`);
  new TerraformLocal(
    stack,
    `${id}_role_names`,
    `\${{ for region in var.regions : region => "${options.name("${region}")}" }}`,
  );
  const role: IdentityRole = { id, names: `\${local.${id}_role_names}` };
  const created = new IamRole(stack, `aws_iam_role.${id}`, {
    name: "${each.value}",
    description: options.description,
    assumeRolePolicy: options.assumeRolePolicy,
    permissionsBoundary: `\${var.${PERMISSIONS_BOUNDARY}}`,
  });
  perRegion(created, role);
  registerImport(stack, `aws_iam_role.${id}`, role.names);
  return role;
}

/** An inline policy of each region's role; `policy` may use `each.key` (the region). */
export function identityRolePolicy(
  stack: ModuleStack,
  role: IdentityRole,
  options: { name: string; policy: string },
): void {
  const policy = new IamRolePolicy(stack, `aws_iam_role_policy.${role.id}`, {
    name: options.name,
    role: `\${aws_iam_role.${role.id}[each.key].id}`,
    policy: options.policy,
  });
  perRegion(policy, role);
  registerImport(
    stack,
    `aws_iam_role_policy.${role.id}`,
    `\${{ for region, role in ${unwrap(role.names)} : region => "\${role}:${options.name}" }}`,
  );
}

/** Attaches a managed policy to each region's role: `aws_iam_role_policy_attachment.<id>`. */
export function identityPolicyAttachment(
  stack: ModuleStack,
  role: IdentityRole,
  id: string,
  policyArn: string,
): void {
  const attachment = new IamRolePolicyAttachment(stack, `aws_iam_role_policy_attachment.${id}`, {
    role: `\${aws_iam_role.${role.id}[each.key].name}`,
    policyArn,
  });
  perRegion(attachment, role);
  registerImport(
    stack,
    `aws_iam_role_policy_attachment.${id}`,
    `\${{ for region, role in ${unwrap(role.names)} : region => "\${role}/${policyArn}" }}`,
  );
}

/**
 * Declares `import_ids` (address -> region -> the id `terraform import` takes), computed from
 * the inputs alone, so the identity root can adopt roles an older module version created in a
 * regional root. Called once the part is built.
 */
export function importIdsOutput(stack: ModuleStack): void {
  const ids = importIds.get(stack);
  if (!ids) return;
  new TerraformOutput(stack, IMPORT_IDS_OUTPUT, {
    value: Object.fromEntries(Object.entries(ids).sort(([a], [b]) => a.localeCompare(b))),
    description:
      "For each IAM resource address of this part, the import id of its instance in each region: " +
      "the identity root imports the roles a regional root used to create.",
  });
}

/** `${expr}` -> `expr`. */
function unwrap(template: string): string {
  return template.slice(2, -1);
}

/**
 * A policy document per region of the pair (`each.key` is the region in its statements);
 * returns the expression of the document of the region being built.
 */
export function identityDocument(
  stack: ModuleStack,
  id: string,
  statement: DataAwsIamPolicyDocumentStatement[],
): string {
  const document = new DataAwsIamPolicyDocument(stack, `data.aws_iam_policy_document.${id}`, {
    statement,
  });
  document.addOverride("for_each", "${toset(var.regions)}");
  return `\${data.aws_iam_policy_document.${id}[each.key].json}`;
}
