"""The sandbox pool: which member accounts of the AWS Organization the portal may use.

The pool is every ACTIVE member account under the sandbox OU (`CPP_SANDBOX_OU_ID`), through
nested OUs. The Organization is asked first and the database changed only once every answer is
in, so an AWS error leaves the pool exactly as it was. Rows are never deleted: an account that
leaves the OU is retired (its history stays), and one that comes back is available again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cpp_portal.aws import hub_client
from workshops.models import SandboxAccount, SandboxAccountState
from workshops.sandbox import accounts

log = logging.getLogger(__name__)


class PoolSyncError(Exception):
    """The pool could not be read from AWS Organizations; nothing was changed."""


@dataclass(frozen=True)
class MemberAccount:
    aws_account_id: str
    name: str
    email: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    @property
    def in_pool(self) -> int:
        return len(self.added) + len(self.returned) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        return _(
            "Sandbox pool: %(added)d added, %(updated)d updated, %(retired)d retired, "
            "%(unchanged)d unchanged, %(returned)d back in the pool (%(total)d accounts in the pool)."
        ) % {
            "added": len(self.added),
            "updated": len(self.updated),
            "retired": len(self.retired),
            "unchanged": len(self.unchanged),
            "returned": len(self.returned),
            "total": self.in_pool,
        }


def sandbox_pool_sync() -> SyncReport:
    """Bring the SandboxAccount rows in line with the active accounts under the sandbox OU."""
    ou_id = settings.CPP_SANDBOX_OU_ID.strip()
    if not ou_id:
        raise PoolSyncError(
            _(
                "CPP_SANDBOX_OU_ID is not set: set it to the id of the OU that holds the sandbox "
                "accounts (e.g. ou-ab12-34cd56ef)."
            )
        )
    members = _active_members_under(ou_id)
    return _apply(members)


def _active_members_under(ou_id: str) -> dict[str, MemberAccount]:
    try:
        organizations = hub_client("organizations")
        management_account_id = organizations.describe_organization()["Organization"]["MasterAccountId"]
        members = {}
        for account in _accounts_under(organizations, ou_id):
            # Newer answers carry `State`; older ones, and moto, `Status`.
            state = account.get("State") or account.get("Status")
            if state == "ACTIVE" and account["Id"] != management_account_id:
                members[account["Id"]] = MemberAccount(account["Id"], account.get("Name", ""), account.get("Email", ""))
        return members
    except (BotoCoreError, ClientError) as error:
        raise PoolSyncError(
            _("Could not list the accounts of OU %(ou)s in AWS Organizations: %(error)s")
            % {"ou": ou_id, "error": error}
        )


def _accounts_under(organizations, ou_id: str):
    """Every account below `ou_id`, however deep its OUs nest."""
    accounts_pages = organizations.get_paginator("list_accounts_for_parent")
    units_pages = organizations.get_paginator("list_organizational_units_for_parent")
    pending, seen = [ou_id], {ou_id}
    while pending:
        parent = pending.pop()
        for page in accounts_pages.paginate(ParentId=parent):
            yield from page["Accounts"]
        for page in units_pages.paginate(ParentId=parent):
            for unit in page["OrganizationalUnits"]:
                if unit["Id"] not in seen:
                    seen.add(unit["Id"])
                    pending.append(unit["Id"])


@transaction.atomic
def _apply(members: dict[str, MemberAccount]) -> SyncReport:
    report = SyncReport()
    now = timezone.now()
    known = {account.aws_account_id: account for account in SandboxAccount.objects.select_for_update()}

    new = [
        SandboxAccount(aws_account_id=m.aws_account_id, name=m.name[:100], email=m.email)
        for account_id, m in sorted(members.items())
        if account_id not in known
    ]
    SandboxAccount.objects.bulk_create(new)
    report.added = [account.aws_account_id for account in new]

    for account_id, member in sorted(members.items()):
        account = known.get(account_id)
        if account is None:
            continue
        changes = {}
        if (account.name, account.email) != (member.name[:100], member.email):
            changes.update(name=member.name[:100], email=member.email)
        if changes:
            SandboxAccount.objects.filter(pk=account.pk).update(**changes, updated_at=now)
        if account.state == SandboxAccountState.RETIRED:
            accounts.sandbox_accounts_return(SandboxAccount.objects.filter(pk=account.pk))
            report.returned.append(account_id)
        elif changes:
            report.updated.append(account_id)
        else:
            report.unchanged.append(account_id)

    leaving = [a for a in known.values() if a.aws_account_id not in members and a.state != SandboxAccountState.RETIRED]
    busy = [a for a in leaving if a.state != SandboxAccountState.AVAILABLE]
    if busy:
        # Outside the OU the portal must not touch it, so credentials and cleanup stop here.
        log.warning(
            "sandbox accounts left the OU while in use, they will not be cleaned: %s",
            ", ".join(f"{a.aws_account_id} ({a.state}, workshop {a.workshop_id})" for a in busy),
        )
    accounts.sandbox_accounts_retire(SandboxAccount.objects.filter(pk__in=[a.pk for a in leaving]))
    report.retired = sorted(a.aws_account_id for a in leaving)
    log.info("%s", report.summary())
    return report
