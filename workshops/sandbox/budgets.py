"""AWS Budgets for the sandbox accounts in use, and the check that freezes an account at 100 %.

Each account a running workshop seats attendees in gets one budget, made from the management
account (Budgets keeps it there, filtered to the linked account), named `cpp-<workshop>-<account>`
so that any run finds the same one. Its amount is the attendees seated in the account times the
workshop's budget per attendee; AWS emails the workshop's SAs at 50, 80 and 100 % of the actual cost.

The beat task reads each budget every 15 minutes and freezes an account at 100 % (freeze.py).
Budgets data lags the bill by 8–12 hours (AWS refreshes it up to three times a day), so spend can
pass the limit well before the freeze: the freeze stops the damage growing, it cannot prevent it.

AWS errors (throttling, AccessDenied) are reported per account and logged, never raised: a stage
change must not fail on AWS, and the next check tries again.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from botocore.exceptions import BotoCoreError, ClientError

from cpp_portal.aws import hub_client
from workshops.models import AccountFreeze, Credential, SandboxAccount, SandboxAccountState, Stage, Workshop
from workshops.sandbox import freeze as freezing

log = logging.getLogger(__name__)

# AWS emails the SAs at these shares of the budget, of the cost already incurred (not forecast).
THRESHOLDS = (50, 80, 100)
# A Budgets notification takes at most 10 email subscribers.
MAX_EMAIL_SUBSCRIBERS = 10
CENT = Decimal("0.01")
# The portal's budget names (budget_name); anything else in the management account is not ours.
OUR_BUDGET = re.compile(r"^cpp-(\d+)-(\d{12})$")
AWS_ERRORS = (ClientError, BotoCoreError)


@dataclass
class BudgetsReport:
    """What a run did, per AWS account id."""

    done: dict[str, str] = field(default_factory=dict)  # account → created, updated, unchanged, deleted
    failed: dict[str, str] = field(default_factory=dict)  # account → what AWS answered
    frozen: list[str] = field(default_factory=list)


def budget_name(*, workshop_id: int, aws_account_id: str) -> str:
    """The budget's name: the same for every run, so creating and deleting it are idempotent."""
    return f"cpp-{workshop_id}-{aws_account_id}"


def budget_limit(*, workshop: Workshop, attendees: int) -> Decimal:
    """The account's budget in USD: its attendees times the workshop's amount per attendee."""
    return (workshop.budget_per_attendee_usd * attendees).quantize(CENT)


def seated_attendees(workshop: Workshop) -> Counter:
    """How many attendees each of the workshop's accounts seats, by account pk."""
    return Counter(
        Credential.objects.filter(registration__workshop=workshop).values_list("sandbox_account_id", flat=True)
    )


def _hub_account_id() -> str:
    # Budgets are stored under the AccountId the request names: the management account's own.
    return hub_client("sts").get_caller_identity()["Account"]


def _budget(*, workshop: Workshop, account: SandboxAccount, limit: Decimal) -> dict:
    running_since = datetime.datetime.combine(workshop.provisioning_at.date(), datetime.time(), datetime.UTC)
    return {
        "BudgetName": budget_name(workshop_id=workshop.pk, aws_account_id=account.aws_account_id),
        "BudgetLimit": {"Amount": str(limit), "Unit": "USD"},
        # A workshop lasts hours or days: a year from the day it starts running never resets mid-workshop,
        # as a monthly budget would at a month's end, and leaves out what earlier workshops spent there.
        "TimeUnit": "ANNUALLY",
        "TimePeriod": {"Start": running_since},
        "BudgetType": "COST",
        "CostFilters": {"LinkedAccount": [account.aws_account_id]},
    }


def _notifications(workshop: Workshop) -> list[dict]:
    emails = list(
        workshop.owners.filter(is_active=True).order_by("pk").values_list("email", flat=True)[:MAX_EMAIL_SUBSCRIBERS]
    )
    if not emails:
        # AWS wants a subscriber on every notification: no SA, no AWS alerts (the freeze still works).
        return []
    subscribers = [{"SubscriptionType": "EMAIL", "Address": email} for email in emails]
    return [
        {
            "Notification": {
                "NotificationType": "ACTUAL",
                "ComparisonOperator": "GREATER_THAN",
                "Threshold": float(threshold),
                "ThresholdType": "PERCENTAGE",
            },
            "Subscribers": subscribers,
        }
        for threshold in THRESHOLDS
    ]


