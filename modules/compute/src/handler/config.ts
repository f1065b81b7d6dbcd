import { ENV } from "./contract.ts";

export interface Config {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly drillParameterName: string;
  readonly region: string;
  readonly role: string;
  /** Seconds /health reuses its last reading (HEALTH_CACHE_SECONDS, default 5). */
  readonly healthCacheSeconds: number;
}

const DEFAULT_HEALTH_CACHE_SECONDS = 5;

/** Reads the configuration once per cold start; a missing variable fails the init, not a request. */
export function configFromEnv(env: Record<string, string | undefined>): Config {
  const read = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    tableName: read(ENV.tableName),
    eventBusName: read(ENV.eventBusName),
    drillParameterName: read(ENV.drillParameterName),
    region: read("AWS_REGION"),
    role: read(ENV.role),
    healthCacheSeconds: cacheSeconds(env[ENV.healthCacheSeconds]),
  };
}

function cacheSeconds(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_HEALTH_CACHE_SECONDS;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds < 0)
    throw new Error(`${ENV.healthCacheSeconds} must be a whole number of seconds, not ${value}`);
  return seconds;
}

/** The peer region the region check reads and reports on (its function's PEER_REGION). */
export function peerRegionFromEnv(env: Record<string, string | undefined>): string {
  const value = env[ENV.peerRegion];
  if (!value || !/^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(value))
    throw new Error(
      `environment variable ${ENV.peerRegion} must be an AWS region, not ${value ?? "unset"}`,
    );
  return value;
}
