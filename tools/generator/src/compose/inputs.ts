import type { Manifest } from "../manifest/schema.ts";
import { writerRegion } from "../manifest/rules.ts";
import { applyBoundaryArn } from "./bootstrap.ts";
import type { CrossRegionNames } from "./names.ts";

export type Role = "primary" | "secondary";
/** Candidate inputs per module call; the composer keeps those the pinned version declares. */
export type ModuleInputs = Record<string, unknown>;

const out = (module: string, output: string) => `\${module.${module}.${output}}`;

/** The module calls of a regional root, in apply order, wired output to input. */
export function regionalInputs(
  manifest: Manifest,
  names: CrossRegionNames,
  role: Role,
): Record<string, ModuleInputs> {
  const region = manifest.regions[role];
  const peer = manifest.regions[role === "primary" ? "secondary" : "primary"];
  const primary = role === "primary";
  const common = { name: names.name, role };
  // The apply role may create only roles that carry its own boundary (module versions that
  // declare no `permissions_boundary` are not passed it).
  const roles = { permissions_boundary: applyBoundaryArn(manifest.account, manifest.name) };
  const { networking, database, backup, compute } = manifest;
  return {
    networking: {
      ...common,
      ...roles,
      cidr_block: networking.cidrs[region],
      az_count: networking.azCount,
      single_nat_gateway: networking.natGateways === "single",
      flow_log_retention_days: networking.flowLogRetentionDays,
    },
    database: {
      ...common,
      ...roles,
      subnet_ids: out("networking", "private_subnet_ids"),
      security_group_ids: `\${[module.networking.database_security_group_id]}`,
      global_cluster_identifier: names.globalClusterIdentifier,
      engine_version: database.engineVersion,
      instance_class: database.instanceClass,
      instance_count: database.instances,
      deletion_protection: database.deletionProtection,
      backup_retention_days: database.backupRetentionDays,
      table_name: names.tableName,
      primary_table_arn: primary ? "" : names.primaryTableArn,
      secondary_region: primary ? manifest.regions.secondary : "",
      // Both roots keep their roles; only the cluster that writes carries master credentials.
      writer_region: writerRegion(manifest),
    },
    backup: {
      ...common,
      ...roles,
      schedule: backup.schedule,
      retention_days: backup.retentionDays,
      copy_retention_days: backup.copyRetentionDays,
      // Both regions back up their own data and copy it to the other (backup 1.2.0 makes a plan
      // in the secondary too), so backups continue in whichever region survives.
      destination_vault_arn: names.backupVaultArn(peer),
      resource_arns: `\${[module.database.cluster_arn, module.database.table_arn]}`,
      vault_lock: backup.vaultLock
        ? {
            min_retention_days: backup.vaultLock.minRetentionDays,
            max_retention_days: backup.vaultLock.maxRetentionDays,
            changeable_for_days: backup.vaultLock.changeableForDays,
          }
        : null,
    },
    compute: {
      ...common,
      ...roles,
      subnet_ids: out("networking", "private_subnet_ids"),
      security_group_ids: `\${[module.networking.app_security_group_id]}`,
      table_name: out("database", "table_name"),
      table_arn: out("database", "table_arn"),
      table_kms_key_arn: out("database", "kms_key_arn"),
      api_domain_name: names.apiDomainName,
      health_check_domain_name: names.healthCheckDomainName(region),
      peer_event_bus_arn: names.eventBusArn(peer),
      ...(compute.auth
        ? { jwt_issuer: compute.auth.issuer, jwt_audiences: compute.auth.audiences }
        : {}),
      health_reserved_concurrency: compute.health.reservedConcurrency,
      health_cache_seconds: compute.health.cacheSeconds,
      reserved_concurrency: compute.reservedConcurrency,
      memory_mb: compute.memoryMb,
      timeout_seconds: compute.timeoutSeconds,
      log_retention_days: compute.logRetentionDays,
    },
    monitoring: {
      ...common,
      alarm_emails: manifest.monitoring.alarmEmails,
      function_name: out("compute", "function_name"),
      api_id: out("compute", "api_id"),
      dead_letter_queue_name: out("compute", "dead_letter_queue_name"),
      table_name: out("database", "table_name"),
      peer_region: peer,
      cluster_identifier: out("database", "cluster_identifier"),
      replication_lag_threshold_ms: manifest.objectives.rpo * 1000,
      backup_vault_name: out("backup", "vault_name"),
    },
  };
}

/** What the global root reads of each regional root's outputs. */
export const REGIONAL_OUTPUTS_FOR_GLOBAL = {
  compute: [
    "api_domain_target",
    "api_domain_zone_id",
    "api_health_fqdn",
    "certificate_validation_records",
    "health_check_domain_target",
    "health_check_domain_zone_id",
  ],
  database: ["cluster_identifier"],
} as const;

/** The module calls of the global root: Route 53 and its health-check alarms. */
export function globalInputs(
  manifest: Manifest,
  names: CrossRegionNames,
): Record<string, ModuleInputs> {
  const remote = (role: Role, output: string) =>
    `\${data.terraform_remote_state.${role}.outputs.${output}}`;
  const endpoint = (role: Role) => ({
    region: manifest.regions[role],
    target_domain_name: remote(role, "api_domain_target"),
    target_zone_id: remote(role, "api_domain_zone_id"),
    health_check_fqdn: remote(role, "api_health_fqdn"),
  });
  const records = (role: Role) =>
    `try(data.terraform_remote_state.${role}.outputs.certificate_validation_records, [])`;
  const { healthCheck } = manifest.dns;
  // Each region's health-check name and its custom domain target, where the compute release
  // has one (every reference in try(), so a 1.x regional root without them still composes).
  const healthCheckRecord = (role: Role) => {
    const output = (name: string) =>
      `try(data.terraform_remote_state.${role}.outputs.${name}, null)`;
    return `${role} = { name = ${output("api_health_fqdn")}, target_domain_name = ${output("health_check_domain_target")}, target_zone_id = ${output("health_check_domain_zone_id")} }`;
  };
  const healthCheckRecords = `\${{ for role, r in { ${healthCheckRecord("primary")}, ${healthCheckRecord("secondary")} } : role => r if r.target_domain_name != null }}`;
  return {
    dns: {
      name: names.name,
      zone_name: manifest.domain,
      zone_id: manifest.dns.zoneId ?? "",
      record_name: names.apiDomainName,
      primary: endpoint("primary"),
      secondary: endpoint("secondary"),
      // Both regions' certificates for one name share a validation record: keep one of each.
      certificate_validation_records: `\${distinct(concat(${records("primary")}, ${records("secondary")}))}`,
      health_check_records: healthCheckRecords,
      health_check_interval: healthCheck.interval,
      health_check_failure_threshold: healthCheck.failureThreshold,
      health_check_regions: healthCheck.regions,
    },
    monitoring: {
      name: names.name,
      role: "global",
      alarm_emails: manifest.monitoring.alarmEmails,
      health_check_ids: out("dns", "health_check_ids"),
    },
  };
}
