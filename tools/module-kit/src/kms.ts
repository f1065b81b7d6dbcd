import { Fn } from "cdktf";
import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key/index.js";
import { awsContext, type AwsContext } from "./common.ts";
import type { ModuleStack } from "./module-stack.ts";

export interface KmsKeyOptions {
  /** Terraform name of the key and its alias (default `this`). */
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
 * lets the listed service principals use the key for this account only. It is written inline
 * on the key, not as an IAM policy document: in a key policy `Resource: "*"` means this key,
 * and scanners judge it by the rules for key policies instead of those for IAM policies.
 */
export function kmsKey(stack: ModuleStack, options: KmsKeyOptions): KmsKey {
  const id = options.id ?? "this";
  const aws = awsContext(stack);
  const key = new KmsKey(stack, `aws_kms_key.${id}`, {
    description: options.description,
    enableKeyRotation: true,
    deletionWindowInDays: 30,
    policy: Fn.jsonencode(keyPolicy(aws, options.servicePrincipals ?? [])),
  });
  new KmsAlias(stack, `aws_kms_alias.${id}`, {
    name: `alias/${options.alias}`,
    targetKeyId: key.keyId,
  });
  return key;
}

function keyPolicy(aws: AwsContext, services: string[]) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "AccountAdministersKeyThroughIam",
        Effect: "Allow",
        Principal: { AWS: `arn:${aws.partition}:iam::${aws.accountId}:root` },
        Action: "kms:*",
        Resource: "*",
      },
      ...services.map((service) => ({
        Sid: `${service.replace(/[^A-Za-z0-9]/g, "")}ServiceUsesKey`,
        Effect: "Allow",
        Principal: { Service: servicePrincipal(service, aws.region, aws.dnsSuffix) },
        Action: [
          "kms:Encrypt*",
          "kms:Decrypt*",
          "kms:ReEncrypt*",
          "kms:GenerateDataKey*",
          "kms:Describe*",
        ],
        Resource: "*",
        Condition: serviceCondition(service, aws),
      })),
    ],
  };
}

/**
 * CloudWatch Logs is limited to this account's log groups in this region (the condition AWS
 * documents for encrypted log groups); other services to calls made for this account.
 */
function serviceCondition(service: string, aws: AwsContext) {
  return service === "logs"
    ? {
        ArnLike: {
          "kms:EncryptionContext:aws:logs:arn": `arn:${aws.partition}:logs:${aws.region}:${aws.accountId}:log-group:*`,
        },
      }
    : { StringEquals: { "aws:SourceAccount": aws.accountId } };
}

/** CloudWatch Logs uses a regional service principal; the others are global. */
function servicePrincipal(service: string, region: string, dnsSuffix: string): string {
  return service === "logs" ? `logs.${region}.${dnsSuffix}` : `${service}.${dnsSuffix}`;
}
