/**
 * What the handler and the Terraform module must agree on: the environment variables the
 * function reads and the event it publishes, which the forwarding rule matches.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  drillParameterName: "DRILL_PARAMETER_NAME",
  role: "REGION_ROLE",
  healthCacheSeconds: "HEALTH_CACHE_SECONDS",
} as const;

/** On every response, the region that answered: the drill and clients see which region serves the failover name. */
export const REGION_HEADER = "x-tandem-region";

export const PAYMENT_EVENT = { source: "tandem.payments", detailType: "PaymentRecorded" } as const;
