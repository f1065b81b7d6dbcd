"""moto's server for `tandem sandbox`, with the few extensions the DR stack needs.

Each extension closes one gap of moto 5.2.5 by answering as the AWS API reference says; the
gaps left open are listed, with what the sandbox skips, in ../known-gaps.json. Usage:

    python tandem_moto.py --host 127.0.0.1 --port 4566
"""

import argparse
import io
import json
import os
import re
import threading
import time
import uuid
from datetime import timedelta

# AWS managed policies (AWSLambdaVPCAccessExecutionRole, ...) exist in every account.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")

from moto.apigatewayv2 import models as apigatewayv2_models  # noqa: E402
from moto.backup.models import backup_backends  # noqa: E402
from moto.cloudwatch.models import CloudWatchBackend  # noqa: E402
from moto.dynamodb.models.table import Table  # noqa: E402
from moto.dynamodb.models import dynamodb_backends  # noqa: E402
from moto.dynamodb.responses import DynamoHandler, DynamoResult  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    create_backend_app,
)
from moto.rds.exceptions import RDSClientError  # noqa: E402
from moto.rds.models import RDSBackend, rds_backends  # noqa: E402
from moto.rds.responses import RDSResponse  # noqa: E402
from moto.core.responses import ActionResult  # noqa: E402
from moto.route53.models import HealthCheck, Route53Backend  # noqa: E402
from moto.route53.responses import Route53 as Route53Responses  # noqa: E402
from moto.s3.models import FakeBucket  # noqa: E402
from moto.server import MotoRequestHandler  # noqa: E402
from werkzeug.serving import run_simple  # noqa: E402


# --- API Gateway v2: GetDomainName returns DomainNameStatus (AVAILABLE once the certificate is
# issued) and the regional target the alias records point at, and MutualTlsAuthentication only
# when it is configured. moto returns the configuration as sent, so the provider would wait for
# a status that never comes.
def _domain_name_json(self):
    body = _original_domain_name_json(self)
    if not body.get("mutualTlsAuthentication"):
        body.pop("mutualTlsAuthentication", None)
    region = self.domain_name_arn.split(":")[3]
    for index, config in enumerate(body["domainNameConfigurations"]):
        config.setdefault("domainNameStatus", "AVAILABLE")
        config.setdefault("domainNameStatusMessage", "")
        config.setdefault("endpointType", "REGIONAL")
        config.setdefault("securityPolicy", "TLS_1_2")
        config.setdefault(
            "apiGatewayDomainName",
            f"d-{abs(hash((self.domain_name, index))) % 10**10:010d}.execute-api.{region}.amazonaws.com",
        )
        # The regional API Gateway hosted zone ids that AWS publishes per region.
        config.setdefault("hostedZoneId", _APIGW_ZONES.get(region, "Z1UJRXOUMOOFQ8"))
    return body


_APIGW_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}
_original_domain_name_json = apigatewayv2_models.DomainName.to_json
apigatewayv2_models.DomainName.to_json = _domain_name_json


# --- DynamoDB: UpdateTable ReplicaUpdates (global tables version 2019.11.21) creates or deletes
# a replica in another region, and DescribeTable lists Replicas. moto ignores ReplicaUpdates, so
# aws_dynamodb_table_replica would wait for a replica that never appears. Items are not copied:
# replication of data is not emulated.
def _update_table(self):
    table_name = self.body["TableName"]
    updates = self.body.get("ReplicaUpdates") or []
    result = _original_update_table(self)
    source = self.dynamodb_backend.get_table(table_name)
    for update in updates:
        if "Create" in update:
            _create_replica(source, update["Create"])
        if "Delete" in update:
            _delete_replica(source, update["Delete"]["RegionName"])
    return DynamoResult(source.describe()) if updates else result


