/**
 * Plan-time checks of the account quotas a regional root consumes that AWS enforces only at
 * apply. Each is a `aws_servicequotas_service_quota` data source with a postcondition: the plan
 * reads the account's value in the root's own region (Service Quotas has a regional endpoint,
 * so the check needs nothing of the other region or of us-east-1) and fails, naming the quota,
 * what the environments need and how to raise it, before anything is applied.
 *
 * Environments that share an account and a region share its quotas, so the figure sums every
 * environment of the account with a root in that region. docs/quotas.md lists every quota the
 * modules consume and why only these are checked.
 */
import type { Manifest } from "../manifest/schema.ts";

/** Lambda refuses a reservation that leaves fewer unreserved executions (PutFunctionConcurrency). */
export const LAMBDA_UNRESERVED_MINIMUM = 100;

export interface CheckedQuota {
  /** The data source's Terraform name. */
  readonly id: string;
  readonly serviceCode: string;
  readonly quotaCode: string;
  /** As Service Quotas names it. */
  readonly name: string;
  /** What one environment's regional root takes of it. */
  readonly use: (manifest: Manifest) => number;
  /** Taken once per account and region whatever the environments, and why. */
  readonly reserve?: { readonly amount: number; readonly reason: string };
}

/**
 * The quotas one or two environments can exhaust at their defaults (docs/quotas.md): Lambda's
 * 1,000 concurrent executions (new accounts get less) against the functions' reservations, and
 * 5 Elastic IPs per region against one per NAT gateway.
 */
export const CHECKED_QUOTAS: readonly CheckedQuota[] = [
  {
    id: "lambda_concurrent_executions",
    serviceCode: "lambda",
    quotaCode: "L-B99A9384",
    name: "Lambda concurrent executions",
    // The payment function and the /health function each reserve their own.
    use: (m) => m.compute.reservedConcurrency + m.compute.health.reservedConcurrency,
    reserve: { amount: LAMBDA_UNRESERVED_MINIMUM, reason: "Lambda keeps unreserved" },
  },
  {
    id: "ec2_vpc_elastic_ips",
    serviceCode: "ec2",
    quotaCode: "L-0263D0A3",
    name: "EC2-VPC Elastic IPs",
    // One address per NAT gateway.
    use: (m) => (m.networking.natGateways === "single" ? 1 : m.networking.azCount),
  },
];

export interface QuotaNeed {
  readonly quota: CheckedQuota;
  /** What the account's environments with a root in the region need together. */
  readonly total: number;
  /** Each environment's share, by name in name order. */
  readonly shares: readonly { readonly environment: string; readonly uses: number }[];
}

/**
 * What `manifest`'s regional root in `region` and the other environments of its account there
 * need of each checked quota. `account` may hold any manifests: those of other accounts or
 * without a root in the region are left out, and `manifest` counts even when absent.
 */
export function quotaNeeds(
  manifest: Manifest,
  region: string,
  account: readonly Manifest[],
): QuotaNeed[] {
  const sharing = [manifest, ...account.filter((m) => m.name !== manifest.name)]
    .filter((m) => m.account === manifest.account)
    .filter((m) => m.regions.primary === region || m.regions.secondary === region)
    .sort((a, b) => a.name.localeCompare(b.name));
  return CHECKED_QUOTAS.map((quota) => {
    const shares = sharing.map((m) => ({ environment: m.name, uses: quota.use(m) }));
    const used = shares.reduce((sum, share) => sum + share.uses, 0);
    return { quota, total: used + (quota.reserve?.amount ?? 0), shares };
  });
}

/** The `data` block of a regional root: one quota data source per checked quota. */
export function quotaChecks(
  manifest: Manifest,
  region: string,
  account: readonly Manifest[],
): Record<string, unknown> {
  const sources = quotaNeeds(manifest, region, account).map((need) => [
    need.quota.id,
    {
      service_code: need.quota.serviceCode,
      quota_code: need.quota.quotaCode,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.value >= ${need.total}}`,
            error_message: quotaMessage(need, manifest.account, region),
          },
        ],
      },
    },
  ]);
  return { aws_servicequotas_service_quota: Object.fromEntries(sources) };
}

/** The plan's error: the quota, the figure and where it comes from, and how to raise it. */
function quotaMessage(need: QuotaNeed, account: string, region: string): string {
  const { quota, total, shares } = need;
  const parts = shares.map((s) => `${s.environment} ${s.uses}`);
  if (quota.reserve) parts.push(`${quota.reserve.amount} ${quota.reserve.reason}`);
  return [
    `${quota.name} (Service Quotas ${quota.serviceCode} ${quota.quotaCode}) in ${region} of account ${account} is \${self.value},`,
    `below the ${total} the Tandem environments there need (${parts.join(" + ")}); AWS would refuse it only while applying.`,
    `Raise it first: aws service-quotas request-service-quota-increase --service-code ${quota.serviceCode} --quota-code ${quota.quotaCode} --desired-value ${total} --region ${region}`,
    `(or in the Service Quotas console), then plan again once the request is approved.`,
  ].join(" ");
}
