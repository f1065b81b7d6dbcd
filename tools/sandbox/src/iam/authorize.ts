/**
 * A request made with a role's credentials, authorized as AWS authorizes it, by
 * @cloud-copilot/iam-simulate: the role's identity policies (inline, attached customer and
 * AWS-managed), its permissions boundary, explicit denies, the context keys the request carries,
 * the resource's own policy (a bucket policy, a key policy) and, for DynamoDB data calls on a
 * table encrypted with a customer-managed key, the caller's kms:Decrypt through DynamoDB.
 */
import { randomUUID } from "node:crypto";
import { getDenialReasons, runSimulation } from "@cloud-copilot/iam-simulate";
import { callOf, type Call } from "./actions.ts";
import type { EmulatorReader, RoleView } from "./emulator.ts";
import type { SignedRequest } from "./request.ts";
import type { PolicyDocument } from "./trust.ts";

export interface ErrorAnswer {
  readonly status: number;
  readonly body: string;
  readonly headers: Record<string, string>;
}

export type Authorization =
  | { readonly kind: "allowed"; readonly call: string }
  /** No action the gateway can read: forwarded without evaluation. */
  | { readonly kind: "unread" }
  | {
      readonly kind: "denied";
      readonly call: string;
      readonly reason: string;
      readonly answer: ErrorAnswer;
    };

const CACHE_MS = 10_000;
/** What S3 asks KMS on the caller's behalf for an object of an SSE-KMS bucket. */
const S3_KEY_USE: Record<string, string> = {
  "s3:GetObject": "kms:Decrypt",
  "s3:GetObjectVersion": "kms:Decrypt",
  "s3:PutObject": "kms:GenerateDataKey",
};
/** DynamoDB's data calls, which use the table's key with the caller's permission. */
/**
 * IAM calls that change a role's permissions: AWS sets `iam:PermissionsBoundary` to the
 * boundary the role already has (Service Authorization Reference), not to a request parameter.
 */
const CHANGES_ROLE_PERMISSIONS =
  /^iam:(AttachRolePolicy|DetachRolePolicy|PutRolePolicy|DeleteRolePolicy|DeleteRolePermissionsBoundary)$/;
const DYNAMODB_DATA =
  /^dynamodb:(GetItem|PutItem|UpdateItem|DeleteItem|Query|Scan|BatchGetItem|BatchWriteItem|TransactGetItems|TransactWriteItems)$/;

export class Authorizer {
  private readonly cache = new Map<string, { at: number; value: Promise<unknown> }>();

  constructor(
    private readonly reader: EmulatorReader,
    private readonly account: string,
  ) {}

  /** The role, the resource policies and the tables are read at most every ten seconds. */
  private cached<T>(key: string, read: () => Promise<T>): Promise<T> {
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value as Promise<T>;
    const value = read();
    this.cache.set(key, { at: Date.now(), value });
    value.catch(() => this.cache.delete(key));
    return value;
  }

  async authorize(roleArn: string, request: SignedRequest): Promise<Authorization> {
    const call = await this.keyOfAlias(callOf(request, this.account));
    if (!call) return { kind: "unread" };
    const role = await this.cached(`role ${roleArn}`, () => this.reader.role(roleArn));
    if (!role)
      return this.denied(
        request,
        roleArn,
        call.action,
        call.resource,
        `the role ${roleArn} no longer exists`,
      );
    const context = {
      ...call.context,
      ...(await this.tableContext(call, request.region)),
      ...(await this.boundaryContext(call)),
    };
    const verdict = await this.judge(role, { ...call, context });
    const label = `${call.action} on ${call.resource}`;
    if (!verdict.allowed)
      return this.denied(request, roleArn, call.action, call.resource, verdict.reason);
    const keyCheck = await this.encryptionKeyCheck(role, call, request.region ?? "us-east-1");
    if (keyCheck && !keyCheck.allowed) {
      return this.denied(
        request,
        roleArn,
        call.action,
        call.resource,
        `its data's key refuses ${keyCheck.what}: ${keyCheck.reason}`,
      );
    }
    return { kind: "allowed", call: label };
  }