def _create_replica(source, spec):
    region = spec["RegionName"]
    backend = dynamodb_backends[source.account_id][region]
    if source.name not in backend.tables:
        backend.create_table(
            source.name,
            schema=source.schema,
            throughput=source.throughput,
            attr=source.attr,
            global_indexes=[i.describe() for i in source.global_indexes],
            indexes=[i.describe() for i in source.indexes],
            streams=source.stream_specification,
            billing_mode=source.billing_mode,
            sse_specification={"Enabled": True, "KMSMasterKeyId": spec.get("KMSMasterKeyId")}
            if spec.get("KMSMasterKeyId")
            else source.sse_specification,
            tags=[],
            deletion_protection_enabled=False,
            warm_throughput=None,
        )
    replicas = _replicas(source)
    replicas[region] = {
        "RegionName": region,
        "ReplicaStatus": "ACTIVE",
        **({"KMSMasterKeyId": spec["KMSMasterKeyId"]} if spec.get("KMSMasterKeyId") else {}),
    }
    for table in _replica_tables(source):
        table._tandem_replicas = replicas


def _delete_replica(source, region):
    replicas = _replicas(source)
    replicas.pop(region, None)
    dynamodb_backends[source.account_id][region].tables.pop(source.name, None)


def _replicas(table):
    if not hasattr(table, "_tandem_replicas"):
        table._tandem_replicas = {}
    return table._tandem_replicas


def _replica_tables(source):
    for region in list(_replicas(source)) + [source.region_name]:
        table = dynamodb_backends[source.account_id][region].tables.get(source.name)
        if table is not None:
            yield table


def _describe_table(self, base_key="TableDescription"):
    """DescribeTable lists the replicas in the other regions, as AWS does."""
    result = _original_describe(self, base_key)
    replicas = getattr(self, "_tandem_replicas", {})
    if replicas:
        listed = [r for region, r in sorted(replicas.items()) if region != self.region_name]
        result[base_key]["Replicas"] = listed
        result[base_key]["GlobalTableVersion"] = "2019.11.21"
    return result


_original_update_table = DynamoHandler.update_table
DynamoHandler.update_table = _update_table
_original_describe = Table.describe
Table.describe = _describe_table


# --- Route 53: CreateQueryLoggingConfig takes the log group's ARN with or without the ":*"
# suffix and returns it as given; moto accepts only the ":*" form.
def _create_query_logging_config(self, hosted_zone_id, log_group_arn):
    lookup = log_group_arn if log_group_arn.endswith(":*") else f"{log_group_arn}:*"
    config = _original_create_qlc(self, hosted_zone_id, lookup)
    config.cloud_watch_logs_log_group_arn = log_group_arn
    return config


_original_create_qlc = Route53Backend.create_query_logging_config
Route53Backend.create_query_logging_config = _create_query_logging_config


# --- Route 53: a CLOUDWATCH_METRIC health check keeps its AlarmIdentifier and
# InsufficientDataHealthStatus (CreateHealthCheck, UpdateHealthCheck) and returns them, without
# the endpoint settings (IPAddress, Port, RequestInterval, FailureThreshold, MeasureLatency)
# that only endpoint checks have. moto drops both and adds those, so every plan would change it.
ALARM_SETTINGS = ("AlarmIdentifier", "InsufficientDataHealthStatus")
ENDPOINT_ONLY = ("IPAddress", "Port", "RequestInterval", "FailureThreshold", "MeasureLatency")


def _keep_alarm_settings(original, settings_of):
    def handler(self):
        settings = settings_of(self) or {}
        result = original(self)
        check = result.result["HealthCheck"]
        kept = {key: settings[key] for key in ALARM_SETTINGS if settings.get(key) is not None}
        check.tandem_alarm_settings = {**getattr(check, "tandem_alarm_settings", {}), **kept}
        return result

    return handler


def _health_check_config(self):
    config = _original_health_check_config.fget(self)
    if self.type_ != "CLOUDWATCH_METRIC":
        return config
    config = {key: value for key, value in config.items() if key not in ENDPOINT_ONLY}
    return {**config, **getattr(self, "tandem_alarm_settings", {})}


Route53Responses.create_health_check = _keep_alarm_settings(
    Route53Responses.create_health_check, lambda self: self._get_param("HealthCheckConfig")
)
Route53Responses.update_health_check = _keep_alarm_settings(
    Route53Responses.update_health_check,
    lambda self: {key: self._get_param(key) for key in ALARM_SETTINGS},
)
_original_health_check_config = HealthCheck.health_check_config
HealthCheck.health_check_config = property(_health_check_config)


