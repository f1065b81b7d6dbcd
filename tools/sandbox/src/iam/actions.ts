/**
 * Which IAM action, and on which resource, a request to the emulator is: the service from the
 * SigV4 scope, the action from `X-Amz-Target` (JSON protocol), `Action=` (query protocol) or
 * S3's REST mapping, the resource from per-service extractors. A request none of these reads is
 * undefined: the gateway forwards it without evaluation (README: what is and is not evaluated).
 */
import type { SignedRequest } from "./request.ts";

export interface Call {
  /** `service:Action` as IAM names it. */
  readonly action: string;
  /** The ARN of the resource, `*` when the action takes none the gateway extracts. */
  readonly resource: string;
  /** Context keys the request carries (`iam:PermissionsBoundary`, `s3:prefix`, ...). */
  readonly context: Record<string, string | string[]>;
  /** DynamoDB's table, for its key schema (`dynamodb:LeadingKeys`) and its encryption key. */
  readonly table?: {
    readonly name: string;
    readonly key?: Record<string, unknown>;
    readonly keys?: Record<string, unknown>[];
  };
}

/** The SigV4 scope's service as IAM's action prefix. */
const IAM_PREFIX: Record<string, string> = { monitoring: "cloudwatch" };

export function callOf(request: SignedRequest, account: string): Call | undefined {
  const service = request.service;
  if (!service) return undefined;
  const prefix = IAM_PREFIX[service] ?? service;
  const region = request.region ?? "us-east-1";
  const arn = (resource: string, where = region) =>
    `arn:aws:${prefix}:${where}:${account}:${resource}`;
  if (service === "s3") return s3Call(request);
  const target = request.headers["x-amz-target"];
  const name = target ? String(target).split(".").pop()! : request.params.Action;
  if (!name) return undefined;
  const action = `${prefix}:${name}`;
  const body = request.json ?? {};
  const param = (key: string) =>
    typeof body[key] === "string" ? (body[key] as string) : request.params[key];
  switch (prefix) {
    case "dynamodb": {
      const table = param("TableName");
      if (!table) return { action, resource: "*", context: {} };
      return {
        action,
        resource: arn(`table/${table}`),
        context: {},
        table: {
          name: table,
          ...(isObject(body.Key) ? { key: body.Key } : {}),
          ...(isObject(body.Item) ? { key: body.Item } : {}),
        },
      };
    }
    case "secretsmanager": {
      const id = param("SecretId");
      if (!id) return { action, resource: "*", context: {} };
      // A secret's ARN ends in six random characters; a name stands for any of them.
      return {
        action,
        resource: id.startsWith("arn:") ? id : arn(`secret:${id}-AbCdEf`),
        context: {},
      };
    }
    case "kms": {
      const id = param("KeyId");
      if (!id) return { action, resource: "*", context: {} };
      const resource = id.startsWith("arn:") ? id : arn(id.startsWith("alias/") ? id : `key/${id}`);
      return { action, resource, context: {} };
    }
    case "ssm": {
      const parameter = param("Name");
      if (!parameter) return { action, resource: "*", context: {} };
      return { action, resource: arn(`parameter/${parameter.replace(/^\//, "")}`), context: {} };
    }
    case "iam":
      return iamCall(action, request.params, account);
    case "sts":
      return { action, resource: request.params.RoleArn ?? "*", context: {} };
    default:
      return { action, resource: "*", context: {} };
  }
}

