import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { awsContext } from "./common.ts";
import type { ModuleStack } from "./module-stack.ts";

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
            values: [awsContext(stack).accountId],
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
