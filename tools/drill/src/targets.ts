import type { TerraformModuleJson } from "@tandem/module-kit";
import {
  crossRegionNames,
  environmentFiles,
  loadEnvironment,
  loadModuleSources,
  ManifestProblems,
  moduleFiles,
  readReleasedModule,
  rtoBudget,
  writerRegion,
  type RtoBudget,
  type Environment,
} from "@tandem/generator";

export type Role = "primary" | "secondary";
export type DrillMode = "switchover" | "failover";

/** What one environment's drill acts on, all from the manifest and the generator's library. */
export interface DrillTargets {
  environment: string;
  account: string;
  regions: Record<Role, string>;
  /** The region whose cluster the manifest says writes: `database.writer`, else the primary. */
  writerRegion: string;
  tableName: string;
  globalClusterIdentifier: string;
  /** Each region's Aurora cluster, a member of the global cluster (same name in both regions). */
  clusterIdentifier: string;
  eventBusName: string;
  /** SSM parameter (same name in both regions) that makes a region's /health fail. */
  flagParameterName: string;
  /** The `Name` tag of each region's Route 53 health check. */
  healthCheckNames: Record<Role, string>;
  /** Each region's own name, `<region>.<record>.<domain>`, which serves that region's /health. */
  regionHosts: Record<Role, string>;
  failoverName: string;
  healthCheck: { interval: number; failureThreshold: number; regions: string[] };
  objectives: { rtoSeconds: number; rpoSeconds: number };
  /** The validator's RTO budget (generator library), never recomputed here. */
  budget: RtoBudget;
  /** Time the database switchover is allowed: the budget's promotion term. */
  promotionAllowanceSeconds: number;
  /** The mode the manifest schedules; `failover` runs only where it says so. */
  manifestMode: DrillMode;
  /** Seconds each /health instance reuses its reading (compute.health.cacheSeconds). */
  healthCacheSeconds: number;
  /** The JWT authorizer's issuer and audiences, when the manifest gives them. */
  auth?: { issuer: string; audiences: string[] };
}

/** Loads `environments/<env>.yaml` through the validator: a broken manifest stops the drill. */
export function loadDrillEnvironment(root: string, env: string): Environment {
  const [file] = environmentFiles(root, [env]);
  const result = loadEnvironment(file!, { root });
  if (!result.environment) throw new ManifestProblems(result.problems);
  return result.environment;
}

/** The compute, database and dns modules as this environment pins them: released, or the workspace's. */
async function pinnedModules(root: string, environment: Environment) {
  const versions = environment.modules;
  const domains = ["compute", "database", "dns"] as const;
  const workspace = domains.some((domain) => versions[domain] === "workspace");
  const sources = workspace ? await loadModuleSources(root) : undefined;
  const read = (domain: (typeof domains)[number]): TerraformModuleJson =>
    versions[domain] === "workspace"
      ? moduleFiles(sources!, domain).json
      : readReleasedModule(root, `modules/${domain}/releases/${versions[domain]}`).json;
  return { compute: read("compute"), database: read("database"), dns: read("dns") };
}

type Block = Record<string, unknown>;
const block = (json: TerraformModuleJson, type: string, name: string): Block | undefined =>
  (json.resource as Record<string, Record<string, Block>> | undefined)?.[type]?.[name];

/**
 * A name as the module writes it (`/${var.name}/drill/unhealthy`), with the module's inputs
 * filled in. Anything else left to interpolate means the module changed how it names the
 * resource, and the drill must not guess.
 */
function fill(template: unknown, values: Record<string, string>, what: string): string {
  if (typeof template !== "string") throw new Error(`${what}: not found in the pinned module`);
  const text = template.replace(/\$\{([a-z_.]+)\}/g, (whole, key: string) => values[key] ?? whole);
  if (text.includes("${"))
    throw new Error(
      `${what}: the pinned module names it \`${template}\`, which the drill cannot resolve`,
    );
  return text;
}

/** Everything the drill needs about one environment. */
export async function drillTargets(root: string, environment: Environment): Promise<DrillTargets> {
  const { manifest } = environment;
  const names = crossRegionNames(manifest);
  const modules = await pinnedModules(root, environment);
  const flag = block(modules.compute, "aws_ssm_parameter", "drill")?.name;
  const checkTags = block(modules.dns, "aws_route53_health_check", "this")?.tags as
    Block | undefined;
  const checkName = (role: Role) =>
    fill(
      checkTags?.Name,
      { "var.name": names.name, "each.key": role },
      "the health check's Name tag",
    );
  const budget = rtoBudget(manifest, environment.modules.dns);
  const compute = manifest.compute as {
    auth?: { issuer: string; audiences: string[] };
    health?: { cacheSeconds?: number };
  };
  const auth = compute.auth;
  return {
    environment: manifest.name,
    account: manifest.account,
    regions: { primary: manifest.regions.primary, secondary: manifest.regions.secondary },
    writerRegion: writerRegion(manifest),
    tableName: names.tableName,
    globalClusterIdentifier: names.globalClusterIdentifier,
    clusterIdentifier: fill(
      block(modules.database, "aws_rds_cluster", "this")?.cluster_identifier,
      { "var.name": names.name },
      "the Aurora cluster's identifier",
    ),
    eventBusName: names.name,
    flagParameterName: fill(flag, { "var.name": names.name }, "the drill flag parameter"),
    healthCheckNames: { primary: checkName("primary"), secondary: checkName("secondary") },
    regionHosts: {
      primary: names.healthCheckDomainName(manifest.regions.primary),
      secondary: names.healthCheckDomainName(manifest.regions.secondary),
    },
    failoverName: names.apiDomainName,
    healthCheck: {
      interval: manifest.dns.healthCheck.interval,
      failureThreshold: manifest.dns.healthCheck.failureThreshold,
      regions: [...manifest.dns.healthCheck.regions],
    },
    objectives: { rtoSeconds: manifest.objectives.rto, rpoSeconds: manifest.objectives.rpo },
    budget,
    promotionAllowanceSeconds: manifest.database.promotionAllowance,
    manifestMode: manifest.drill.mode,
    healthCacheSeconds: compute.health?.cacheSeconds ?? 0,
    ...(auth ? { auth: { issuer: auth.issuer, audiences: [...auth.audiences] } } : {}),
  };
}

export interface DrillOptions {
  mode: DrillMode;
  dryRun: boolean;
  /** How often the drill polls AWS and the client pays while waiting; default 1 s and 2 s. */
  pollMs?: number;
  probeMs?: number;
  canaries?: number;
  /** Said in the report: where this ran (AWS, or the emulation and its clock). */
  where?: string;
}