  /** A KMS call naming an alias is authorized on the key the alias points to. */
  private async keyOfAlias(call: Call | undefined): Promise<Call | undefined> {
    if (!call || !/^arn:aws:kms:[^:]+:\d+:alias\//.test(call.resource)) return call;
    const alias = call.resource;
    const region = alias.split(":")[3]!;
    const key = await this.cached(`key of ${alias}`, () => this.reader.keyArn(alias, region));
    return key ? { ...call, resource: key } : undefined; // no such alias: KMS answers NotFound
  }

  private async judge(role: RoleView, call: Call & { context: Record<string, string | string[]> }) {
    const resourcePolicy = await this.resourcePolicy(call.resource);
    const response = await runSimulation(
      {
        request: {
          principal: role.arn,
          action: call.action,
          resource: { resource: call.resource, accountId: this.account },
          contextVariables: {
            "aws:PrincipalArn": role.arn,
            "aws:PrincipalAccount": this.account,
            // The gateway stands for AWS's TLS endpoints, so every call is over TLS.
            "aws:SecureTransport": "true",
            ...call.context,
          },
        },
        identityPolicies: role.identity,
        permissionBoundaryPolicies: role.boundary ? [role.boundary] : undefined,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        resourcePolicy,
      },
      {},
    );
    if (response.resultType === "error") {
      return {
        allowed: false,
        reason: `the evaluator cannot judge it: ${JSON.stringify(response.errors)}`,
      };
    }
    if (response.overallResult === "Allowed") return { allowed: true, reason: "" };
    const results = response.resultType === "single" ? [response.result] : response.results;
    const explicit = results.flatMap(({ analysis }) =>
      getDenialReasons(analysis).flatMap((d) =>
        d.denialType === "Explicit"
          ? [`${d.statementId ?? `#${d.statementIndex}`} of ${d.policyIdentifier ?? d.policyType}`]
          : [],
      ),
    );
    return {
      allowed: false,
      reason: explicit.length
        ? `explicitly denied by statement ${[...new Set(explicit)].join(", ")}`
        : `no statement allowed it${role.boundary ? " (identity policies and boundary together)" : ""}`,
    };
  }

  private async resourcePolicy(resource: string): Promise<PolicyDocument | undefined> {
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
    if (bucket)
      return this.cached(`bucket policy ${bucket}`, () => this.reader.bucketPolicy(bucket));
    if (/^arn:aws:kms:[^:]+:\d+:key\//.test(resource)) {
      return this.cached(`key policy ${resource}`, () => this.reader.keyPolicy(resource));
    }
    return undefined;
  }

  /** `iam:PermissionsBoundary` of a call changing a role's permissions: the role's own boundary. */
  private async boundaryContext(call: Call): Promise<Record<string, string>> {
    if (!CHANGES_ROLE_PERMISSIONS.test(call.action) || !call.resource.includes(":role/")) return {};
    const boundary = await this.reader.roleBoundary(call.resource);
    return boundary ? { "iam:PermissionsBoundary": boundary } : {};
  }

  /** `dynamodb:LeadingKeys`: the partition key's value the request names. */
  private async tableContext(call: Call, region = "us-east-1"): Promise<Record<string, string[]>> {
    if (!call.table) return {};
    const table = await this.cached(`table ${region} ${call.table.name}`, () =>
      this.reader.table(call.table!.name, region),
    );
    const value =
      table && call.table.key ? attributeValue(call.table.key[table.partitionKey]) : undefined;
    return value === undefined ? {} : { "dynamodb:LeadingKeys": [value] };
  }

  /** DynamoDB decrypts a customer-managed key's table with the caller's kms:Decrypt. */
  /**
   * The caller's own permission on the customer-managed key of the data it reads or writes, as
   * the service uses it on the caller's behalf: a DynamoDB table's key (kms:Decrypt), an S3
   * bucket's default SSE-KMS key (kms:Decrypt to read an object, kms:GenerateDataKey to write one).
   */
  private async encryptionKeyCheck(role: RoleView, call: Call, region: string) {
    const use = await this.keyUse(call, region);
    if (!use) return undefined;
    const { keyArn, action, service } = use;
    const aliases = await this.cached(`aliases ${keyArn}`, () => this.reader.keyAliases(keyArn));
    const verdict = await this.judge(role, {
      action,
      resource: keyArn,
      context: {
        "kms:ViaService": `${service}.${region}.amazonaws.com`,
        "kms:CallerAccount": this.account,
        ...(aliases.length ? { "kms:ResourceAliases": aliases } : {}),
      },
    });
    return { ...verdict, what: `${action} on ${keyArn} through ${service}` };
  }

  private async keyUse(call: Call, region: string) {
    if (call.table && DYNAMODB_DATA.test(call.action)) {
      const name = call.table.name;
      const table = await this.cached(`table ${region} ${name}`, () =>
        this.reader.table(name, region),
      );
      return table?.keyArn
        ? { keyArn: table.keyArn, action: "kms:Decrypt", service: "dynamodb" }
        : undefined;
    }
    const object = /^arn:aws:s3:::([^/]+)\/./.exec(call.resource);
    const action = S3_KEY_USE[call.action];
    if (!object || !action) return undefined;
    const bucket = object[1]!;
    const keyId = await this.cached(`bucket key ${bucket}`, () => this.reader.bucketKey(bucket));
    if (!keyId) return undefined;
    const keyArn = await this.cached(`key of ${keyId}`, () => this.reader.keyArn(keyId, region));
    return keyArn ? { keyArn, action, service: "s3" } : undefined;
  }

  private denied(
    request: SignedRequest,
    role: string,
    action: string,
    resource: string,
    reason: string,
  ): Authorization {
    const message = `User: ${role} is not authorized to perform: ${action} on resource: ${resource} (tandem sandbox: ${reason})`;
    return {
      kind: "denied",
      call: `${action} on ${resource}`,
      reason,
      answer: accessDenied(request, message),
    };
  }
}

/** A DynamoDB attribute value's string form ({"S": "lock"} is "lock"). */
function attributeValue(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const [first] = Object.values(value as Record<string, unknown>);
  return typeof first === "string" ? first : undefined;
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** AccessDenied in the service's own protocol: JSON `__type`, query `<ErrorResponse>`, S3 `<Error>`. */
export function accessDenied(request: SignedRequest, message: string): ErrorAnswer {
  const id = randomUUID();
  if (request.headers["x-amz-target"]) {
    return {
      status: 400,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-errortype": "AccessDeniedException",
        "x-amzn-requestid": id,
      },
      body: JSON.stringify({
        __type: "com.amazonaws.tandem#AccessDeniedException",
        message,
        Message: message,
      }),
    };
  }
  const xml = { "content-type": "text/xml", "x-amzn-requestid": id };
  if (request.service === "s3") {
    return {
      status: 403,
      headers: xml,
      body: `<Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>${id}</RequestId></Error>`,
    };
  }
  if (request.service === "ec2") {
    return {
      status: 403,
      headers: xml,
      body: `<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${id}</RequestID></Response>`,
    };
  }
  return {
    status: 403,
    headers: xml,
    body: `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${id}</RequestId></ErrorResponse>`,
  };
}
