/**
 * Limits that both the manifest schema (tools/generator) and a module's variable validations
 * state. One definition each, so `tandem validate` never accepts what a plan then rejects. No
 * imports: the generator loads this file at run time to validate manifests.
 */

/** An inclusive whole-number range. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/**
 * VPC prefix lengths: AWS allows /16 to /28, and the networking module cuts a /24-sized public
 * subnet (8 more bits) from the block, which must stay at least a /28 (the smallest AWS subnet),
 * so the block can be at most a /20.
 */
export const VPC_PREFIX: Range = { min: 16, max: 20 };
/** Availability zones a VPC spreads over. */
export const AZ_COUNT: Range = { min: 2, max: 6 };

/** Aurora global databases need memory-optimized classes (Aurora User Guide, global database requirements). */
export const AURORA_INSTANCE_CLASS_PATTERN =
  "^db[.](r5|r6g|r6gd|r6i|r6id|r7g|r7i|r8g|r8gd|x2g)[.](large|[0-9]*xlarge)$";
export const AURORA_ENGINE_VERSION_PATTERN =
  "^[0-9]+[.][0-9]+[.]mysql_aurora[.][0-9]+[.][0-9]+[.][0-9]+$";
/** Instances in one region's Aurora cluster (one writer and up to 15 readers). */
export const AURORA_INSTANCES: Range = { min: 1, max: 16 };
/** Aurora automated backup retention, in days. */
export const AURORA_BACKUP_RETENTION_DAYS: Range = { min: 1, max: 35 };

/** Lambda memory in MB. */
export const LAMBDA_MEMORY_MB: Range = { min: 128, max: 10240 };
/** Lambda timeout in seconds: API Gateway stops waiting for an integration at 30 s. */
export const LAMBDA_TIMEOUT_SECONDS: Range = { min: 1, max: 29 };
/** Reserved concurrency of the payment handler. */
export const RESERVED_CONCURRENCY: Range = { min: 1, max: 10000 };

/** AWS Backup retention, in days (100 years at most). */
export const BACKUP_RETENTION_DAYS: Range = { min: 1, max: 36500 };
/** Vault Lock grace time before compliance mode becomes immutable, in days. */
export const VAULT_LOCK_MIN_CHANGEABLE_DAYS = 3;

/** A Route 53 hosted zone id. */
export const HOSTED_ZONE_ID_PATTERN = "^Z[A-Z0-9]{1,31}$";

/** Seconds the /health function may cache the drill flag and the table check. */
export const HEALTH_CACHE_SECONDS: Range = { min: 0, max: 60 };

/** HCL for `min <= v <= max` and whole, for a variable validation. */
export function wholeNumberIn(variable: string, range: Range): string {
  return `${variable} == floor(${variable}) && ${variable} >= ${range.min} && ${variable} <= ${range.max}`;
}

/**
 * A JWT issuer as API Gateway's JWT authorizer takes it: an https URL (it fetches
 * `<issuer>/.well-known/openid-configuration`), no query or fragment, no whitespace.
 */
export const JWT_ISSUER_PATTERN = "^https://[a-z0-9.-]+(:[0-9]+)?(/[^\\s?#]*)?$";
