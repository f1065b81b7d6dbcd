/**
 * One of an environment's roles on an emulator that no bootstrap root was applied to (the
 * drill's emulation): GitHub's OIDC provider and the role with its trust and policies, exactly
 * as the environment's synthesized bootstrap root defines them, then a session of the role for
 * the step's job through a gateway in this process, which authorizes every call made with it.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, rmSync } from "node:fs";
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DescribeKeyCommand,
  KMSClient,
} from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { environmentFiles, synthesizeTree } from "@tandem/generator";
import { SandboxError, sandboxDir } from "../moto.ts";
import { startGateway } from "./gateway.ts";
import { GITHUB_OIDC_HOST, STS_AUDIENCE } from "./oidc.ts";
import { assumeAsJob, loadManifest, type RoleKind } from "./session.ts";

export interface PrivateRoleSession {
  readonly role: string;
  /** The private sandbox its gateway belongs to: an outage recorded for it drops the role's calls. */
  readonly name: string;
  /** The gateway: the endpoint the role's calls go to. */
  readonly endpoint: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string;
  };
  /** The role's calls so far: judged allowed, denied, or forwarded unevaluated. */
  calls(): { allowed: number; denied: number; unread: number };
  close(): Promise<void>;
}

type Resources = Record<string, Record<string, Record<string, unknown>>>;
const ADMIN = { accessKeyId: "test", secretAccessKey: "test" };

/** Creates `tandem-<env>-<as>` on the emulator at `motoEndpoint` and assumes it as its job does. */
export async function privateRoleSession(
  repoRoot: string,
  environment: string,
  as: RoleKind,
  motoEndpoint: string,
  log: (line: string) => void = () => {},
): Promise<PrivateRoleSession> {
  const manifest = loadManifest(repoRoot, environment);
  const config = {
    endpoint: motoEndpoint,
    region: "us-east-1",
    credentials: ADMIN,
    maxAttempts: 1,
  };
  const { Account } = await new STSClient(config).send(new GetCallerIdentityCommand({}));
  if (Account !== manifest.account) {
    throw new SandboxError(
      `the emulator at ${motoEndpoint} answers as account ${Account}, not ${environment}'s ${manifest.account}: the role's policies name the manifest's`,
    );
  }
  const providerArn = `arn:aws:iam::${manifest.account}:oidc-provider/${GITHUB_OIDC_HOST}`;
  const resources = await bootstrapResources(repoRoot, environment, manifest.account);
  await createRole(new IAMClient(config), resources, {
    environment,
    as,
    providerArn,
    keys: await createStateKeys(config, resources),
  });
  const name = `role-${process.pid}-${randomBytes(3).toString("hex")}`; // its own issuer key
  mkdirSync(sandboxDir(repoRoot, name), { recursive: true });
  const port = Number(new URL(motoEndpoint).port);
  const moto = { endpoint: motoEndpoint, port, pid: 0, account: manifest.account };
  const gateway = await startGateway({ repoRoot, name, moto, log });
  const session = await assumeAsJob({ repoRoot, name, endpoint: gateway.endpoint }, manifest, {
    as,
  });
  const { accessKeyId, secretAccessKey, sessionToken } = session;
  return {
    role: session.role,
    name,
    endpoint: gateway.endpoint,
    credentials: { accessKeyId, secretAccessKey, sessionToken },
    calls: () => ({ ...(gateway.calls.get(accessKeyId) ?? { allowed: 0, denied: 0, unread: 0 }) }),
    async close() {
      await gateway.close();
      rmSync(sandboxDir(repoRoot, name), { recursive: true, force: true });
    },
  };
}

const synthesized = new Map<string, Promise<Resources>>();

/** The resources of the account's bootstrap root (synthesized once per process). */
function bootstrapResources(
  repoRoot: string,
  environment: string,
  account: string,
): Promise<Resources> {
  const key = `${repoRoot}\0${environment}`;
  let resources = synthesized.get(key);
  if (!resources) {
    resources = synthesizeTree(repoRoot, environmentFiles(repoRoot, [environment])).then(
      ({ files }) => {
        const main = JSON.parse(
          new TextDecoder().decode(files.get(`bootstrap/${account}/main.tf.json`)!),
        ) as {
          resource: Resources;
        };
        return main.resource;
      },
    );
    synthesized.set(key, resources);
  }
  return resources;
}