def budget_ensure(*, hub_id: str, workshop: Workshop, account: SandboxAccount, limit: Decimal) -> str:
    """Create the account's budget, or bring its amount to `limit`; says which ("unchanged" if it matched)."""
    budgets = hub_client("budgets")
    name = budget_name(workshop_id=workshop.pk, aws_account_id=account.aws_account_id)
    try:
        current = budgets.describe_budget(AccountId=hub_id, BudgetName=name)["Budget"]
    except budgets.exceptions.NotFoundException:
        current = None
    if current is not None:
        if Decimal(current["BudgetLimit"]["Amount"]).quantize(CENT) == limit:
            return "unchanged"
        # Delete and create rather than update_budget (moto lacks it): the spend is read from the bill,
        # not kept in the budget, so nothing is lost; the notifications come back with it.
        _delete(budgets, hub_id, name)
    budgets.create_budget(
        AccountId=hub_id,
        Budget=_budget(workshop=workshop, account=account, limit=limit),
        NotificationsWithSubscribers=_notifications(workshop),
    )
    return "created" if current is None else "updated"


def _delete(budgets, hub_id: str, name: str) -> None:
    with contextlib.suppress(budgets.exceptions.NotFoundException):  # gone already: what we wanted
        budgets.delete_budget(AccountId=hub_id, BudgetName=name)


def _accounts_in_use(workshop: Workshop):
    return SandboxAccount.objects.filter(workshop=workshop, state=SandboxAccountState.IN_USE).order_by("aws_account_id")


def workshop_budgets_create(*, workshop_id: int) -> BudgetsReport:
    """Give each account a running workshop seats attendees in its budget; errors reported per account."""
    report = BudgetsReport()
    workshop = Workshop.objects.get(pk=workshop_id)
    if workshop.stage != Stage.RUNNING:
        return report
    seats = seated_attendees(workshop)
    try:
        hub_id = _hub_account_id()
    except AWS_ERRORS as error:
        log.error("budgets of workshop %s not made: %s", workshop_id, freezing.aws_error_text(error))
        report.failed["hub"] = freezing.aws_error_text(error)
        return report
    for account in _accounts_in_use(workshop):
        if not seats[account.pk]:
            continue  # nobody has credentials there: only the portal can spend in it
        limit = budget_limit(workshop=workshop, attendees=seats[account.pk])
        try:
            report.done[account.aws_account_id] = budget_ensure(
                hub_id=hub_id, workshop=workshop, account=account, limit=limit
            )
        except AWS_ERRORS as error:
            report.failed[account.aws_account_id] = freezing.aws_error_text(error)
            log.error("budget of %s not made: %s", account.aws_account_id, report.failed[account.aws_account_id])
    return report


def workshop_budgets_delete(*, workshop_id: int) -> BudgetsReport:
    """Delete every budget of a workshop, found by its names' prefix (its accounts may have moved on)."""
    report = BudgetsReport()
    prefix = f"cpp-{workshop_id}-"
    try:
        hub_id = _hub_account_id()
        budgets = hub_client("budgets")
        names = [
            budget["BudgetName"]
            for page in budgets.get_paginator("describe_budgets").paginate(AccountId=hub_id)
            for budget in page.get("Budgets", [])
            if budget["BudgetName"].startswith(prefix)
        ]
    except AWS_ERRORS as error:
        log.error("budgets of workshop %s not deleted: %s", workshop_id, freezing.aws_error_text(error))
        report.failed["hub"] = freezing.aws_error_text(error)
        return report
    for name in names:
        account_id = name.removeprefix(prefix)
        try:
            _delete(budgets, hub_id, name)
            report.done[account_id] = "deleted"
        except AWS_ERRORS as error:
            report.failed[account_id] = freezing.aws_error_text(error)
            log.error("budget %s not deleted: %s", name, report.failed[account_id])
    return report


