import { TerraformOutput } from "cdktf";
import { defineModule } from "@tandem/module-kit";
import { healthCheckAlarms, regionalAlarms } from "./alarms.ts";
import { dashboard } from "./dashboard.ts";
import { alarmTopic } from "./topic.ts";
import { monitoringVariables } from "./variables.ts";

export default defineModule({
  domain: "monitoring",
  description:
    "Alarms that page the payments on-call, one module for three roles. Every role gets an SNS " +
    "topic encrypted with its own KMS key (CloudWatch may use the key and publish, for this " +
    "account only) and an email subscription per address (each must be confirmed). The " +
    "`primary` and `secondary` roles alarm, with ALARM and OK notifications, on Lambda errors " +
    "and throttles, HTTP API 5xx and p99 latency, dead-letter queue depth, DynamoDB replication " +
    "latency to the peer region, failed or expired AWS Backup jobs and failed copy jobs (backups " +
    "run in both regions), and `AuroraGlobalDBReplicationLag` of the region's own cluster (the " +
    "metric is published by whichever cluster is the secondary, in its own region; after a drill " +
    "or a failover the roles swap, so both regions carry the alarm and the writer's silence is " +
    "not an incident), and the peer region's health as this region sees it (`Tandem/Health` " +
    "`PeerHealthy`, published once a minute by compute 2.2.0's region check, which reads the " +
    "peer's own verdict from the peer's CloudWatch; 0, or silence, for two minutes pages), so " +
    "on-call is paged through the surviving region's own topic when the other region, " +
    "us-east-1 included, is lost; a dashboard " +
    "per region graphs each alarm's metric against its threshold. The `global` role, applied in " +
    "us-east-1 where Route 53 publishes health-check metrics, alarms when a region's health " +
    "check fails. Traffic metrics treat missing data as OK (no traffic is not an incident: a dead " +
    "region is caught by its health check and by the peer's alarm, and the writer publishes no " +
    "lag); health-check status and the peer's health treat silence as failing.",
  example: `module "monitoring" {
  source = "./modules/monitoring"

  name         = "payments-prod"
  role         = "secondary"
  alarm_emails = ["payments-oncall@acme-payments.com"]

  function_name                = module.compute.function_name
  api_id                       = module.compute.api_id
  dead_letter_queue_name       = module.compute.dead_letter_queue_name
  table_name                   = module.database.table_name
  peer_region                  = "us-east-1"
  cluster_identifier           = module.database.cluster_identifier
  replication_lag_threshold_ms = 30000 # half the 1m RPO
  backup_vault_name            = module.backup.vault_name
}

# In the global root (us-east-1):
module "monitoring_global" {
  source = "./modules/monitoring"

  name             = "payments-prod"
  role             = "global"
  alarm_emails     = ["payments-oncall@acme-payments.com"]
  health_check_ids = module.dns.health_check_ids
}`,
  build(stack) {
    const { alarmEmails } = monitoringVariables(stack);
    const topic = alarmTopic(stack, alarmEmails);
    const alarms = regionalAlarms(stack, topic.arn);
    healthCheckAlarms(stack, topic.arn);
    dashboard(stack, alarms);
    new TerraformOutput(stack, "alarm_topic_arn", {
      value: topic.arn,
      description: "The SNS topic every alarm of this role notifies.",
    });
    new TerraformOutput(stack, "dashboard_name", {
      value: "${one(aws_cloudwatch_dashboard.this[*].dashboard_name)}",
      description: "This region's CloudWatch dashboard (null in the global role).",
    });
  },
});
