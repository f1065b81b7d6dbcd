"""What an operator (or Aurora) does to the shared sandbox's global cluster during recovery,
through boto3 as a client calls it. Run by recovery.test.ts:

    recovery_probe.py <endpoint> members <global cluster>
    recovery_probe.py <endpoint> failover|switchover <global cluster> <target region>
    recovery_probe.py <endpoint> lose-cluster <global cluster> <region> <cluster>

Prints one JSON object: the global cluster's members after the step, `{region: is writer}`.
"""

import json
import sys

from aws_client import sandbox_client

endpoint, step, *args = sys.argv[1:]


def rds(region):
    return sandbox_client(endpoint, "rds", region)


def members(global_id, region="us-west-2"):
    cluster = rds(region).describe_global_clusters(GlobalClusterIdentifier=global_id)
    return {
        m["DBClusterArn"].split(":")[3]: m["IsWriter"]
        for m in cluster["GlobalClusters"][0]["GlobalClusterMembers"]
    }


def member_arn(global_id, region):
    cluster = rds(region).describe_global_clusters(GlobalClusterIdentifier=global_id)
    return next(
        m["DBClusterArn"]
        for m in cluster["GlobalClusters"][0]["GlobalClusterMembers"]
        if m["DBClusterArn"].split(":")[3] == region
    )


def lose_cluster(region, cluster_id):
    """The cluster goes with its region: its instances, then itself, no final snapshot."""
    client = rds(region)
    cluster = client.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]
    for member in cluster.get("DBClusterMembers", []):
        client.delete_db_instance(
            DBInstanceIdentifier=member["DBInstanceIdentifier"], SkipFinalSnapshot=True
        )
    client.modify_db_cluster(DBClusterIdentifier=cluster_id, DeletionProtection=False, ApplyImmediately=True)
    client.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)


if step == "members":
    print(json.dumps(members(args[0])))
elif step == "failover":
    global_id, target = args
    rds(target).failover_global_cluster(
        GlobalClusterIdentifier=global_id,
        TargetDbClusterIdentifier=member_arn(global_id, target),
        AllowDataLoss=True,
    )
    print(json.dumps(members(global_id, target)))
elif step == "switchover":
    global_id, target = args
    rds(target).switchover_global_cluster(
        GlobalClusterIdentifier=global_id, TargetDbClusterIdentifier=member_arn(global_id, target)
    )
    print(json.dumps(members(global_id, target)))
elif step == "lose-cluster":
    global_id, region, cluster_id = args
    lose_cluster(region, cluster_id)
    print(json.dumps(members(global_id)))
else:
    sys.exit(f"unknown step {step}")