# --- RDS: FailoverGlobalCluster and SwitchoverGlobalCluster promote a secondary member of an
# Aurora global database to writer (RDS API Reference). moto 5.2.5 has neither. The operation
# completes at once: the answer and every later DescribeGlobalClusters show the new writer and no
# FailoverState (on AWS it is `pending`, then `failing-over` or `switching-over`, for minutes).
# Synchronization is not emulated, so every member counts as in sync. moto keeps every global
# cluster in us-east-1's backend, whichever region is asked.
def _global_cluster(account, identifier):
    found = rds_backends[account]["us-east-1"].global_clusters.get((identifier or "").lower())
    if found is None:
        raise RDSClientError("GlobalClusterNotFoundFault", f"Global cluster {identifier} not found.")
    return found


def _promote(self):
    params = self.params
    cluster = _global_cluster(self.current_account, params.get("GlobalClusterIdentifier"))
    target_id = params.get("TargetDbClusterIdentifier") or ""
    target = next(
        (m for m in cluster.members if target_id in (m.db_cluster_arn, m.db_cluster_identifier)),
        None,
    )
    if target is None:
        raise RDSClientError(
            "DBClusterNotFoundFault",
            f"DBCluster {target_id} is not a member of global cluster {cluster.global_cluster_identifier}.",
        )
    if target.is_writer:
        raise RDSClientError(
            "InvalidDBClusterStateFault",
            f"DBCluster {target_id} is already the primary cluster of {cluster.global_cluster_identifier}.",
        )
    for member in cluster.members:
        member.is_writer = member is target
    return ActionResult({"GlobalCluster": cluster})


def _failover_global_cluster(self):
    allow_data_loss = str(self.params.get("AllowDataLoss", "")).lower() == "true"
    switchover = str(self.params.get("Switchover", "")).lower() == "true"
    if allow_data_loss and switchover:
        raise RDSClientError(
            "InvalidParameterCombination", "AllowDataLoss can't be specified together with Switchover."
        )
    return _promote(self)


def _switchover_global_cluster(self):
    return _promote(self)


RDSResponse.failover_global_cluster = _failover_global_cluster
RDSResponse.switchover_global_cluster = _switchover_global_cluster


# --- RDS: a global cluster keeps its tags, as on AWS: CreateGlobalCluster's Tags, and
# AddTagsToResource, ListTagsForResource and RemoveTagsFromResource on its region-less ARN
# (`arn:aws:rds::<account>:global-cluster:<id>`). moto drops the Tags of the create and refuses
# that ARN ("Invalid resource name"), so a plan re-added the tags and its apply failed.
GLOBAL_CLUSTER_ARN = re.compile(r"^arn:[\w-]+:rds::\d{12}:global-cluster:(.+)$")


def _get_resource_for_tagging(self, arn):
    match = GLOBAL_CLUSTER_ARN.match(arn)
    if match:
        return _global_cluster(self.account_id, match.group(1))
    return _original_get_resource_for_tagging(self, arn)


def _create_global_cluster(self):
    result = _original_create_global_cluster(self)
    tags = self.params.get("Tags") or []
    if tags:
        _global_cluster(self.current_account, self.params["GlobalClusterIdentifier"]).add_tags(tags)
    return result


_original_get_resource_for_tagging = RDSBackend._get_resource_for_tagging
RDSBackend._get_resource_for_tagging = _get_resource_for_tagging
_original_create_global_cluster = RDSResponse.create_global_cluster
RDSResponse.create_global_cluster = _create_global_cluster


# --- RDS: a cluster that joins a global database that already has a writer is a secondary, and
# CreateDBCluster refuses master credentials and a database name for it ("Cannot specify password
# for cross region replication cluster"): it replicates them. moto accepts them, so a root that
# passed them would apply in the sandbox and fail on AWS.
SECONDARY_REFUSES = {
    "master_username": "user name",
    "master_user_password": "password",
    "database_name": "database name",
}