/** The OIDC provider, the role, its inline and attached policies, as the bootstrap has them. */
async function createRole(
  iam: IAMClient,
  resources: Resources,
  target: {
    environment: string;
    as: RoleKind;
    providerArn: string;
    /** `${aws_kms_key.<id>.<attribute>}` → its value on the emulator. */
    keys: Map<string, string>;
  },
): Promise<void> {
  const id = `${target.environment}_${target.as}`;
  const role = resources.aws_iam_role?.[id];
  if (!role) throw new SandboxError(`the bootstrap root defines no aws_iam_role.${id}`);
  if (role.permissions_boundary) {
    throw new SandboxError(
      `aws_iam_role.${id} has a permissions boundary, which is not created here`,
    );
  }
  const concrete = (text: unknown) =>
    String(text)
      .replace(/\$\{(data\.)?aws_iam_openid_connect_provider\.github\.arn\}/g, target.providerArn)
      .replace(
        /\$\{aws_kms_key\.\w+\.\w+\}/g,
        (reference) => target.keys.get(reference) ?? reference,
      );
  await already(
    iam.send(
      new CreateOpenIDConnectProviderCommand({
        Url: `https://${GITHUB_OIDC_HOST}`,
        ClientIDList: [STS_AUDIENCE],
      }),
    ),
  );
  const RoleName = String(role.name);
  await already(
    iam.send(
      new CreateRoleCommand({
        RoleName,
        AssumeRolePolicyDocument: concrete(role.assume_role_policy),
        MaxSessionDuration: Number(role.max_session_duration ?? 3600),
      }),
    ),
  );
  const ofRole = (body: Record<string, unknown>) =>
    new RegExp(`^\\$\\{aws_iam_role\\.${id}\\.(id|name)\\}$`).test(String(body.role));
  for (const policy of Object.values(resources.aws_iam_role_policy ?? {}).filter(ofRole)) {
    await iam.send(
      new PutRolePolicyCommand({
        RoleName,
        PolicyName: String(policy.name),
        PolicyDocument: concrete(policy.policy),
      }),
    );
  }
  for (const attached of Object.values(resources.aws_iam_role_policy_attachment ?? {}).filter(
    ofRole,
  )) {
    await iam.send(
      new AttachRolePolicyCommand({ RoleName, PolicyArn: String(attached.policy_arn) }),
    );
  }
}

/**
 * The bootstrap's state keys, which the roles' policies name, one per region on the emulator
 * (found again by alias on a second call): `${aws_kms_key.<id>.arn|key_id}` → its value.
 */
async function createStateKeys(
  config: { endpoint: string; credentials: typeof ADMIN; maxAttempts: number },
  resources: Resources,
): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  for (const [id, key] of Object.entries(resources.aws_kms_key ?? {})) {
    const region = String(key.provider)
      .replace(/^aws\./, "")
      .replaceAll("_", "-");
    const kms = new KMSClient({ ...config, region });
    const alias = `alias/tandem-sandbox-${id.replaceAll("_", "-")}`;
    const found = await kms.send(new DescribeKeyCommand({ KeyId: alias })).catch((error: Error) => {
      if (error.name !== "NotFoundException") throw error;
      return undefined;
    });
    let metadata = found?.KeyMetadata;
    if (!metadata) {
      metadata = (await kms.send(new CreateKeyCommand({ Description: String(key.description) })))
        .KeyMetadata!;
      await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: metadata.KeyId }));
    }
    keys.set(`\${aws_kms_key.${id}.arn}`, metadata.Arn!);
    keys.set(`\${aws_kms_key.${id}.key_id}`, metadata.KeyId!);
  }
  return keys;
}

/** A thing a previous run on the same emulator created is there already: that is fine. */
async function already(call: Promise<unknown>): Promise<void> {
  await call.catch((error: Error) => {
    if (error.name !== "EntityAlreadyExists" && error.name !== "EntityAlreadyExistsException")
      throw error;
  });
}
