import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { RDSClient } from "@aws-sdk/client-rds";
import { Route53Client } from "@aws-sdk/client-route-53";
import { SSMClient } from "@aws-sdk/client-ssm";
import { realClock, type Clock } from "./clock.ts";

/** The AWS SDK v3 clients of one region. */
export interface RegionClients {
  rds: RDSClient;
  ssm: SSMClient;
  route53: Route53Client;
  cloudwatch: CloudWatchClient;
  dynamodb: DynamoDBClient;
}

export interface HttpRequest {
  /** A host name: the failover name, or a region's health-check host. */
  host: string;
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Everything the drill touches, so the same engine runs against AWS and against the emulation
 * with only endpoints changed: the SDK clients per region, HTTPS to a host name as a client
 * reaches it (through DNS), the bearer token clients authenticate with, and the clock.
 */
export interface DrillWorld {
  clock: Clock;
  clients(region: string): RegionClients;
  request(request: HttpRequest): Promise<HttpAnswer>;
  token(): Promise<string>;
  /**
   * Takes a whole region away and gives it back, where the world can (the emulation: the
   * sandbox's outage). AWS cannot be asked to lose a region, so there the failover drill stands
   * in with the drill flag, as the switchover does.
   */
  outage?: RegionOutage;
}

export interface RegionOutage {
  lose(region: string): Promise<void>;
  restore(region: string): Promise<void>;
}

/** Endpoint overrides: each service's URL, or one URL for all (the emulation). */
export interface ClientOptions {
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Per service, when services sit on different endpoints. */
  endpoints?: Partial<Record<keyof RegionClients, string>>;
}

/** One set of clients per region, each call in the region it is made for. */
export function clientsFactory(options: ClientOptions = {}): (region: string) => RegionClients {
  const cache = new Map<string, RegionClients>();
  return (region) => {
    let clients = cache.get(region);
    if (!clients) {
      const config = (service: keyof RegionClients) => {
        const endpoint = options.endpoints?.[service] ?? options.endpoint;
        return {
          region,
          maxAttempts: 2,
          ...(endpoint ? { endpoint } : {}),
          ...(options.credentials ? { credentials: options.credentials } : {}),
        };
      };
      clients = {
        rds: new RDSClient(config("rds")),
        ssm: new SSMClient(config("ssm")),
        route53: new Route53Client(config("route53")),
        cloudwatch: new CloudWatchClient(config("cloudwatch")),
        dynamodb: new DynamoDBClient(config("dynamodb")),
      };
      cache.set(region, clients);
    }
    return clients;
  };
}

const REQUEST_TIMEOUT_MS = 10_000;

/** HTTPS through the system's resolver, as a client of the payment API calls it. */
export async function httpsRequest(request: HttpRequest): Promise<HttpAnswer> {
  const response = await fetch(`https://${request.host}${request.path}`, {
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body !== undefined ? { body: request.body } : {}),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: await response.text(),
  };
}

/** The world of a real drill: AWS, DNS, and the token the workflow fetched. */
export function awsWorld(env: Record<string, string | undefined>): DrillWorld {
  return {
    clock: realClock,
    clients: clientsFactory(),
    request: httpsRequest,
    token: async () => {
      const token = env.TANDEM_DRILL_TOKEN;
      if (!token)
        throw new Error(
          "TANDEM_DRILL_TOKEN is not set: the drill's payments authenticate as clients do, with a bearer token from the environment's identity provider",
        );
      return token;
    },
  };
}
