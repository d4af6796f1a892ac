"""The SAP topic's footprint, swept by the real engine in two regions and once account-wide.

Attendees of the SAP on AWS workshop leave, in each region they used: an EC2 instance on a
dedicated host, in a placement group; an EFS file system (sapmnt) with mount targets; an FSx for
Windows file system with a backup; an AWS Backup vault with recovery points and a plan that
selects resources; a Managed Microsoft AD; an ElastiCache replication group with its subnet group
and a user; a classic load balancer in front of the web dispatcher. Account-wide: a Global
Accelerator in front of both regions. moto's gaps are filled by stateful stand-ins (one set per
region, as AWS keeps them), so the sweep really sees things go.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from botocore.awsrequest import AWSResponse

from cleaner.context import GLOBAL_REGION
from cleaner.models import CleanupItem
from cleaner.registry import REGISTRY
from cleaner.services import (
    backup,
    directory,
    ec2_extras,
    efs,
    elasticache,
    elb_classic,
    fsx,
    globalaccelerator,
)
from cleaner.services import ec2 as ec2_module
from tests.cleaner.data_network_fakes import elasticache_settles, listed, removed, vpc_with_subnets
from tests.cleaner.test_services_app import RecordingContext, member_account, types_of
from tests.cleaner.test_services_data_backup import backup_stand_ins
from tests.cleaner.test_services_data_caches import elasticache_stand_ins
from tests.cleaner.test_services_network_extras import global_accelerator_stand_ins, nothing_else_moto_lacks
from tests.cleaner.topics import sweep_topic

FAILED = CleanupItem.Action.FAILED
REGIONS = ("eu-west-1", "us-east-1")
TYPES = [
    ec2_module.Instance,
    *types_of(ec2_extras, efs, fsx, backup, directory, elasticache, elb_classic, globalaccelerator),
]


@dataclass
class ThreadSafeContext(RecordingContext):
    """A RecordingContext whose stand-ins answer with their own call's parameters.

    The engine deletes from several threads at once: RecordingContext hands a stand-in the last
    recorded call's parameters, which may be another thread's by then. Here each thread keeps its own.
    """

    _local: threading.local = field(default_factory=threading.local)

    def _record(self, params, model, **kwargs):
        super()._record(params, model, **kwargs)
        self._local.params = dict(params)

    def _stand_in(self, model, **kwargs):
        name = f"{model.service_model.service_name}:{model.name}"
        answer = self.stand_ins.get(name, self.stand_ins.get(model.name))
        if answer is None:
            return None
        parsed = answer(self._local.params) if callable(answer) else answer
        return AWSResponse(None, 200, {}, None), dict(parsed)


def sap_footprint(context: RecordingContext) -> dict:
    """What one region of the workshop leaves behind; returns the stand-ins' stores and the ids made."""
    vpc, subnets = vpc_with_subnets(context)
    made: dict = {}

    ec2 = context.client("ec2")
    made["host"] = ec2.allocate_hosts(AvailabilityZone=f"{context.region}a", InstanceType="r5.large", Quantity=1)[
        "HostIds"
    ][0]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ec2.run_instances(
        ImageId=image,
        InstanceType="r5.large",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnets[0],
        Placement={"HostId": made["host"], "Tenancy": "host", "GroupName": "hana"},
    )
    placement_groups = {"hana": {"GroupName": "hana", "State": "available", "Strategy": "cluster"}}
    context.stand_ins.update(
        {
            "DescribePlacementGroups": listed(placement_groups, "PlacementGroups"),
            "DeletePlacementGroup": removed(placement_groups, "GroupName"),
        }
    )
    nothing_else_moto_lacks(context)

    files = context.client("efs")
    made["efs"] = files.create_file_system(CreationToken=f"sapmnt-{context.region}")["FileSystemId"]
    for subnet in subnets:
        files.create_mount_target(FileSystemId=made["efs"], SubnetId=subnet)
    context.stand_ins["DescribeReplicationConfigurations"] = {"Replications": []}

    windows = context.client("fsx")
    made["fsx"] = windows.create_file_system(
        FileSystemType="WINDOWS",
        StorageCapacity=32,
        SubnetIds=subnets[:1],
        WindowsConfiguration={"ThroughputCapacity": 8},
    )["FileSystem"]["FileSystemId"]
    windows.create_backup(FileSystemId=made["fsx"])
    context.stand_ins["fsx:DescribeVolumes"] = {"Volumes": []}
    context.stand_ins["DescribeStorageVirtualMachines"] = {"StorageVirtualMachines": []}

    vaults = context.client("backup")
    vaults.create_backup_vault(BackupVaultName="sap-vault")
    plan = vaults.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "sap-daily",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "sap-vault"}],
        }
    )["BackupPlanId"]
    points, selections = backup_stand_ins(context, ["sap-vault"])
    selections["sel-hana"] = {"SelectionId": "sel-hana", "SelectionName": "hana", "BackupPlanId": plan}

    made["directory"] = context.client("ds").create_microsoft_ad(
        Name=f"corp-{context.region}.example.com",
        Password="Workshop-Passw0rd!",
        VpcSettings={"VpcId": vpc, "SubnetIds": subnets},
        Edition="Standard",
    )["DirectoryId"]

    cache = context.client("elasticache")
    cache.create_cache_subnet_group(
        CacheSubnetGroupName="sap-cache", CacheSubnetGroupDescription="lab", SubnetIds=subnets
    )
    cache.create_replication_group(
        ReplicationGroupId="sap-sessions",
        ReplicationGroupDescription="lab",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        CacheSubnetGroupName="sap-cache",
    )
    cache.create_user(
        UserId="sapadm", UserName="sapadm", Engine="redis", AccessString="on ~* +@all", NoPasswordRequired=True
    )
    cache_stores = elasticache_stand_ins(context)
    elasticache_settles(context)

    context.client("elb").create_load_balancer(
        LoadBalancerName="sap-webdispatcher",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8000}],
        Subnets=subnets[:1],
    )
    return {"placement_groups": placement_groups, "points": points, "selections": selections, **cache_stores, **made}


