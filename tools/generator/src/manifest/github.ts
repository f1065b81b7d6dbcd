import type { Finding } from "./issues.ts";
import { manifestSchema } from "./schema.ts";

const { account, github } = manifestSchema.shape;

/**
 * IAM trusts only an OIDC provider of its own account, so another account's ARN cannot work.
 * Reads the raw data like the other cross-field rules, so other mistakes do not hide this one.
 */
export function githubRules(data: Record<string, unknown>): Finding[] {
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
