"""What the sandbox accounts cost, read from Cost Explorer into AccountSpend (its one writer).

Cost Explorer charges $0.01 a request and refreshes its data a few times a day, so one grouped
request a day (by linked account and service, followed page by page) covers every workshop that
is running or closed in the last LOOKBACK_DAYS: the bill of a day settles a few days after it.
Each run replaces the rows of the days it read, so a rerun changes figures, never doubles them.
Only pool accounts are kept; the management account and anything outside the pool are dropped.
The portal's own identity (hub_client) needs `ce:GetCostAndUsage`; a refusal is stored on the
read (SpendRead.error), which the SAs see on the workshop's page, and the last figures stay.

A day's cost goes to the workshop that held the account that day: from the day it started
running (provisioning) to the day it closed, by the credentials its attendees had in it, which
outlive the cleanup, and by the reservation of a workshop still running.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cpp_portal.aws import hub_client
from workshops.models import (
    DELIVERED_STAGES,
    FINISHED_STAGES,
    AccountSpend,
    Credential,
    SandboxAccount,
    SpendRead,
    Stage,
    Workshop,
)
from workshops.sandbox.selectors import hold_days, workshop_spend

log = logging.getLogger(__name__)

# Closed workshops are read again for this long: late charges and credits land days after.
LOOKBACK_DAYS = 14
# The SAs get "what this workshop cost" this long after the close, once the bill has settled.
SETTLED_DAYS = 3
# Cost Explorer lives in us-east-1 whatever the portal's own region.
CE_REGION = "us-east-1"
METRIC = "UnblendedCost"


@dataclass(frozen=True)
class _Hold:
    account_pk: int
    workshop_id: int
    first_day: date
    last_day: date


def workshops_to_read(*, now=None) -> list[Workshop]:
    """Workshops whose bill is still moving: running, or closed in the last LOOKBACK_DAYS."""
    now = now or timezone.now()
    return list(
        Workshop.objects.filter(
            Q(stage=Stage.RUNNING) | Q(stage__in=FINISHED_STAGES, ends_at__gte=now - timedelta(days=LOOKBACK_DAYS))
        ).order_by("starts_at", "pk")
    )


def _holds(first_day: date, last_day: date) -> list[_Hold]:
    """Which workshop held which pool account on which days, for workshops touching the window."""
    workshops = {
        w.pk: w
        for w in Workshop.objects.filter(
            stage__in=DELIVERED_STAGES,
            ends_at__date__gte=first_day - timedelta(days=8),  # provisioning leads by up to a week
            starts_at__date__lte=last_day + timedelta(days=8),
        )
    }
    pairs = set(
        Credential.objects.filter(registration__workshop__in=workshops).values_list(
            "sandbox_account_id", "registration__workshop_id"
        )
    )
    pairs |= set(
        SandboxAccount.objects.filter(workshop__in=workshops, workshop__stage=Stage.RUNNING).values_list(
            "pk", "workshop_id"
        )
    )
    holds = []
    for account_pk, workshop_id in pairs:
        first, last = hold_days(workshops[workshop_id])
        holds.append(_Hold(account_pk, workshop_id, first, last))
    # An account handed from one workshop to the next on the same day: the day goes to the one that
    # had it first, whose leftovers the cleaner was still deleting.
    return sorted(holds, key=lambda h: (h.first_day, h.workshop_id))


def _holder(holds: list[_Hold], account_pk: int, day: date) -> int | None:
    for hold in holds:
        if hold.account_pk == account_pk and hold.first_day <= day <= hold.last_day:
            return hold.workshop_id
    return None


def _cost_and_usage(first_day: date, end: date) -> tuple[list[dict], int]:
    """Every page of one grouped request; boto3 has no paginator for it, so follow NextPageToken."""
    ce = hub_client("ce", region=CE_REGION)
    request = {
        "TimePeriod": {"Start": first_day.isoformat(), "End": end.isoformat()},  # End is exclusive
        "Granularity": "DAILY",
        "Metrics": [METRIC],
        "GroupBy": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
    }
    results, requests, token = [], 0, None
    while True:
        page = ce.get_cost_and_usage(**request, **({"NextPageToken": token} if token else {}))
        requests += 1
        results.extend(page.get("ResultsByTime", []))
        token = page.get("NextPageToken")
        if not token:
            return results, requests


def _amounts(results: list[dict]):
    """(account id, day, service, amount, currency) per group in the answer, zeros left out."""
    for period in results:
        day = date.fromisoformat(period["TimePeriod"]["Start"])
        for group in period.get("Groups", []):
            account_id, service = group["Keys"]
            metric = group.get("Metrics", {}).get(METRIC, {})
            try:
                amount = Decimal(metric.get("Amount", "0"))
            except InvalidOperation:
                log.warning("spend: unreadable amount %r for %s on %s", metric.get("Amount"), account_id, day)
                continue
            if amount:
                yield account_id, day, service, amount, metric.get("Unit", "USD")[:3]


def spend_read(*, now=None) -> SpendRead | None:
    """Read the bill of the workshops still moving and store it per account, day and service."""
    now = now or timezone.now()
    workshops = workshops_to_read(now=now)
    if not workshops:
        return None  # nothing to read: not even a cent spent
    today = now.date()
    first_day = min(hold_days(w)[0] for w in workshops)
    last_day = min(today, max(hold_days(w)[1] for w in workshops))
    first_day = min(first_day, last_day)
    try:
        results, requests = _cost_and_usage(first_day, last_day + timedelta(days=1))
    except (BotoCoreError, ClientError) as error:
        log.error("spend: Cost Explorer could not be read for %s to %s: %s", first_day, last_day, error)
        return SpendRead.objects.create(started_at=now, first_day=first_day, last_day=last_day, error=str(error)[:2000])
    return _store(results, requests=requests, first_day=first_day, last_day=last_day, now=now)


@transaction.atomic
def _store(results: list[dict], *, requests: int, first_day: date, last_day: date, now) -> SpendRead:
    pool = dict(SandboxAccount.objects.values_list("aws_account_id", "pk"))
    holds = _holds(first_day, last_day)
    rows, outside = {}, set()
    for account_id, day, service, amount, currency in _amounts(results):
        if account_id not in pool:
            outside.add(account_id)  # the management account, or one outside the pool: not ours
            continue
        if not first_day <= day <= last_day:
            continue
        key = (pool[account_id], day, service[:200])
        if key in rows:  # the same group twice in an answer would break the unique constraint
            rows[key].amount += amount
            continue
        rows[key] = AccountSpend(
            sandbox_account_id=key[0],
            workshop_id=_holder(holds, key[0], day),
            day=day,
            service=key[2],
            amount=amount,
            currency=currency,
            read_at=now,
        )
    if outside:
        log.info("spend: ignored %d accounts outside the pool", len(outside))
    AccountSpend.objects.filter(day__gte=first_day, day__lte=last_day).delete()
    AccountSpend.objects.bulk_create(rows.values())
    read = SpendRead.objects.create(
        started_at=now, first_day=first_day, last_day=last_day, requests=requests, rows=len(rows)
    )
    log.info("spend: %d rows for %s to %s in %d requests", len(rows), first_day, last_day, requests)
    return read


def workshop_cost_notify_due(*, now=None) -> int:
    """Email each closed workshop's SAs what it cost, once, SETTLED_DAYS after it closed; how many queued.

    Called after a good read, so the figures rendered into the email are the ones just read.
    """
    from notifications.models import EmailKind
    from notifications.services import email_enqueue_for
    from notifications.workshop_emails import site_link

    now = now or timezone.now()
    settled = now - timedelta(days=SETTLED_DAYS)
    candidates = Workshop.objects.filter(
        stage__in=FINISHED_STAGES, ends_at__lte=settled, ends_at__gte=now - timedelta(days=LOOKBACK_DAYS)
    ).select_related("topic")
    queued = 0
    for workshop in candidates:
        if workshop.closes_at > settled:
            continue  # the grace period is not over long enough: the bill is still settling
        owners = list(workshop.owners.filter(is_active=True).order_by("pk"))
        if not owners:
            continue
        spend = workshop_spend(workshop)
        for owner in owners:
            email_enqueue_for(
                recipient=owner,
                kind=EmailKind.WORKSHOP_COST,
                key=f"{EmailKind.WORKSHOP_COST}:{workshop.pk}:{owner.pk}",
                # The button opens the SA's workshop page, where the same figures are, not the admin.
                context={
                    "workshop": workshop,
                    "spend": spend,
                    "workshop_admin_link": site_link("staff:workshop", workshop.pk),
                },
                workshop_id=workshop.pk,
            )
            queued += 1
    return queued
