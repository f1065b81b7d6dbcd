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
import type { TerraformModuleJson } from "@tandem/module-kit";
import { CompositionError } from "../errors.ts";
import type { Environment } from "../manifest/index.ts";
import type { Manifest } from "../manifest/schema.ts";
import { crossRegionNames } from "./names.ts";
import { regionalInputs } from "./inputs.ts";

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
  readonly use: (environment: AccountEnvironment) => number;
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
    use: (e) => e.reservedConcurrency,
    reserve: { amount: LAMBDA_UNRESERVED_MINIMUM, reason: "Lambda keeps unreserved" },
  },
  {
    id: "ec2_vpc_elastic_ips",
    serviceCode: "ec2",
    quotaCode: "L-0263D0A3",
    name: "EC2-VPC Elastic IPs",
    // One address per NAT gateway.
    use: ({ manifest: m }) => (m.networking.natGateways === "single" ? 1 : m.networking.azCount),
  },
];

/** One environment of an account as its quotas see it. */
export interface AccountEnvironment {
  readonly manifest: Manifest;
  /** What its functions reserve in each region, as its pinned compute release defines them. */
  readonly reservedConcurrency: number;
}

/** `environment` as its account's quotas see it, its functions read from `compute`, its release. */
export function accountEnvironment(
  { manifest }: Environment,
  compute: TerraformModuleJson,
): AccountEnvironment {
  const inputs = regionalInputs(manifest, crossRegionNames(manifest), "primary").compute!;
  return { manifest, reservedConcurrency: functionReservations(compute, inputs) };
}

/**
 * The reserved concurrency of every function a module declares: a number as written, or the
 * root's value of the variable it names. Releases differ (the region check reserves 1 from
 * compute 2.2.0, the /health function its own from 2.0.0), so the figure is read, not assumed.
 */
export function functionReservations(
  module: TerraformModuleJson,
  inputs: Readonly<Record<string, unknown>>,
): number {
  const functions = Object.entries(module.resource?.aws_lambda_function ?? {});
  return functions.reduce((sum, [name, fn]) => {
    const reserved = fn.reserved_concurrent_executions;
    if (reserved === undefined || reserved === -1) return sum;
    if (typeof reserved === "number") return sum + reserved;
    const variable = /^\$\{var\.(\w+)\}$/.exec(String(reserved))?.[1];
    const value = variable === undefined ? undefined : inputs[variable];
    if (typeof value !== "number") {
      throw new CompositionError(
        `aws_lambda_function.${name} reserves ${String(reserved)}, which the quota check cannot count`,
      );
    }
    return sum + value;
  }, 0);
}

export interface QuotaNeed {
  readonly quota: CheckedQuota;
  /** What the account's environments with a root in the region need together. */
  readonly total: number;
  /** Each environment's share, by name in name order. */
  readonly shares: readonly { readonly environment: string; readonly uses: number }[];
}

/**
 * What `environment`'s regional root in `region` and the other environments of its account
 * there need of each checked quota. `account` may hold any environments: those of other
 * accounts or without a root in the region are left out, and `environment` counts even when
 * absent.
 */
export function quotaNeeds(
  environment: AccountEnvironment,
  region: string,
  account: readonly AccountEnvironment[],
): QuotaNeed[] {
  const { manifest } = environment;
  const sharing = [environment, ...account.filter((e) => e.manifest.name !== manifest.name)]
    .filter(({ manifest: m }) => m.account === manifest.account)
    .filter(({ manifest: m }) => m.regions.primary === region || m.regions.secondary === region)
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  return CHECKED_QUOTAS.map((quota) => {
    const shares = sharing.map((e) => ({ environment: e.manifest.name, uses: quota.use(e) }));
    const used = shares.reduce((sum, share) => sum + share.uses, 0);
    return { quota, total: used + (quota.reserve?.amount ?? 0), shares };
  });
}

/** The `data` block of a regional root: one quota data source per checked quota. */
export function quotaChecks(
  environment: AccountEnvironment,
  region: string,
  account: readonly AccountEnvironment[],
): Record<string, unknown> {
  const sources = quotaNeeds(environment, region, account).map((need) => [
    need.quota.id,
    {
      service_code: need.quota.serviceCode,
      quota_code: need.quota.quotaCode,
      lifecycle: {
        postcondition: [
          {
            condition: `\${self.value >= ${need.total}}`,
            error_message: quotaMessage(need, environment.manifest.account, region),
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
