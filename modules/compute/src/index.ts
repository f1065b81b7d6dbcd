import { defineModule, kmsKey } from "@tandem/module-kit";
import { frontDoor } from "./api.ts";
import { bundleHandler } from "./bundle.ts";
import { drillParameter } from "./drill.ts";
import { deadLetterQueue, eventForwarding } from "./events.ts";
import { HANDLER_ZIP, healthFunction, paymentFunction, regionCheckFunction } from "./function.ts";
import { computeIdentity } from "./identity.ts";
import { regionCheckSchedule } from "./region-check.ts";
import { moduleKeyAlias, MOVED_TO_IDENTITY } from "./roles.ts";
import { computeVariables } from "./variables.ts";

export default defineModule({
  domain: "compute",
  description:
    "The payment service of one region. A Node.js 22 Lambda function (bundled into `handler.zip` " +
    "inside the module) runs in the private subnets with reserved concurrency, X-Ray tracing, a " +
    "KMS-encrypted dead-letter queue and a role limited to its own table, key, parameter, bus and " +
    "queue (every role of the module is created by its identity part, in the environment's identity " +
    "root, and named here by its computed ARN, so a regional root never calls IAM). `POST /payments` records a payment once per `Idempotency-Key` (a conditional DynamoDB " +
    "write; a retry gets the first response back, the same key with another body gets 422); the " +
    "payment id is derived from the key, so a retry that lands in the other region before the " +
    "global table replicates records the same payment, and `PaymentRecorded` events (forwarded to " +
    "the peer region's bus) are deduplicated by it. Clients authenticate with a JWT " +
    "(`Authorization: Bearer <token>`) that the HTTP API's JWT authorizer checks against " +
    "`jwt_issuer` and `jwt_audiences`, the same in both regions, so a token keeps working after " +
    "failover (a SigV4 signature is scoped to one region). `GET /health` is open and runs in a " +
    "function of its own (`health_reserved_concurrency`, route throttling apart from the stage " +
    "default), reads the table and the drill flag (SSM `/<name>/drill/unhealthy`; `true` answers " +
    "503) at most every `health_cache_seconds`, and answers within about a second; clients and " +
    "the drill read it, Route 53 does not. What Route 53 follows is the region check " +
    "(`<name>-region-check`), run once a minute by an EventBridge schedule and by nothing " +
    "public: it reads the same table item and drill flag, reads the peer region's own verdict " +
    "from the peer's CloudWatch, and publishes `Tandem/Health` `RegionHealthy` and " +
    "`PeerHealthy` (0 or 1, dimension `Region`) in this region. The alarm `<name>-region-health` " +
    "fires after two minutes of 0 or silence; the dns module's health check follows it, so a " +
    "flood of `/health` throttles `/health` only, and the drill flag still takes the region out " +
    "of DNS without touching Route 53. Every response carries " +
    "`x-tandem-region`, the region that answered. The custom domain `api_domain_name` is served in " +
    "both regions with a DNS-validated ACM certificate, so Route 53 failover alias records can move " +
    "one name between them; `health_check_domain_name` adds this region's own custom domain on the " +
    "same API for the health check. There is no Lambda function URL. Route 53 is written only by " +
    "the global root, so a brand-new certificate needs one bootstrap pass: apply it " +
    "(`-target=module.compute.aws_acm_certificate.this` and `.health_check` in each regional root), " +
    "then the global root's validation records, then everything; until the records exist, " +
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

  api_domain_name          = "api.pay.acme-payments.com"
  health_check_domain_name = "us-east-1.api.pay.acme-payments.com"
  peer_event_bus_arn       = "arn:aws:events:us-west-2:210987654321:event-bus/payments-prod"

  jwt_issuer    = "https://auth.acme-payments.com"
  jwt_audiences = ["payments-api"]

  reserved_concurrency = 200
  memory_mb            = 512
  timeout_seconds      = 10
  log_retention_days   = 365
}`,
  identity: computeIdentity,
  removed: MOVED_TO_IDENTITY,
  build(stack) {
    const inputs = computeVariables(stack);
    const key = kmsKey(stack, {
      description: "Payment handler: environment, logs, dead-letter queue and event bus.",
      alias: moduleKeyAlias(inputs.name),
      servicePrincipals: ["logs", "events"],
    });
    const queue = deadLetterQueue(stack, inputs, key);
    const bus = eventForwarding(stack, inputs, key, queue);
    const drill = drillParameter(stack, inputs);
    const deps = { key, queue, bus, drill };
    const payments = paymentFunction(stack, inputs, deps);
    const health = healthFunction(stack, inputs, deps);
    frontDoor(stack, inputs, key, { payments, health });
    regionCheckSchedule(stack, inputs, regionCheckFunction(stack, inputs, deps));
  },
  assets: (moduleDir) => ({ [HANDLER_ZIP]: bundleHandler(moduleDir) }),
});
