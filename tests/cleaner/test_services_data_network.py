"""The data and network group's types against moto, in a member account: ElastiCache, MemoryDB, DAX,
Amazon MQ, EFS, FSx, AWS Backup, DLM, Directory Service, RDS's groups and proxies, EC2's extras,
classic load balancers, Network Firewall and Global Accelerator.

Same harness as test_services_app.py. Where moto lacks an API, stateful stand-ins answer for it:
each keeps its records in a dict that the delete calls change and the list calls read, so a
sweep really sees things go (and a test can fail when the cleaner forgets a step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from cleaner.registry import NotYet
from cleaner.services import (
    backup,
    dax,
    directory,
    dlm,
    ec2_extras,
    efs,
    elasticache,
    elb_classic,
    fsx,
    globalaccelerator,
    memorydb,
    mq,
    network_firewall,
    rds,
)
from cleaner.services import ec2 as ec2_module
from tests.cleaner.test_services_app import REGION, RecordingContext, member_account, protected_items, sweep
from tests.cleaner.topics import sweep_topic


@pytest.fixture
def account():
    with member_account() as context:
        yield context


def assert_all_before(context: RecordingContext, earlier: str, later: str) -> None:
    """Every `earlier` call came before the first `later` one, and both were made."""
    assert earlier in context.operations() and later in context.operations()
    assert context.last(earlier) < context.first(later)


# --- Stateful stand-ins ----------------------------------------------------------------------------


def listed(store: dict, key: str, **also) -> Callable[[dict], dict]:
    """A list call's answer: every record left in `store`."""
    return lambda params: {key: list(store.values()), **also}


def removed(store: dict, param: str, answer: dict | None = None) -> Callable[[dict], dict]:
    """A delete call: takes the record named by `param` out of `store` (AWS's "not found" if absent)."""

    def delete(params: dict) -> dict:
        if params[param] not in store:
            raise ClientError({"Error": {"Code": "NotFoundFault", "Message": params[param]}}, "Delete")
        del store[params[param]]
        return answer or {}

    return delete


def moto_finishes_deleting(context: RecordingContext, operation: str, records: Callable[[], dict], status: str) -> None:
    """moto leaves what it deletes "deleting" for ever; AWS finishes. Here a record a listing has
    seen "deleting" is gone by the next listing (so the sweep does see it "deleting" once)."""
    seen: set[str] = set()
    service, name = operation.split(":")

    def settle(**kwargs):
        found = records()
        for key, record in list(found.items()):
            if getattr(record, status) == "deleting":
                if key in seen:
                    del found[key]
                seen.add(key)

    context.client(service).meta.events.register(f"before-call.{service}.{name}", settle)


def elasticache_settles(context: RecordingContext) -> None:
    from moto.elasticache.models import elasticache_backends

    backend = elasticache_backends[context.account_id][context.region]
    moto_finishes_deleting(
        context, "elasticache:DescribeReplicationGroups", lambda: backend.replication_groups, "status"
    )
    moto_finishes_deleting(
        context, "elasticache:DescribeCacheClusters", lambda: backend.cache_clusters, "cache_cluster_status"
    )
    moto_finishes_deleting(context, "elasticache:DescribeUsers", lambda: backend.users, "status")
    # moto makes subnet groups but cannot delete them.
    context.stand_ins["DeleteCacheSubnetGroup"] = removed(backend.cache_subnet_groups, "CacheSubnetGroupName")


def vpc_with_subnets(context: RecordingContext, count: int = 2) -> tuple[str, list[str]]:
    ec2 = context.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    zones = [f"{context.region}a", f"{context.region}b", f"{context.region}c"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.7.{n}.0/24", AvailabilityZone=zones[n % 3])["Subnet"]["SubnetId"]
        for n in range(count)
    ]
    return vpc, subnets


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


# --- AWS Backup, DLM, Directory Service ------------------------------------------------------------


