"""The data group's caches, brokers and file systems against moto, in a member account: ElastiCache,
MemoryDB, DAX, Amazon MQ, EFS and FSx.

Same harness as test_services_app.py. Where moto lacks an API, stateful stand-ins answer for it
(data_network_fakes.py), so a sweep really sees things go.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from cleaner.services import dax, efs, elasticache, fsx, memorydb, mq
from tests.cleaner.data_network_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    assert_all_before,
    elasticache_settles,
    listed,
    removed,
    vpc_with_subnets,
)
from tests.cleaner.test_services_app import RecordingContext, protected_items, sweep

# --- ElastiCache -----------------------------------------------------------------------------------


def elasticache_stand_ins(context: RecordingContext) -> dict[str, dict]:
    """Serverless caches, parameter groups and user groups, which moto lacks."""
    stores = {
        "serverless": {"carts": {"ServerlessCacheName": "carts", "Status": "available", "ARN": "arn:carts"}},
        "parameters": {
            name: {"CacheParameterGroupName": name, "ARN": f"arn:{name}"} for name in ("default.redis7", "lab-redis7")
        },
        "user_groups": {"lab-users": {"UserGroupId": "lab-users", "Status": "active", "ARN": "arn:lab-users"}},
    }
    context.stand_ins.update(
        {
            "DescribeServerlessCaches": listed(stores["serverless"], "ServerlessCaches"),
            "DeleteServerlessCache": removed(stores["serverless"], "ServerlessCacheName"),
            "DescribeCacheParameterGroups": listed(stores["parameters"], "CacheParameterGroups"),
            "DeleteCacheParameterGroup": removed(stores["parameters"], "CacheParameterGroupName"),
            "DescribeUserGroups": listed(stores["user_groups"], "UserGroups"),
            "DeleteUserGroup": removed(stores["user_groups"], "UserGroupId"),
        }
    )
    return stores


def test_elasticache_caches_go_before_their_groups_and_users_and_what_aws_made_stays(account):
    client = account.client("elasticache")
    _, subnets = vpc_with_subnets(account)
    client.create_cache_subnet_group(
        CacheSubnetGroupName="lab-cache", CacheSubnetGroupDescription="lab", SubnetIds=subnets
    )
    client.create_replication_group(
        ReplicationGroupId="sessions",
        ReplicationGroupDescription="lab",
        Engine="redis",
        CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
        CacheSubnetGroupName="lab-cache",
    )
    client.create_cache_cluster(
        CacheClusterId="lab-memcached", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=1
    )
    client.create_user(
        UserId="alice", UserName="alice", Engine="redis", AccessString="on ~* +@all", NoPasswordRequired=True
    )
    stores = elasticache_stand_ins(account)
    elasticache_settles(account)

    assert sweep(account, elasticache) == {}

    assert account.params_of("DeleteReplicationGroup") == [
        {"ReplicationGroupId": "sessions", "RetainPrimaryCluster": False}
    ]
    # The group's members go with it: only the cluster outside a group is deleted on its own.
    assert account.params_of("DeleteCacheCluster") == [{"CacheClusterId": "lab-memcached"}]
    for cache_call in ("DeleteReplicationGroup", "DeleteCacheCluster", "DeleteServerlessCache"):
        for group_call in ("DeleteCacheSubnetGroup", "DeleteCacheParameterGroup", "DeleteUserGroup"):
            assert_all_before(account, cache_call, group_call)
    assert_all_before(account, "DeleteUserGroup", "DeleteUser")
    assert account.params_of("DeleteUser") == [{"UserId": "alice"}]
    assert client.describe_replication_groups()["ReplicationGroups"] == []
    assert client.describe_cache_subnet_groups()["CacheSubnetGroups"] == []
    assert list(stores["parameters"]) == ["default.redis7"]
    assert protected_items(account, elasticache) == {
        "default.redis7": "a default parameter group of AWS",
        "default": "the default user AWS makes",
    }


# --- MemoryDB, DAX, Amazon MQ ---------------------------------------------------------------------


def test_memorydb_clusters_go_before_their_acls_users_and_groups_and_aws_defaults_stay(account):
    client = account.client("memorydb")
    _, subnets = vpc_with_subnets(account)
    client.create_subnet_group(SubnetGroupName="lab-memorydb", SubnetIds=subnets)
    client.create_user(
        UserName="bob", AccessString="on ~* +@all", AuthenticationMode={"Type": "password", "Passwords": ["x" * 16]}
    )
    client.create_cluster(
        ClusterName="leaderboard", NodeType="db.t4g.small", ACLName="lab-acl", SubnetGroupName="lab-memorydb"
    )
    acls = {name: {"Name": name, "Status": "active", "ARN": f"arn:{name}"} for name in ("open-access", "lab-acl")}
    groups = {name: {"Name": name, "ARN": f"arn:{name}"} for name in ("default.memorydb-redis7", "lab-params")}
    account.stand_ins.update(
        {
            "DescribeACLs": listed(acls, "ACLs"),
            "DeleteACL": removed(acls, "ACLName"),
            "DescribeParameterGroups": listed(groups, "ParameterGroups"),
            "DeleteParameterGroup": removed(groups, "ParameterGroupName"),
        }
    )

    assert sweep(account, memorydb) == {}

    assert account.params_of("DeleteCluster") == [{"ClusterName": "leaderboard"}]  # no FinalSnapshotName
    for later in ("DeleteACL", "DeleteSubnetGroup", "DeleteParameterGroup"):
        assert_all_before(account, "DeleteCluster", later)
    assert_all_before(account, "DeleteACL", "DeleteUser")
    assert account.params_of("DeleteACL") == [{"ACLName": "lab-acl"}]
    assert account.params_of("DeleteUser") == [{"UserName": "bob"}]
    assert [(i.name, i.protected) for i in memorydb.Acl(account).list()] == [
        ("open-access", "the open-access ACL AWS makes")
    ]
    assert [(i.name, i.protected) for i in memorydb.User(account).list()] == [("default", "the default user AWS makes")]
    assert [i.protected for i in memorydb.SubnetGroup(account).list()] == ["the default subnet group AWS makes"]
    assert [i.name for i in memorydb.ParameterGroup(account).list()] == ["default.memorydb-redis7"]
    assert [u["Name"] for u in client.describe_users()["Users"]] == ["default"]


def test_dax_clusters_go_before_their_subnet_and_parameter_groups(account):
    from moto.dax.models import dax_backends

    client = account.client("dax")
    backend = dax_backends[account.account_id][account.region]

    def finish_deleting(**kwargs):
        # moto's DescribeClusters fails on a cluster that finishes deleting during the call.
        for name, cluster in list(backend._clusters.items()):
            if cluster.status == "deleting":
                del backend._clusters[name]

    client.meta.events.register("before-call.dax.DescribeClusters", finish_deleting)
    client.create_cluster(
        ClusterName="orders-cache",
        NodeType="dax.t3.small",
        ReplicationFactor=1,
        IamRoleArn=f"arn:aws:iam::{account.account_id}:role/dax",
    )
    subnet_groups = {"lab-dax": {"SubnetGroupName": "lab-dax"}}
    parameter_groups = {name: {"ParameterGroupName": name} for name in ("default.dax1.0", "lab-dax-params")}
    account.stand_ins.update(
        {
            "dax:DescribeSubnetGroups": listed(subnet_groups, "SubnetGroups"),
            "dax:DeleteSubnetGroup": removed(subnet_groups, "SubnetGroupName"),
            "dax:DescribeParameterGroups": listed(parameter_groups, "ParameterGroups"),
            "dax:DeleteParameterGroup": removed(parameter_groups, "ParameterGroupName"),
        }
    )

    assert sweep(account, dax) == {}

    assert_all_before(account, "DeleteCluster", "DeleteSubnetGroup")
    assert_all_before(account, "DeleteCluster", "DeleteParameterGroup")
    assert client.describe_clusters()["Clusters"] == []
    assert list(parameter_groups) == ["default.dax1.0"]


def test_mq_brokers_are_deleted(account):
    client = account.client("mq")
    broker = client.create_broker(
        BrokerName="orders-broker",
        DeploymentMode="SINGLE_INSTANCE",
        EngineType="ACTIVEMQ",
        EngineVersion="5.17.6",
        HostInstanceType="mq.t3.micro",
        PubliclyAccessible=False,
        AutoMinorVersionUpgrade=True,
        Users=[{"Username": "admin", "Password": "workshop-password-1"}],
    )["BrokerId"]

    assert [item.name for item in mq.Broker(account).list()] == ["orders-broker"]
    assert sweep(account, mq) == {}
    assert account.params_of("DeleteBroker") == [{"BrokerId": broker}]
    assert client.list_brokers()["BrokerSummaries"] == []


# --- EFS, FSx --------------------------------------------------------------------------------------


def test_efs_mount_targets_access_points_and_replication_go_before_the_file_system(account):
    client = account.client("efs")
    _, subnets = vpc_with_subnets(account)
    system = client.create_file_system(CreationToken="sap-shared", Tags=[{"Key": "Name", "Value": "sapmnt"}])
    system_id = system["FileSystemId"]
    target = client.create_mount_target(FileSystemId=system_id, SubnetId=subnets[0])["MountTargetId"]
    point = client.create_access_point(FileSystemId=system_id)["AccessPointId"]
    replications = {system_id: {"SourceFileSystemId": system_id, "Destinations": [{"FileSystemId": "fs-copy"}]}}

    def describe_replications(params):
        if params["FileSystemId"] not in replications:
            raise ClientError({"Error": {"Code": "ReplicationNotFound", "Message": "none"}}, "Describe")
        return {"Replications": [replications[params["FileSystemId"]]]}

    account.stand_ins.update(
        {
            "DescribeReplicationConfigurations": describe_replications,
            "DeleteReplicationConfiguration": removed(replications, "SourceFileSystemId"),
        }
    )

    assert [item.name for item in efs.FileSystem(account).list()] == ["sapmnt"]
    assert sweep(account, efs) == {}

    assert account.params_of("DeleteMountTarget") == [{"MountTargetId": target}]
    assert account.params_of("DeleteAccessPoint") == [{"AccessPointId": point}]
    assert account.params_of("DeleteReplicationConfiguration") == [{"SourceFileSystemId": system_id}]
    for earlier in ("DeleteMountTarget", "DeleteAccessPoint", "DeleteReplicationConfiguration"):
        assert_all_before(account, earlier, "DeleteFileSystem")
    assert client.describe_file_systems()["FileSystems"] == []


def test_fsx_volumes_and_storage_virtual_machines_go_before_file_systems_without_final_backups(account):
    client = account.client("fsx")
    _, subnets = vpc_with_subnets(account)
    windows = client.create_file_system(
        FileSystemType="WINDOWS",
        StorageCapacity=32,
        SubnetIds=subnets[:1],
        WindowsConfiguration={"ThroughputCapacity": 8},
    )["FileSystem"]["FileSystemId"]
    lustre = client.create_file_system(FileSystemType="LUSTRE", StorageCapacity=1200, SubnetIds=subnets[:1])[
        "FileSystem"
    ]["FileSystemId"]
    backup_id = client.create_backup(FileSystemId=windows)["Backup"]["BackupId"]
    volumes = {
        "fsvol-0000000000000root": {
            "VolumeId": "fsvol-0000000000000root",
            "VolumeType": "ONTAP",
            "Lifecycle": "CREATED",
            "OntapConfiguration": {"StorageVirtualMachineRoot": True},
        },
        "fsvol-0000000000000data": {
            "VolumeId": "fsvol-0000000000000data",
            "VolumeType": "ONTAP",
            "Lifecycle": "CREATED",
            "OntapConfiguration": {"StorageVirtualMachineRoot": False},
        },
        "fsvol-000000000000zroot": {
            "VolumeId": "fsvol-000000000000zroot",
            "VolumeType": "OPENZFS",
            "Lifecycle": "AVAILABLE",
            "OpenZFSConfiguration": {},
        },
        "fsvol-00000000000zchild": {
            "VolumeId": "fsvol-00000000000zchild",
            "VolumeType": "OPENZFS",
            "Lifecycle": "AVAILABLE",
            "OpenZFSConfiguration": {"ParentVolumeId": "fsvol-000000000000zroot"},
        },
    }
    machines = {
        "svm-00000000000000001": {
            "StorageVirtualMachineId": "svm-00000000000000001",
            "Name": "sap",
            "Lifecycle": "CREATED",
        }
    }

    def delete_machine(params):
        volumes.pop("fsvol-0000000000000root")  # its root volume goes with it
        return removed(machines, "StorageVirtualMachineId")(params)

    def delete_volume(params):
        return removed(volumes, "VolumeId")(params)

    account.stand_ins.update(
        {
            "fsx:DescribeVolumes": lambda params: {"Volumes": list(volumes.values())},
            "fsx:DeleteVolume": delete_volume,
            "DescribeStorageVirtualMachines": listed(machines, "StorageVirtualMachines"),
            "DeleteStorageVirtualMachine": delete_machine,
        }
    )

    assert sweep(account, fsx) == {}

    assert [p["BackupId"] for p in account.params_of("DeleteBackup")] == [backup_id]
    deleted_volumes = {p["VolumeId"]: p for p in account.params_of("DeleteVolume")}
    assert set(deleted_volumes) == {"fsvol-0000000000000data", "fsvol-00000000000zchild"}  # never a root volume
    assert deleted_volumes["fsvol-0000000000000data"]["OntapConfiguration"]["SkipFinalBackup"] is True
    assert_all_before(account, "DeleteVolume", "DeleteStorageVirtualMachine")
    assert_all_before(account, "DeleteStorageVirtualMachine", "DeleteFileSystem")
    deletes = {p["FileSystemId"]: p for p in account.params_of("DeleteFileSystem")}
    assert deletes[windows]["WindowsConfiguration"] == {"SkipFinalBackup": True}
    assert deletes[lustre]["LustreConfiguration"] == {"SkipFinalBackup": True}
    assert client.describe_file_systems()["FileSystems"] == []
    assert machines == {}
    assert list(volumes) == ["fsvol-000000000000zroot"]  # left to its OpenZFS file system
