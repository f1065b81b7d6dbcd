/**
 * privateRoleSession: an environment's role created on an emulator no bootstrap was applied to,
 * exactly as the bootstrap root defines it, and its calls authorized by a gateway (the drill's
 * emulation runs its own calls so).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  type PutItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crossRegionNames } from "@tandem/generator";
import { privateRoleSession, type PrivateRoleSession } from "../src/iam/private-role.ts";
import { loadManifest } from "../src/iam/session.ts";
import { SandboxError, startPrivateMoto, type PrivateMoto } from "../src/moto.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const installed = existsSync(join(repoRoot, ".venv", "bin", "python"));
const manifest = loadManifest(repoRoot, "staging");
const names = crossRegionNames(manifest);
const region = manifest.regions.primary;

let moto: PrivateMoto;
let role: PrivateRoleSession | undefined;

beforeAll(async () => {
  if (!installed) return;
  moto = await startPrivateMoto(repoRoot, { label: "private-role", account: manifest.account });
  await new DynamoDBClient({
    endpoint: moto.endpoint,
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  }).send(
    new CreateTableCommand({
      TableName: names.tableName,
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
    }),
  );
}, 60_000);
afterAll(async () => {
  await role?.close();
  await moto?.stop();
});

/** "allowed", or the AccessDenied message. */
const outcome = (call: Promise<unknown>) =>
  call.then(
    () => "allowed",
    (error: Error) => (/AccessDenied/.test(error.name) ? error.message : `error ${error.name}`),
  );

describe.skipIf(!installed)("a role on an emulator without the bootstrap", () => {
  it("is the drill role as the bootstrap defines it: its lock and flag, no payment", async () => {
    role = await privateRoleSession(repoRoot, "staging", "drill", moto.endpoint);
    expect(role.role).toBe(`arn:aws:iam::${manifest.account}:role/tandem-staging-drill`);
    const config = { endpoint: role.endpoint, region, credentials: role.credentials };
    const dynamodb = new DynamoDBClient(config);
    const put = (pk: string): PutItemCommandInput => ({
      TableName: names.tableName,
      Item: { pk: { S: pk } },
    });
    expect(await outcome(dynamodb.send(new PutItemCommand(put("drill#lock"))))).toBe("allowed");
    const payment = await outcome(dynamodb.send(new PutItemCommand(put("payment#p-1"))));
    expect(payment).toContain(
      "tandem-staging-drill is not authorized to perform: dynamodb:PutItem",
    );
    const ssm = new SSMClient(config);
    const flag = (Name: string) =>
      outcome(ssm.send(new PutParameterCommand({ Name, Value: "true", Type: "String" })));
    expect(await flag(`/${names.name}/drill/unhealthy`)).toBe("allowed");
    expect(await flag(`/${names.name}/other`)).toContain("ssm:PutParameter");
    expect(role.calls()).toEqual({ allowed: 2, denied: 2, unread: 0 });
  });

  it("is the plan role of staging, and of prod in prod's account: its state policy names the bootstrap's keys", async () => {
    const plan = await privateRoleSession(repoRoot, "staging", "plan", moto.endpoint);
    try {
      expect(plan.role).toBe(`arn:aws:iam::${manifest.account}:role/tandem-staging-plan`);
      const dynamodb = new DynamoDBClient({
        endpoint: plan.endpoint,
        region,
        credentials: plan.credentials,
      });
      const read = await outcome(
        dynamodb.send(
          new GetItemCommand({ TableName: names.tableName, Key: { pk: { S: "payment#p-1" } } }),
        ),
      );
      expect(read).toContain("explicitly denied by statement NoDataReads");
    } finally {
      await plan.close();
    }
    const prod = loadManifest(repoRoot, "prod");
    const other = await startPrivateMoto(repoRoot, {
      label: "private-role",
      account: prod.account,
    });
    try {
      const session = await privateRoleSession(repoRoot, "prod", "plan", other.endpoint);
      expect(session.role).toBe(`arn:aws:iam::${prod.account}:role/tandem-prod-plan`);
      await session.close();
    } finally {
      await other.stop();
    }
  });

  it("is created again on the same emulator, and refused on another account's", async () => {
    const again = await privateRoleSession(repoRoot, "staging", "drill", moto.endpoint);
    await again.close();
    const other = await startPrivateMoto(repoRoot, {
      label: "private-role",
      account: "210987654321",
    });
    try {
      const refused = privateRoleSession(repoRoot, "staging", "drill", other.endpoint);
      await expect(refused).rejects.toThrow(SandboxError);
      await expect(refused).rejects.toThrow(/answers as account 210987654321, not staging's/);
    } finally {
      await other.stop();
    }
  });
});