def backup_stand_ins(context: RecordingContext, vaults: list[str]) -> tuple[dict, dict]:
    """Recovery points (per vault) and plan selections, which moto lacks; returns both stores."""
    points = {
        vault: {
            f"arn:aws:backup:{context.region}:{context.account_id}:recovery-point:{vault}-{n}": {
                "RecoveryPointArn": f"arn:aws:backup:{context.region}:{context.account_id}:recovery-point:{vault}-{n}",
                "ResourceName": f"hana-data-{n}",
                # One AWS's lifecycle failed to delete: it stays, billed, until someone does.
                "Status": "EXPIRED" if n else "COMPLETED",
            }
            for n in range(2)
        }
        for vault in vaults
    }
    selections: dict[str, dict] = {}

    def delete_point(params):
        return removed(points[params["BackupVaultName"]], "RecoveryPointArn")(params)

    def list_selections(params):
        return {"BackupSelectionsList": [s for s in selections.values() if s["BackupPlanId"] == params["BackupPlanId"]]}

    def refuse_while_held(store_of: Callable[[dict], dict], what: str):
        # As AWS does (moto deletes whatever it is asked to).
        def check(params, **kwargs):
            if store_of(params):
                raise ClientError(
                    {"Error": {"Code": "InvalidRequestException", "Message": f"still has {what}"}}, "Delete"
                )

        return check

    events = context.client("backup").meta.events
    events.register(
        "before-parameter-build.backup.DeleteBackupVault",
        refuse_while_held(lambda params: points.get(params["BackupVaultName"]), "recovery points"),
    )
    events.register(
        "before-parameter-build.backup.DeleteBackupPlan",
        refuse_while_held(
            lambda params: [s for s in selections.values() if s["BackupPlanId"] == params["BackupPlanId"]], "selections"
        ),
    )
    context.stand_ins.update(
        {
            "ListRecoveryPointsByBackupVault": lambda params: {
                "RecoveryPoints": list(points.get(params["BackupVaultName"], {}).values())
            },
            "DeleteRecoveryPoint": delete_point,
            "ListBackupSelections": list_selections,
            "DeleteBackupSelection": removed(selections, "SelectionId"),
        }
    )
    return points, selections


def test_backup_recovery_points_go_before_their_vault_selections_before_their_plan_and_aws_vaults_stay(account):
    client = account.client("backup")
    client.create_backup_vault(BackupVaultName="sap-vault")
    aws_vault = {"BackupVaultName": "aws/efs/automatic-backup-vault", "NumberOfRecoveryPoints": 2}

    def with_aws_vault(parsed, **kwargs):
        # moto keeps a "/" in a vault's name URL-encoded; AWS makes this one for EFS's automatic backups.
        parsed["BackupVaultList"].append(aws_vault)

    client.meta.events.register("after-call.backup.ListBackupVaults", with_aws_vault)
    # Governance mode (or compliance within its grace time): the lock may still be lifted.
    client.put_backup_vault_lock_configuration(BackupVaultName="sap-vault", MinRetentionDays=1, ChangeableForDays=3)
    plan = client.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "sap-daily",
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "sap-vault"}],
        }
    )["BackupPlanId"]
    points, selections = backup_stand_ins(account, ["sap-vault", "aws/efs/automatic-backup-vault"])
    selections["sel-1"] = {"SelectionId": "sel-1", "SelectionName": "hana", "BackupPlanId": plan}

    assert sweep(account, backup) == {}

    assert {p["BackupVaultName"] for p in account.params_of("DeleteRecoveryPoint")} == {"sap-vault"}
    assert points["sap-vault"] == {} and len(points["aws/efs/automatic-backup-vault"]) == 2
    assert_all_before(account, "DeleteRecoveryPoint", "DeleteBackupVault")
    assert_all_before(account, "DeleteBackupVaultLockConfiguration", "DeleteBackupVault")
    assert account.params_of("DeleteBackupVault") == [{"BackupVaultName": "sap-vault"}]
    assert account.params_of("DeleteBackupSelection") == [{"BackupPlanId": plan, "SelectionId": "sel-1"}]
    assert_all_before(account, "DeleteBackupSelection", "DeleteBackupPlan")
    assert client.list_backup_plans()["BackupPlansList"] == []
    assert protected_items(account, backup) == {"aws/efs/automatic-backup-vault": "a vault AWS made for itself"}


