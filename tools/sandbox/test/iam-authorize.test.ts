/**
 * The gateway's authorization of one request, from the HTTP request a SDK would send to what the
 * evaluator decides: the action read from each protocol, the resource, the context keys, the
 * table key's kms:Decrypt through DynamoDB, and AccessDenied in the service's own protocol. IAM's
 * view comes from a small in-memory reader here; the tests on the applied sandbox read moto's.
 */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { Authorizer } from "../src/iam/authorize.ts";
import type { EmulatorReader, RoleView, TableView } from "../src/iam/emulator.ts";
import { signedBy } from "../src/iam/request.ts";
import type { PolicyDocument } from "../src/iam/trust.ts";

const ACCOUNT = "123456789012";
const ROLE = `arn:aws:iam::${ACCOUNT}:role/tandem-test`;
const KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/1111`;
const TABLE = `arn:aws:dynamodb:us-east-1:${ACCOUNT}:table/payments`;

const allow = (
  Sid: string,
  Action: string | string[],
  Resource: string | string[],
  Condition?: object,
) => ({
  Sid,
  Effect: "Allow",
  Action,
  Resource,
  ...(Condition ? { Condition } : {}),
});
const doc = (...Statement: Record<string, unknown>[]): PolicyDocument => ({
  Version: "2012-10-17",
  Statement,
});
const keyPolicy = doc({
  Sid: "DelegateToIam",
  Effect: "Allow",
  Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
  Action: "kms:*",
  Resource: "*",
});

function authorizer(identity: PolicyDocument, boundary?: PolicyDocument) {
  const role: RoleView = {
    arn: ROLE,
    trust: doc(),
    identity: [{ name: "inline", policy: identity }],
    ...(boundary ? { boundary: { name: "boundary", policy: boundary } } : {}),
  };
  const table: TableView = { partitionKey: "pk", keyArn: KEY };
  const reader = {
    role: async () => role,
    table: async () => table,
    keyAliases: async () => ["alias/payments-data"],
    keyArn: async (id: string) =>
      id.endsWith("alias/payments-data") || id === KEY ? KEY : undefined,
    // As moto answers for the state buckets: the key's ARN, whose policy is read too.
    bucketKey: async (bucket: string) => (bucket === "state" ? KEY : undefined),
    keyPolicy: async () => keyPolicy,
    bucketPolicy: async () => undefined,
    // The role `bounded` carries the boundary policy; every other role none.
    roleBoundary: async (arn: string) =>
      arn.endsWith("/bounded") ? `arn:aws:iam::${ACCOUNT}:policy/boundary` : undefined,
  } as unknown as EmulatorReader;
  return new Authorizer(reader, ACCOUNT);
}

/** A request as the SDKs send it, signed (the signature itself is not checked) by `ASIA…`. */
function request(options: {
  method?: string;
  path?: string;
  service: string;
  headers?: Record<string, string>;
  body?: string;
}) {
  const headers = {
    authorization: `AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20261203/us-east-1/${options.service}/aws4_request, SignedHeaders=host, Signature=0`,
    ...options.headers,
  };
  const req = {
    method: options.method ?? "POST",
    url: options.path ?? "/",
    headers,
  } as unknown as IncomingMessage;
  return signedBy(req, Buffer.from(options.body ?? ""));
}

const dynamodb = (operation: string, body: object) =>
  request({
    service: "dynamodb",
    headers: {
      "x-amz-target": `DynamoDB_20120810.${operation}`,
      "content-type": "application/x-amz-json-1.0",
    },
    body: JSON.stringify(body),
  });

describe("the gateway's authorization of a request", () => {
  it("judges a DynamoDB call's leading key and the table key's kms:Decrypt through DynamoDB", async () => {
    const lockOnly = allow("Lock", "dynamodb:GetItem", TABLE, {
      "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": ["lock"] },
      Null: { "dynamodb:LeadingKeys": "false" },
    });
    const tableKey = allow("TableKey", "kms:Decrypt", KEY, {
      StringEquals: { "kms:ViaService": "dynamodb.us-east-1.amazonaws.com" },
      "ForAnyValue:StringEquals": { "kms:ResourceAliases": ["alias/payments-data"] },
    });
    const get = (pk: string) =>
      dynamodb("GetItem", { TableName: "payments", Key: { pk: { S: pk } } });

    const withKey = authorizer(doc(lockOnly, tableKey));
    expect(await withKey.authorize(ROLE, get("lock"))).toEqual({
      kind: "allowed",
      call: `dynamodb:GetItem on ${TABLE}`,
    });
    const other = await withKey.authorize(ROLE, get("payment#1"));
    expect(other).toMatchObject({ kind: "denied", reason: "no statement allowed it" });

    const withoutKey = await authorizer(doc(lockOnly)).authorize(ROLE, get("lock"));
    expect(withoutKey).toMatchObject({
      kind: "denied",
      reason: `its data's key refuses kms:Decrypt on ${KEY} through dynamodb: no statement allowed it`,
    });
    if (withoutKey.kind !== "denied") throw new Error("unreachable");
    expect(withoutKey.answer.status).toBe(400);
    expect(JSON.parse(withoutKey.answer.body)).toMatchObject({
      __type: expect.stringMatching(/#AccessDeniedException$/),
    });
  });

  it("reads S3's REST calls, with the bucket key's use through S3, and answers S3's XML error", async () => {
    const state = `arn:aws:s3:::state/staging/*`;
    const objects = allow(
      "State",
      ["s3:GetObject", "s3:ListBucket"],
      [state, "arn:aws:s3:::state"],
    );
    const stateKey = allow("StateKey", "kms:Decrypt", KEY, {
      StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" },
    });
    const reader = authorizer(doc(objects, stateKey));
    const s3 = (method: string, path: string) => request({ method, path, service: "s3" });
    expect(
      await reader.authorize(ROLE, s3("GET", "/state/staging/us-east-1.tfstate")),
    ).toMatchObject({ kind: "allowed" });
    expect(
      await reader.authorize(ROLE, s3("HEAD", "/state/staging/us-east-1.tfstate")),
    ).toMatchObject({ kind: "allowed" });
    expect(
      await reader.authorize(ROLE, s3("GET", "/state?list-type=2&prefix=staging/")),
    ).toMatchObject({
      kind: "allowed",
      call: "s3:ListBucket on arn:aws:s3:::state",
    });
    const put = await reader.authorize(ROLE, s3("PUT", "/state/staging/us-east-1.tfstate"));
    expect(put).toMatchObject({
      kind: "denied",
      call: "s3:PutObject on arn:aws:s3:::state/staging/us-east-1.tfstate",
    });
    if (put.kind !== "denied") throw new Error("unreachable");
    expect(put.answer.status).toBe(403);
    expect(put.answer.body).toMatch(/^<Error><Code>AccessDenied<\/Code>/);
    expect(await reader.authorize(ROLE, s3("GET", "/state?policy"))).toMatchObject({
      kind: "denied",
      call: "s3:GetBucketPolicy on arn:aws:s3:::state",
    });
    const withoutKey = authorizer(doc(objects));
    expect(
      await withoutKey.authorize(ROLE, s3("GET", "/state/staging/us-east-1.tfstate")),
    ).toMatchObject({
      kind: "denied",
      reason: `its data's key refuses kms:Decrypt on ${KEY} through s3: no statement allowed it`,
    });
  });

  it("reads a query-protocol call with its iam:PermissionsBoundary and names the denying statement", async () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const identity = doc(allow("Roles", "iam:CreateRole", "*"), {
      Sid: "KeepBoundary",
      Effect: "Deny",
      Action: "iam:CreateRole",
      Resource: "*",
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundaryArn } },
    });
    const create = (extra: string) =>
      request({
        service: "iam",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: `Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%7D${extra}`,
      });
    const refused = await authorizer(identity).authorize(ROLE, create(""));
    expect(refused).toMatchObject({
      kind: "denied",
      reason: "explicitly denied by statement KeepBoundary of inline",
    });
    if (refused.kind !== "denied") throw new Error("unreachable");
    expect(refused.answer.body).toMatch(
      /^<ErrorResponse><Error><Type>Sender<\/Type><Code>AccessDenied<\/Code>/,
    );
    expect(
      await authorizer(identity).authorize(
        ROLE,
        create(`&PermissionsBoundary=${encodeURIComponent(boundaryArn)}`),
      ),
    ).toMatchObject({
      kind: "allowed",
      call: `iam:CreateRole on arn:aws:iam::${ACCOUNT}:role/r`,
    });
  });

  it("judges a change of a role's policies on the boundary that role already has", async () => {
    const boundaryArn = `arn:aws:iam::${ACCOUNT}:policy/boundary`;
    const identity = doc(allow("Roles", ["iam:AttachRolePolicy", "iam:PutRolePolicy"], "*"), {
      Sid: "KeepBoundary",
      Effect: "Deny",
      Action: ["iam:AttachRolePolicy", "iam:PutRolePolicy"],
      Resource: "*",
      Condition: { StringNotEquals: { "iam:PermissionsBoundary": boundaryArn } },
    });
    const attach = (role: string) =>
      request({
        service: "iam",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        body: `Action=AttachRolePolicy&Version=2010-05-08&RoleName=${role}&PolicyArn=${encodeURIComponent("arn:aws:iam::aws:policy/ReadOnlyAccess")}`,
      });
    expect(await authorizer(identity).authorize(ROLE, attach("bounded"))).toMatchObject({
      kind: "allowed",
      call: `iam:AttachRolePolicy on arn:aws:iam::${ACCOUNT}:role/bounded`,
    });
    expect(await authorizer(identity).authorize(ROLE, attach("unbounded"))).toMatchObject({
      kind: "denied",
      reason: "explicitly denied by statement KeepBoundary of inline",
    });
  });

  it("applies the permissions boundary, and leaves a REST call it cannot read unevaluated", async () => {
    const everything = doc(allow("All", "*", "*"));
    const onlyReads = doc(allow("Reads", "dynamodb:Describe*", "*"));
    const put = dynamodb("PutItem", { TableName: "payments", Item: { pk: { S: "x" } } });
    expect(await authorizer(everything, onlyReads).authorize(ROLE, put)).toMatchObject({
      kind: "denied",
      reason: "no statement allowed it (identity policies and boundary together)",
    });
    const lambda = request({ method: "GET", path: "/2015-03-31/functions/f", service: "lambda" });
    expect(await authorizer(everything).authorize(ROLE, lambda)).toEqual({ kind: "unread" });
  });

  it("authorizes a KMS call naming an alias on the key it points to", async () => {
    const kms = (keyId: string) =>
      request({
        service: "kms",
        headers: {
          "x-amz-target": "TrentService.DescribeKey",
          "content-type": "application/x-amz-json-1.1",
        },
        body: JSON.stringify({ KeyId: keyId }),
      });
    const reader = authorizer(doc(allow("Describe", "kms:DescribeKey", KEY)));
    expect(await reader.authorize(ROLE, kms("alias/payments-data"))).toEqual({
      kind: "allowed",
      call: `kms:DescribeKey on ${KEY}`,
    });
    expect(await reader.authorize(ROLE, kms("alias/none"))).toEqual({ kind: "unread" });
  });
});
