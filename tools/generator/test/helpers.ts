import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import type { TerraformModuleJson } from "@tandem/module-kit";
import type { Environment } from "../src/manifest/index.ts";
import { DOMAINS, manifestSchema, type Domain } from "../src/manifest/schema.ts";
import type { ModuleFiles } from "../src/modules/artifact.ts";
import type { ModuleResolver } from "../src/compose/deployments.ts";

export const REPO = join(import.meta.dirname, "../../..");

/** An example manifest parsed with the schema, with every module at `version`. */
export function exampleEnvironment(
  name: "dev" | "staging" | "prod",
  version = "1.0.0",
): Environment {
  const manifest = manifestSchema.parse(
    parse(readFileSync(join(REPO, "environments", `${name}.yaml`), "utf8")),
  );
  const modules = Object.fromEntries(DOMAINS.map((d) => [d, version])) as Record<Domain, string>;
  return { file: `environments/${name}.yaml`, manifest, modules };
}

/** Module interfaces as docs/module-wiring.md states them: required inputs, optional inputs, outputs. */
export const CONTRACT: Record<
  Domain,
  { required: string[]; optional: string[]; outputs: string[] }
> = {
  networking: {
    required: ["name", "role", "cidr_block"],
    optional: [
      "az_count",
      "single_nat_gateway",
      "flow_log_retention_days",
      "database_port",
      "permissions_boundary",
    ],
    outputs: [
      "vpc_id",
      "public_subnet_ids",
      "private_subnet_ids",
      "app_security_group_id",
      "database_security_group_id",
    ],
  },
  database: {
    required: [
      "name",
      "role",
      "subnet_ids",
      "security_group_ids",
      "global_cluster_identifier",
      "table_name",
    ],
    optional: [
      "engine_version",
      "instance_class",
      "instance_count",
      "deletion_protection",
      "backup_retention_days",
      "primary_table_arn",
      "secondary_region",
      "permissions_boundary",
    ],
    outputs: [
      "cluster_arn",
      "cluster_identifier",
      "cluster_endpoint",
      "reader_endpoint",
      "kms_key_arn",
      "table_name",
      "table_arn",
    ],
  },
  backup: {
    required: ["name", "role"],
    optional: [
      "schedule",
      "retention_days",
      "copy_retention_days",
      "destination_vault_arn",
      "resource_arns",
      "vault_lock",
      "permissions_boundary",
    ],
    outputs: ["vault_arn", "vault_name", "plan_id", "role_arn"],
  },
  compute: {
    required: [
      "name",
      "role",
      "subnet_ids",
      "security_group_ids",
      "table_name",
      "table_arn",
      "table_kms_key_arn",
      "api_domain_name",
      "peer_event_bus_arn",
    ],
    optional: [
      "reserved_concurrency",
      "memory_mb",
      "timeout_seconds",
      "log_retention_days",
      "permissions_boundary",
    ],
    outputs: [
      "function_name",
      "function_arn",
      "api_id",
      "api_health_fqdn",
      "api_domain_target",
      "api_domain_zone_id",
      "certificate_validation_records",
      "event_bus_name",
      "event_bus_arn",
      "dead_letter_queue_name",
      "drill_parameter_name",
    ],
  },
  monitoring: {
    required: ["name", "role", "alarm_emails"],
    optional: [
      "function_name",
      "api_id",
      "dead_letter_queue_name",
      "table_name",
      "peer_region",
      "cluster_identifier",
      "replication_lag_threshold_ms",
      "backup_vault_name",
      "health_check_ids",
    ],
    outputs: ["alarm_topic_arn", "dashboard_name"],
  },
  dns: {
    required: ["name", "zone_name", "record_name", "primary", "secondary"],
    optional: [
      "zone_id",
      "certificate_validation_records",
      "health_check_interval",
      "health_check_failure_threshold",
      "health_check_regions",
    ],
    outputs: ["zone_id", "name_servers", "record_fqdn", "health_check_ids"],
  },
};

export function contractModule(
  domain: Domain,
  change: (json: TerraformModuleJson) => void = () => {},
): ModuleFiles {
  const { required, optional, outputs } = CONTRACT[domain];
  const json: TerraformModuleJson = {
    terraform: {
      required_version: ">= 1.11.0",
      required_providers: { aws: { source: "hashicorp/aws", version: ">= 5.100.0, < 7.0.0" } },
    },
    variable: Object.fromEntries([
      ...required.map((name) => [name, { type: "any" }]),
      ...optional.map((name) => [name, { type: "any", default: null }]),
    ]),
    resource: { aws_sns_topic: { this: { name: `${domain}` } } },
    output: Object.fromEntries(outputs.map((name) => [name, { value: name }])),
  };
  change(json);
  return {
    json,
    files: new Map([["main.tf.json", new TextEncoder().encode(JSON.stringify(json))]]),
    sha256: `${domain}-${JSON.stringify(json).length}`,
    terraformSha256: `${domain}-${JSON.stringify(json).length}`,
  };
}

export const contractResolver: ModuleResolver = (domain, version) => ({
  source: `../../../../modules/${domain}/releases/${version}`,
  files: contractModule(domain),
});

export const TOOLCHAIN = {
  requiredVersion: ">= 1.11.0",
  awsProvider: { source: "hashicorp/aws", version: ">= 5.100.0, < 7.0.0" },
};