def test_a_vault_locked_in_compliance_mode_keeps_its_recovery_points_until_their_retention_ends(account):
    now = datetime.now(UTC)
    delete_at = now + timedelta(days=7)
    vault = {
        "BackupVaultName": "audit-vault",
        "Locked": True,
        "LockDate": now - timedelta(days=1),
        "MinRetentionDays": 7,
        "NumberOfRecoveryPoints": 1,
    }
    point = {
        "RecoveryPointArn": "arn:aws:backup:eu-west-1:1:recovery-point:audit-1",
        "Status": "COMPLETED",
        "CalculatedLifecycle": {"DeleteAt": delete_at},
    }
    account.stand_ins.update(
        {
            "ListBackupVaults": {"BackupVaultList": [vault]},
            "DescribeBackupVault": vault,
            "ListRecoveryPointsByBackupVault": {"RecoveryPoints": [point]},
        }
    )

    (found,) = backup.RecoveryPoint(account).list()
    with pytest.raises(NotYet) as refused:
        backup.RecoveryPoint(account).delete(found)
    assert refused.value.until == delete_at
    with pytest.raises(NotYet) as vault_refused:
        backup.Vault(account).prepare(next(iter(backup.Vault(account).list())))
    assert vault_refused.value.until == delete_at
    assert "DeleteRecoveryPoint" not in account.operations()
    assert "DeleteBackupVaultLockConfiguration" not in account.operations()


def test_dlm_lifecycle_policies_are_deleted(account):
    policies = {
        "policy-0123": {
            "PolicyId": "policy-0123",
            "Description": "hana snapshots",
            "State": "ENABLED",
            "Tags": {"sap": "x"},
        }
    }
    account.stand_ins.update(
        {
            "GetLifecyclePolicies": listed(policies, "Policies"),
            "DeleteLifecyclePolicy": removed(policies, "PolicyId"),
        }
    )

    (found,) = dlm.LifecyclePolicy(account).list()
    assert (found.name, found.tags) == ("hana snapshots", {"sap": "x"})
    assert sweep(account, dlm) == {}
    assert account.params_of("DeleteLifecyclePolicy") == [{"PolicyId": "policy-0123"}]


def test_directories_lose_their_trusts_then_are_deleted(account):
    client = account.client("ds")
    vpc, subnets = vpc_with_subnets(account)
    directory_id = client.create_microsoft_ad(
        Name="corp.example.com",
        Password="Workshop-Passw0rd!",
        VpcSettings={"VpcId": vpc, "SubnetIds": subnets},
        Edition="Standard",
    )["DirectoryId"]
    trust = client.create_trust(
        DirectoryId=directory_id,
        RemoteDomainName="onprem.example.com",
        TrustPassword="Trust-Passw0rd!",
        TrustDirection="One-Way: Outgoing",
    )["TrustId"]

    assert [item.name for item in directory.Directory(account).list()] == ["corp.example.com"]
    assert sweep(account, directory) == {}

    assert account.params_of("DeleteTrust") == [{"TrustId": trust}]
    assert_all_before(account, "DeleteTrust", "DeleteDirectory")
    assert client.describe_directories()["DirectoryDescriptions"] == []


# --- RDS: proxies, groups, event subscriptions ----------------------------------------------------


