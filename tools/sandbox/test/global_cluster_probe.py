"""Drives the sandbox's Aurora global-cluster extensions through boto3, as the drill and an
operator call them: a global cluster with a writer in us-east-1 and a secondary in us-west-2,
a managed failover to the secondary, a switchover back, and the refusals. Run by
recovery-global-cluster.test.ts with the sandbox's endpoint; prints one JSON object."""

import json
import re
import sys
import urllib.request
from datetime import datetime, timedelta, timezone

from aws_client import sandbox_client

endpoint = sys.argv[1]
east = sandbox_client(endpoint, "rds", "us-east-1")
west = sandbox_client(endpoint, "rds", "us-west-2")
found = {}


def error_of(call, **kwargs):
    try:
        call(**kwargs)
        return "accepted"
    except east.exceptions.ClientError as error:
        return f"{error.response['Error']['Code']}: {error.response['Error']['Message']}"


def writers(client):
    cluster = client.describe_global_clusters(GlobalClusterIdentifier="g")["GlobalClusters"][0]
    return {
        m["DBClusterArn"].split(":")[3]: m["IsWriter"] for m in cluster["GlobalClusterMembers"]
    }


east.create_global_cluster(GlobalClusterIdentifier="g", Engine="aurora-mysql", StorageEncrypted=True)
primary = east.create_db_cluster(
    DBClusterIdentifier="c", Engine="aurora-mysql", GlobalClusterIdentifier="g",
    MasterUsername="admin", MasterUserPassword="password-1", DatabaseName="payments",
)["DBCluster"]["DBClusterArn"]
joining = dict(DBClusterIdentifier="c", Engine="aurora-mysql", GlobalClusterIdentifier="g")
found["secondary_with_password"] = error_of(
    west.create_db_cluster, **joining, MasterUserPassword="password-1"
)
found["secondary_with_user"] = error_of(west.create_db_cluster, **joining, MasterUsername="admin")
found["secondary_with_database"] = error_of(
    west.create_db_cluster, **joining, DatabaseName="payments"
)
secondary = west.create_db_cluster(**joining)["DBCluster"]["DBClusterArn"]
found["before"] = writers(east)


def global_id_sent(region, cluster_id):
    """The GlobalClusterIdentifier in the emulator's DescribeDBClusters XML, whatever a client's
    model knows: moto serializes from botocore's, and an old one has no such member."""
    request = urllib.request.Request(
        endpoint,
        data=f"Action=DescribeDBClusters&Version=2014-10-31&DBClusterIdentifier={cluster_id}".encode(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/rds/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(request) as answer:
        match = re.search(r"<GlobalClusterIdentifier>([^<]*)<", answer.read().decode())
    return match.group(1) if match else None


found["global_id_sent"] = {region: global_id_sent(region, "c") for region in ("us-east-1", "us-west-2")}

found["both_flags"] = error_of(
    west.failover_global_cluster, GlobalClusterIdentifier="g",
    TargetDbClusterIdentifier=secondary, AllowDataLoss=True, Switchover=True,
)
found["unknown_global"] = error_of(
    west.failover_global_cluster, GlobalClusterIdentifier="nope",
    TargetDbClusterIdentifier=secondary, AllowDataLoss=True,
)
found["not_a_member"] = error_of(
    west.failover_global_cluster, GlobalClusterIdentifier="g",
    TargetDbClusterIdentifier="arn:aws:rds:us-west-2:123456789012:cluster:other", AllowDataLoss=True,
)
found["to_the_writer"] = error_of(
    west.switchover_global_cluster, GlobalClusterIdentifier="g", TargetDbClusterIdentifier=primary
)
answer = west.failover_global_cluster(
    GlobalClusterIdentifier="g", TargetDbClusterIdentifier=secondary, AllowDataLoss=True
)["GlobalCluster"]
found["failover_answer"] = {
    m["DBClusterArn"].split(":")[3]: m["IsWriter"] for m in answer["GlobalClusterMembers"]
}
found["after_failover_asked_in_west"] = writers(west)
# The old primary, rebuilt as a secondary, takes no credentials either.
found["rejoin_with_password"] = error_of(
    west.create_db_cluster, DBClusterIdentifier="c2", Engine="aurora-mysql",
    GlobalClusterIdentifier="g", MasterUserPassword="password-1",
)
east.switchover_global_cluster(GlobalClusterIdentifier="g", TargetDbClusterIdentifier=primary)


def lag(region, cluster):
    now = datetime.now(timezone.utc)
    points = sandbox_client(endpoint, "cloudwatch", region).get_metric_statistics(
        Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": cluster}],
        StartTime=now - timedelta(minutes=5), EndTime=now, Period=60, Statistics=["Maximum"],
    )["Datapoints"]
    return [p["Maximum"] for p in points]


found["lag_of_secondary"] = lag("us-west-2", "c")
found["lag_of_writer"] = lag("us-east-1", "c")
sandbox_client(endpoint, "cloudwatch", "us-west-2").put_metric_data(
    Namespace="AWS/RDS",
    MetricData=[{
        "MetricName": "AuroraGlobalDBReplicationLag", "Value": 9000.0, "Unit": "Milliseconds",
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "c"}],
        "Timestamp": datetime.now(timezone.utc) - timedelta(seconds=30),
    }],
)
found["lag_as_put"] = max(lag("us-west-2", "c"))
found["after_switchover"] = writers(east)
print(json.dumps(found))
