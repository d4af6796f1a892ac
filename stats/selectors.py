"""The programme's statistics, and an Account Manager's view of their customers.

Definitions (the statistics page prints them too):

- a *delivered* workshop is one that ran: running, closed or anonymised;
- an *attendee* is a confirmed registration at a delivered workshop that was not marked a
  no-show (`attended` True, or not marked: many check-in lists are never ticked);
- a *customer* is a distinct customer organisation among the attendees (the organisation
  recorded on the registration);
- *satisfaction* is the mean score of the survey answers of attendees;
- *cost* is what the workshop's sandbox accounts cost while it held them, as last read from AWS
  Cost Explorer (workshops.sandbox.spend), in USD; *cost per attendee* divides it by the attendees.

Everything is counted from organisations, registration status, attendance and survey scores, never
from names or emails, so the figures read the same after the customers' personal data is
anonymised. Each function runs a fixed number of aggregate queries, whatever the number of rows.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Avg, Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from accounts.models import User
from workshops.models import (
    DELIVERED_STAGES,
    AccountSpend,
    Registration,
    RegistrationStatus,
    SandboxAccount,
    SandboxAccountState,
    Stage,
    SurveyAnswer,
    Workshop,
)


def attendee_q(prefix: str = "") -> Q:
    """Confirmed and not a marked no-show; `prefix` reaches a registration from another model."""
    return Q(**{f"{prefix}status": RegistrationStatus.CONFIRMED}) & (
        Q(**{f"{prefix}attended": True}) | Q(**{f"{prefix}attended__isnull": True})
    )


@dataclass
class Figures:
    """The figures the programme reports, for one month, one topic, or everything."""

    key: object = None  # the month (a datetime) or the topic's name; None for the totals
    workshops: int = 0
    attendees: int = 0
    customers: int = 0
    answers: int = 0
    satisfaction: float | None = None
    recommend: int = 0
    cost: Decimal = Decimal(0)

    @property
    def recommend_rate(self) -> float | None:
        return self.recommend / self.answers if self.answers else None

    @property
    def cost_per_attendee(self) -> Decimal | None:
        return cost_per_attendee(self.cost, self.attendees)


def cost_per_attendee(cost: Decimal, attendees: int) -> Decimal | None:
    return (cost / attendees).quantize(Decimal("0.01")) if attendees else None


def _in_year(year: int | None, prefix: str = "") -> Q:
    """Workshops that started in `year` (in the portal's time zone); every workshop when None."""
    return Q(**{f"{prefix}starts_at__year": year}) if year is not None else Q()


def _delivered_workshops(year: int | None) -> QuerySet[Workshop]:
    return Workshop.objects.filter(_in_year(year), stage__in=DELIVERED_STAGES)


def _delivered_registrations(year: int | None) -> QuerySet[Registration]:
    return Registration.objects.filter(attendee_q(), _in_year(year, "workshop__"), workshop__stage__in=DELIVERED_STAGES)


def _attendee_answers(year: int | None) -> QuerySet[SurveyAnswer]:
    return SurveyAnswer.objects.filter(
        attendee_q("registration__"), _in_year(year, "workshop__"), workshop__stage__in=DELIVERED_STAGES
    )


def _delivered_spend(year: int | None) -> QuerySet[AccountSpend]:
    return AccountSpend.objects.filter(_in_year(year, "workshop__"), workshop__stage__in=DELIVERED_STAGES)


def years_delivered() -> list[int]:
    """The years in which workshops were delivered, latest first: one query."""
    return [moment.year for moment in _delivered_workshops(None).dates("starts_at", "year", order="DESC")]


def programme_totals(*, year: int | None = None) -> Figures:
    """Everything delivered (in `year`, if given): four aggregate queries."""
    totals = Figures(workshops=_delivered_workshops(year).count())
    people = _delivered_registrations(year).aggregate(
        attendees=Count("pk"), customers=Count("organisation", distinct=True)
    )
    scores = _attendee_answers(year).aggregate(
        answers=Count("pk"),
        mean_satisfaction=Avg("satisfaction"),
        recommend=Count("pk", filter=Q(would_recommend=True)),
    )
    totals.attendees, totals.customers = people["attendees"], people["customers"]
    totals.answers, totals.recommend = scores["answers"], scores["recommend"]
    totals.satisfaction = scores["mean_satisfaction"]
    totals.cost = _delivered_spend(year).aggregate(cost=Sum("amount"))["cost"] or Decimal(0)
    return totals


def _grouped(workshop_key, via_workshop_key, year: int | None) -> list[Figures]:
    """Figures per value of a workshop attribute: one query per source, merged here."""
    rows: dict[object, Figures] = defaultdict(Figures)
    workshops = (
        _delivered_workshops(year).annotate(group=workshop_key).values("group").annotate(n=Count("pk")).order_by()
    )
    for row in workshops:
        rows[row["group"]].workshops = row["n"]
    people = (
        _delivered_registrations(year)
        .annotate(group=via_workshop_key)
        .values("group")
        .annotate(attendees=Count("pk"), customers=Count("organisation", distinct=True))
        .order_by()
    )
    for row in people:
        rows[row["group"]].attendees = row["attendees"]
        rows[row["group"]].customers = row["customers"]
    scores = (
        _attendee_answers(year)
        .annotate(group=via_workshop_key)
        .values("group")
        .annotate(
            answers=Count("pk"),
            mean_satisfaction=Avg("satisfaction"),
            recommend=Count("pk", filter=Q(would_recommend=True)),
        )
        .order_by()
    )
    for row in scores:
        figures = rows[row["group"]]
        figures.answers, figures.recommend = row["answers"], row["recommend"]
        figures.satisfaction = row["mean_satisfaction"]
    spend = _delivered_spend(year).annotate(group=via_workshop_key).values("group").annotate(cost=Sum("amount"))
    for row in spend.order_by():
        rows[row["group"]].cost = row["cost"]
    for key, figures in rows.items():
        figures.key = key
    return list(rows.values())


def figures_by_month(*, year: int | None = None) -> list[Figures]:
    """Per calendar month of the workshops' start (in the portal's time zone), oldest first."""
    months = _grouped(TruncMonth("starts_at"), TruncMonth("workshop__starts_at"), year)
    return sorted(months, key=lambda f: f.key or datetime.min)


def figures_by_topic(*, year: int | None = None) -> list[Figures]:
    """Per topic, by name."""
    topics = _grouped(F("topic__name"), F("workshop__topic__name"), year)
    return sorted(topics, key=lambda f: str(f.key).casefold())


# --- Account Managers ----------------------------------------------------------------------------


@dataclass
class AccountManagerFigures:
    """What came of an AM's invitations, at workshops that were not cancelled."""

    account_manager_id: int | None
    name: str
    invited: int = 0  # registrations attributed to them, whatever became of them
    registered: int = 0  # of which confirmed (a seat)
    attended: int = 0  # of which marked present
    no_shows: int = 0  # of which marked absent

    @property
    def no_show_rate(self) -> float | None:
        """No-shows among the confirmed registrations whose attendance was marked."""
        marked = self.attended + self.no_shows
        return self.no_shows / marked if marked else None


def account_manager_figures(
    *, account_manager: User | None = None, year: int | None = None
) -> list[AccountManagerFigures]:
    """One row per AM (and one for registrations nobody invited); only `account_manager`'s if given."""
    registrations = Registration.objects.filter(_in_year(year, "workshop__")).exclude(
        workshop__stage__in=(Stage.DRAFT, Stage.CANCELLED)
    )
    if account_manager is not None:
        registrations = registrations.filter(account_manager=account_manager)
    confirmed = Q(status=RegistrationStatus.CONFIRMED)
    rows = (
        registrations.values(
            "account_manager", "account_manager__first_name", "account_manager__last_name", "account_manager__email"
        )
        .annotate(
            # Prefixed: an annotation named like a field ("attended") would shadow it in the filters.
            n_invited=Count("pk"),
            n_registered=Count("pk", filter=confirmed),
            n_attended=Count("pk", filter=confirmed & Q(attended=True)),
            n_no_shows=Count("pk", filter=confirmed & Q(attended=False)),
        )
        .order_by()
    )
    figures = []
    for row in rows:
        am_id = row["account_manager"]
        if am_id is None:
            name = ""
        else:
            full = f"{row['account_manager__first_name']} {row['account_manager__last_name']}".strip()
            name = full or row["account_manager__email"]
        figures.append(
            AccountManagerFigures(
                account_manager_id=am_id,
                name=name,
                invited=row["n_invited"],
                registered=row["n_registered"],
                attended=row["n_attended"],
                no_shows=row["n_no_shows"],
            )
        )
    # AMs by name; registrations nobody invited last.
    return sorted(figures, key=lambda f: (f.account_manager_id is None, f.name.casefold(), f.account_manager_id or 0))


# --- Sandbox pool --------------------------------------------------------------------------------


@dataclass
class PoolUse:
    workshop_id: int
    title: str
    starts_at: datetime
    attendees: int
    accounts_needed: int  # for the seats, at the workshop's team size
    accounts_used: int  # sandbox accounts that held an attendee's credentials
    pool_size: int  # accounts in the pool today (all but the retired)
    cost: Decimal = Decimal(0)

    @property
    def share_of_pool(self) -> float | None:
        return self.accounts_used / self.pool_size if self.pool_size else None

    @property
    def cost_per_attendee(self) -> Decimal | None:
        return cost_per_attendee(self.cost, self.attendees)


def pool_size() -> int:
    return SandboxAccount.objects.exclude(state=SandboxAccountState.RETIRED).count()


def pool_use_by_workshop(*, year: int | None = None) -> list[PoolUse]:
    """Per delivered workshop, newest first: accounts used against the pool's size, and the cost. Three queries."""
    size = pool_size()
    rows = (
        _delivered_workshops(year)
        .annotate(
            attendee_count=Count("registrations", filter=attendee_q("registrations__"), distinct=True),
            accounts_used=Count("registrations__credential__sandbox_account", distinct=True),
        )
        .values("pk", "title", "starts_at", "capacity", "attendees_per_account", "attendee_count", "accounts_used")
        .order_by("-starts_at", "pk")
    )
    costs = {
        row["workshop"]: row["cost"]
        for row in _delivered_spend(year).values("workshop").annotate(cost=Sum("amount")).order_by()
    }
    return [
        PoolUse(
            workshop_id=row["pk"],
            title=row["title"],
            starts_at=row["starts_at"],
            attendees=row["attendee_count"],
            accounts_needed=math.ceil(row["capacity"] / row["attendees_per_account"]),
            accounts_used=row["accounts_used"],
            pool_size=size,
            cost=costs.get(row["pk"], Decimal(0)),
        )
        for row in rows
    ]


# --- An Account Manager's customers --------------------------------------------------------------


@dataclass
class CustomerGroup:
    """An organisation's registrations that an AM may see, with its tallies."""

    organisation_id: int | None
    name: str
    registrations: list[Registration] = field(default_factory=list)
    confirmed: int = 0
    attended: int = 0
    no_shows: int = 0
    not_marked: int = 0


def customers_of_account_manager(account_manager: User) -> list[CustomerGroup]:
    """The registrations of an AM's customers, grouped by organisation: one query.

    Their customers are the registrations attributed to them and those of the organisations
    they manage; nobody else's.
    """
    am_id = account_manager.pk
    registrations = (
        Registration.objects.filter(Q(account_manager=am_id) | Q(organisation__account_manager=am_id))
        .exclude(workshop__stage=Stage.DRAFT)
        .select_related("attendee", "organisation", "workshop")
        .order_by("organisation__name", "organisation_id", "-workshop__starts_at", "workshop_id", "queued_at", "pk")
    )
    groups: dict[int | None, CustomerGroup] = {}
    for registration in registrations:
        organisation = registration.organisation
        group = groups.get(registration.organisation_id)
        if group is None:
            group = groups[registration.organisation_id] = CustomerGroup(
                organisation_id=registration.organisation_id, name=organisation.name if organisation else ""
            )
        group.registrations.append(registration)
        if registration.status == RegistrationStatus.CONFIRMED:
            group.confirmed += 1
            if registration.attended is True:
                group.attended += 1
            elif registration.attended is False:
                group.no_shows += 1
            else:
                group.not_marked += 1
    return list(groups.values())