def test_rds_groups_proxies_and_subscriptions_go_after_the_databases_and_aws_defaults_stay(account):
    client = account.client("rds")
    _, subnets = vpc_with_subnets(account)
    client.create_db_subnet_group(DBSubnetGroupName="sap-db", DBSubnetGroupDescription="lab", SubnetIds=subnets)
    client.create_db_parameter_group(
        DBParameterGroupName="sap-params", DBParameterGroupFamily="postgres16", Description="lab"
    )
    client.create_db_cluster_parameter_group(
        DBClusterParameterGroupName="sap-cluster-params",
        DBParameterGroupFamily="aurora-postgresql16",
        Description="lab",
    )
    client.create_db_instance(
        DBInstanceIdentifier="sap-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="workshop-password-1",
        DBSubnetGroupName="sap-db",
        DBParameterGroupName="sap-params",
    )
    client.create_db_proxy(
        DBProxyName="sap-proxy",
        EngineFamily="POSTGRESQL",
        Auth=[{"SecretArn": f"arn:aws:secretsmanager:{account.region}:{account.account_id}:secret:db"}],
        RoleArn=f"arn:aws:iam::{account.account_id}:role/proxy",
        VpcSubnetIds=subnets,
    )
    topic = account.client("sns").create_topic(Name="db-events")["TopicArn"]
    client.create_event_subscription(SubscriptionName="db-events", SnsTopicArn=topic)
    option_groups = {name: {"OptionGroupName": name} for name in ("default:postgres-16", "sap-options")}
    account.stand_ins.update(
        {
            "DescribeOptionGroups": listed(option_groups, "OptionGroupsList"),
            "DeleteOptionGroup": removed(option_groups, "OptionGroupName"),
        }
    )

    assert sweep(account, rds) == {}

    for later in ("DeleteDBSubnetGroup", "DeleteDBParameterGroup", "DeleteOptionGroup"):
        assert_all_before(account, "DeleteDBInstance", later)
    assert_all_before(account, "DeleteDBProxy", "DeleteDBSubnetGroup")
    assert account.params_of("DeleteDBSubnetGroup") == [{"DBSubnetGroupName": "sap-db"}]
    assert account.params_of("DeleteOptionGroup") == [{"OptionGroupName": "sap-options"}]
    assert account.params_of("DeleteDBClusterParameterGroup") == [{"DBClusterParameterGroupName": "sap-cluster-params"}]
    assert account.params_of("DeleteEventSubscription") == [{"SubscriptionName": "db-events"}]
    assert client.describe_db_proxies()["DBProxies"] == []
    assert [g["DBParameterGroupName"] for g in client.describe_db_parameter_groups()["DBParameterGroups"]] in (
        [],
        ["default.postgres16"],
    )
    assert list(option_groups) == ["default:postgres-16"]
    assert protected_items(account, rds).get("default:postgres-16") == "a default group of AWS"


# --- EC2 extras, classic load balancers ------------------------------------------------------------


def nothing_else_moto_lacks(context: RecordingContext) -> None:
    """Empty answers for the EC2 listings moto lacks that a test does not fill itself."""
    context.stand_ins.setdefault("DescribePlacementGroups", {"PlacementGroups": []})
    context.stand_ins.setdefault("DescribeCapacityReservations", {"CapacityReservations": []})
    context.stand_ins.setdefault("DescribeClientVpnEndpoints", {"ClientVpnEndpoints": []})


