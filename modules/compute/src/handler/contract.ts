/**
 * What the handler and the Terraform module must agree on: the environment variables the
 * function reads and the event it publishes, which the forwarding rule matches.
 */
export const ENV = {
  tableName: "TABLE_NAME",
  eventBusName: "EVENT_BUS_NAME",
  drillParameterName: "DRILL_PARAMETER_NAME",
  role: "REGION_ROLE",
} as const;

export const PAYMENT_EVENT = { source: "tandem.payments", detailType: "PaymentRecorded" } as const;
