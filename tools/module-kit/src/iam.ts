import type { TerraformVariable } from "cdktf";
import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole, type IamRoleConfig } from "@cdktf/provider-aws/lib/iam-role/index.js";
import { accountContext } from "./common.ts";
import type { ModuleStack } from "./module-stack.ts";
import { variable } from "./variable.ts";

/** The input of every module that creates a role: the boundary each of its roles carries. */
export const PERMISSIONS_BOUNDARY = "permissions_boundary";

export function permissionsBoundaryVariable(stack: ModuleStack): TerraformVariable {
  return variable(stack, PERMISSIONS_BOUNDARY, {
    type: "string",
    default: null,
    description:
      "ARN of the managed policy every IAM role of this module carries as its permissions boundary, or " +
      "`null` for none. Tandem passes its apply role's own boundary, which refuses creating a role without it.",
    rules: [
      [
        `var.${PERMISSIONS_BOUNDARY} == null ? true : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/.+$", var.${PERMISSIONS_BOUNDARY}))`,
        `${PERMISSIONS_BOUNDARY} must be an IAM policy ARN (arn:aws:iam::<account>:policy/<name>) or null.`,
      ],
    ],
  });
}

/**
 * A role the module creates, `aws_iam_role.<id>`, carrying the module's `permissions_boundary`
 * (declared first with permissionsBoundaryVariable): the role that applies the module may
 * only create roles inside its own boundary.
 */
export function moduleRole(
  stack: ModuleStack,
  id: string,
  config: Omit<IamRoleConfig, "permissionsBoundary">,
): IamRole {
  const boundary = stack.node.tryFindChild(PERMISSIONS_BOUNDARY) as TerraformVariable | undefined;
  if (!boundary) {
    throw new Error(
      `aws_iam_role.${id}: declare the ${PERMISSIONS_BOUNDARY} input (permissionsBoundaryVariable) before the module's roles`,
    );
  }
  return new IamRole(stack, `aws_iam_role.${id}`, {
    ...config,
    permissionsBoundary: boundary.stringValue,
  });
}

export interface AssumeRolePolicyOptions {
  /** Terraform name of the document: `data.aws_iam_policy_document.<id>`. */
  id: string;
  /** The service principal that assumes the role, e.g. `lambda.amazonaws.com`. */
  service: string;
  /** Confused-deputy guard: only when the service acts for this account (`aws:SourceAccount`). */
  sourceAccount?: boolean;
  /** Further limits the service to resources matching this ARN pattern (`aws:SourceArn`). */
  sourceArn?: string;
}

/** The trust policy of a role that one AWS service assumes. */
export function assumeRolePolicy(
  stack: ModuleStack,
  options: AssumeRolePolicyOptions,
): DataAwsIamPolicyDocument {
  const condition = [
    ...(options.sourceAccount
      ? [
          {
            test: "StringEquals",
            variable: "aws:SourceAccount",
            values: [accountContext(stack).accountId],
          },
        ]
      : []),
    ...(options.sourceArn
      ? [{ test: "ArnLike", variable: "aws:SourceArn", values: [options.sourceArn] }]
      : []),
  ];
  return new DataAwsIamPolicyDocument(stack, `data.aws_iam_policy_document.${options.id}`, {
    statement: [
      {
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: [options.service] }],
        ...(condition.length ? { condition } : {}),
      },
    ],
  });
}