def test_dedicated_hosts_and_placement_groups_wait_for_their_instances(account):
    ec2 = account.client("ec2")
    host = ec2.allocate_hosts(AvailabilityZone=f"{REGION}a", InstanceType="r5.large", Quantity=1)["HostIds"][0]
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    instance = ec2.run_instances(
        ImageId=image,
        InstanceType="r5.large",
        MinCount=1,
        MaxCount=1,
        Placement={"HostId": host, "Tenancy": "host", "GroupName": "hana-cluster"},
    )["Instances"][0]["InstanceId"]
    groups = {"hana-cluster": {"GroupName": "hana-cluster", "State": "available", "Strategy": "cluster"}}
    account.stand_ins.update(
        {
            "DescribePlacementGroups": listed(groups, "PlacementGroups"),
            "DeletePlacementGroup": removed(groups, "GroupName"),
        }
    )
    nothing_else_moto_lacks(account)

    # The engine itself, with only the types at play (EC2's AMI and snapshot listings are slow in moto).
    swept = sweep_topic({REGION: account}, [ec2_module.Instance, ec2_extras.DedicatedHost, ec2_extras.PlacementGroup])
    assert swept.left() == {}
    swept.assert_dependencies_respected()

    assert account.params_of("ReleaseHosts") == [{"HostIds": [host]}]
    assert account.index("TerminateInstances", InstanceIds=[instance]) < account.first("ReleaseHosts")
    assert account.first("TerminateInstances") < account.first("DeletePlacementGroup")
    assert groups == {}
    assert [h["State"] for h in ec2.describe_hosts()["Hosts"]] in ([], ["released"])


def test_capacity_reservations_are_cancelled_and_a_capacity_block_waits_for_its_end(account):
    ends = datetime.now(UTC) + timedelta(days=2)
    reservations = {
        "cr-1": {"CapacityReservationId": "cr-1", "State": "active", "InstanceType": "r5.large"},
        "cr-2": {"CapacityReservationId": "cr-2", "State": "cancelled", "InstanceType": "r5.large"},
        "cr-3": {
            "CapacityReservationId": "cr-3",
            "State": "active",
            "ReservationType": "capacity-block",
            "EndDate": ends,
        },
    }

    def cancel(params):
        reservations[params["CapacityReservationId"]]["State"] = "cancelled"
        return {"Return": True}

    account.stand_ins.update(
        {
            "DescribeCapacityReservations": lambda params: {"CapacityReservations": list(reservations.values())},
            "CancelCapacityReservation": cancel,
        }
    )
    resource = ec2_extras.CapacityReservation(account)
    found = {item.id: item for item in resource.list()}
    assert set(found) == {"cr-1", "cr-3"}  # a cancelled one is gone, as far as the bill goes

    resource.delete(found["cr-1"])
    with pytest.raises(NotYet) as refused:
        resource.delete(found["cr-3"])

    assert refused.value.until == ends
    assert account.params_of("CancelCapacityReservation") == [{"CapacityReservationId": "cr-1"}]
    assert [item.id for item in resource.list()] == ["cr-3"]


def test_client_vpn_endpoints_lose_their_target_networks_first(account):
    endpoints = {
        "cvpn-endpoint-1": {
            "ClientVpnEndpointId": "cvpn-endpoint-1",
            "Status": {"Code": "available"},
            "CreationTime": "2026-12-08 09:00:00",
            "Description": "sap admins",
        }
    }
    networks = {
        "cvpn-assoc-1": {"AssociationId": "cvpn-assoc-1", "Status": {"Code": "associated"}},
        "cvpn-assoc-2": {"AssociationId": "cvpn-assoc-2", "Status": {"Code": "disassociated"}},
    }

    def disassociate(params):
        networks[params["AssociationId"]]["Status"] = {"Code": "disassociated"}
        return {"AssociationId": params["AssociationId"], "Status": {"Code": "disassociating"}}

    def delete(params):
        if any(n["Status"]["Code"] == "associated" for n in networks.values()):
            raise ClientError({"Error": {"Code": "IncorrectState", "Message": "still associated"}}, "Delete")
        return removed(endpoints, "ClientVpnEndpointId")(params)

    account.stand_ins.update(
        {
            "DescribeClientVpnEndpoints": lambda params: {"ClientVpnEndpoints": list(endpoints.values())},
            "DescribeClientVpnTargetNetworks": lambda params: {"ClientVpnTargetNetworks": list(networks.values())},
            "DisassociateClientVpnTargetNetwork": disassociate,
            "DeleteClientVpnEndpoint": delete,
        }
    )
    nothing_else_moto_lacks(account)

    (found,) = ec2_extras.ClientVpnEndpoint(account).list()
    assert (found.name, found.created) == ("sap admins", datetime(2026, 12, 8, 9, tzinfo=UTC))
    assert sweep(account, ec2_extras) == {}
    assert account.params_of("DisassociateClientVpnTargetNetwork") == [
        {"ClientVpnEndpointId": "cvpn-endpoint-1", "AssociationId": "cvpn-assoc-1"}
    ]
    assert endpoints == {}