def _create_db_cluster(self, kwargs):
    identifier = kwargs.get("global_cluster_identifier")
    global_cluster = rds_backends[self.account_id]["us-east-1"].global_clusters.get(
        (identifier or "").lower()
    )
    if global_cluster is not None and any(m.is_writer for m in global_cluster.members):
        for key, what in SECONDARY_REFUSES.items():
            if kwargs.get(key):
                raise RDSClientError(
                    "InvalidParameterCombination",
                    f"Cannot specify {what} for cross region replication cluster",
                )
    return _original_create_db_cluster(self, kwargs)


_original_create_db_cluster = RDSBackend.create_db_cluster
RDSBackend.create_db_cluster = _create_db_cluster


# --- CloudWatch: RDS publishes AuroraGlobalDBReplicationLag (AWS/RDS, by DBClusterIdentifier)
# every minute for each secondary cluster of a global database; moto publishes nothing, so a
# reader such as `tandem posture` would find no lag at all. Asked for it on a secondary member in
# the region asked, with nothing put for the window, the emulator publishes what its replication
# is (instant: 0 ms) at the window's end, as RDS would have. A value put with PutMetricData
# (a test's lag) is answered as put.
REPLICATION_LAG = ("AWS/RDS", "AuroraGlobalDBReplicationLag")


def _get_metric_statistics(self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit=None):
    found = _original_get_metric_statistics(
        self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
    )
    if found or (namespace, metric_name) != REPLICATION_LAG:
        return found
    cluster_id = next((d["Value"] for d in dimensions or [] if d["Name"] == "DBClusterIdentifier"), None)
    if not _is_secondary_member(self.account_id, self.region_name, cluster_id):
        return found
    self.put_metric_data(namespace, [{
        "MetricName": metric_name,
        "Value": 0.0,
        "Unit": "Milliseconds",
        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster_id}],
        "Timestamp": end_time.replace(microsecond=0) - timedelta(seconds=1),
    }])
    return _original_get_metric_statistics(
        self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
    )


def _is_secondary_member(account, region, cluster_id):
    cluster = rds_backends[account][region].clusters.get(cluster_id or "")
    if cluster is None:
        return False
    return any(
        cluster in g.members and not cluster.is_writer
        for g in rds_backends[account]["us-east-1"].global_clusters.values()
    )


_original_get_metric_statistics = CloudWatchBackend.get_metric_statistics
CloudWatchBackend.get_metric_statistics = _get_metric_statistics


# --- S3: a bucket policy statement applies only when its Condition holds. moto applies every
# statement without its Condition, so the state buckets' TLS-only Deny (when aws:SecureTransport
# is false) and their per-environment Deny (when aws:PrincipalArn is that environment's role)
# refuse every request. The extension evaluates those two keys for the sandbox's caller: a TLS
# client (the emulator stands in for AWS's TLS endpoint) whose credentials are the account's
# test user, none of the roles. A statement with any other condition key is kept, as moto has it.
SANDBOX_CALLER = {"aws:SecureTransport": "true", "aws:PrincipalArn": "arn:aws:iam::{account}:user/moto"}


def _get_permission(self, action, resource):
    if self.policy is None:
        return _original_get_permission(self, action, resource)
    policy = json.loads(self.policy)
    statements = policy.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    kept = [s for s in statements if _condition_holds(s.get("Condition"), self.account_id) is not False]
    if len(kept) == len(statements):
        return _original_get_permission(self, action, resource)
    original = self.policy
    self.policy = json.dumps({**policy, "Statement": kept}).encode()
    try:
        return _original_get_permission(self, action, resource)
    finally:
        self.policy = original


def _condition_holds(condition, account):
    """True or False for conditions on the keys above; None when another key is involved."""
    if not condition:
        return True
    results = []
    for operator, tests in condition.items():
        for key, expected in tests.items():
            if key not in SANDBOX_CALLER:
                return None
            actual = SANDBOX_CALLER[key].format(account=account)
            values = expected if isinstance(expected, list) else [expected]
            outcomes = [_matches(operator, actual, str(v)) for v in values]
            if None in outcomes:
                return None
            results.append(any(outcomes))
    return all(results)


