"""Topic "Data Analytics": what a workshop's attendees leave behind, swept by the real engine.

The footprint is the same in two regions of one member account: an OpenSearch domain and a
Serverless collection with its policies, a Redshift cluster with a snapshot and a Serverless
workgroup on its namespace, an EMR cluster with termination protection and EMR Serverless apps,
MSK clusters with a configuration, a Firehose stream and a Flink app, a Glue catalog with jobs and
crawlers, Athena workgroups and catalogs, and a running DMS migration. Every service here is
regional, so there is no account-wide sweep.
"""

from __future__ import annotations

from cleaner.context import GLOBAL_REGION
from cleaner.services import analytics_streams, athena, dms, emr, glue, kafka, opensearch, redshift
from tests.cleaner.test_services_analytics import (
    build_athena,
    build_dms,
    build_emr,
    build_glue,
    build_kafka,
    build_opensearch,
    build_redshift,
    build_streams,
)
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.topics import Action, sweep_topic

MODULES = (opensearch, redshift, emr, kafka, glue, athena, dms, analytics_streams)
# sweep_topic sweeps a context keyed GLOBAL_REGION with the account-wide types only: us-east-1's
# regional sweep goes under another key, with its context still in us-east-1.
US_EAST = f"{GLOBAL_REGION} (regional)"


def build(context: RecordingContext) -> dict:
    return {
        "opensearch": build_opensearch(context),
        "redshift": build_redshift(context),
        "kafka": build_kafka(context),
        "streams": build_streams(context),
        "glue": build_glue(context),
        "athena": build_athena(context),
        "emr": build_emr(context),
        "dms": build_dms(context),
    }


def positions(deleted: list[tuple[str, str]], kind: str) -> list[int]:
    return [i for i, (k, _) in enumerate(deleted) if k == kind]


def assert_after(deleted: list[tuple[str, str]], parent: str, child: str) -> None:
    """Every `parent` was deleted, and only after the last `child`."""
    assert positions(deleted, parent) and positions(deleted, child), (parent, child)
    assert max(positions(deleted, child)) < min(positions(deleted, parent)), f"{parent} before {child}"


def test_a_data_analytics_workshop_leaves_nothing_behind_in_either_region():
    with member_account() as europe:
        us = RecordingContext(account_id=europe.account_id, region=GLOBAL_REGION)
        contexts = {"eu-west-1": europe, US_EAST: us}
        fakes = {key: build(context) for key, context in contexts.items()}

        done = sweep_topic(contexts, types_of(*MODULES))

        assert done.left() == {}
        done.assert_dependencies_respected()
        assert set(done.outcomes) == {"eu-west-1", US_EAST}
        for key, context in contexts.items():
            deleted = done.recorders[key].deleted()
            assert_after(deleted, "redshift-serverless.namespace", "redshift-serverless.workgroup")
            assert_after(deleted, "opensearchserverless.encryption_policy", "opensearchserverless.collection")
            assert_after(deleted, "opensearchserverless.network_policy", "opensearchserverless.vpc_endpoint")
            assert_after(deleted, "kafka.configuration", "kafka.cluster")
            assert_after(deleted, "glue.database", "glue.table")
            assert_after(deleted, "glue.job", "glue.trigger")
            assert_after(deleted, "dms.replication_instance", "dms.replication_task")
            assert_after(deleted, "dms.endpoint", "dms.replication_task")
            assert_after(deleted, "dms.replication_subnet_group", "dms.replication_instance")
            assert len(positions(deleted, "kafka.cluster")) == 2
            assert len(positions(deleted, "glue.table")) == 2

            # What AWS made stays; the rest of what only stand-ins held is gone.
            protected = {
                (kind, item_id) for kind, item_id, action, _ in done.recorders[key].events if action == Action.PROTECTED
            }
            assert protected == {("athena.workgroup", "primary"), ("athena.data_catalog", "AwsDataCatalog")}
            assert list(fakes[key]["athena"]["workgroups"].items) == ["primary"]
            assert not fakes[key]["redshift"]["namespaces"].items and not fakes[key]["kafka"].items
            assert list(fakes[key]["redshift"]["snapshots"].items) == ["shared"]  # another account's

            # Each region's sweep called its own region, and the calls AWS needs first came first.
            (cluster,) = context.client("emr").list_clusters()["Clusters"]
            assert cluster["Status"]["State"] == "TERMINATED"
            assert context.last("SetTerminationProtection") < context.first("TerminateJobFlows")
            assert context.last("StopReplicationTask") < context.first("DeleteReplicationTask")
            assert context.last("StopCrawler") < context.first("DeleteCrawler")
            assert context.client("redshift").describe_clusters()["Clusters"] == []
            assert context.client("opensearch").list_domain_names()["DomainNames"] == []
