"""Freezing a sandbox account whose budget ran out, and letting its attendees back in.

The one writer of `AccountFreeze`. A freeze is the SCP `cpp-sandbox-frozen` (documents.frozen_document:
Deny * to all but the access role) attached to the account itself, never to the OU, so a breach stops
that account alone. The policy is made once and shared by every frozen account.

AWS comes first, the row second: a row never says frozen while attendees can still spend, and a
freeze whose row was lost to a database error is attached again (harmlessly) on the next check.
"""

from __future__ import annotations

import contextlib
import logging
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cpp_portal.aws import hub_client
from workshops.models import AccountFreeze, SandboxAccount, Workshop
from workshops.sandbox.guardrails.documents import frozen_document, policy_json

log = logging.getLogger(__name__)

FROZEN_POLICY_NAME = "cpp-sandbox-frozen"
FROZEN_POLICY_DESCRIPTION = "CPP Portal: a sandbox account over its budget; only the portal's access role may act."
POLICY_TYPE = "SERVICE_CONTROL_POLICY"


class FreezeError(Exception):
    """AWS refused to freeze or unfreeze an account; the message says what it answered."""


def aws_error_text(error: Exception) -> str:
    """One line an SA can read for an AWS error: its code and message."""
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', '')}: {info.get('Message', '')}".strip(": ")
    return str(error)


def frozen_policy_id(organizations=None) -> str:
    """The id of the freeze policy, created (or brought back to its document) if needed."""
    organizations = organizations or hub_client("organizations")
    content = policy_json(frozen_document(role_name=settings.CPP_SANDBOX_ROLE_NAME))
    for page in organizations.get_paginator("list_policies").paginate(Filter=POLICY_TYPE):
        for summary in page["Policies"]:
            if summary["Name"] == FROZEN_POLICY_NAME:
                stored = organizations.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                if stored != content:  # edited by hand, or the access role was renamed
                    organizations.update_policy(PolicyId=summary["Id"], Content=content)
                return summary["Id"]
    try:
        answer = organizations.create_policy(
            Name=FROZEN_POLICY_NAME, Description=FROZEN_POLICY_DESCRIPTION, Type=POLICY_TYPE, Content=content
        )
    except organizations.exceptions.DuplicatePolicyException:
        return frozen_policy_id(organizations)  # another worker made it between our list and create
    return answer["Policy"]["PolicySummary"]["Id"]


def _attach(aws_account_id: str) -> None:
    organizations = hub_client("organizations")
    # Attached already (a check whose row was lost): nothing more to do in AWS.
    with contextlib.suppress(organizations.exceptions.DuplicatePolicyAttachmentException):
        organizations.attach_policy(PolicyId=frozen_policy_id(organizations), TargetId=aws_account_id)


def _detach(aws_account_id: str) -> None:
    organizations = hub_client("organizations")
    # Detached already, by hand or by an earlier try.
    with contextlib.suppress(organizations.exceptions.PolicyNotAttachedException):
        organizations.detach_policy(PolicyId=frozen_policy_id(organizations), TargetId=aws_account_id)


def account_freeze(
    *, account: SandboxAccount, workshop: Workshop, spend: Decimal, limit: Decimal
) -> AccountFreeze | None:
    """Freeze an account over its budget; None when it was frozen for this workshop before. Raises FreezeError.

    Once per workshop: an SA who unfroze an account decided to let its attendees go on, and the
    spend (which only grows) must not freeze it again at the next check.
    """
    if AccountFreeze.objects.filter(account=account, workshop=workshop).exists():
        return None
    try:
        _attach(account.aws_account_id)
    except (ClientError, BotoCoreError) as error:
        raise FreezeError(
            _("Could not freeze %(account)s: %(error)s")
            % {"account": account.aws_account_id, "error": aws_error_text(error)}
        ) from error
    try:
        with transaction.atomic():
            freeze = AccountFreeze.objects.create(account=account, workshop=workshop, spend=spend, limit=limit)
    except IntegrityError:
        return None  # another check froze it at the same moment and recorded it
    log.warning(
        "sandbox account %s frozen: %s of %s USD spent (workshop %s)", account.aws_account_id, spend, limit, workshop.pk
    )
    return freeze


@transaction.atomic(durable=True)
def account_unfreeze(*, freeze_id: int, actor: User | None) -> AccountFreeze:
    """Detach the freeze policy and record who lifted it (None: the portal, at the workshop's close)."""
    freeze = AccountFreeze.objects.select_for_update().select_related("account").get(pk=freeze_id)
    if freeze.unfrozen_at is not None:
        return freeze  # lifted already: nothing to do
    try:
        _detach(freeze.account.aws_account_id)
    except (ClientError, BotoCoreError) as error:
        raise FreezeError(
            _("Could not unfreeze %(account)s: %(error)s")
            % {"account": freeze.account.aws_account_id, "error": aws_error_text(error)}
        ) from error
    freeze.unfrozen_at = timezone.now()
    freeze.unfrozen_by = actor
    freeze.save(update_fields=["unfrozen_at", "unfrozen_by"])
    log.info("sandbox account %s unfrozen by %s", freeze.account.aws_account_id, actor.pk if actor else "the portal")
    return freeze


def workshop_freezes_lift(*, workshop_id: int) -> dict[str, str]:
    """Lift every open freeze of a closing workshop, so the account leaves it with none; returns failures."""
    failed = {}
    for freeze in AccountFreeze.objects.filter(workshop_id=workshop_id, unfrozen_at__isnull=True).select_related(
        "account"
    ):
        try:
            account_unfreeze(freeze_id=freeze.pk, actor=None)
        except FreezeError as error:
            log.error("freeze not lifted at the close of workshop %s: %s", workshop_id, error)
            failed[freeze.account.aws_account_id] = str(error)
    return failed
