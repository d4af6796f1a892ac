"""Topics IoT, Batch, Lightsail and end-user computing: what their workshops leave behind, in two
regions, swept with the real engine until nothing is left, parents after their children.

moto plays Batch and IoT Core; the stateful stand-ins of test_services_batch_lightsail_euc.py and
test_services_iot_greengrass.py play what it lacks (Lightsail, Greengrass V2, WorkSpaces,
AppStream 2.0, some of IoT), refusing what AWS refuses.

`sweep_topic` keys its contexts by region and gives the us-east-1 one only the account-wide types;
the regional sweep of us-east-1 therefore has a key of its own (US_EAST), its context still in
us-east-1.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse

from cleaner.context import GLOBAL_REGION
from cleaner.services import (
    appstream,
    batch,
    greengrass,
    iot,
    iot_rules,
    lightsail_compute,
    lightsail_storage,
    workspaces,
)
from tests.cleaner.iot_batch_fakes import FakeService
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.test_services_batch_lightsail_euc import (
    appstream_fake,
    batch_footprint,
    end_user_footprint,
    lightsail_fake,
    lightsail_footprint,
    workspaces_fake,
)
from tests.cleaner.test_services_iot_greengrass import (
    greengrass_fake,
    greengrass_footprint,
    iot_extras_fake,
    iot_footprint,
)
from tests.cleaner.topics import TopicSweep, sweep_topic

EU = "eu-west-1"
US_EAST = "us-east-1 (regional)"


@dataclass
class ThreadedRecording(RecordingContext):
    """RecordingContext for the engine's worker threads: a stand-in answers its own call's parameters.

    The harness's stand-ins read the record's last call, which another thread may have made by
    then; each thread here keeps the parameters of the call it is making.
    """

    _mine: threading.local = field(default_factory=threading.local)

    def _record(self, params, model, **kwargs):
        super()._record(params, model, **kwargs)
        self._mine.params = dict(params)

    def _stand_in(self, model, **kwargs):
        answer = self.stand_ins.get(f"{model.service_model.service_name}:{model.name}", self.stand_ins.get(model.name))
        if answer is None:
            return None
        parsed = answer(self._mine.params) if callable(answer) else answer
        return AWSResponse(None, 200, {}, None), dict(parsed)


@contextmanager
def two_regions(*, with_global: bool = False) -> Iterator[dict[str, RecordingContext]]:
    """One member account's contexts: eu-west-1, us-east-1, and (if asked) the account-wide sweep's."""
    with member_account() as first:
        account = first.account_id
        contexts = {EU: ThreadedRecording(account_id=account, region=EU)}
        contexts[US_EAST] = ThreadedRecording(account_id=account, region="us-east-1")
        if with_global:
            # The same client answers both sweeps of us-east-1 (clients are cached per account and region).
            contexts[GLOBAL_REGION] = contexts[US_EAST]
        yield contexts


def deleted_at(result: TopicSweep, region: str, kind: str, item_id: str | None = None) -> int:
    """Where (the last of) `kind`'s deletes, or that one item's, came in the region's sweep."""
    order = result.recorders[region].deleted()
    found = [i for i, (k, found_id) in enumerate(order) if k == kind and item_id in (None, found_id)]
    assert found, f"no {kind} {item_id or ''} was deleted in {region}"
    return found[-1]


def first_deleted(result: TopicSweep, region: str, kind: str) -> int:
    return next(i for i, (k, _) in enumerate(result.recorders[region].deleted()) if k == kind)


def test_topic_iot_things_certificates_policies_and_greengrass_in_two_regions():
    with two_regions() as contexts:
        fakes = {}
        for region, context in contexts.items():
            prefix = "sensor" if region == EU else "meter"
            fakes[region] = (iot_extras_fake(context), greengrass_fake(context))
            iot_footprint(context, fakes[region][0], prefix=prefix)
            greengrass_footprint(fakes[region][1], prefix=prefix)

        result = sweep_topic(contexts, types_of(iot, iot_rules, greengrass))

        assert result.left() == {}
        result.assert_dependencies_respected()
        for region, context in contexts.items():
            client = context.client("iot")
            assert client.list_things()["things"] == [] and client.list_certificates()["certificates"] == []
            assert client.list_policies()["policies"] == [] and client.list_thing_types()["thingTypes"] == []
            assert not any(table for fake in fakes[region] for table in fake.tables.values())
            assert deleted_at(result, region, "iot.certificate") < first_deleted(result, region, "iot.policy")
            assert deleted_at(result, region, "iot.certificate") < first_deleted(result, region, "iot.ca_certificate")
            assert deleted_at(result, region, "iot.thing") < first_deleted(result, region, "iot.thing_type")
            last_deployment = deleted_at(result, region, "greengrassv2.deployment")
            assert last_deployment < first_deleted(result, region, "greengrassv2.core_device")
            assert last_deployment < first_deleted(result, region, "greengrassv2.component_version")


