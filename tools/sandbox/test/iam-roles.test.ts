/**
 * Role x call x expected, on the shared applied staging: each role's credentials come from
 * `sandboxEnv` (a job's token, the trust, the gateway), and each call goes through the gateway,
 * which authorizes it against what the bootstrap created in the emulator (identity policies,
 * ReadOnlyAccess as moto ships it, the boundary, the bucket and key policies).
 */
import { join } from "node:path";
import {
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import { CreateRoleCommand, DeleteRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crossRegionNames } from "@tandem/generator";
import { loadManifest, sandboxEnv, type RoleCredentials, type RoleKind } from "../src/iam/env.ts";
import { sharedSandbox, sharedSandboxName } from "../src/shared.ts";
import { findTool, sandboxUnavailable } from "../src/toolchain.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const skip = findTool("terraform", repoRoot) ? sandboxUnavailable(repoRoot) : "no terraform binary";
if (skip) console.warn(`sandbox IAM role tests skipped: ${skip}`);

const manifest = loadManifest(repoRoot, "staging");
const names = crossRegionNames(manifest);
const region = manifest.regions.primary;
const LOCK = "drill#lock";
const CANARY = "payment#tandem-drill-r1-canary-1";

/** Every call with what it answered, for the closing table. */
const table: { role: RoleKind; call: string; expected: string; seen: string; ms: number }[] = [];
const credentials = new Map<RoleKind, RoleCredentials>();

beforeAll(async () => {
  if (skip) return;
  await sharedSandbox(repoRoot, "terraform", (line) => console.log(line));
  for (const as of ["plan", "apply", "drill"] as const) {
    credentials.set(
      as,
      await sandboxEnv({
        repoRoot,
        environment: "staging",
        name: sharedSandboxName("terraform"),
        as,
      }),
    );
  }
}, 40 * 60_000);

afterAll(() => {
  if (table.length === 0) return;
  const lines = table.map(
    (r) => `| ${r.role} | ${r.call} | ${r.expected} | ${r.seen} | ${r.ms.toFixed(0)} |`,
  );
  console.log(
    ["| role | call | expected | seen | ms |", "| --- | --- | --- | --- | --- |", ...lines].join(
      "\n",
    ),
  );
});

function clientConfig(as: RoleKind) {
  const c = credentials.get(as)!;
  return {
    endpoint: c.endpoint,
    region,
    maxAttempts: 1,
    forcePathStyle: true,
    credentials: {
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
    },
  };
}

/** Runs the call as the role; "allowed" when the service answered anything but AccessDenied. */
async function attempt(
  as: RoleKind,
  call: string,
  expected: "allowed" | "denied",
  send: () => Promise<unknown>,
) {
  const started = performance.now();
  let seen = "allowed";
  let message = "";
  try {
    await send();
  } catch (error) {
    const { name, message: text } = error as Error;
    message = text;
    seen = /AccessDenied/.test(name) ? "denied" : `allowed (${name})`;
  }
  table.push({ role: as, call, expected, seen, ms: performance.now() - started });
  expect(seen.split(" ")[0], message).toBe(expected);
  return message;
}

const key = (pk: string) => ({ pk: { S: pk } });

describe.skipIf(skip)("each role's calls on the applied staging, authorized by the gateway", () => {
  it("plan: reads configuration, no data, and only its own environment's state", async () => {
    const dynamodb = new DynamoDBClient(clientConfig("plan"));
    const s3 = new S3Client(clientConfig("plan"));
    await attempt("plan", "dynamodb:DescribeTable", "allowed", () =>
      dynamodb.send(new DescribeTableCommand({ TableName: names.tableName })),
    );
    const denied = await attempt("plan", "dynamodb:GetItem payments table", "denied", () =>
      dynamodb.send(new GetItemCommand({ TableName: names.tableName, Key: key("payment#p-1") })),
    );
    expect(denied).toContain("tandem-staging-plan");
    await attempt("plan", "secretsmanager:GetSecretValue", "denied", () =>
      new SecretsManagerClient(clientConfig("plan")).send(
        new GetSecretValueCommand({ SecretId: `${names.name}/aurora/master` }),
      ),
    );
    const bucket = names.stateBucket(region);
    await attempt("plan", "s3:GetObject staging state", "allowed", () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: names.stateKey(region) })),
    );
    await attempt("plan", "s3:GetObject dev state", "denied", () =>
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: `dev/${region}.tfstate` })),
    );
  });

  it("drill: its lock and canary reads through the table's key, no payment write", async () => {
    const dynamodb = new DynamoDBClient(clientConfig("drill"));
    const item = (pk: string) => ({
      TableName: names.tableName,
      Item: { ...key(pk), at: { S: "now" } },
    });
    await attempt("drill", "dynamodb:PutItem lock", "allowed", () =>
      dynamodb.send(new PutItemCommand(item(LOCK))),
    );
    await attempt("drill", "dynamodb:GetItem lock", "allowed", () =>
      dynamodb.send(new GetItemCommand({ TableName: names.tableName, Key: key(LOCK) })),
    );
    await attempt("drill", "dynamodb:DeleteItem lock", "allowed", () =>
      dynamodb.send(new DeleteItemCommand({ TableName: names.tableName, Key: key(LOCK) })),
    );
    await attempt("drill", "dynamodb:GetItem canary", "allowed", () =>
      dynamodb.send(new GetItemCommand({ TableName: names.tableName, Key: key(CANARY) })),
    );
    await attempt("drill", "dynamodb:PutItem payment", "denied", () =>
      dynamodb.send(new PutItemCommand(item("payment#p-1"))),
    );
    await attempt("drill", "dynamodb:GetItem payment", "denied", () =>
      dynamodb.send(new GetItemCommand({ TableName: names.tableName, Key: key("payment#p-1") })),
    );
  });

  it("apply: creates a role only inside its own boundary", async () => {
    const iam = new IAMClient({ ...clientConfig("apply"), region: "us-east-1" });
    const trust = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ],
    });
    const RoleName = `payments-staging-iam-test-${process.pid}`;
    const message = await attempt("apply", "iam:CreateRole without the boundary", "denied", () =>
      iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust })),
    );
    expect(message).toMatch(/statement|no statement/);
    const boundary = `arn:aws:iam::${manifest.account}:policy/tandem-staging-apply-boundary`;
    await attempt("apply", "iam:CreateRole with the boundary", "allowed", () =>
      iam.send(
        new CreateRoleCommand({
          RoleName,
          AssumeRolePolicyDocument: trust,
          PermissionsBoundary: boundary,
        }),
      ),
    );
    await attempt("apply", "iam:DeleteRole", "allowed", () =>
      iam.send(new DeleteRoleCommand({ RoleName })),
    );
  });
});
