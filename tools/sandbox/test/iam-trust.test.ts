/**
 * The sandbox's OIDC issuer and the gateway's STS trust check, on a private emulator holding the
 * account's OIDC provider and staging's three roles with the trust policies the generator
 * synthesizes for them: a job's token gets the role's credentials, and tokens for another
 * repository, another environment, a fork, another subject format, another audience or another
 * signer are refused, each naming why.
 */
import { existsSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import {
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import {
  AssumeRoleCommand,
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
} from "@aws-sdk/client-sts";
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { sandboxEnv, TrustRefused, type EnvOptions, type RoleCredentials } from "../src/iam/env.ts";
import { GITHUB_ISSUER, githubClaims, mintToken } from "../src/iam/oidc.ts";
import { startPrivateMoto, type PrivateMoto } from "../src/moto.ts";

const repoRoot = join(import.meta.dirname, "../../..");
const installed = existsSync(join(repoRoot, ".venv", "bin", "python"));
const SUB = "StringEquals token.actions.githubusercontent.com:sub";

let moto: PrivateMoto;
let account: string;

/** The emulator with what the bootstrap root creates for trust: the provider and the roles. */
async function bootstrapTrust(server: PrivateMoto, synthesized: Map<string, Uint8Array>) {
  const path = [...synthesized.keys()].find((p) => /^bootstrap\/\d+\/main\.tf\.json$/.test(p))!;
  const root = JSON.parse(Buffer.from(synthesized.get(path)!).toString("utf8")) as {
    resource: { aws_iam_role: Record<string, { name: string; assume_role_policy: string }> };
  };
  const iam = new IAMClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const { OpenIDConnectProviderArn } = await iam.send(
    new CreateOpenIDConnectProviderCommand({
      Url: GITHUB_ISSUER,
      ClientIDList: ["sts.amazonaws.com"],
      ThumbprintList: ["ffffffffffffffffffffffffffffffffffffffff"],
    }),
  );
  for (const role of Object.values(root.resource.aws_iam_role)) {
    if (!role.name.startsWith("tandem-staging-")) continue;
    await iam.send(
      new CreateRoleCommand({
        RoleName: role.name,
        AssumeRolePolicyDocument: role.assume_role_policy.replace(
          "${aws_iam_openid_connect_provider.github.arn}",
          OpenIDConnectProviderArn!,
        ),
      }),
    );
  }
}

/** Role chaining: the drill role may assume any role; `chained` trusts it, `elsewhere` does not. */
async function chainingRoles(server: PrivateMoto) {
  const admin = new IAMClient({
    endpoint: server.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
  });
  const drillArn = `arn:aws:iam::${account}:role/tandem-staging-drill`;
  const trusting = (principal: string) =>
    JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: principal }, Action: "sts:AssumeRole" }],
    });
  await admin.send(
    new CreateRoleCommand({ RoleName: "chained", AssumeRolePolicyDocument: trusting(drillArn) }),
  );
  await admin.send(
    new CreateRoleCommand({
      RoleName: "elsewhere",
      AssumeRolePolicyDocument: trusting(`arn:aws:iam::${account}:role/tandem-staging-apply`),
    }),
  );
  await admin.send(
    new PutRolePolicyCommand({
      RoleName: "tandem-staging-drill",
      PolicyName: "chain",
      PolicyDocument: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Action: "sts:AssumeRole", Resource: "*" }],
      }),
    }),
  );
}

beforeAll(async () => {
  if (!installed) return;
  const output = await synthesizeTree(repoRoot, environmentFiles(repoRoot, ["staging"]));
  account = output.environments[0]!.manifest.account;
  moto = await startPrivateMoto(repoRoot, { label: "iam-trust", account });
  await bootstrapTrust(moto, output.files as Map<string, Uint8Array>);
  await chainingRoles(moto);
}, 120_000);

afterAll(async () => {
  await moto?.stop(); // the gateway ends with its emulator
});

const env = (options: Omit<EnvOptions, "repoRoot" | "environment" | "name">) =>
  sandboxEnv({ repoRoot, environment: "staging", name: moto.name, ...options });

async function refusal(options: Parameters<typeof env>[0]): Promise<string> {
  const error = await env(options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TrustRefused);
  return (error as Error).message;
}

const stsAt = (endpoint: string) =>
  new STSClient({
    endpoint,
    region: "eu-west-1",
    maxAttempts: 1,
    credentials: { accessKeyId: "anonymous", secretAccessKey: "anonymous" },
  });