def test_flow_logs_go_and_endpoint_services_reject_their_connections_before_they_go(account):
    ec2 = account.client("ec2")
    vpc, subnets = vpc_with_subnets(account)
    ec2.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="vpc-flows",
        DeliverLogsPermissionArn=f"arn:aws:iam::{account.account_id}:role/flow-logs",
    )
    balancer = account.client("elbv2").create_load_balancer(Name="sap-nlb", Subnets=subnets, Type="network")
    service = ec2.create_vpc_endpoint_service_configuration(
        NetworkLoadBalancerArns=[balancer["LoadBalancers"][0]["LoadBalancerArn"]], AcceptanceRequired=True
    )["ServiceConfiguration"]["ServiceId"]
    connections = {
        "vpce-other-account": {"VpcEndpointId": "vpce-other-account", "VpcEndpointState": "available"},
        "vpce-rejected": {"VpcEndpointId": "vpce-rejected", "VpcEndpointState": "rejected"},
    }

    def reject(params):
        for endpoint in params["VpcEndpointIds"]:
            connections[endpoint]["VpcEndpointState"] = "rejected"
        return {"Unsuccessful": []}

    account.stand_ins.update(
        {
            "DescribeVpcEndpointConnections": lambda params: {"VpcEndpointConnections": list(connections.values())},
            "RejectVpcEndpointConnections": reject,
        }
    )
    nothing_else_moto_lacks(account)

    assert sweep(account, ec2_extras) == {}

    assert account.params_of("RejectVpcEndpointConnections") == [
        {"ServiceId": service, "VpcEndpointIds": ["vpce-other-account"]}
    ]
    assert_all_before(account, "RejectVpcEndpointConnections", "DeleteVpcEndpointServiceConfigurations")
    assert ec2.describe_vpc_endpoint_service_configurations()["ServiceConfigurations"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []


def test_classic_load_balancers_are_deleted_with_their_tags_read(account):
    client = account.client("elb")
    client.create_load_balancer(
        LoadBalancerName="sap-web",
        Listeners=[{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 8000}],
        AvailabilityZones=[f"{REGION}a"],
        Tags=[{"Key": "workshop", "Value": "sap"}],
    )

    (found,) = elb_classic.ClassicLoadBalancer(account).list()
    assert found.tags == {"workshop": "sap"}
    assert sweep(account, elb_classic) == {}
    assert account.params_of("DeleteLoadBalancer") == [{"LoadBalancerName": "sap-web"}]
    assert client.describe_load_balancers()["LoadBalancerDescriptions"] == []


# --- Network Firewall, Global Accelerator -----------------------------------------------------------


def network_firewall_stand_ins(context: RecordingContext) -> dict[str, dict]:
    """A firewall under delete protection, its policy, a rule group and a TLS configuration (moto
    lists firewalls but deletes nothing); deleting what is still in use is refused, as AWS does."""
    arn = f"arn:aws:network-firewall:{context.region}:{context.account_id}"
    stores = {
        "firewalls": {
            f"{arn}:firewall/edge": {
                "FirewallName": "edge",
                "FirewallArn": f"{arn}:firewall/edge",
                "DeleteProtection": True,
            }
        },
        "policies": {f"{arn}:firewall-policy/edge": {"Name": "edge", "Arn": f"{arn}:firewall-policy/edge"}},
        "groups": {f"{arn}:stateful-rulegroup/block": {"Name": "block", "Arn": f"{arn}:stateful-rulegroup/block"}},
        "tls": {f"{arn}:tls-configuration/inspect": {"Name": "inspect", "Arn": f"{arn}:tls-configuration/inspect"}},
    }

    def describe_firewall(params):
        firewall = stores["firewalls"][params["FirewallArn"]]
        return {
            "Firewall": {**firewall, "Tags": [{"Key": "sap", "Value": "edge"}]},
            "FirewallStatus": {"Status": "READY"},
        }

    def unprotect(params):
        stores["firewalls"][params["FirewallArn"]]["DeleteProtection"] = params["DeleteProtection"]
        return {}

    def delete_firewall(params):
        if stores["firewalls"][params["FirewallArn"]]["DeleteProtection"]:
            raise ClientError({"Error": {"Code": "InvalidOperationException", "Message": "protected"}}, "Delete")
        return removed(stores["firewalls"], "FirewallArn")(params)

    def refused_while(store: str, param: str, used_by: str):
        def delete(params):
            if stores[used_by]:
                raise ClientError({"Error": {"Code": "InvalidOperationException", "Message": "in use"}}, "Delete")
            return removed(stores[store], param)(params)

        return delete

    context.stand_ins.update(
        {
            "ListFirewalls": lambda p: {
                "Firewalls": [
                    {"FirewallName": f["FirewallName"], "FirewallArn": f["FirewallArn"]}
                    for f in stores["firewalls"].values()
                ]
            },
            "DescribeFirewall": describe_firewall,
            "UpdateFirewallDeleteProtection": unprotect,
            "DeleteFirewall": delete_firewall,
            "ListFirewallPolicies": listed(stores["policies"], "FirewallPolicies"),
            "DescribeFirewallPolicy": lambda p: {"FirewallPolicyResponse": {"FirewallPolicyStatus": "ACTIVE"}},
            "DeleteFirewallPolicy": refused_while("policies", "FirewallPolicyArn", "firewalls"),
            "ListRuleGroups": listed(stores["groups"], "RuleGroups"),
            "DescribeRuleGroup": lambda p: {"RuleGroupResponse": {"RuleGroupStatus": "ACTIVE"}},
            "DeleteRuleGroup": refused_while("groups", "RuleGroupArn", "policies"),
            "ListTLSInspectionConfigurations": listed(stores["tls"], "TLSInspectionConfigurations"),
            "DeleteTLSInspectionConfiguration": refused_while("tls", "TLSInspectionConfigurationArn", "policies"),
        }
    )
    return stores


def test_network_firewalls_lose_delete_protection_then_policies_then_rule_groups_go(account):
    stores = network_firewall_stand_ins(account)

    assert sweep(account, network_firewall) == {}

    (firewall,) = account.params_of("DeleteFirewall")
    assert account.params_of("UpdateFirewallDeleteProtection") == [{**firewall, "DeleteProtection": False}]
    assert_all_before(account, "UpdateFirewallDeleteProtection", "DeleteFirewall")
    assert_all_before(account, "DeleteFirewall", "DeleteFirewallPolicy")
    assert_all_before(account, "DeleteFirewallPolicy", "DeleteRuleGroup")
    assert_all_before(account, "DeleteFirewallPolicy", "DeleteTLSInspectionConfiguration")
    assert account.params_of("ListRuleGroups") and all(
        p == {"Scope": "ACCOUNT"} for p in account.params_of("ListRuleGroups")
    )
    assert all(store == {} for store in stores.values())


def global_accelerator_stand_ins(context: RecordingContext) -> dict[str, dict]:
    """An enabled accelerator with a listener and an endpoint group. Disabling takes AWS a while
    (IN_PROGRESS for one listing, then DEPLOYED); deleting before that, or with a listener, is refused."""
    arn = "arn:aws:globalaccelerator::1:accelerator/sap"
    stores = {
        "accelerators": {arn: {"AcceleratorArn": arn, "Name": "sap-global", "Enabled": True, "Status": "DEPLOYED"}},
        "listeners": {
            f"{arn}/listener/l1": {
                "ListenerArn": f"{arn}/listener/l1",
                "PortRanges": [{"FromPort": 443, "ToPort": 443}],
            }
        },
        "groups": {
            f"{arn}/listener/l1/endpoint-group/g1": {
                "EndpointGroupArn": f"{arn}/listener/l1/endpoint-group/g1",
                "EndpointGroupRegion": "eu-west-1",
            }
        },
    }

    def list_accelerators(params):
        answer = [dict(a) for a in stores["accelerators"].values()]
        for accelerator in stores["accelerators"].values():
            if accelerator["Status"] == "IN_PROGRESS":
                accelerator["Status"] = DEPLOYED
        return {"Accelerators": answer}

    def update(params):
        stores["accelerators"][params["AcceleratorArn"]].update(Enabled=params["Enabled"], Status="IN_PROGRESS")
        return {"Accelerator": stores["accelerators"][params["AcceleratorArn"]]}

    def delete_accelerator(params):
        accelerator = stores["accelerators"][params["AcceleratorArn"]]
        if accelerator["Enabled"] or accelerator["Status"] != DEPLOYED or stores["listeners"]:
            raise ClientError({"Error": {"Code": "AcceleratorNotDisabledException", "Message": "not yet"}}, "Delete")
        return removed(stores["accelerators"], "AcceleratorArn")(params)

    def delete_listener(params):
        if stores["groups"]:
            raise ClientError({"Error": {"Code": "AssociatedEndpointGroupFoundException", "Message": "x"}}, "Delete")
        return removed(stores["listeners"], "ListenerArn")(params)

    context.stand_ins.update(
        {
            "ListAccelerators": list_accelerators,
            "UpdateAccelerator": update,
            "DeleteAccelerator": delete_accelerator,
            "ListListeners": listed(stores["listeners"], "Listeners"),
            "DeleteListener": delete_listener,
            "ListEndpointGroups": listed(stores["groups"], "EndpointGroups"),
            "DeleteEndpointGroup": removed(stores["groups"], "EndpointGroupArn"),
        }
    )
    return stores


DEPLOYED = "DEPLOYED"


def test_global_accelerators_are_called_in_us_west_2_and_disabled_then_deleted_once_deployed(account):
    stores = global_accelerator_stand_ins(account)

    assert globalaccelerator.Accelerator(account).client.meta.region_name == "us-west-2"
    assert sweep(account, globalaccelerator) == {}

    assert account.params_of("UpdateAccelerator") == [
        {"AcceleratorArn": "arn:aws:globalaccelerator::1:accelerator/sap", "Enabled": False}
    ]
    assert_all_before(account, "DeleteEndpointGroup", "DeleteListener")
    assert_all_before(account, "DeleteListener", "DeleteAccelerator")
    # Asked only once AWS had deployed the change: never refused.
    assert len(account.params_of("DeleteAccelerator")) == 1
    assert all(store == {} for store in stores.values())


# --- Listings an endpoint does not offer -------------------------------------------------------------


def _answer(status: int, code: str, message: str = "") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "List"
    )


@pytest.mark.parametrize(
    ("error", "offered"),
    [
        (_answer(404, "404"), False),  # the service is not there at all (moto lacks Global Accelerator, DLM)
        (_answer(400, "400", "<Response><Errors><Error><Code>InvalidAction</Code>…"), False),  # XML to a JSON client
        (_answer(400, "ValidationException", "<Code>InvalidAction</Code>"), True),  # a real answer about the call
        (_answer(404, "ResourceNotFoundException"), True),
        (_answer(403, "AccessDeniedException"), True),
    ],
)
def test_a_listing_the_endpoint_lacks_is_not_offered_and_any_other_error_stays_an_error(error, offered):
    from cleaner.services._offered import offered as offering

    def listing():
        with offering("dax.subnet_group"):
            raise error

    expected = ClientError if offered else NotImplementedError
    with pytest.raises(expected):
        listing()
