"""Checks the sandbox's moto extensions through boto3, the way an AWS client sees them.

Run by extensions.test.ts with the sandbox's endpoint; prints one JSON object of findings.
"""

import json
import sys

from aws_client import sandbox_client

endpoint = sys.argv[1]


def client(service, region="us-east-1"):
    return sandbox_client(endpoint, service, region)


found = {}

# AWS Backup selections: create, get, list, delete.
backup = client("backup")
plan = backup.create_backup_plan(
    BackupPlan={
        "BackupPlanName": "p",
        "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}],
    }
)["BackupPlanId"]
selection = {
    "SelectionName": "everything",
    "IamRoleArn": "arn:aws:iam::123456789012:role/backup",
    "Resources": ["arn:aws:dynamodb:us-east-1:123456789012:table/t"],
}
created = backup.create_backup_selection(BackupPlanId=plan, BackupSelection=selection)
got = backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
listed = backup.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]
backup.delete_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
try:
    backup.get_backup_selection(BackupPlanId=plan, SelectionId=created["SelectionId"])
    found["selection_after_delete"] = "found"
except backup.exceptions.ResourceNotFoundException:
    found["selection_after_delete"] = "ResourceNotFoundException"
try:
    backup.create_backup_selection(BackupPlanId="no-such-plan", BackupSelection=selection)
    found["selection_of_missing_plan"] = "created"
except backup.exceptions.ResourceNotFoundException:
    found["selection_of_missing_plan"] = "ResourceNotFoundException"
found["selection"] = got["BackupSelection"]
found["listed"] = [s["SelectionName"] for s in listed]

# DynamoDB replica through UpdateTable ReplicaUpdates.
primary = client("dynamodb")
primary.create_table(
    TableName="t",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
)
primary.update_table(TableName="t", ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
found["replicas"] = primary.describe_table(TableName="t")["Table"].get("Replicas")
found["replica_table"] = client("dynamodb", "us-west-2").describe_table(TableName="t")["Table"]["TableStatus"]

# API Gateway v2 domain name status and target.
apigw = client("apigatewayv2")
apigw.create_domain_name(
    DomainName="api.pay.test-sandbox.example-payments.com",
    DomainNameConfigurations=[
        {"CertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x", "EndpointType": "REGIONAL"}
    ],
)
domain = apigw.get_domain_name(DomainName="api.pay.test-sandbox.example-payments.com")
found["domain"] = domain["DomainNameConfigurations"][0]
found["domain_mtls"] = "MutualTlsAuthentication" in domain

# Route 53 query logging with the log group ARN without ":*".
logs = client("logs")
logs.create_log_group(logGroupName="/aws/route53/q")
arn = logs.describe_log_groups(logGroupNamePrefix="/aws/route53/q")["logGroups"][0]["arn"].removesuffix(":*")
route53 = client("route53")
zone = route53.create_hosted_zone(Name="q.example-payments.com", CallerReference="1")["HostedZone"]["Id"]
config = route53.create_query_logging_config(HostedZoneId=zone, CloudWatchLogsLogGroupArn=arn)
found["query_log_arn_as_given"] = config["QueryLoggingConfig"]["CloudWatchLogsLogGroupArn"] == arn

# Route 53 health checks that follow a CloudWatch alarm keep the alarm and the insufficient-data status.
check = route53.create_health_check(
    CallerReference="alarm",
    HealthCheckConfig={
        "Type": "CLOUDWATCH_METRIC",
        "AlarmIdentifier": {"Region": "us-west-2", "Name": "p-region-health"},
        "InsufficientDataHealthStatus": "Unhealthy",
    },
)["HealthCheck"]["Id"]
route53.update_health_check(HealthCheckId=check, InsufficientDataHealthStatus="LastKnownStatus")
found["alarm_health_check"] = route53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]

# AWS managed policies exist.
found["managed_policy"] = client("iam").get_policy(
    PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
)["Policy"]["PolicyName"]

# S3 bucket policies: conditions on the transport and the caller's ARN are evaluated.
s3 = client("s3")
s3.create_bucket(Bucket="state")
bucket_policy = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::state", "arn:aws:s3:::state/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "NotResource": ["arn:aws:s3:::state/dev/*"],
            "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/dev"}},
        },
    ],
}
s3.put_bucket_policy(Bucket="state", Policy=json.dumps(bucket_policy))
s3.put_object(Bucket="state", Key="staging/x.tfstate", Body=b"{}")
found["conditional_deny_skipped"] = s3.get_object(Bucket="state", Key="staging/x.tfstate")["Body"].read() == b"{}"
bucket_policy["Statement"].append(
    {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::state/*"}
)
s3.put_bucket_policy(Bucket="state", Policy=json.dumps(bucket_policy))
try:
    s3.get_object(Bucket="state", Key="staging/x.tfstate")
    found["unconditional_deny"] = "allowed"
except s3.exceptions.ClientError as error:
    found["unconditional_deny"] = error.response["Error"]["Code"]

print(json.dumps(found, default=str))
