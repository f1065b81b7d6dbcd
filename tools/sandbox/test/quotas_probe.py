"""Checks the sandbox's Service Quotas extension through boto3, the way an AWS client sees it.

Run by quotas.test.ts with the sandbox's endpoint; prints one JSON object of findings.
"""

import json
import sys
import urllib.request

import boto3

endpoint = sys.argv[1]


def quotas(region):
    return boto3.client(
        "service-quotas",
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def applied(client, service, code):
    try:
        return client.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]["Value"]
    except client.exceptions.NoSuchResourceException:
        return "NoSuchResourceException"


def lower(region, service, code, value):
    request = urllib.request.Request(
        f"{endpoint}/tandem/quotas/{region}/{service}/{code}",
        data=json.dumps({"Value": value}).encode(),
        method="PUT",
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)["Value"]


east, west = quotas("us-east-1"), quotas("us-west-2")
found = {}
default = east.get_aws_default_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]
found["lambda_default"] = {k: default[k] for k in ("QuotaName", "Value", "QuotaArn", "Adjustable")}
eip = east.get_aws_default_service_quota(ServiceCode="ec2", QuotaCode="L-0263D0A3")["Quota"]
found["eip_default"] = {k: eip[k] for k in ("QuotaName", "Value")}
found["lambda_applied_before"] = applied(east, "lambda", "L-B99A9384")
found["set"] = lower("us-east-1", "lambda", "L-B99A9384", 200)
found["lambda_applied_after"] = applied(east, "lambda", "L-B99A9384")
found["lambda_applied_arn"] = east.get_service_quota(ServiceCode="lambda", QuotaCode="L-B99A9384")["Quota"]["QuotaArn"]
found["lambda_applied_other_region"] = applied(west, "lambda", "L-B99A9384")
found["lambda_default_after"] = east.get_aws_default_service_quota(
    ServiceCode="lambda", QuotaCode="L-B99A9384"
)["Quota"]["Value"]
# Quotas the extension does not know stay moto's: its vpc defaults.
found["vpc_by_moto"] = east.get_service_quota(ServiceCode="vpc", QuotaCode="L-F678F1CE")["Quota"]["Value"]
print(json.dumps(found))
