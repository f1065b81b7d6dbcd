/**
 * `tandem sandbox env`: credentials of one of an environment's roles on an applied sandbox,
 * obtained as a GitHub job obtains them: a token from the sandbox's issuer for the job, then
 * AssumeRoleWithWebIdentity through the gateway, which checks the role's trust.
 */
import { DEFAULT_NAME, motoStatus, SandboxError } from "../moto.ts";
import type { RoleCredentialsForTool } from "./as-role.ts";
import { ensureGateway } from "./process.ts";
import { assumeAsJob, loadManifest, type JobOptions, type Session } from "./session.ts";

export {
  jobOf,
  loadManifest,
  ROLE_KINDS,
  TrustRefused,
  type JobOptions,
  type RoleKind,
} from "./session.ts";

export interface EnvOptions extends JobOptions {
  readonly repoRoot: string;
  readonly environment: string;
  readonly name?: string;
}

export interface RoleCredentials extends Session {
  readonly region: string;
  /** The gateway: every service's endpoint. */
  readonly endpoint: string;
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
  const session = await assumeAsJob(
    { repoRoot, name, endpoint: gateway.endpoint },
    manifest,
    options,
  );
  return { ...session, region: manifest.regions.primary, endpoint: gateway.endpoint };
}

/** The variables the AWS CLI, boto3 and the SDKs read. */
export function envVariables(credentials: RoleCredentials): Record<string, string> {
  return {
    ...keyVariables(credentials),
    AWS_REGION: credentials.region,
    AWS_DEFAULT_REGION: credentials.region,
    AWS_ENDPOINT_URL: credentials.endpoint,
  };
}

/** A session's keys as the environment variables every AWS client reads. */
export const keyVariables = (credentials: RoleCredentialsForTool): Record<string, string> => ({
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken,
});
