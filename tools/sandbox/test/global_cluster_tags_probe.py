"""Tags a global cluster through the sandbox as the AWS provider does: at CreateGlobalCluster,
then AddTagsToResource and RemoveTagsFromResource on its ARN, reading them back with
ListTagsForResource each time. Run by moto-global-cluster-tags.test.ts; prints one JSON object."""

import json
import sys

from aws_client import sandbox_client

rds = sandbox_client(sys.argv[1], "rds", "us-east-1")
arn = rds.create_global_cluster(
    GlobalClusterIdentifier="tagged", Engine="aurora-mysql",
    Tags=[{"Key": "Environment", "Value": "staging"}],
)["GlobalCluster"]["GlobalClusterArn"]


def tags():
    listed = rds.list_tags_for_resource(ResourceName=arn)["TagList"]
    return {tag["Key"]: tag["Value"] for tag in listed}


found = {"arn": arn, "created": tags()}
rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "CostCenter", "Value": "payments"}])
found["added"] = tags()
rds.remove_tags_from_resource(ResourceName=arn, TagKeys=["Environment"])
found["removed"] = tags()
print(json.dumps(found))
