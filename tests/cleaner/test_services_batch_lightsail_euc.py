"""The cleaner's Batch, Lightsail and end-user computing types, in a member account.

Batch and WorkSpaces are played by moto; what moto lacks (Lightsail, AppStream 2.0) by `FakeService`
(iot_batch_fakes.py): tables of dicts that stand-in answers change and read, refusing what AWS
refuses (a disk still attached, a running fleet), so a sweep really sees things go, and in which order.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from cleaner.services import appstream, batch, greengrass, lightsail_compute, lightsail_storage, workspaces
from tests.cleaner.iot_batch_fakes import (
    FakeService,
    account_fixture,  # noqa: F401 (the `account` fixture)
    refuse,
)
from tests.cleaner.test_services_app import RecordingContext, sweep

# --- AWS Batch -----------------------------------------------------------------------------------


def batch_footprint(context: RecordingContext, prefix: str = "genomics") -> dict:
    client = context.client("batch")
    trust = json.dumps({"Version": "2012-10-17", "Statement": []})
    role = context.client("iam").create_role(RoleName=f"{prefix}-batch", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    env = client.create_compute_environment(
        computeEnvironmentName=f"{prefix}-ce", type="UNMANAGED", state="ENABLED", serviceRole=role
    )["computeEnvironmentArn"]
    policy = client.create_scheduling_policy(name=f"{prefix}-fair")["arn"]
    queue = client.create_job_queue(
        jobQueueName=f"{prefix}-queue",
        state="ENABLED",
        priority=1,
        schedulingPolicyArn=policy,
        computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env}],
    )["jobQueueArn"]
    for revision in range(2):
        client.register_job_definition(
            jobDefinitionName=f"{prefix}-align",
            type="container",
            containerProperties={"image": "busybox", "vcpus": 1, "memory": 128, "command": [str(revision)]},
        )
    # moto runs submitted jobs in Docker: the queue's unfinished jobs are stand-ins, ended by TerminateJob.
    jobs = {"job-1": "RUNNING", "job-2": "RUNNABLE"}

    def list_jobs(params):
        found = [{"jobId": j, "jobName": j, "status": s} for j, s in jobs.items() if s == params["jobStatus"]]
        return {"jobSummaryList": found if params["jobQueue"] == queue else []}

    def terminate(params):
        jobs[params["jobId"]] = "FAILED"
        return {}

    context.stand_ins.update({"ListJobs": list_jobs, "TerminateJob": terminate})
    return {"queue": queue, "env": env, "policy": policy, "jobs": jobs}


def test_batch_jobs_end_then_queues_are_disabled_and_deleted_before_their_compute_environment(account):
    made = batch_footprint(account)
    client = account.client("batch")
    names = {item.name for item in batch.JobDefinition(account).list()}
    assert names == {"genomics-align:1", "genomics-align:2"}
    assert {item.name for item in batch.SchedulingPolicy(account).list()} == {"genomics-fair"}

    assert sweep(account, batch) == {}
    assert set(made["jobs"].values()) == {"FAILED"}
    assert client.describe_job_queues()["jobQueues"] == []
    assert client.describe_compute_environments()["computeEnvironments"] == []
    assert client.describe_job_definitions(status="ACTIVE")["jobDefinitions"] == []
    assert client.list_scheduling_policies()["schedulingPolicies"] == []
    queue, env = made["queue"], made["env"]
    assert account.params_of("UpdateJobQueue") == [{"jobQueue": queue, "state": "DISABLED"}]
    assert account.index("UpdateJobQueue") < account.index("DeleteJobQueue", jobQueue=queue)
    assert account.last("TerminateJob") < account.index("DeleteJobQueue")
    assert account.index("DeleteJobQueue") < account.index("UpdateComputeEnvironment", state="DISABLED")
    assert account.index("UpdateComputeEnvironment") < account.index("DeleteComputeEnvironment", computeEnvironment=env)
    assert account.index("DeleteJobQueue") < account.index("DeleteSchedulingPolicy", arn=made["policy"])


def test_a_batch_queue_still_being_disabled_is_left_for_the_rescan(account, monkeypatch):
    monkeypatch.setattr(batch, "SETTLE_SECONDS", 0)
    item = batch.JobQueue(account).item(
        {"jobQueueArn": "arn:q", "jobQueueName": "q", "status": "UPDATING", "state": "DISABLED"}
    )
    account.stand_ins["DescribeJobQueues"] = {"jobQueues": [{"status": "UPDATING", "state": "DISABLED"}]}
    with pytest.raises(batch.StillSettling):
        batch.JobQueue(account).delete(item)
    assert "DeleteJobQueue" not in account.operations()


# --- Lightsail (stand-ins: moto has no Lightsail) ------------------------------------------------


# table → (Get* call, its answer's key, Delete* call, the delete's name parameter)
LIGHTSAIL = {
    "instances": ("GetInstances", "instances", "DeleteInstance", "instanceName"),
    "databases": (
        "GetRelationalDatabases",
        "relationalDatabases",
        "DeleteRelationalDatabase",
        "relationalDatabaseName",
    ),
    "load_balancers": ("GetLoadBalancers", "loadBalancers", "DeleteLoadBalancer", "loadBalancerName"),
    "containers": ("GetContainerServices", "containerServices", "DeleteContainerService", "serviceName"),
    "static_ips": ("GetStaticIps", "staticIps", "ReleaseStaticIp", "staticIpName"),
    "key_pairs": ("GetKeyPairs", "keyPairs", "DeleteKeyPair", "keyPairName"),
    "disks": ("GetDisks", "disks", "DeleteDisk", "diskName"),
    "buckets": ("GetBuckets", "buckets", "DeleteBucket", "bucketName"),
    "instance_snapshots": (
        "GetInstanceSnapshots",
        "instanceSnapshots",
        "DeleteInstanceSnapshot",
        "instanceSnapshotName",
    ),
    "disk_snapshots": ("GetDiskSnapshots", "diskSnapshots", "DeleteDiskSnapshot", "diskSnapshotName"),
    "database_snapshots": (
        "GetRelationalDatabaseSnapshots",
        "relationalDatabaseSnapshots",
        "DeleteRelationalDatabaseSnapshot",
        "relationalDatabaseSnapshotName",
    ),
    "certificates": ("GetCertificates", "certificates", "DeleteCertificate", "certificateName"),
    "distributions": ("GetDistributions", "distributions", "DeleteDistribution", "distributionName"),
    "domains": ("GetDomains", "domains", "DeleteDomain", "domainName"),
}


def lightsail_fake(context: RecordingContext) -> FakeService:
    """Lightsail as AWS behaves: a disk attached or a certificate in use is refused, a bucket needs forceDelete."""
    fake = FakeService()
    checks = {
        "disks": lambda row, params: row.get("attachedTo") and refuse("DeleteDisk", "The disk is attached"),
        "buckets": lambda row, params: params.get("forceDelete") or refuse("DeleteBucket", "The bucket is not empty"),
        "databases": lambda row, params: params.get("skipFinalSnapshot") or refuse("DeleteRelationalDatabase", "snap"),
        "certificates": lambda row, params: fake.tables["containers"] and refuse("DeleteCertificate", "In use"),
    }
    for table, (get, answer, delete, param) in LIGHTSAIL.items():
        context.stand_ins[get] = fake.lists(table, answer)
        context.stand_ins[delete] = fake.deletes(table, param, delete, checks.get(table))
    context.stand_ins["DetachDisk"] = fake.updates("disks", "diskName", attachedTo=None)
    return fake


def lightsail_footprint(fake: FakeService, region: str, prefix: str = "blog") -> None:
    def named(table, name, **row):
        fake.add(table, name, name=name, arn=f"arn:aws:lightsail:{region}:1:{table}/{name}", **row)

    named("instances", f"{prefix}-wp", state={"name": "running"}, tags=[{"key": "workshop", "value": "lightsail"}])
    named("instances", f"{prefix}-old", state={"name": "terminated"})
    named("disks", f"{prefix}-data", attachedTo=f"{prefix}-wp", state="in-use")
    named("disks", f"{prefix}-wp-system", attachedTo=f"{prefix}-wp", isSystemDisk=True, state="in-use")
    named("databases", f"{prefix}-db", state="available")
    named("load_balancers", f"{prefix}-lb", state="active")
    fake.add("containers", f"{prefix}-api", containerServiceName=f"{prefix}-api", state="RUNNING")
    named("static_ips", f"{prefix}-ip", attachedTo=f"{prefix}-wp")
    named("key_pairs", f"{prefix}-key")
    named("buckets", f"{prefix}-media", state={"code": "OK"})
    named("instance_snapshots", f"{prefix}-wp-snap", state="available")
    named("disk_snapshots", f"{prefix}-data-snap", state="completed")
    named("database_snapshots", f"{prefix}-db-snap", state="available")
    fake.add("certificates", f"{prefix}-cert", certificateName=f"{prefix}-cert", certificateArn="arn:cert")


LIGHTSAIL_MODULES = (lightsail_compute, lightsail_storage)


def test_lightsail_is_emptied_disks_detached_databases_without_snapshot_buckets_forced(account):
    fake = lightsail_fake(account)
    lightsail_footprint(fake, account.region)
    instances = {item.name: item for item in lightsail_compute.Instance(account).list()}
    assert set(instances) == {"blog-wp"}  # the terminated one is gone already
    assert instances["blog-wp"].tags == {"workshop": "lightsail"}
    assert [item.name for item in lightsail_storage.Disk(account).list()] == ["blog-data"]

    assert sweep(account, *LIGHTSAIL_MODULES) == {}
    left = {table: list(rows) for table, rows in fake.tables.items() if rows}
    # The system disk goes with its instance in AWS; the stand-in keeps it, and nothing asked for it.
    assert left == {"instances": ["blog-old"], "disks": ["blog-wp-system"]}
    assert account.params_of("DeleteInstance") == [{"instanceName": "blog-wp", "forceDeleteAddOns": True}]
    assert account.params_of("DeleteRelationalDatabase") == [
        {"relationalDatabaseName": "blog-db", "skipFinalSnapshot": True}
    ]
    assert account.params_of("DeleteBucket") == [{"bucketName": "blog-media", "forceDelete": True}]
    assert account.index("DeleteInstance") < account.index("DetachDisk") < account.index("DeleteDisk")
    assert account.index("DeleteContainerService") < account.index("DeleteCertificate")
    assert account.params_of("ReleaseStaticIp") == [{"staticIpName": "blog-ip"}]


def test_lightsail_pages_by_token_where_boto3_has_no_paginator(account):
    pages = {None: {"buckets": [{"name": "a"}], "nextPageToken": "2"}, "2": {"buckets": [{"name": "b"}]}}
    account.stand_ins["GetBuckets"] = lambda params: pages[params.get("pageToken")]
    assert [item.id for item in lightsail_storage.Bucket(account).list()] == ["a", "b"]


def test_lightsail_distributions_and_dns_zones_are_swept_once_per_account():
    assert lightsail_storage.Distribution.is_global and lightsail_storage.Domain.is_global
    assert not lightsail_storage.Bucket.is_global and not lightsail_compute.Instance.is_global


# --- WorkSpaces and AppStream 2.0 ------------------------------------------------------------------


def workspaces_fake(context: RecordingContext) -> FakeService:
    """WorkSpaces as AWS behaves: a directory with workspaces is not deregistered; termination is batched."""
    fake = FakeService()

    def terminate(params):
        requests = params["TerminateWorkspaceRequests"]
        assert len(requests) <= workspaces.TERMINATE_BATCH
        for request in requests:
            fake.tables["workspaces"][request["WorkspaceId"]]["State"] = "TERMINATED"
        return {"FailedRequests": []}

    def no_workspaces(row, params):
        if any(w["DirectoryId"] == row["DirectoryId"] and w["State"] != "TERMINATED" for w in fake.rows("workspaces")):
            refuse("DeregisterWorkspaceDirectory", "The directory still has workspaces")

    def bundle_unused(row, params):
        if any(w["BundleId"] == row["BundleId"] and w["State"] != "TERMINATED" for w in fake.rows("workspaces")):
            refuse("DeleteWorkspaceBundle", "Workspaces use the bundle", "ResourceAssociatedException")

    def image_unused(row, params):
        if any(b["ImageId"] == row["ImageId"] for b in fake.rows("bundles")):
            refuse("DeleteWorkspaceImage", "A bundle uses the image", "ResourceAssociatedException")

    def group_unused(row, params):
        if any(row["groupId"] in d.get("ipGroupIds", ()) for d in fake.rows("directories")):
            refuse("DeleteIpGroup", "A directory uses the group", "ResourceAssociatedException")

    def own_bundles(row, params):
        return row["Owner"] == params.get("Owner", "self")

    def owned_images(row, params):
        return params["ImageType"] == "OWNED"

    context.stand_ins.update(
        {
            "DescribeWorkspaceBundles": fake.lists("bundles", "Bundles", own_bundles),
            "DeleteWorkspaceBundle": fake.deletes("bundles", "BundleId", "DeleteWorkspaceBundle", bundle_unused),
            "DescribeWorkspaceImages": fake.lists("images", "Images", owned_images),
            "DeleteWorkspaceImage": fake.deletes("images", "ImageId", "DeleteWorkspaceImage", image_unused),
            "DescribeIpGroups": fake.lists("ip_groups", "Result"),
            "DeleteIpGroup": fake.deletes("ip_groups", "GroupId", "DeleteIpGroup", group_unused),
            "DescribeWorkspaces": fake.lists("workspaces", "Workspaces"),
            "TerminateWorkspaces": terminate,
            "DescribeWorkspaceDirectories": fake.lists("directories", "Directories"),
            "DeregisterWorkspaceDirectory": fake.deletes(
                "directories", "DirectoryId", "DeregisterWorkspaceDirectory", no_workspaces
            ),
        }
    )
    return fake


def appstream_fake(context: RecordingContext) -> FakeService:
    """AppStream as AWS behaves: a fleet is deleted only stopped and alone, a stack only without fleets."""
    fake = FakeService()

    def fleet_deletable(row, params):
        if row["State"] != "STOPPED" or any(a["FleetName"] == row["Name"] for a in fake.rows("associations")):
            refuse("DeleteFleet", "The fleet is running or associated", "ResourceInUseException")

    def stack_deletable(row, params):
        if any(a["StackName"] == row["Name"] for a in fake.rows("associations")):
            refuse("DeleteStack", "The stack has fleets", "ResourceInUseException")

    def disassociate(params):
        fake.tables["associations"].pop(f"{params['FleetName']}/{params['StackName']}")
        return {}

    def builder_deletable(row, params):
        if row["State"] != "STOPPED":
            refuse("DeleteImageBuilder", "Stop it first", "ConcurrentModificationException")

    def image_deletable(row, params):
        if any(f["ImageName"] == row["Name"] for f in fake.rows("fleets")):
            refuse("DeleteImage", "A fleet uses it", "ResourceInUseException")

    def associated(params):
        names = [a["StackName"] for a in fake.rows("associations") if a["FleetName"] == params["FleetName"]]
        return {"Names": names}

    context.stand_ins.update(
        {
            "DescribeFleets": fake.lists("fleets", "Fleets"),
            "StopFleet": fake.updates("fleets", "Name", State="STOPPED"),
            "ListAssociatedStacks": associated,
            "DisassociateFleet": disassociate,
            "DeleteFleet": fake.deletes("fleets", "Name", "DeleteFleet", fleet_deletable),
            "DescribeStacks": fake.lists("stacks", "Stacks"),
            "DeleteStack": fake.deletes("stacks", "Name", "DeleteStack", stack_deletable),
            "DescribeImageBuilders": fake.lists("builders", "ImageBuilders"),
            "StopImageBuilder": fake.updates("builders", "Name", State="STOPPED"),
            "DeleteImageBuilder": fake.deletes("builders", "Name", "DeleteImageBuilder", builder_deletable),
            "DescribeImages": fake.lists("images", "Images", lambda row, params: row["Visibility"] == params["Type"]),
            "DeleteImage": fake.deletes("images", "Name", "DeleteImage", image_deletable),
        }
    )
    return fake


def end_user_footprint(workspaces_: FakeService, appstream_: FakeService, prefix: str = "desk") -> None:
    directory = "d-1234567890"
    workspaces_.add(
        "directories",
        directory,
        DirectoryId=directory,
        DirectoryName="corp",
        State="REGISTERED",
        ipGroupIds=["wsipg-1"],
    )
    workspaces_.add("ip_groups", "wsipg-1", groupId="wsipg-1", groupName=f"{prefix}-office")
    workspaces_.add("images", "wsi-1", ImageId="wsi-1", Name=f"{prefix}-golden", State="AVAILABLE")
    workspaces_.add("bundles", "wsb-1", BundleId="wsb-1", Name=f"{prefix}-bundle", ImageId="wsi-1", Owner="self")
    workspaces_.add("bundles", "wsb-aws", BundleId="wsb-aws", Name="Standard with Windows", ImageId="x", Owner="AMAZON")
    for n in range(30):  # more than one TerminateWorkspaces call takes
        workspaces_.add(
            "workspaces", f"ws-{n}", WorkspaceId=f"ws-{n}", DirectoryId=directory, BundleId="wsb-1", State="AVAILABLE"
        )
    workspaces_.add(
        "workspaces", "ws-old", WorkspaceId="ws-old", DirectoryId=directory, BundleId="wsb-1", State="TERMINATED"
    )
    appstream_.add("fleets", f"{prefix}-fleet", Name=f"{prefix}-fleet", State="RUNNING", ImageName=f"{prefix}-image")
    appstream_.add("stacks", f"{prefix}-stack", Name=f"{prefix}-stack")
    appstream_.add(
        "associations", f"{prefix}-fleet/{prefix}-stack", FleetName=f"{prefix}-fleet", StackName=f"{prefix}-stack"
    )
    appstream_.add("builders", f"{prefix}-builder", Name=f"{prefix}-builder", State="RUNNING")
    appstream_.add("images", f"{prefix}-image", Name=f"{prefix}-image", Visibility="PRIVATE", State="AVAILABLE")
    appstream_.add("images", "AppStream-WinServer2022", Name="AppStream-WinServer2022", Visibility="PUBLIC")


def test_workspaces_are_terminated_in_batches_before_their_directory_is_deregistered(account):
    fake = workspaces_fake(account)
    end_user_footprint(fake, FakeService())
    assert "ws-old" not in {item.id for item in workspaces.Workspace(account).list()}

    assert sweep(account, workspaces) == {}
    assert {row["State"] for row in fake.rows("workspaces")} == {"TERMINATED"}
    assert fake.rows("directories") == []
    assert [len(p["TerminateWorkspaceRequests"]) for p in account.params_of("TerminateWorkspaces")] == [25, 5]
    assert account.last("TerminateWorkspaces") < account.first("DeregisterWorkspaceDirectory")
    assert [row["BundleId"] for row in fake.rows("bundles")] == ["wsb-aws"]
    assert not fake.rows("images") and not fake.rows("ip_groups")
    bundle = account.index("DeleteWorkspaceBundle")
    assert account.last("TerminateWorkspaces") < bundle < account.index("DeleteWorkspaceImage")
    assert account.index("DeregisterWorkspaceDirectory") < account.index("DeleteIpGroup")


def test_appstream_fleets_are_stopped_and_disassociated_before_stacks_and_images_go(account):
    fake = appstream_fake(account)
    end_user_footprint(FakeService(), fake)

    assert sweep(account, appstream) == {}
    assert [row["Name"] for row in fake.rows("images")] == ["AppStream-WinServer2022"]
    assert not fake.rows("fleets") and not fake.rows("stacks") and not fake.rows("builders")
    assert account.params_of("StopFleet") == [{"Name": "desk-fleet"}]
    assert account.index("StopFleet") < account.index("DisassociateFleet") < account.index("DeleteFleet")
    assert account.index("DeleteFleet") < account.index("DeleteStack")
    assert account.index("StopImageBuilder") < account.index("DeleteImageBuilder") < account.index("DeleteImage")
    assert account.params_of("DescribeImages")[0] == {"Type": "PRIVATE"}


def test_a_listing_the_endpoint_does_not_know_means_not_offered_there(account):
    # moto answers AWS APIs it lacks with a bare 404; so does the local stack.
    def not_found(params):
        answer = {
            "Error": {"Code": "404", "Message": "Not yet implemented"},
            "ResponseMetadata": {"HTTPStatusCode": 404},
        }
        raise ClientError(answer, "ListComponents")

    account.stand_ins.update({"ListComponents": not_found, "GetInstances": not_found})
    for resource in (greengrass.ComponentVersion(account), lightsail_compute.Instance(account)):
        with pytest.raises(NotImplementedError):
            list(resource.list())
    # The local fake's XML InvalidAction, which a JSON-protocol client cannot parse.
    body = (
        "<Response><Errors><Error><Code>InvalidAction</Code><Message>not offered</Message></Error></Errors></Response>"
    )
    account.stand_ins["DescribeIpGroups"] = lambda params: refuse("DescribeIpGroups", body, "400")
    with pytest.raises(NotImplementedError):
        list(workspaces.IpGroup(account).list())
    account.stand_ins["GetInstances"] = lambda params: refuse("GetInstances", "denied", "AccessDeniedException")
    with pytest.raises(ClientError):
        list(lightsail_compute.Instance(account).list())