def _matches(operator, actual, expected):
    if operator in ("Bool", "StringEquals", "ArnEquals"):
        return actual.lower() == expected.lower() if operator == "Bool" else actual == expected
    if operator in ("StringLike", "ArnLike"):
        return re.fullmatch(re.escape(expected).replace(r"\*", ".*").replace(r"\?", "."), actual) is not None
    if operator in ("StringNotEquals", "ArnNotEquals"):
        return actual != expected
    return None


_original_get_permission = FakeBucket.get_permission
FakeBucket.get_permission = _get_permission


# --- AWS Backup: CreateBackupSelection, GetBackupSelection, DeleteBackupSelection and
# ListBackupSelections. moto 5.2.5 answers 500 and the provider retries for 15 minutes.
class BackupSelections:
    """WSGI middleware answering the four selection operations of the Backup REST API."""

    PATH = re.compile(r"^/backup/plans/(?P<plan>[^/]+)/selections/?(?P<selection>[^/]*)/?$")
    SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()
        self.selections = {}  # (account, region, plan id) -> {selection id: record}

    def __call__(self, environ, start_response):
        match = self.PATH.match(environ.get("PATH_INFO", ""))
        scope = self.SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not match or not scope or scope["service"] != "backup":
            return self.app(environ, start_response)
        account = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
        key = (account, scope["region"], match["plan"])
        if match["plan"] not in backup_backends[account][scope["region"]].plans:
            return _json(start_response, 404, {
                "__type": "ResourceNotFoundException",
                "Message": f"Backup plan {match['plan']} not found",
            })
        method = environ["REQUEST_METHOD"]
        with self.lock:
            plan = self.selections.setdefault(key, {})
            if method == "PUT" and not match["selection"]:
                return _json(start_response, 200, self._create(environ, match["plan"], plan))
            if method == "GET" and not match["selection"]:
                listed = [self._summary(match["plan"], s) for s in plan.values()]
                return _json(start_response, 200, {"BackupSelectionsList": listed})
            record = plan.get(match["selection"])
            if record is None:
                return _json(start_response, 404, {
                    "__type": "ResourceNotFoundException",
                    "Message": f"Backup selection {match['selection']} not found",
                })
            if method == "GET":
                return _json(start_response, 200, record)
            if method == "DELETE":
                del plan[match["selection"]]
                return _json(start_response, 200, {})
        return _json(start_response, 405, {"__type": "InvalidRequestException"})

    def _create(self, environ, plan_id, plan):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"{}")
        selection_id = str(uuid.uuid4())
        record = {
            "BackupPlanId": plan_id,
            "BackupSelection": body["BackupSelection"],
            "CreationDate": time.time(),
            "CreatorRequestId": body.get("CreatorRequestId", ""),
            "SelectionId": selection_id,
        }
        plan[selection_id] = record
        return {k: record[k] for k in ("BackupPlanId", "CreationDate", "SelectionId")}

    @staticmethod
    def _summary(plan_id, record):
        selection = record["BackupSelection"]
        return {
            "BackupPlanId": plan_id,
            "CreationDate": record["CreationDate"],
            "IamRoleArn": selection["IamRoleArn"],
            "SelectionId": record["SelectionId"],
            "SelectionName": selection["SelectionName"],
        }