def budgets_check() -> BudgetsReport:
    """Read every running account's budget and freeze those at 100 % or more (their SAs are emailed once)."""
    report = BudgetsReport()
    accounts = list(
        SandboxAccount.objects.filter(state=SandboxAccountState.IN_USE, workshop__stage=Stage.RUNNING)
        .select_related("workshop")
        .order_by("aws_account_id")
    )
    if not accounts:
        return report
    try:
        hub_id = _hub_account_id()
    except AWS_ERRORS as error:
        report.failed["hub"] = freezing.aws_error_text(error)
        log.error("budgets not checked: %s", report.failed["hub"])
        return report
    budgets = hub_client("budgets")
    seats_by_workshop: dict[int, Counter] = {}
    for account in accounts:
        workshop = account.workshop
        seats = seats_by_workshop.setdefault(workshop.pk, seated_attendees(workshop))
        if not seats[account.pk]:
            continue
        limit = budget_limit(workshop=workshop, attendees=seats[account.pk])
        name = budget_name(workshop_id=workshop.pk, aws_account_id=account.aws_account_id)
        try:
            budget = budgets.describe_budget(AccountId=hub_id, BudgetName=name)["Budget"]
            spend = Decimal(budget.get("CalculatedSpend", {}).get("ActualSpend", {}).get("Amount", "0"))
            budgeted = Decimal(budget["BudgetLimit"]["Amount"])
            if budgeted.quantize(CENT) != limit:
                # Seats changed (a late confirmation): the next check reads the new amount.
                report.done[account.aws_account_id] = budget_ensure(
                    hub_id=hub_id, workshop=workshop, account=account, limit=limit
                )
                continue
        except budgets.exceptions.NotFoundException:
            # Its budget was never made (AWS refused at the start) or was deleted by hand: make it now.
            try:
                report.done[account.aws_account_id] = budget_ensure(
                    hub_id=hub_id, workshop=workshop, account=account, limit=limit
                )
            except AWS_ERRORS as error:
                report.failed[account.aws_account_id] = freezing.aws_error_text(error)
            continue
        except AWS_ERRORS as error:
            report.failed[account.aws_account_id] = freezing.aws_error_text(error)
            log.error("budget of %s not read: %s", account.aws_account_id, report.failed[account.aws_account_id])
            continue
        if spend < budgeted:
            continue
        try:
            frozen = freezing.account_freeze(account=account, workshop=workshop, spend=spend, limit=budgeted)
        except freezing.FreezeError as error:
            report.failed[account.aws_account_id] = str(error)
            log.error("%s", error)
            continue
        if frozen is not None:
            report.frozen.append(account.aws_account_id)
            freeze_notify(freeze_id=frozen.pk)
    return report


def budgets_leftovers_remove() -> BudgetsReport:
    """Lift the freezes and delete the budgets of workshops no longer running (AWS refused at their close)."""
    report = BudgetsReport()
    stale = (
        AccountFreeze.objects.filter(unfrozen_at__isnull=True)
        .exclude(workshop__stage=Stage.RUNNING)
        .values_list("workshop_id", flat=True)
        .distinct()
    )
    for workshop_id in list(stale):
        report.failed.update(freezing.workshop_freezes_lift(workshop_id=workshop_id))
    try:
        hub_id = _hub_account_id()
        budgets = hub_client("budgets")
        ours = {
            budget["BudgetName"]: int(match.group(1))
            for page in budgets.get_paginator("describe_budgets").paginate(AccountId=hub_id)
            for budget in page.get("Budgets", [])
            if (match := OUR_BUDGET.match(budget["BudgetName"]))
        }
    except AWS_ERRORS as error:
        report.failed["hub"] = freezing.aws_error_text(error)
        return report
    # A budget exists only while its workshop runs: it is made on entering RUNNING, once the stage is set.
    running = set(Workshop.objects.filter(pk__in=set(ours.values()), stage=Stage.RUNNING).values_list("pk", flat=True))
    for name, workshop_id in ours.items():
        if workshop_id in running:
            continue
        try:
            _delete(budgets, hub_id, name)
            report.done[name] = "deleted"
        except AWS_ERRORS as error:
            report.failed[name] = freezing.aws_error_text(error)
    return report


def freeze_notify(*, freeze_id: int) -> int:
    """Email the workshop's SAs that an account was frozen, each once; returns how many were queued."""
    from notifications.models import EmailKind
    from notifications.services import email_enqueue_for
    from workshops.models import AccountFreeze

    freeze = AccountFreeze.objects.select_related("workshop", "account").get(pk=freeze_id)
    owners = list(freeze.workshop.owners.filter(is_active=True).order_by("pk"))
    for owner in owners:
        email_enqueue_for(
            recipient=owner,
            kind=EmailKind.BUDGET_FROZEN,
            key=f"{EmailKind.BUDGET_FROZEN}:{freeze.pk}:{owner.pk}",
            context={
                "workshop": freeze.workshop,
                "account_id": freeze.account.aws_account_id,
                "spend": freeze.spend,
                "limit": freeze.limit,
            },
            workshop_id=freeze.workshop_id,
        )
    return len(owners)
