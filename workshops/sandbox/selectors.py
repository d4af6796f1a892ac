"""Reads of the sandbox side that pages, emails and the cleaner share: what a workshop's accounts cost, which
regions the guardrails allowed while it held them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db.models import Count, Sum

from workshops.models import AccountSpend, Credential, RegionsAllowed, SpendRead, Workshop


def hold_days(workshop: Workshop) -> tuple[date, date]:
    """The first and last day (UTC, as Cost Explorer counts them) the workshop held its accounts."""
    return workshop.provisioning_at.astimezone(UTC).date(), workshop.closes_at.astimezone(UTC).date()


def per_head(amount: Decimal, people: int) -> Decimal | None:
    return (amount / people).quantize(Decimal("0.01")) if people else None


@dataclass(frozen=True)
class AccountCost:
    aws_account_id: str
    name: str
    amount: Decimal
    attendees: int

    @property
    def per_attendee(self) -> Decimal | None:
        return per_head(self.amount, self.attendees)


@dataclass(frozen=True)
class ServiceCost:
    service: str
    amount: Decimal


@dataclass
class WorkshopSpend:
    """A workshop's bill as last read: per account, per service, in total and per attendee."""

    total: Decimal = Decimal(0)
    currency: str = "USD"
    attendees: int = 0  # people who had a sandbox account (a credential) at it
    accounts: list[AccountCost] = field(default_factory=list)
    services: list[ServiceCost] = field(default_factory=list)
    read_at: datetime | None = None  # the last good read that covered its days; None if never read
    failed_read: SpendRead | None = None  # a later read that failed, to say the figures may be stale

    @property
    def per_attendee(self) -> Decimal | None:
        return per_head(self.total, self.attendees)


def workshop_spend(workshop: Workshop) -> WorkshopSpend:
    """What the workshop's sandbox accounts cost while it held them: four queries."""
    rows = AccountSpend.objects.filter(workshop=workshop)
    by_account = {
        row["sandbox_account"]: row
        for row in rows.values("sandbox_account", "sandbox_account__aws_account_id", "sandbox_account__name")
        .annotate(amount=Sum("amount"))
        .order_by()
    }
    by_service = rows.values("service", "currency").annotate(amount=Sum("amount")).order_by("-amount", "service")
    people = dict(
        Credential.objects.filter(registration__workshop=workshop)
        .values("sandbox_account")
        .annotate(n=Count("registration", distinct=True))
        .values_list("sandbox_account", "n")
    )
    spend = WorkshopSpend(attendees=sum(people.values()))
    spend.services = [ServiceCost(row["service"], row["amount"]) for row in by_service]
    spend.total = sum((s.amount for s in spend.services), Decimal(0))
    spend.currency = next((row["currency"] for row in by_service), "USD")
    spend.accounts = sorted(
        (
            AccountCost(
                aws_account_id=row["sandbox_account__aws_account_id"],
                name=row["sandbox_account__name"],
                amount=row["amount"],
                attendees=people.get(pk, 0),
            )
            for pk, row in by_account.items()
        ),
        key=lambda a: (-a.amount, a.aws_account_id),
    )
    first, last = hold_days(workshop)
    reads = SpendRead.objects.filter(first_day__lte=last, last_day__gte=first)
    good = reads.filter(error="").first()
    spend.read_at = good.started_at if good else None
    latest = reads.first()
    spend.failed_read = latest if latest is not None and latest.error else None
    return spend


def regions_allowed_between(start: datetime, end: datetime) -> list[str] | None:
    """Every region the guardrails allowed at some time from `start` to `end`; None when that is not known.

    Not known: no record goes back to `start` (the guardrails were never applied from the portal,
    or not before then). The cleaner then sweeps every enabled region.
    """
    in_force = RegionsAllowed.objects.filter(since__lte=start).order_by("-since", "-pk").first()
    if in_force is None:
        return None
    regions = set(in_force.regions)
    for later in RegionsAllowed.objects.filter(since__gt=start, since__lte=end).values_list("regions", flat=True):
        regions.update(later)
    return sorted(regions)
