"""Reads the staff pages share: workshops with their counts, attendees, the next automatic step.

Every list is one query (plus a count where it pages) whatever its length: counts are subqueries
and the rows come with what they show joined in, so a page never asks once per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.models import EmailStatus, OutboundEmail
from workshops.models import (
    ACTIVE_STAGES,
    AccountFreeze,
    Credential,
    Registration,
    RegistrationStatus,
    SandboxAccount,
    SandboxAccountState,
    Stage,
    StageChange,
    Workshop,
)

# What the SA home lists: everything not yet over.
# Reservations matter while a workshop waits for its day (as on the admin's list).
# Accounts that count as the workshop's own when it is edited: reserved, or already handed out.
HELD_STATES = (SandboxAccountState.ASSIGNED, SandboxAccountState.IN_USE)
EMAILS_SHOWN = 50
FINISHED_SHOWN_DAYS = 30


def _count_of(queryset: QuerySet, *, link: str = "workshop") -> Coalesce:
    """A correlated COUNT per workshop: several of them on one row never multiply each other."""
    counted = queryset.filter(**{link: OuterRef("pk")}).order_by().values(link).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _registrations(status: str) -> Coalesce:
    return _count_of(Registration.objects.filter(status=status))


def workshops_with_counts() -> QuerySet[Workshop]:
    """Workshops with seats taken, waitlist and reserved accounts counted in the same query."""
    return Workshop.objects.select_related("topic").annotate(
        confirmed=_registrations(RegistrationStatus.CONFIRMED),
        waitlisted=_registrations(RegistrationStatus.WAITLISTED),
        reserved_accounts=_count_of(SandboxAccount.objects.all()),
    )


def workshops_active() -> QuerySet[Workshop]:
    """The SA home: every workshop not yet over, soonest first."""
    return workshops_with_counts().filter(stage__in=ACTIVE_STAGES).order_by("starts_at", "pk")


def workshops_recently_finished(*, days: int = FINISHED_SHOWN_DAYS, limit: int = 20) -> QuerySet[Workshop]:
    """Closed or cancelled workshops that ended lately: their cleanup and check-in still need a look."""
    since = timezone.now() - timedelta(days=days)
    return (
        Workshop.objects.select_related("topic")
        .filter(stage__in=(Stage.CLOSED, Stage.CANCELLED), ends_at__gte=since)
        .order_by("-ends_at", "-pk")[:limit]
    )


def workshop_for_staff(workshop_id: int) -> Workshop:
    return workshops_with_counts().get(pk=workshop_id)


# --- The next automatic step ---------------------------------------------------------------------


@dataclass(frozen=True)
class NextStep:
    target: str  # the stage the workshop will be in
    at: datetime  # when the beat task makes the move (it runs every minute)
    description: str

    @property
    def overdue(self) -> bool:
        return self.at <= timezone.now()


def workshop_next_step(workshop: Workshop) -> NextStep | None:
    """What `workshops.services.workshops_advance_due` will do next to this workshop, and when.

    Read from the same fields the beat driver compares with the clock: the registration deadline,
    the provisioning time (start minus lead time), and the close time (end plus grace). A
    workshop whose provisioning time comes no later than its deadline closes registration and
    starts in one tick.
    """
    if workshop.stage == Stage.REGISTRATION_OPEN:
        if workshop.provisioning_at <= workshop.registration_deadline:
            return NextStep(
                Stage.RUNNING,
                workshop.provisioning_at,
                _("Registration closes and the workshop starts: sandbox accounts handed out, attendees emailed."),
            )
        return NextStep(
            Stage.REGISTRATION_CLOSED,
            workshop.registration_deadline,
            _("Registration closes; Account Managers get their digest."),
        )
    if workshop.stage == Stage.REGISTRATION_CLOSED:
        return NextStep(
            Stage.RUNNING,
            workshop.provisioning_at,
            _("The workshop starts: sandbox accounts handed out, attendees emailed a link to their credentials."),
        )
    if workshop.stage == Stage.RUNNING:
        return NextStep(
            Stage.CLOSED,
            workshop.closes_at,
            _("The workshop closes: credentials revoked, accounts cleaned, survey sent."),
        )
    return None  # a draft waits for an SA; finished workshops have no automatic step here


# --- Attendees -----------------------------------------------------------------------------------

# The sort keys the attendee table offers, each with a stable tie-breaker.
ATTENDEE_SORTS = {
    "name": ("last_name_lower", "first_name_lower", "pk"),
    "email": ("attendee__email", "pk"),
    "company": ("organisation__name", "attendee__email", "pk"),
    "status": ("status", "queued_at", "pk"),
    "registered": ("queued_at", "pk"),
    "credential": ("credential__status", "queued_at", "pk"),
    "attended": ("attended", "last_name_lower", "pk"),
}
DEFAULT_SORT = "registered"


def workshop_attendees(
    workshop: Workshop, *, search: str = "", status: str = "", sort: str = DEFAULT_SORT
) -> QuerySet[Registration]:
    """A workshop's registrations with the person, company, AM and credential joined in."""
    registrations = (
        Registration.objects.filter(workshop=workshop)
        .select_related("attendee__organisation", "organisation", "account_manager", "credential__sandbox_account")
        .defer("credential__password_encrypted")
        .annotate(last_name_lower=Lower("attendee__last_name"), first_name_lower=Lower("attendee__first_name"))
    )
    if status in RegistrationStatus.values:
        registrations = registrations.filter(status=status)
    search = search.strip()
    if search:
        full_name = Concat("attendee__first_name", Value(" "), "attendee__last_name")
        registrations = registrations.alias(full_name=full_name).filter(
            Q(full_name__icontains=search)
            | Q(attendee__email__icontains=search)
            | Q(organisation__name__icontains=search)
            | Q(attendee__organisation__name__icontains=search)
        )
    descending = sort.startswith("-")
    keys = ATTENDEE_SORTS.get(sort.lstrip("-"), ATTENDEE_SORTS[DEFAULT_SORT])
    return registrations.order_by(*(f"-{key}" if descending else key for key in keys))


