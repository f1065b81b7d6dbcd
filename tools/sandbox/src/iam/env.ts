/**
 * `tandem sandbox env`: credentials of one of an environment's roles on an applied sandbox,
 * obtained as a GitHub job obtains them: a token from the sandbox's issuer for the job, then
 * AssumeRoleWithWebIdentity through the gateway, which checks the role's trust.
 */
import { join } from "node:path";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { formatProblem, loadEnvironment, type Manifest } from "@tandem/generator";
import { DEFAULT_NAME, motoStatus, SandboxError } from "../moto.ts";
import { githubClaims, mintToken, type Job } from "./oidc.ts";
import { ensureGateway } from "./process.ts";

export const ROLE_KINDS = ["plan", "apply", "drill"] as const;
export type RoleKind = (typeof ROLE_KINDS)[number];

export interface EnvOptions {
  readonly repoRoot: string;
  readonly environment: string;
  readonly as: RoleKind;
  readonly name?: string;
  /** What the job would be; each defaults from the manifest and the step. */
  readonly repository?: string;
  readonly event?: string;
  /** The GitHub environment of the job; `""` for none. */
  readonly githubEnvironment?: string;
  readonly ref?: string;
  /** Another subject format than the manifest's (a renamed repository, a new template). */
  readonly subject?: Job["subject"];
}

export interface RoleCredentials {
  readonly role: string;
  /** The token's `sub`, as the trust saw it. */
  readonly subject: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: string;
  readonly region: string;
  /** The gateway: every service's endpoint. */
  readonly endpoint: string;
}

/** The role's trust refused the token (or STS refused the token itself). */
export class TrustRefused extends SandboxError {}

/** The job each step runs as on GitHub, as the workflows the generator writes run it. */
function stepJob(manifest: Manifest, kind: RoleKind): Omit<Job, "subject" | "repository"> {
  const env = manifest.name;
  if (kind === "plan")
    return { event: "pull_request", ref: "refs/pull/1/merge", workflow: "plan.yml" };
  if (kind === "apply") {
    return { event: "push", ref: "refs/heads/main", environment: env, workflow: "apply.yml" };
  }
  return {
    event: "workflow_dispatch",
    ref: "refs/heads/main",
    environment: `drill-${env}`,
    workflow: "drill.yml",
  };
}

/** The job of `options`: the step's, with what the caller says instead. */
export function jobOf(
  manifest: Manifest,
  options: Omit<EnvOptions, "repoRoot" | "environment" | "name">,
): Job {
  const step = stepJob(manifest, options.as);
  const event = options.event ?? step.event;
  const changedEvent = options.event !== undefined && options.event !== step.event;
  const ref =
    options.ref ??
    (changedEvent
      ? event === "pull_request"
        ? "refs/pull/1/merge"
        : "refs/heads/main"
      : step.ref);
  const environment = options.githubEnvironment ?? step.environment;
  return {
    repository: options.repository ?? manifest.github.repository,
    event,
    ref,
    workflow: step.workflow,
    ...(environment ? { environment } : {}),
    subject: options.subject ?? manifest.github,
  };
}

export function loadManifest(repoRoot: string, environment: string): Manifest {
  const { environment: loaded, problems } = loadEnvironment(
    join("environments", `${environment}.yaml`),
    { root: repoRoot },
  );
  if (!loaded) throw new SandboxError(problems.map(formatProblem).join("\n"));
  return loaded.manifest;
}

/** Credentials of `tandem-<env>-<as>` on the running sandbox, through its gateway. */
export async function sandboxEnv(options: EnvOptions): Promise<RoleCredentials> {
  const { repoRoot, environment, name = DEFAULT_NAME } = options;
  const manifest = loadManifest(repoRoot, environment);
  const moto = await motoStatus(repoRoot, name);
  if (!moto) {
    throw new SandboxError(
      `sandbox ${name} is not running: run \`tandem sandbox apply --env ${environment}${name === DEFAULT_NAME ? "" : ` --name ${name}`}\` first`,
    );
  }
  if (moto.account !== manifest.account) {
    throw new SandboxError(
      `sandbox ${name} answers as account ${moto.account}, not ${environment}'s ${manifest.account}`,
    );
  }
  const gateway = await ensureGateway(repoRoot, name, moto);
  const claims = githubClaims(jobOf(manifest, options));
  const token = await mintToken(repoRoot, name, claims);
  const role = `arn:aws:iam::${manifest.account}:role/tandem-${environment}-${options.as}`;
  const region = manifest.regions.primary;
  const sts = new STSClient({
    endpoint: gateway.endpoint,
    region,
    maxAttempts: 1,
    credentials: { accessKeyId: "anonymous", secretAccessKey: "anonymous" },
  });
  const answer = await sts
    .send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: role,
        RoleSessionName: `tandem-${options.as}`,
        WebIdentityToken: token,
      }),
    )
    .catch((error: unknown) => {
      const { name: code, message } = error as Error;
      if (code === "AccessDenied" || code === "InvalidIdentityToken") {
        throw new TrustRefused(`${code}: ${message}`);
      }
      throw error;
    });
  const credentials = answer.Credentials!;
  return {
    role,
    subject: claims.sub!,
    accessKeyId: credentials.AccessKeyId!,
    secretAccessKey: credentials.SecretAccessKey!,
    sessionToken: credentials.SessionToken!,
    ...(credentials.Expiration ? { expiration: credentials.Expiration.toISOString() } : {}),
    region,
    endpoint: gateway.endpoint,
  };
}

/** The variables the AWS CLI, boto3 and the SDKs read. */
export function envVariables(credentials: RoleCredentials): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    AWS_SESSION_TOKEN: credentials.sessionToken,
    AWS_REGION: credentials.region,
    AWS_DEFAULT_REGION: credentials.region,
    AWS_ENDPOINT_URL: credentials.endpoint,
  };
}
