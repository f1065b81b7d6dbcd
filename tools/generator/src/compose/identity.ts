/**
 * The identity root of an environment: every IAM role the regional roots use, for both regions,
 * applied from us-east-1 before them. IAM's control plane runs only in us-east-1, so a regional
 * root that held roles could not even refresh with us-east-1 lost; the regional roots refer to
 * these roles by ARNs computed from their names (the modules' contract) and never call IAM.
 */
import { IMPORT_IDS_OUTPUT } from "@tandem/module-kit/identity-names";
import type { Domain, Manifest } from "../manifest/schema.ts";
import { identityPart, IDENTITY_FOLDER, type ModuleFiles } from "../modules/artifact.ts";
import { applyBoundaryArn } from "./bootstrap.ts";
import type { ModuleInputs } from "./inputs.ts";
import type { CrossRegionNames } from "./names.ts";

export const IDENTITY_ROOT = "identity";

interface Resolved {
  readonly source: string;
  readonly files: ModuleFiles;
}

/** The candidate inputs of each domain's identity part; the composer keeps the declared ones. */
export function identityInputs(
  manifest: Manifest,
  names: CrossRegionNames,
): Partial<Record<Domain, ModuleInputs>> {
  const common = {
    name: names.name,
    regions: [manifest.regions.primary, manifest.regions.secondary],
    // The apply role may create only roles that carry its own boundary.
    permissions_boundary: applyBoundaryArn(manifest.account, manifest.name),
  };
  const compute = {
    ...common,
    table_name: names.tableName,
    // The database module names each region's key `alias/<name>-data`; the functions' roles
    // reach the table's key by that alias, since its id is random.
    table_key_alias: `alias/${names.name}-data`,
  };
  return { networking: common, database: common, backup: common, compute };
}

/**
 * Resolves a domain's identity part: the `identity/` folder of the pinned version, or undefined
 * where that version predates it (its regional part still creates its own roles).
 */
export function resolveIdentity(
  domain: Domain,
  version: string,
  resolve: (domain: Domain, version: string) => Resolved,
): Resolved | undefined {
  const module = resolve(domain, version);
  const files = identityPart(module.files, `${domain}@${version}`);
  return files && { source: `${module.source}/${IDENTITY_FOLDER}`, files };
}

/**
 * What the identity root adds beside its module calls: an `import` per IAM resource of each
 * part, for the instances whose role exists already, so adopting a version that moved roles out
 * of a regional root (whose `removed` blocks forget them there) takes the live roles over
 * instead of failing to create them again. A role that does not exist yet is simply created.
 */
export function identityBlocks(parts: Partial<Record<Domain, Resolved>>): Record<string, unknown> {
  const imports = Object.entries(parts).flatMap(([domain, part]) =>
    Object.keys(importIds(part!.files)).map((address) => ({
      for_each: `\${{ for region, id in module.${domain}.${IMPORT_IDS_OUTPUT}["${address}"] : region => id if contains(data.aws_iam_roles.existing.names, regex("^[^:/]+", id)) }}`,
      to: `module.${domain}.${address}[each.key]`,
      id: "${each.value}",
    })),
  );
  if (imports.length === 0) return {};
  // Read in the identity root only, which depends on us-east-1 anyway (ListRoles).
  return { data: { aws_iam_roles: { existing: {} } }, import: imports };
}

/** The addresses an identity part declares in its `import_ids` output (static keys). */
function importIds(files: ModuleFiles): Record<string, unknown> {
  const value = files.json.output?.[IMPORT_IDS_OUTPUT]?.value;
  return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {};
}
