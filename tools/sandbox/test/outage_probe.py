"""Calls each service the way an AWS client does, through the sandbox's endpoint, and says which
answered and which failed as a lost region fails (no answer).

Run by outage.test.ts: `python outage_probe.py <endpoint> <health check id>`; prints one JSON
object {call: "served" | "lost: <error>" | "error: <code>"}, with the seconds the slowest lost
call took.
"""

import json
import sys
import time

from aws_client import sandbox_client
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError as BotoConnectionError, HTTPClientError

endpoint, health_check = sys.argv[1], sys.argv[2]
# One attempt: a lost region's answer (a reset connection) is known at the first. The read
# time-out is long because a served first call may take seconds on a loaded machine (moto
# creates a region's default VPC on its first EC2 call), and a reset never waits for it.
config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)


def client(service, region):
    return sandbox_client(endpoint, service, region, config)


CALLS = {
    "dynamodb:ListTables": ("dynamodb", lambda c: c.list_tables()),
    "ec2:DescribeVpcs": ("ec2", lambda c: c.describe_vpcs()),
    "sqs:ListQueues": ("sqs", lambda c: c.list_queues()),
    "ssm:DescribeParameters": ("ssm", lambda c: c.describe_parameters()),
    "rds:DescribeDBClusters": ("rds", lambda c: c.describe_db_clusters()),
    "sts:GetCallerIdentity": ("sts", lambda c: c.get_caller_identity()),
    "iam:ListRoles": ("iam", lambda c: c.list_roles()),
    "route53:ListHostedZones": ("route53", lambda c: c.list_hosted_zones()),
    "route53:CreateHealthCheck": (
        "route53",
        lambda c: c.create_health_check(
            CallerReference=str(time.time()),
            HealthCheckConfig={"Type": "HTTPS", "FullyQualifiedDomainName": "x.example.com"},
        ),
    ),
    "route53:GetHealthCheckStatus": (
        "route53",
        lambda c: c.get_health_check_status(HealthCheckId=health_check),
    ),
}

found = {}
slowest = 0.0
for region in ("us-east-1", "us-west-2"):
    for name, (service, call) in CALLS.items():
        started = time.monotonic()
        try:
            call(client(service, region))
            outcome = "served"
        except (BotoConnectionError, HTTPClientError) as error:
            outcome = f"lost: {type(error).__name__}"
            slowest = max(slowest, time.monotonic() - started)
        except ClientError as error:
            outcome = f"error: {error.response['Error']['Code']}"
        found[f"{region} {name}"] = outcome
print(json.dumps({"calls": found, "slowestLostSeconds": round(slowest, 2)}))
