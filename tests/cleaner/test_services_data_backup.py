"""The data group's backups, directories and RDS extras against moto, in a member account: AWS Backup,
DLM, Directory Service, and RDS's groups, proxies and event subscriptions.

Same harness as test_services_app.py. Where moto lacks an API, stateful stand-ins answer for it
(data_network_fakes.py), so a sweep really sees things go.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from cleaner.registry import NotYet
from cleaner.services import backup, directory, dlm, rds
from tests.cleaner.data_network_fakes import (
    account_fixture,  # noqa: F401 (the `account` fixture)
    assert_all_before,
    listed,
    removed,
    vpc_with_subnets,
)
from tests.cleaner.test_services_app import RecordingContext, protected_items, sweep

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