# --- Service Quotas: GetAWSDefaultServiceQuota and GetServiceQuota of the quotas the roots check
# at plan time. moto 5.2.5 knows only the vpc service's defaults and has no
# GetAWSDefaultServiceQuota, so the provider's aws_servicequotas_service_quota fails.
class ServiceQuotas:
    """WSGI middleware answering the two calls for the quotas below, as the Service Quotas API
    reference says: the default, and the applied value only once one is set (otherwise
    NoSuchResourceException). `PUT /tandem/quotas/<region>/<service code>/<quota code>` with
    `{"Value": n}` sets the account's applied value, as an approved request (or AWS lowering a
    new account's) would; sandbox-only, no AWS API lowers a quota."""

    # (service code, quota code): (service name, quota name, default value), from the Service
    # Quotas console and the services' quota pages (Lambda quotas; Amazon EC2 quotas).
    DEFAULTS = {
        ("lambda", "L-B99A9384"): ("AWS Lambda", "Concurrent executions", 1000.0),
        ("ec2", "L-0263D0A3"): ("Amazon Elastic Compute Cloud (Amazon EC2)", "EC2-VPC Elastic IPs", 5.0),
    }
    TARGET = "ServiceQuotasV20190624."
    CONTROL = re.compile(r"^/tandem/quotas/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)/(?P<code>L-[A-F0-9]+)$")
    SCOPE = re.compile(r"Credential=[^/]+/\d{8}/(?P<region>[^/]+)/servicequotas/")

    def __init__(self, app):
        self.app = app
        self.applied = {}  # (account, region, service code, quota code) -> value

    def __call__(self, environ, start_response):
        account = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
        control = self.CONTROL.match(environ.get("PATH_INFO", ""))
        if control and environ["REQUEST_METHOD"] == "PUT":
            return self._set(environ, start_response, account, control)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        scope = self.SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        operation = target[len(self.TARGET):] if target.startswith(self.TARGET) else ""
        if not scope or operation not in ("GetAWSDefaultServiceQuota", "GetServiceQuota"):
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length)
        body = json.loads(raw or b"{}")
        key = (body.get("ServiceCode"), body.get("QuotaCode"))
        if key not in self.DEFAULTS:
            # Not one of ours: moto answers (the vpc service's quotas), from the body read here.
            environ["wsgi.input"] = io.BytesIO(raw)
            return self.app(environ, start_response)
        region = scope["region"]
        if operation == "GetAWSDefaultServiceQuota":
            return _json(start_response, 200, {"Quota": self._quota(key, region, "", self.DEFAULTS[key][2])})
        value = self.applied.get((account, region, *key))
        if value is None:
            return _json(start_response, 400, {
                "__type": "NoSuchResourceException",
                "Message": f"The quota {key[1]} of {key[0]} has no applied value in this account.",
            })
        return _json(start_response, 200, {"Quota": self._quota(key, region, account, value)})

    def _set(self, environ, start_response, account, control):
        key = (control["service"], control["code"])
        if key not in self.DEFAULTS:
            return _json(start_response, 404, {"__type": "NoSuchResourceException", "Message": str(key)})
        length = int(environ.get("CONTENT_LENGTH") or 0)
        value = float(json.loads(environ["wsgi.input"].read(length) or b"{}")["Value"])
        self.applied[(account, control["region"], *key)] = value
        return _json(start_response, 200, {"Value": value})

    def _quota(self, key, region, account, value):
        service_name, quota_name, _ = self.DEFAULTS[key]
        return {
            "ServiceCode": key[0],
            "ServiceName": service_name,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{account}:{key[0]}/{key[1]}",
            "QuotaCode": key[1],
            "QuotaName": quota_name,
            "Value": value,
            "Unit": "None",
            "Adjustable": True,
            "GlobalQuota": False,
            "QuotaAppliedAtLevel": "ACCOUNT",
        }


def _json(start_response, status, body):
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


class Health:
    """GET /tandem/health answers at once, touching none of moto's models: the sandbox's
    liveness probe. (moto's /moto-api/data.json serializes every backend, which takes long on a
    full state and fails once Lambda functions exist: moto then asks Docker about them.)"""

    PATH = "/tandem/health"

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") != self.PATH:
            return self.app(environ, start_response)
        account = os.environ.get("MOTO_ACCOUNT_ID", "123456789012")
        return _json(start_response, 200, {"status": "ok", "account": account})


class OneRequestAtATime:
    """moto's models are not thread-safe: a burst of parallel requests (Terraform runs ten at a
    time) once lost a security group's default egress rule between creation and revocation.
    Requests are handled one at a time; connections still open in parallel, and a request takes
    milliseconds, so clients hardly wait."""

    def __init__(self, app):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            return list(self.app(environ, start_response))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ["MOTO_PORT"] = str(args.port)
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(
        args.host,
        args.port,
        Health(OneRequestAtATime(ServiceQuotas(BackupSelections(app)))),
        threaded=True,
        use_reloader=False,
        request_handler=MotoRequestHandler,
    )


if __name__ == "__main__":
    main()
