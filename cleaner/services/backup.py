"""AWS Backup: recovery points in the attendees' vaults, then the vaults; selections, then plans.

Vaults AWS makes for itself ("aws/efs/automatic-backup-vault" …) carry a "/" in their name, which
no vault an attendee creates can, and are never touched, nor what is in them. A vault under a
Vault Lock in compliance mode (its grace time over) keeps each recovery point until its retention
ends: those are reported as not deletable before that date (NotYet), never as failures.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cleaner.registry import Deleting, Item, Listing, NotYet, Resource, resource
from cleaner.services._offered import ListedHere, offered

GOING = frozenset({"DELETING"})


def aws_vault(name: str) -> bool:
    # Attendees' vault names take letters, digits, "-" and "_" only.
    return "/" in name


def compliance_locked(vault: dict, now: datetime) -> bool:
    """The lock can no longer be removed: its grace time (until LockDate) is over."""
    lock_date = vault.get("LockDate")
    return bool(vault.get("Locked")) and lock_date is not None and lock_date <= now


def kept_until(point: dict, vault: dict) -> datetime:
    """When a recovery point in a compliance-locked vault may go: its own retention, else the vault's minimum."""
    delete_at = (point.get("CalculatedLifecycle") or {}).get("DeleteAt")
    if delete_at:
        return delete_at
    created = point.get("CreationDate") or datetime.now(UTC)
    return created + timedelta(days=vault.get("MinRetentionDays") or 0)


@resource("backup.vault", depends_on=["backup.recovery_point"])
class Vault(ListedHere):
    listing = Listing(
        operation="list_backup_vaults",
        items="BackupVaultList",
        id="BackupVaultName",
        arn="BackupVaultArn",
        created="CreationDate",
        extra={"locked": "Locked", "lock_date": "LockDate", "points": "NumberOfRecoveryPoints"},
    )
    deleting = Deleting("delete_backup_vault", {"BackupVaultName": "id"})

    def protect(self, raw):
        return "a vault AWS made for itself" if aws_vault(raw.get("BackupVaultName", "")) else ""

    def prepare(self, item):
        vault = self.client.describe_backup_vault(BackupVaultName=item.id)
        if not vault.get("Locked"):
            return
        if compliance_locked(vault, datetime.now(UTC)):
            if vault.get("NumberOfRecoveryPoints"):
                points = list(RecoveryPoint(self.context).points_of(item.id))
                until = max((kept_until(point, vault) for point in points), default=datetime.now(UTC))
                raise NotYet(until, f"vault {item.id} is locked in compliance mode and still keeps recovery points")
            return  # an empty vault may go, lock and all
        # Governance mode, or compliance before its grace time ends: the lock may still be lifted.
        self.client.delete_backup_vault_lock_configuration(BackupVaultName=item.id)


@resource("backup.recovery_point")
class RecoveryPoint(Resource):
    def vaults(self):
        for page in self.client.get_paginator("list_backup_vaults").paginate():
            yield from page["BackupVaultList"]

    def points_of(self, vault_name: str):
        pages = self.client.get_paginator("list_recovery_points_by_backup_vault").paginate(BackupVaultName=vault_name)
        for page in pages:
            yield from page["RecoveryPoints"]

    def list(self):
        with offered(self.type):
            now = datetime.now(UTC)
            for vault in self.vaults():
                name = vault["BackupVaultName"]
                if aws_vault(name):
                    continue
                locked = compliance_locked(vault, now)
                # EXPIRED points are those AWS's lifecycle failed to delete: still stored, still billed.
                for point in self.points_of(name):
                    yield Item(
                        id=point["RecoveryPointArn"],
                        name=f"{name}: {point.get('ResourceName') or point.get('ResourceArn', '')}",
                        created=point.get("CreationDate"),
                        extra={
                            "vault": name,
                            "status": point.get("Status"),
                            "kept_until": kept_until(point, vault) if locked else None,
                        },
                    )

    def delete(self, item):
        if item.extra.get("status") in GOING:
            return
        until = item.extra.get("kept_until")
        if until is not None and until > datetime.now(UTC):
            raise NotYet(until, "its vault is locked in compliance mode")
        self.client.delete_recovery_point(BackupVaultName=item.extra["vault"], RecoveryPointArn=item.id)


@resource("backup.selection")
class Selection(Resource):
    def list(self):
        with offered(self.type):
            for plan in Plan(self.context).list():
                for page in self.client.get_paginator("list_backup_selections").paginate(BackupPlanId=plan.id):
                    for selection in page["BackupSelectionsList"]:
                        yield Item(
                            id=selection["SelectionId"],
                            name=f"{plan.name}: {selection.get('SelectionName', '')}",
                            created=selection.get("CreationDate"),
                            extra={"plan": plan.id},
                        )

    def delete(self, item):
        self.client.delete_backup_selection(BackupPlanId=item.extra["plan"], SelectionId=item.id)


@resource("backup.plan", depends_on=["backup.selection"])
class Plan(ListedHere):
    # AWS refuses to delete a plan that still has resource selections.
    listing = Listing(
        operation="list_backup_plans",
        items="BackupPlansList",
        id="BackupPlanId",
        name="BackupPlanName",
        arn="BackupPlanArn",
        created="CreationDate",
    )
    deleting = Deleting("delete_backup_plan", {"BackupPlanId": "id"})