describe.skipIf(!installed)("a job's token and the role's trust, through the gateway", () => {
  let plan: RoleCredentials;

  it.each(["plan", "apply", "drill"] as const)(
    "the %s step's own job gets its role",
    async (kind) => {
      const credentials = await env({ as: kind });
      if (kind === "plan") plan = credentials;
      expect(credentials.role).toBe(`arn:aws:iam::${account}:role/tandem-staging-${kind}`);
      const caller = await new STSClient({
        endpoint: credentials.endpoint,
        region: credentials.region,
        credentials: {
          accessKeyId: credentials.accessKeyId,
          secretAccessKey: credentials.secretAccessKey,
          sessionToken: credentials.sessionToken,
        },
      }).send(new GetCallerIdentityCommand({}));
      expect(caller.Arn).toBe(
        `arn:aws:sts::${account}:assumed-role/tandem-staging-${kind}/tandem-${kind}`,
      );
    },
  );

  it("attaches to the running gateway in under a second", async () => {
    const started = performance.now();
    await env({ as: "plan" });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it("refuses a token of another repository, naming the subject condition", async () => {
    const message = await refusal({ as: "plan", repository: "acme-payments/other-infra" });
    expect(message).toContain(SUB);
    expect(message).toContain("repo:acme-payments/other-infra:pull_request");
  });

  it("refuses a fork's pull request (its token names the fork)", async () => {
    const message = await refusal({ as: "plan", repository: "a-contributor/payments-infra" });
    expect(message).toContain(
      `${SUB} (the token's sub is repo:a-contributor/payments-infra:pull_request)`,
    );
  });

  it("refuses the apply role to a job in another GitHub environment", async () => {
    const message = await refusal({ as: "apply", githubEnvironment: "dev" });
    expect(message).toContain(
      `${SUB} (the token's sub is repo:acme-payments/payments-infra:environment:dev)`,
    );
  });

  it("refuses the drill role to a job outside drill-staging", async () => {
    expect(await refusal({ as: "drill", githubEnvironment: "" })).toContain(SUB);
  });

  it("refuses the immutable subject format when the manifest says default", async () => {
    const message = await refusal({
      as: "apply",
      subject: { subject: "immutable", ownerId: "1001", repositoryId: "2002" },
    });
    expect(message).toContain("repo:acme-payments@1001/payments-infra@2002:environment:staging");
  });

  it("refuses a token for another audience, and one this sandbox did not sign", async () => {
    const job = {
      repository: "acme-payments/payments-infra",
      event: "push",
      ref: "refs/heads/main",
      environment: "staging",
      workflow: "apply.yml",
      subject: { subject: "default" as const },
    };
    const role = `arn:aws:iam::${account}:role/tandem-staging-apply`;
    const assume = (token: string) =>
      stsAt(plan.endpoint).send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: role,
          RoleSessionName: "t",
          WebIdentityToken: token,
        }),
      );
    const audience = await mintToken(repoRoot, moto.name, githubClaims(job, "api://other"));
    await expect(assume(audience)).rejects.toThrow(/Incorrect token audience api:\/\/other/);

    const { privateKey } = await generateKeyPair("RS256");
    const forged = await new SignJWT(githubClaims(job))
      .setProtectedHeader({ alg: "RS256", kid: "tandem-sandbox" })
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey);
    await expect(assume(forged)).rejects.toThrow(/signature verification failed/);

    const genuine = await mintToken(repoRoot, moto.name, githubClaims(job));
    await expect(assume(genuine)).resolves.toMatchObject({ Credentials: {} });
  });

  it("tracks a role a session assumes, and refuses one whose trust does not name it", async () => {
    const drill = await env({ as: "drill" });
    const sts = new STSClient({
      endpoint: drill.endpoint,
      region: drill.region,
      maxAttempts: 1,
      credentials: {
        accessKeyId: drill.accessKeyId,
        secretAccessKey: drill.secretAccessKey,
        sessionToken: drill.sessionToken,
      },
    });
    const assumeRole = (name: string) =>
      sts.send(
        new AssumeRoleCommand({
          RoleArn: `arn:aws:iam::${account}:role/${name}`,
          RoleSessionName: "c",
        }),
      );
    await expect(assumeRole("elsewhere")).rejects.toThrow(
      /its trust policy does not allow the caller/,
    );
    const { Credentials } = await assumeRole("chained");
    const chained = new S3Client({
      endpoint: drill.endpoint,
      region: drill.region,
      maxAttempts: 1,
      credentials: {
        accessKeyId: Credentials!.AccessKeyId!,
        secretAccessKey: Credentials!.SecretAccessKey!,
        sessionToken: Credentials!.SessionToken!,
      },
    });
    // The chained role has no permission at all: its call is judged as that role, not admitted.
    await expect(chained.send(new ListBucketsCommand({}))).rejects.toThrow(
      /role\/chained is not authorized/,
    );
  });

  it("forwards a chunked upload whole, and the admin's calls unevaluated", async () => {
    const { endpoint } = await env({ as: "plan" });
    const admin = {
      authorization:
        "AWS4-HMAC-SHA256 Credential=test/20261203/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
    };
    const send = (method: string, path: string, body?: string[]) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = httpRequest(`${endpoint}${path}`, { method, headers: admin }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        });
        req.on("error", reject);
        for (const part of body ?? []) req.write(part); // no length: sent chunked
        req.end();
      });
    expect((await send("PUT", "/chunked-upload")).status).toBe(200);
    expect(
      (await send("PUT", "/chunked-upload/object", ["first part, ", "second part"])).status,
    ).toBe(200);
    expect(await send("GET", "/chunked-upload/object")).toEqual({
      status: 200,
      text: "first part, second part",
    });
  });
});
