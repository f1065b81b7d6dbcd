/**
 * The sandbox's own GitHub Actions token issuer: RS256 tokens with the claims GitHub issues for a
 * job, signed with a key generated for each sandbox. The issuer keeps GitHub's URL, so the
 * bootstrap's OIDC provider and the trust policies' condition keys stay exactly as on AWS; only
 * the sandbox's gateway accepts these tokens, and only with this sandbox's key.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK } from "jose";
import type { Manifest } from "@tandem/generator";
import { SandboxError, sandboxDir } from "../moto.ts";

export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";
export const GITHUB_ISSUER = `https://${GITHUB_OIDC_HOST}`;
export const STS_AUDIENCE = "sts.amazonaws.com";
const KID = "tandem-sandbox";
const LIFETIME_SECONDS = 300;

/** The claims of a GitHub Actions token, by claim name (all strings, as GitHub issues them). */
export type Claims = Record<string, string>;

/** The job a token is for: what GitHub would know about it. */
export interface Job {
  /** owner/name */
  readonly repository: string;
  readonly event: string;
  readonly ref: string;
  /** The GitHub environment the job runs in, if any. */
  readonly environment?: string;
  /** The workflow file under .github/workflows/. */
  readonly workflow: string;
  /** The repository's subject format (the manifest's `github`, or another to try). */
  readonly subject: Pick<
    Manifest["github"],
    "subject" | "subjectClaims" | "ownerId" | "repositoryId"
  >;
}

/** The claims GitHub issues for `job`, `sub` in the repository's subject format. */
export function githubClaims(job: Job, audience = STS_AUDIENCE): Claims {
  const [owner, name] = job.repository.split("/") as [string, string];
  const ownerId = job.subject.ownerId ?? standInId(owner);
  const repositoryId = job.subject.repositoryId ?? standInId(job.repository);
  const claims: Claims = {
    iss: GITHUB_ISSUER,
    aud: audience,
    repository: job.repository,
    repository_id: repositoryId,
    repository_owner: owner,
    repository_owner_id: ownerId,
    ref: job.ref,
    event_name: job.event,
    ...(job.environment ? { environment: job.environment } : {}),
    job_workflow_ref: `${job.repository}/.github/workflows/${job.workflow}@${job.ref}`,
    workflow_ref: `${job.repository}/.github/workflows/${job.workflow}@${job.ref}`,
    run_id: String(Date.now()),
  };
  const context = job.environment
    ? `environment:${job.environment}`
    : job.event === "pull_request"
      ? "pull_request"
      : `ref:${job.ref}`;
  return {
    ...claims,
    sub: subjectOf(job.subject, claims, context, `${owner}@${ownerId}/${name}@${repositoryId}`),
  };
}

function subjectOf(
  format: Job["subject"],
  claims: Claims,
  context: string,
  immutableRepo: string,
): string {
  if (format.subject === "default") return `repo:${claims.repository}:${context}`;
  if (format.subject === "immutable") return `repo:${immutableRepo}:${context}`;
  // A custom template: each included claim as `key:value`, the context as itself.
  return (format.subjectClaims ?? [])
    .map((key) =>
      key === "context" ? context : `${key}:${key === "repo" ? claims.repository : claims[key]}`,
    )
    .join(":");
}

/** GitHub's ids are numbers; a repository that names none gets a stable one of its name. */
function standInId(name: string): string {
  let hash = 7;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) % 1_000_000_007;
  return String(hash + 1);
}

interface StoredKey {
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

const keyFile = (repoRoot: string, name: string) =>
  join(sandboxDir(repoRoot, name), "oidc-key.json");

/** The sandbox's signing key, generated on first use (owner-readable only). */
async function sandboxKey(repoRoot: string, name: string): Promise<StoredKey> {
  const file = keyFile(repoRoot, name);
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as StoredKey;
  const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
  const key = {
    privateJwk: { ...(await exportJWK(privateKey)), kid: KID, alg: "RS256" },
    publicJwk: { ...(await exportJWK(publicKey)), kid: KID, alg: "RS256", use: "sig" },
  };
  writeFileSync(file, JSON.stringify(key), { mode: 0o600, flag: "wx" });
  return key;
}

/** A signed token with `claims`, valid for five minutes. */
export async function mintToken(repoRoot: string, name: string, claims: Claims): Promise<string> {
  const { privateJwk } = await sandboxKey(repoRoot, name);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "RS256", kid: KID, typ: "JWT" })
    .setIssuedAt(now)
    .setNotBefore(now - 5)
    .setExpirationTime(now + LIFETIME_SECONDS)
    .sign(await importJWK(privateJwk, "RS256"));
}

/** A refused token: what STS answers as InvalidIdentityToken. */
export class InvalidToken extends SandboxError {}

/** The token's claims when this sandbox signed it, it is GitHub's issuer, and it has not expired. */
export async function verifyToken(repoRoot: string, name: string, token: string): Promise<Claims> {
  const { publicJwk } = await sandboxKey(repoRoot, name);
  try {
    const { payload } = await jwtVerify(token, await importJWK(publicJwk, "RS256"), {
      issuer: GITHUB_ISSUER,
      algorithms: ["RS256"],
    });
    return Object.fromEntries(
      Object.entries(payload).map(([key, value]) => [key, String(value)]),
    ) as Claims;
  } catch (error) {
    throw new InvalidToken(`the web identity token is not valid: ${(error as Error).message}`);
  }
}
