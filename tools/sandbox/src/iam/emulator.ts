/**
 * What the gateway reads from the emulator with the account's admin test credentials: a role's
 * trust policy, identity policies (inline, attached customer and AWS-managed, the managed ones
 * with the documents moto ships), its permissions boundary, the OIDC provider's audiences, and
 * the resource policies of buckets and keys.
 */
import {
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from "@aws-sdk/client-iam";
import { DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import {
  DescribeKeyCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListAliasesCommand,
} from "@aws-sdk/client-kms";
import { GetBucketEncryptionCommand, GetBucketPolicyCommand, S3Client } from "@aws-sdk/client-s3";
import type { PolicyDocument } from "./trust.ts";

export interface NamedPolicy {
  readonly name: string;
  readonly policy: PolicyDocument;
}

/** A role as IAM holds it: what authorizes a call made with its credentials. */
export interface RoleView {
  readonly arn: string;
  readonly trust: PolicyDocument;
  readonly identity: NamedPolicy[];
  readonly boundary?: NamedPolicy;
}

const ADMIN = { accessKeyId: "test", secretAccessKey: "test" };
const document = (text: string | undefined) =>
  JSON.parse(decodeURIComponent(text ?? "{}")) as PolicyDocument;

export class EmulatorReader {
  private readonly iam: IAMClient;
  private readonly config: { endpoint: string; credentials: typeof ADMIN; maxAttempts: number };

  constructor(endpoint: string) {
    this.config = { endpoint, credentials: ADMIN, maxAttempts: 1 };
    this.iam = new IAMClient({ ...this.config, region: "us-east-1" });
  }

  async role(roleArn: string): Promise<RoleView | undefined> {
    const RoleName = roleArn.split("/").pop()!;
    const role = await this.iam.send(new GetRoleCommand({ RoleName })).catch(notFound);
    if (!role?.Role) return undefined;
    const inlineNames = (await this.iam.send(new ListRolePoliciesCommand({ RoleName })))
      .PolicyNames;
    const inline = await Promise.all(
      (inlineNames ?? []).map(async (PolicyName) => ({
        name: PolicyName,
        policy: document(
          (await this.iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))).PolicyDocument,
        ),
      })),
    );
    const attachedArns = (await this.iam.send(new ListAttachedRolePoliciesCommand({ RoleName })))
      .AttachedPolicies;
    const attached = await Promise.all(
      (attachedArns ?? []).map(async ({ PolicyArn }) => this.managedPolicy(PolicyArn!)),
    );
    const boundaryArn = role.Role.PermissionsBoundary?.PermissionsBoundaryArn;
    return {
      arn: role.Role.Arn!,
      trust: document(role.Role.AssumeRolePolicyDocument),
      identity: [...inline, ...attached],
      ...(boundaryArn ? { boundary: await this.managedPolicy(boundaryArn) } : {}),
    };
  }

  /** The ARN of the role's permissions boundary, read fresh (a call may just have set it). */
  async roleBoundary(roleArn: string): Promise<string | undefined> {
    const RoleName = roleArn.split("/").pop()!;
    const role = await this.iam.send(new GetRoleCommand({ RoleName })).catch(notFound);
    return role?.Role?.PermissionsBoundary?.PermissionsBoundaryArn;
  }

  async managedPolicy(PolicyArn: string): Promise<NamedPolicy> {
    const { Policy } = await this.iam.send(new GetPolicyCommand({ PolicyArn }));
    const { PolicyVersion } = await this.iam.send(
      new GetPolicyVersionCommand({ PolicyArn, VersionId: Policy!.DefaultVersionId! }),
    );
    return { name: PolicyArn, policy: document(PolicyVersion!.Document) };
  }

  /** The audiences (client ids) of the account's OIDC provider, or undefined when there is none. */
  async providerAudiences(providerArn: string): Promise<string[] | undefined> {
    const provider = await this.iam
      .send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }))
      .catch(notFound);
    return provider ? (provider.ClientIDList ?? []) : undefined;
  }

  async bucketPolicy(Bucket: string): Promise<PolicyDocument | undefined> {
    const s3 = new S3Client({ ...this.config, region: "us-east-1", forcePathStyle: true });
    const answer = await s3.send(new GetBucketPolicyCommand({ Bucket })).catch(notFound);
    return answer?.Policy ? (JSON.parse(answer.Policy) as PolicyDocument) : undefined;
  }

  async keyPolicy(keyArn: string): Promise<PolicyDocument | undefined> {
    const region = keyArn.split(":")[3]!;
    const kms = new KMSClient({ ...this.config, region });
    const answer = await kms
      .send(new GetKeyPolicyCommand({ KeyId: keyArn, PolicyName: "default" }))
      .catch(notFound);
    return answer?.Policy ? (JSON.parse(answer.Policy) as PolicyDocument) : undefined;
  }

  async table(TableName: string, region: string): Promise<TableView | undefined> {
    const dynamodb = new DynamoDBClient({ ...this.config, region });
    const answer = await dynamodb.send(new DescribeTableCommand({ TableName })).catch(notFound);
    const table = answer?.Table;
    const partitionKey = table?.KeySchema?.find((k) => k.KeyType === "HASH")?.AttributeName;
    if (!partitionKey) return undefined;
    const keyArn = table?.SSEDescription?.KMSMasterKeyArn;
    return { partitionKey, ...(keyArn ? { keyArn } : {}) };
  }

  /** The ARN of the key a key id, key ARN or alias names (KMS authorizes the key), if any. */
  async keyArn(keyId: string, region: string): Promise<string | undefined> {
    const kms = new KMSClient({ ...this.config, region });
    const answer = await kms.send(new DescribeKeyCommand({ KeyId: keyId })).catch(notFound);
    return answer?.KeyMetadata?.Arn;
  }

  /** The customer-managed key of a bucket's default SSE-KMS encryption, as its configuration names it. */
  async bucketKey(Bucket: string): Promise<string | undefined> {
    const s3 = new S3Client({ ...this.config, region: "us-east-1", forcePathStyle: true });
    const answer = await s3.send(new GetBucketEncryptionCommand({ Bucket })).catch(notFound);
    const rule = answer?.ServerSideEncryptionConfiguration?.Rules?.[0];
    const sse = rule?.ApplyServerSideEncryptionByDefault;
    return sse?.SSEAlgorithm === "aws:kms" ? sse.KMSMasterKeyID : undefined;
  }

  /** The aliases of a key (`alias/<name>`), for `kms:ResourceAliases`. */
  async keyAliases(keyArn: string): Promise<string[]> {
    const kms = new KMSClient({ ...this.config, region: keyArn.split(":")[3]! });
    const { Aliases } = await kms.send(new ListAliasesCommand({ KeyId: keyArn }));
    return (Aliases ?? []).map((a) => a.AliasName!);
  }
}

export interface TableView {
  readonly partitionKey: string;
  /** The customer-managed key the table is encrypted with, if any. */
  readonly keyArn?: string;
}

/** A missing thing is undefined; any other failure is the emulator's and surfaces. */
function notFound(error: unknown): undefined {
  const name = (error as { name?: string }).name ?? "";
  if (/NoSuch|NotFound|ServerSideEncryptionConfigurationNotFound/.test(name)) return undefined;
  throw error;
}