def test_the_sap_footprint_is_swept_clean_in_both_regions_and_account_wide():
    with member_account() as first:
        contexts = {REGIONS[0]: ThreadSafeContext(account_id=first.account_id, region=REGIONS[0])}
        # sweep_topic sweeps only global types under the key GLOBAL_REGION (us-east-1): us-east-1's
        # regional sweep goes under a key of its own, with a context in us-east-1 all the same.
        contexts[f"{REGIONS[1]} (regional)"] = ThreadSafeContext(account_id=first.account_id, region=REGIONS[1])
        contexts[GLOBAL_REGION] = ThreadSafeContext(account_id=first.account_id, region=GLOBAL_REGION)
        made = {key: sap_footprint(context) for key, context in list(contexts.items())[:2]}
        accelerator = global_accelerator_stand_ins(contexts[GLOBAL_REGION])

        swept = sweep_topic(contexts, TYPES)

        assert swept.left() == {}
        swept.assert_dependencies_respected()
        # Nothing was refused: where AWS refuses a parent while a child is left, the parent waited.
        refused = [event for recorder in swept.recorders.values() for event in recorder.events if event[2] == FAILED]
        assert refused == []
        for key, context in list(contexts.items())[:2]:
            order = swept.deleted_types(key)
            # Children before their parents, in each region.
            assert order.index("ec2.instance") < order.index("ec2.dedicated_host")
            assert order.index("ec2.instance") < order.index("ec2.placement_group")
            assert max(i for i, t in enumerate(order) if t == "efs.mount_target") < order.index("efs.file_system")
            assert max(i for i, t in enumerate(order) if t == "backup.recovery_point") < order.index("backup.vault")
            assert order.index("backup.selection") < order.index("backup.plan")
            assert order.index("elasticache.replication_group") < order.index("elasticache.subnet_group")
            assert order.index("elasticache.user_group") < order.index("elasticache.user")
            for kind in ("fsx.file_system", "fsx.backup", "ds.directory", "elb.load_balancer"):
                assert kind in order, (key, kind)
            # What each region's AWS still holds.
            stores = made[key]
            assert stores["placement_groups"] == {} and stores["points"]["sap-vault"] == {}
            assert stores["selections"] == {} and stores["serverless"] == {} and stores["user_groups"] == {}
            assert list(stores["parameters"]) == ["default.redis7"]
            assert context.client("efs").describe_file_systems()["FileSystems"] == []
            assert context.client("fsx").describe_file_systems()["FileSystems"] == []
            assert context.client("ds").describe_directories()["DirectoryDescriptions"] == []
            assert context.client("elb").describe_load_balancers()["LoadBalancerDescriptions"] == []
            assert context.client("backup").list_backup_vaults()["BackupVaultList"] == []
            hosts = context.client("ec2").describe_hosts()["Hosts"]
            assert all(h["State"] == "released" for h in hosts)
        # The account-wide sweep: the accelerator's parts, from us-west-2.
        global_order = swept.deleted_types(GLOBAL_REGION)
        assert global_order.index("globalaccelerator.listener") < global_order.index("globalaccelerator.accelerator")
        assert all(store == {} for store in accelerator.values())
        assert set(global_order) == {t.type for t in TYPES if REGISTRY[t.type].is_global}
