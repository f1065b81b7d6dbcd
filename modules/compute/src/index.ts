import { defineModule, kmsKey } from "@tandem/module-kit";
import { frontDoor } from "./api.ts";
import { bundleHandler } from "./bundle.ts";
import { drillParameter } from "./drill.ts";
import { deadLetterQueue, eventForwarding } from "./events.ts";
import { HANDLER_ZIP, paymentFunction } from "./function.ts";
import { computeVariables } from "./variables.ts";

export default defineModule({
  domain: "compute",
  description:
    "The payment service of one region. A Node.js 22 Lambda function (bundled into `handler.zip` " +
    "inside the module) runs in the private subnets with reserved concurrency, X-Ray tracing, a " +
    "KMS-encrypted dead-letter queue and a role limited to its own table, key, parameter, bus and " +
    "queue. `POST /payments` records a payment once per `Idempotency-Key` (a conditional DynamoDB " +
    "write; a retry gets the first response back, the same key with another body gets 422) and " +
    "publishes `PaymentRecorded` on the region's event bus, which forwards it to the peer region's " +
    "bus. `GET /health` checks the table and the drill flag (SSM `/<name>/drill/unhealthy`; `true` " +
    "answers 503, taking the region out of DNS without touching Route 53). An HTTP API fronts the " +
    "function: `/payments` requires IAM (SigV4) authorization, `/health` is open, access logs are " +
    "KMS-encrypted and the stage throttles at the door. The custom domain `api_domain_name` is " +
    "served in both regions with a DNS-validated ACM certificate, so Route 53 failover alias " +
    "records can move one name between them; there is no Lambda function URL. Route 53 is written " +
    "only by the global root, so a brand-new environment needs one bootstrap pass: apply the " +
    "certificates (`-target=module.compute.aws_acm_certificate.this` in each regional root), then " +
    "the global root's validation records, then everything; until the records exist, " +
    "`aws_acm_certificate_validation` waits.",
  example: `module "compute" {
  source = "./modules/compute"

  name               = "payments-prod"
  role               = "primary"
  subnet_ids         = module.networking.private_subnet_ids
  security_group_ids = [module.networking.app_security_group_id]

  table_name        = module.database.table_name
  table_arn         = module.database.table_arn
  table_kms_key_arn = module.database.kms_key_arn

  api_domain_name    = "api.pay.acme-payments.com"
  peer_event_bus_arn = "arn:aws:events:us-west-2:210987654321:event-bus/payments-prod"

  reserved_concurrency = 200
  memory_mb            = 512
  timeout_seconds      = 10
  log_retention_days   = 365
}`,
  build(stack) {
    const inputs = computeVariables(stack);
    const key = kmsKey(stack, {
      description: "Payment handler: environment, logs, dead-letter queue and event bus.",
      alias: `${inputs.name}-compute`,
      servicePrincipals: ["logs", "events"],
    });
    const queue = deadLetterQueue(stack, inputs, key);
    const bus = eventForwarding(stack, inputs, key, queue);
    const drill = drillParameter(stack, inputs);
    const fn = paymentFunction(stack, inputs, { key, queue, bus, drill });
    frontDoor(stack, inputs, key, fn);
  },
  assets: (moduleDir) => ({ [HANDLER_ZIP]: bundleHandler(moduleDir) }),
});
