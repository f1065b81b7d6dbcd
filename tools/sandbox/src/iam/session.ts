/**
 * A role's session as a GitHub job gets it: a token from the sandbox's issuer with the claims of
 * the job (the step's by default), exchanged by AssumeRoleWithWebIdentity at a gateway, which
 * judges the role's trust on them.
 */
import { join } from "node:path";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { formatProblem, loadEnvironment, type Manifest } from "@tandem/generator";
import { SandboxError } from "../moto.ts";
import { githubClaims, mintToken, type Job } from "./oidc.ts";

export const ROLE_KINDS = ["plan", "apply", "drill"] as const;
export type RoleKind = (typeof ROLE_KINDS)[number];

/** What the job would be; each defaults from the manifest and the step. */
export interface JobOptions {
  readonly as: RoleKind;
  readonly repository?: string;
  readonly event?: string;
  /** The GitHub environment of the job; `""` for none. */
  readonly githubEnvironment?: string;
  readonly ref?: string;
  /** Another subject format than the manifest's (a renamed repository, a new template). */
  readonly subject?: Job["subject"];
}

export interface Session {
  readonly role: string;
  /** The token's `sub`, as the trust saw it. */
  readonly subject: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: string;
}

/** The role's trust refused the token (or STS refused the token itself). */
export class TrustRefused extends SandboxError {}

export const roleArnOf = (manifest: Manifest, kind: RoleKind) =>
  `arn:aws:iam::${manifest.account}:role/tandem-${manifest.name}-${kind}`;

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
export function jobOf(manifest: Manifest, options: JobOptions): Job {
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

/** A session of `tandem-<env>-<as>` through the gateway at `endpoint`, for the job of `options`. */
export async function assumeAsJob(
  sandbox: { readonly repoRoot: string; readonly name: string; readonly endpoint: string },
  manifest: Manifest,
  options: JobOptions,
): Promise<Session> {
  const claims = githubClaims(jobOf(manifest, options));
  const token = await mintToken(sandbox.repoRoot, sandbox.name, claims);
  const role = roleArnOf(manifest, options.as);
  const sts = new STSClient({
    endpoint: sandbox.endpoint,
    region: manifest.regions.primary,
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
  };
}
