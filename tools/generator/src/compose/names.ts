import type { Manifest } from "../manifest/schema.ts";

/**
 * Names and ARNs one region needs of the other, computed from the manifest alone so that a
 * regional root never reads the other region's state or APIs (static stability).
 */
export function crossRegionNames(manifest: Manifest) {
  const name = `payments-${manifest.name}`;
  const arn = (service: string, region: string, resource: string) =>
    `arn:aws:${service}:${region}:${manifest.account}:${resource}`;
  return {
    name,
    globalClusterIdentifier: name,
    tableName: `${name}-sessions`,
    primaryTableArn: arn("dynamodb", manifest.regions.primary, `table/${name}-sessions`),
    backupVaultArn: (region: string) => arn("backup", region, `backup-vault:${name}`),
    eventBusArn: (region: string) => arn("events", region, `event-bus/${name}`),
    apiDomainName: `${manifest.dns.recordName}.${manifest.domain}`,
    /** The name each region's Route 53 health check probes: a custom domain of its own. */
    healthCheckDomainName: (region: string) =>
      `${region}.${manifest.dns.recordName}.${manifest.domain}`,
    stateBucket: (region: string) =>
      manifest.state.buckets?.[region] ?? `tandem-tfstate-${manifest.account}-${region}`,
    stateKey: (deployment: string) => `${manifest.name}/${deployment}.tfstate`,
  };
}

export type CrossRegionNames = ReturnType<typeof crossRegionNames>;

/** The state buckets' KMS key: created by the bootstrap root, named by every S3 backend. */
export const STATE_KEY_ALIAS = "alias/tandem-tfstate";
