import { DataAwsIamPolicyDocument } from "@cdktf/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { awsContext, type AwsContext } from "./common.ts";
import type { ModuleStack } from "./module-stack.ts";

export interface KmsKeyOptions {
  /** Terraform name of the key, its alias and its policy document (default `this`). */
  id?: string;
  description: string;
  /** Alias without the `alias/` prefix; Terraform expressions allowed. */
  alias: string;
  /**
   * AWS services that use the key directly with their own principal, e.g. `logs` (regional
   * principal `logs.<region>.amazonaws.com`) or `sns`. Services that act through a caller's
   * grant (RDS, DynamoDB) need no entry: the account statement and `kms:ViaService` cover them.
   */
  servicePrincipals?: string[];
}

/**
 * A customer-managed key in this region with rotation on, a key policy and an alias.
 * The policy delegates to IAM in this account (so roles need explicit kms permissions) and
 * lets the listed service principals use the key for this account only.
 */
export function kmsKey(stack: ModuleStack, options: KmsKeyOptions): KmsKey {
  const id = options.id ?? "this";
  const aws = awsContext(stack);
  const services = options.servicePrincipals ?? [];
  const policy = new DataAwsIamPolicyDocument(stack, `data.aws_iam_policy_document.${id}_key`, {
    statement: [
      {
        sid: "AccountAdministersKeyThroughIam",
        principals: [
          { type: "AWS", identifiers: [`arn:${aws.partition}:iam::${aws.accountId}:root`] },
        ],
        actions: ["kms:*"],
        resources: ["*"],
      },
      ...services.map((service) => ({
        sid: `${service.replace(/[^A-Za-z0-9]/g, "")}ServiceUsesKey`,
        principals: [
          { type: "Service", identifiers: [servicePrincipal(service, aws.region, aws.dnsSuffix)] },
        ],
        actions: [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ],
        resources: ["*"],
        condition: [serviceCondition(service, aws)],
      })),
    ],
  });
  const key = new KmsKey(stack, `aws_kms_key.${id}`, {
    description: options.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: policy.json,
  });
  new KmsAlias(stack, `aws_kms_alias.${id}`, {
    name: `alias/${options.alias}`,
    targetKeyId: key.keyId,
  });
  return key;
}

/**
 * CloudWatch Logs is limited to this account's log groups in this region (the condition AWS
 * documents for encrypted log groups); other services to calls made for this account.
 */
function serviceCondition(service: string, aws: AwsContext) {
  return service === "logs"
    ? {
        test: "ArnLike",
        variable: "kms:EncryptionContext:aws:logs:arn",
        values: [`arn:${aws.partition}:logs:${aws.region}:${aws.accountId}:log-group:*`],
      }
    : { test: "StringEquals", variable: "aws:SourceAccount", values: [aws.accountId] };
}

/** CloudWatch Logs uses a regional service principal; the others are global. */
function servicePrincipal(service: string, region: string, dnsSuffix: string): string {
  return service === "logs" ? `logs.${region}.${dnsSuffix}` : `${service}.${dnsSuffix}`;
}