def test_topic_batch_queues_environments_and_definitions_in_two_regions():
    with two_regions() as contexts:
        made = {
            region: batch_footprint(context, prefix=f"genomics{n}")
            for n, (region, context) in enumerate(contexts.items())
        }

        result = sweep_topic(contexts, types_of(batch))

        assert result.left() == {}
        result.assert_dependencies_respected()
        for region, context in contexts.items():
            client = context.client("batch")
            assert client.describe_job_queues()["jobQueues"] == []
            assert client.describe_compute_environments()["computeEnvironments"] == []
            assert client.describe_job_definitions(status="ACTIVE")["jobDefinitions"] == []
            assert set(made[region]["jobs"].values()) == {"FAILED"}
            queue = deleted_at(result, region, "batch.job_queue", made[region]["queue"])
            assert deleted_at(result, region, "batch.job") < queue
            assert queue < deleted_at(result, region, "batch.compute_environment", made[region]["env"])
            assert queue < deleted_at(result, region, "batch.scheduling_policy", made[region]["policy"])
            assert context.index("UpdateJobQueue", state="DISABLED") < context.index("DeleteJobQueue")


def test_topic_lightsail_in_two_regions_and_its_account_wide_distributions_and_dns_zones():
    with two_regions(with_global=True) as contexts:
        fakes = {EU: lightsail_fake(contexts[EU]), US_EAST: lightsail_fake(contexts[US_EAST])}
        lightsail_footprint(fakes[EU], EU, prefix="blog")
        lightsail_footprint(fakes[US_EAST], "us-east-1", prefix="shop")
        # Distributions and DNS zones answer from us-east-1 only, swept once per account from there.
        global_fake = fakes[US_EAST]
        global_fake.add("distributions", "cdn", name="cdn", arn="arn:d", status="Enabled")
        global_fake.add("domains", "example.com", name="example.com", arn="arn:z")

        result = sweep_topic(contexts, types_of(lightsail_compute, lightsail_storage))

        assert result.left() == {}
        result.assert_dependencies_respected()
        assert not global_fake.tables["distributions"] and not global_fake.tables["domains"]
        assert set(result.deleted_types(GLOBAL_REGION)) == {"lightsail.distribution", "lightsail.domain"}
        for region, prefix in ((EU, "blog"), (US_EAST, "shop")):
            left = {table: list(rows) for table, rows in fakes[region].tables.items() if rows}
            assert "lightsail.distribution" not in result.deleted_types(region)
            assert left == {"instances": [f"{prefix}-old"], "disks": [f"{prefix}-wp-system"]}
            assert deleted_at(result, region, "lightsail.instance") < deleted_at(result, region, "lightsail.disk")
            services = deleted_at(result, region, "lightsail.container_service")
            assert services < deleted_at(result, region, "lightsail.certificate")
            assert contexts[region].index("DetachDisk", diskName=f"{prefix}-data") < contexts[region].index(
                "DeleteDisk"
            )


def test_topic_workspaces_and_appstream_in_two_regions():
    with two_regions() as contexts:
        fakes: dict[str, tuple[FakeService, FakeService]] = {}
        for region, context in contexts.items():
            fakes[region] = (workspaces_fake(context), appstream_fake(context))
            end_user_footprint(*fakes[region], prefix="desk" if region == EU else "lab")

        result = sweep_topic(contexts, types_of(workspaces, appstream))

        assert result.left() == {}
        result.assert_dependencies_respected()
        for region, context in contexts.items():
            desks, streams = fakes[region]
            assert {row["State"] for row in desks.rows("workspaces")} == {"TERMINATED"}
            assert desks.rows("directories") == []
            assert [row["Name"] for row in streams.rows("images")] == ["AppStream-WinServer2022"]
            assert not streams.rows("fleets") and not streams.rows("stacks") and not streams.rows("builders")
            assert deleted_at(result, region, "workspaces.workspace") < deleted_at(
                result, region, "workspaces.directory"
            )
            fleet = deleted_at(result, region, "appstream.fleet")
            assert fleet < deleted_at(result, region, "appstream.stack")
            assert fleet < deleted_at(result, region, "appstream.image")
            assert context.index("StopFleet") < context.index("DisassociateFleet") < context.index("DeleteFleet")