def workshop_check_in_list(workshop: Workshop, *, search: str = "") -> QuerySet[Registration]:
    """Confirmed attendees by name: the list an SA ticks at the door."""
    return workshop_attendees(workshop, search=search, status=RegistrationStatus.CONFIRMED, sort="name")


@dataclass(frozen=True)
class AttendanceCounts:
    attended: int
    no_show: int
    unmarked: int


def attendance_counts(workshop: Workshop) -> AttendanceCounts:
    counts = Registration.objects.filter(workshop=workshop, status=RegistrationStatus.CONFIRMED).aggregate(
        came=Count("pk", filter=Q(attended=True)),
        stayed_away=Count("pk", filter=Q(attended=False)),
        unmarked=Count("pk", filter=Q(attended__isnull=True)),
    )
    return AttendanceCounts(attended=counts["came"], no_show=counts["stayed_away"], unmarked=counts["unmarked"])


def credential_for_staff(workshop: Workshop, credential_id: int) -> Credential:
    return Credential.objects.select_related("registration__workshop", "sandbox_account").get(
        pk=credential_id, registration__workshop=workshop
    )


# --- The pool ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PoolRoom:
    available: int  # in the pool, reserved for nobody
    held: int  # already this workshop's (reserved or in use)

    @property
    def accounts(self) -> int:
        return self.available + self.held


def pool_room(workshop: Workshop | None = None) -> PoolRoom:
    """How many sandbox accounts a workshop could have: the free ones plus those it already holds."""
    mine = Q(workshop=workshop, state__in=HELD_STATES) if workshop is not None and workshop.pk else Q(pk__in=[])
    counts = SandboxAccount.objects.aggregate(
        available=Count("pk", filter=Q(state=SandboxAccountState.AVAILABLE, workshop__isnull=True)),
        held=Count("pk", filter=mine),
    )
    return PoolRoom(available=counts["available"], held=counts["held"])


# --- Emails and history --------------------------------------------------------------------------


def workshop_emails(workshop: Workshop) -> tuple[list[OutboundEmail], dict[str, int]]:
    """The latest emails about a workshop (without their bodies) and how many there are per status."""
    latest = list(
        OutboundEmail.objects.filter(workshop=workshop)
        .defer("body_text", "body_html", "calendar")
        .order_by("-created_at", "-pk")[:EMAILS_SHOWN]
    )
    per_status = dict(
        OutboundEmail.objects.filter(workshop=workshop).order_by().values_list("status").annotate(n=Count("pk"))
    )
    return latest, {status: per_status.get(status, 0) for status in EmailStatus.values}


def labelled_counts(counts: dict[str, int], choices) -> list[tuple[str, str, int]]:
    """(value, translated label, count) for each status that has any, in the choices' order."""
    return [(value, choices(value).label, counts[value]) for value in choices.values if counts.get(value)]


def workshop_history(workshop: Workshop) -> QuerySet[StageChange]:
    return StageChange.objects.filter(workshop=workshop).select_related("actor").order_by("-created_at", "-pk")


def workshop_latest_cleanup_run(workshop: Workshop):
    from cleaner.models import CleanupRun

    return CleanupRun.objects.filter(workshop=workshop).order_by("-created_at", "-pk").first()


def workshop_freezes(workshop: Workshop) -> list[AccountFreeze]:
    """The workshop's accounts frozen over budget, those still frozen first."""
    return list(
        AccountFreeze.objects.filter(workshop=workshop)
        .select_related("account", "unfrozen_by")
        .order_by(F("unfrozen_at").desc(nulls_first=True), "account__aws_account_id")
    )
