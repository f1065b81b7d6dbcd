"""A boto3 client of the sandbox's endpoint, with its test credentials: how the test scripts
call AWS the way a client does."""

import boto3


def sandbox_client(endpoint, service, region="us-east-1", config=None):
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=config,
    )