function iamCall(action: string, params: Record<string, string>, account: string): Call {
  const boundary = params.PermissionsBoundary;
  const context: Record<string, string> = boundary ? { "iam:PermissionsBoundary": boundary } : {};
  if (params.PolicyArn && !params.RoleName && !params.UserName) {
    return { action, resource: params.PolicyArn, context };
  }
  if (params.PolicyArn) context["iam:PolicyARN"] = params.PolicyArn;
  if (params.RoleName) {
    const path = params.Path ?? "/";
    return { action, resource: `arn:aws:iam::${account}:role${path}${params.RoleName}`, context };
  }
  if (params.UserName) {
    return { action, resource: `arn:aws:iam::${account}:user/${params.UserName}`, context };
  }
  return { action, resource: "*", context };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** S3's REST API: the subresource in the query names the action (Amazon S3 API reference). */
const BUCKET_SUBRESOURCES: Record<string, [get: string, put: string, remove?: string]> = {
  policy: ["GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"],
  versioning: ["GetBucketVersioning", "PutBucketVersioning"],
  encryption: [
    "GetEncryptionConfiguration",
    "PutEncryptionConfiguration",
    "PutEncryptionConfiguration",
  ],
  acl: ["GetBucketAcl", "PutBucketAcl"],
  tagging: ["GetBucketTagging", "PutBucketTagging", "PutBucketTagging"],
  lifecycle: [
    "GetLifecycleConfiguration",
    "PutLifecycleConfiguration",
    "PutLifecycleConfiguration",
  ],
  logging: ["GetBucketLogging", "PutBucketLogging"],
  replication: [
    "GetReplicationConfiguration",
    "PutReplicationConfiguration",
    "PutReplicationConfiguration",
  ],
  "public-access-block": [
    "GetBucketPublicAccessBlock",
    "PutBucketPublicAccessBlock",
    "PutBucketPublicAccessBlock",
  ],
  ownershipControls: [
    "GetBucketOwnershipControls",
    "PutBucketOwnershipControls",
    "PutBucketOwnershipControls",
  ],
  cors: ["GetBucketCORS", "PutBucketCORS", "PutBucketCORS"],
  website: ["GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"],
  "object-lock": ["GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration"],
  accelerate: ["GetAccelerateConfiguration", "PutAccelerateConfiguration"],
  requestPayment: ["GetBucketRequestPayment", "PutBucketRequestPayment"],
  notification: ["GetBucketNotification", "PutBucketNotification"],
  location: ["GetBucketLocation", "GetBucketLocation"],
  versions: ["ListBucketVersions", "ListBucketVersions"],
  uploads: ["ListBucketMultipartUploads", "ListBucketMultipartUploads"],
};

const OBJECT_SUBRESOURCES: Record<string, [get: string, put: string, remove?: string]> = {
  tagging: ["GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging"],
  acl: ["GetObjectAcl", "PutObjectAcl"],
  retention: ["GetObjectRetention", "PutObjectRetention"],
  "legal-hold": ["GetObjectLegalHold", "PutObjectLegalHold"],
};

function s3Call(request: SignedRequest): Call | undefined {
  const [bucket, ...rest] = request.path.replace(/^\//, "").split("/");
  const key = rest.join("/");
  const method = request.method;
  const subresource = (table: Record<string, [string, string, string?]>) =>
    Object.keys(request.params).find((p) => p in table);
  const pick = (entry: [string, string, string?]) =>
    method === "GET" || method === "HEAD" ? entry[0] : method === "DELETE" ? entry[2] : entry[1];
  if (!bucket)
    return method === "GET"
      ? { action: "s3:ListAllMyBuckets", resource: "*", context: {} }
      : undefined;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const encryption = request.headers["x-amz-server-side-encryption"];
  if (key) {
    const sub = subresource(OBJECT_SUBRESOURCES);
    const versioned = "versionId" in request.params ? "Version" : "";
    const plain: Record<string, string> = {
      GET: `GetObject${versioned}`,
      HEAD: `GetObject${versioned}`,
      PUT: "PutObject",
      POST: "PutObject", // multipart uploads
      DELETE: `DeleteObject${versioned}`,
    };
    const name = sub ? pick(OBJECT_SUBRESOURCES[sub]!) : plain[method];
    if (!name) return undefined;
    const context: Record<string, string> = encryption
      ? { "s3:x-amz-server-side-encryption": String(encryption) }
      : {};
    return { action: `s3:${name}`, resource: `${bucketArn}/${key}`, context };
  }
  const sub = subresource(BUCKET_SUBRESOURCES);
  if (sub) {
    const name = pick(BUCKET_SUBRESOURCES[sub]!);
    return name ? { action: `s3:${name}`, resource: bucketArn, context: {} } : undefined;
  }
  if (method === "GET" || method === "HEAD") {
    const prefix = request.params.prefix;
    return {
      action: "s3:ListBucket",
      resource: bucketArn,
      context: prefix !== undefined ? { "s3:prefix": prefix } : {},
    };
  }
  if (method === "PUT") return { action: "s3:CreateBucket", resource: bucketArn, context: {} };
  if (method === "DELETE") return { action: "s3:DeleteBucket", resource: bucketArn, context: {} };
  if (method === "POST" && "delete" in request.params) {
    return { action: "s3:DeleteObject", resource: `${bucketArn}/*`, context: {} };
  }
  return undefined;
}
