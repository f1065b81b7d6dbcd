import { ENV } from "./contract.ts";

export interface Config {
  readonly tableName: string;
  readonly eventBusName: string;
  readonly drillParameterName: string;
  readonly region: string;
  readonly role: string;
}

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
  };
}
