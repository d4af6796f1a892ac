"""Reads of workshops that pages and the admin share."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts import roles
from accounts.models import User
from workshops.models import FINISHED_STAGES, Registration, RegistrationStatus, Stage, Workshop
from workshops.registrations import waitlist_position


def workshops_visible_to(user: User) -> QuerySet[Workshop]:
    """SAs see every workshop; AMs every published one; anyone else none."""
    workshops = Workshop.objects.select_related("topic").annotate(reserved_accounts=Count("sandbox_accounts"))
    if roles.is_solutions_architect(user):
        return workshops
    if roles.is_account_manager(user):
        return workshops.exclude(stage=Stage.DRAFT)
    return workshops.none()


def seats_left(workshop: Workshop) -> int:
    """Seats not yet confirmed to anyone; 0 means new registrations go to the waitlist."""
    confirmed = workshop.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
    return max(0, workshop.capacity - confirmed)


def with_waitlist_position(registration: Registration) -> Registration:
    """`registration` with `waitlist_position` set: its place in line, or None when not waiting."""
    registration.waitlist_position = (
        waitlist_position(registration) if registration.status == RegistrationStatus.WAITLISTED else None
    )
    return registration


def registration_held(*, attendee: User, workshop: Workshop) -> Registration | None:
    """The person's seat or waitlist place at `workshop` (with `waitlist_position`), if they hold one."""
    registration = (
        Registration.objects.filter(workshop=workshop, attendee=attendee)
        .exclude(status=RegistrationStatus.CANCELLED)
        .first()
    )
    return with_waitlist_position(registration) if registration else None


def registrations_of(attendee: User, *, now=None) -> tuple[list[Registration], list[Registration]]:
    """A customer's registrations: (upcoming, soonest first; past, latest first), with waitlist positions."""
    now = now or timezone.now()
    registrations = [
        with_waitlist_position(r)
        for r in Registration.objects.select_related("workshop__topic", "credential", "survey_answer").filter(
            attendee=attendee
        )
    ]

    def is_over(registration: Registration) -> bool:
        # A workshop an SA closed before its planned end is over too.
        return registration.workshop.ends_at < now or registration.workshop.stage in FINISHED_STAGES

    upcoming = sorted((r for r in registrations if not is_over(r)), key=lambda r: r.workshop.starts_at)
    past = sorted((r for r in registrations if is_over(r)), key=lambda r: r.workshop.starts_at, reverse=True)
    return upcoming, past


def _attributed_counts(account_manager: User) -> dict[str, Count]:
    mine = Q(registrations__account_manager=account_manager)
    return {
        "registered": Count(
            "registrations",
            filter=mine & Q(registrations__status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]),
        ),
        "confirmed": Count("registrations", filter=mine & Q(registrations__status=RegistrationStatus.CONFIRMED)),
        "waitlisted": Count("registrations", filter=mine & Q(registrations__status=RegistrationStatus.WAITLISTED)),
        "cancelled": Count("registrations", filter=mine & Q(registrations__status=RegistrationStatus.CANCELLED)),
    }


def workshops_of_account_manager(account_manager: User) -> QuerySet[Workshop]:
    """Published workshops the AM takes part in, with counts of the registrations attributed to them."""
    return (
        Workshop.objects.select_related("topic")
        .filter(account_managers=account_manager)
        .exclude(stage=Stage.DRAFT)
        .annotate(**_attributed_counts(account_manager))
        .order_by("-starts_at", "pk")
    )
