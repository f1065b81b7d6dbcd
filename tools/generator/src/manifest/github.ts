import type { z } from "zod";
import type { Finding } from "./issues.ts";
import { manifestSchema } from "./schema.ts";

const { account, github } = manifestSchema.shape;

/** The github section's cross-field rules: the provider's account, then the subject format's needs. */
export function githubRules(data: Record<string, unknown>): Finding[] {
  return [...providerAccountRules(data), ...subjectRules(data.github)];
}

/**
 * IAM trusts only an OIDC provider of its own account, so another account's ARN cannot work.
 * Reads the raw data like the other cross-field rules, so other mistakes do not hide this one.
 */
function providerAccountRules(data: Record<string, unknown>): Finding[] {
  const owner = account.safeParse(data.account);
  const section = data.github;
  const given =
    typeof section === "object" && section !== null
      ? (section as Record<string, unknown>).oidcProviderArn
      : undefined;
  const arn = github.shape.oidcProviderArn.safeParse(given);
  if (!owner.success || !arn.success || arn.data === undefined) return [];
  const arnAccount = arn.data.split(":")[4];
  if (arnAccount === owner.data) return [];
  return [
    {
      path: ["github", "oidcProviderArn"],
      message: `is in account ${arnAccount}, not this manifest's account ${owner.data}: a role can trust only an OIDC provider of its own account`,
    },
  ];
}

const REPOSITORY_CLAIMS = ["repo", "repository", "repository_id"] as const;
const IMMUTABLE = "the immutable subject is repo:<owner>@<ownerId>/<name>@<repositoryId>:<context>";

type GithubSection = z.output<typeof github>;
const at = (key: string, message: string): Finding => ({ path: ["github", key], message });

/**
 * What each subject format needs to be trusted exactly: the ids of `immutable`, the claim keys of
 * `custom` and the ids those keys name. Keys the format would ignore are refused.
 */
function subjectRules(section: unknown): Finding[] {
  const parsed = github.safeParse(section);
  if (!parsed.success) return [];
  const given = parsed.data;
  return [
    ...(given.subject === "immutable" ? immutableNeeds(given) : []),
    ...(given.subject === "custom" ? customNeeds(given) : []),
    ...unusedKeys(given),
  ];
}

function immutableNeeds({ ownerId, repositoryId }: GithubSection): Finding[] {
  return [
    ...(ownerId === undefined ? [at("ownerId", `is required: ${IMMUTABLE}`)] : []),
    ...(repositoryId === undefined ? [at("repositoryId", `is required: ${IMMUTABLE}`)] : []),
  ];
}

/** The template must name the context and the repository, so no other job or repository matches. */
function customNeeds({ subjectClaims: claims, ownerId, repositoryId }: GithubSection): Finding[] {
  if (claims === undefined) {
    return [
      at(
        "subject",
        "custom needs github.subjectClaims: the include_claim_keys of the repository's subject template, in order",
      ),
    ];
  }
  const findings: Finding[] = [];
  if (!claims.includes("context"))
    findings.push(
      at(
        "subjectClaims",
        "must include context: without it a token of any environment or pull request would match every role",
      ),
    );
  if (!REPOSITORY_CLAIMS.some((c) => claims.includes(c)))
    findings.push(
      at(
        "subjectClaims",
        `must include one of ${REPOSITORY_CLAIMS.join(", ")}: without it a token of another repository would match`,
      ),
    );
  if (claims.includes("repository_owner_id") && ownerId === undefined)
    findings.push(at("ownerId", "is required: github.subjectClaims names repository_owner_id"));
  if (claims.includes("repository_id") && repositoryId === undefined)
    findings.push(at("repositoryId", "is required: github.subjectClaims names repository_id"));
  return findings;
}

function unusedKeys({ subject, subjectClaims, ownerId, repositoryId }: GithubSection): Finding[] {
  const uses = (claim: "repository_owner_id" | "repository_id") =>
    subject === "immutable" || (subject === "custom" && (subjectClaims ?? []).includes(claim));
  const findings: Finding[] = [];
  if (subject !== "custom" && subjectClaims !== undefined)
    findings.push(at("subjectClaims", `applies only to github.subject: custom, not ${subject}`));
  if (ownerId !== undefined && !uses("repository_owner_id"))
    findings.push(at("ownerId", `is not part of the ${subject} subject: remove it`));
  if (repositoryId !== undefined && !uses("repository_id"))
    findings.push(at("repositoryId", `is not part of the ${subject} subject: remove it`));
  return findings;
}
