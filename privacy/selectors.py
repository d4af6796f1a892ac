"""Reads of the privacy app: who is due for anonymisation, who may not be, and a person's own data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import F, Max, Min, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from accounts.models import CustomerOrganisation, User
from notifications.models import OutboundEmail, SuppressedAddress
from workshops.models import (
    ACTIVE_STAGES,
    OVER_STAGES,
    CredentialView,
    Registration,
    RegistrationStatus,
    Stage,
    StageChange,
    Workshop,
)

# An anonymised person's email is `anonymised-<id>@` this reserved domain (RFC 2606): unique, valid
# for the field, never deliverable, and the mark by which a later run knows the person is done.
PLACEHOLDER_DOMAIN = "anonymised.invalid"


# An anonymised organisation's normalised name: a leading space, which normalise_organisation_name
# never leaves, so no company a customer types can ever match it (or collide with it).
ORGANISATION_PLACEHOLDER_PREFIX = " anonymised-organisation-"


def sole_trader_organisations(people: QuerySet[User]) -> QuerySet[CustomerOrganisation]:
    """Organisations a customer typed whose one and only member ever is among `people`, not yet anonymised.

    A member ever: anyone whose profile names the organisation now, or whom any registration
    records at it (a registration keeps the organisation of its day). One person and no other,
    across both, and the name is likely theirs (a sole trader's): it goes with them. An
    organisation staff created is a company the AM knows, never a person's name, and stays.
    Lazy, as customers_due: the smallest and largest member id of each organisation, from both
    sources, are subqueries; they are equal exactly when there is one member.
    """
    profiles = User.objects.filter(organisation=OuterRef("pk")).order_by().values("organisation")
    registrations = Registration.objects.filter(organisation=OuterRef("pk")).order_by().values("organisation")

    def ends(aggregate, field: str, rows: QuerySet) -> Subquery:
        return Subquery(rows.annotate(end=aggregate(field)).values("end"))

    first_profile, last_profile = ends(Min, "pk", profiles), ends(Max, "pk", profiles)
    first_attendee, last_attendee = ends(Min, "attendee", registrations), ends(Max, "attendee", registrations)
    return (
        CustomerOrganisation.objects.filter(origin=CustomerOrganisation.Origin.TYPED)
        .exclude(normalised_name__startswith=ORGANISATION_PLACEHOLDER_PREFIX)
        .alias(
            # Least and Greatest are NULL when any argument is: an organisation with members on one
            # side only takes that side's ends for both.
            first_member=Least(Coalesce(first_profile, first_attendee), Coalesce(first_attendee, first_profile)),
            last_member=Greatest(Coalesce(last_profile, last_attendee), Coalesce(last_attendee, last_profile)),
        )
        .filter(first_member=F("last_member"), first_member__in=people.order_by().values("pk"))
    )


def anonymised_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}email__endswith": f"@{PLACEHOLDER_DOMAIN}"})


def customers() -> QuerySet[User]:
    """Everyone anonymisation may touch: never staff, superusers or anyone holding a staff role."""
    return User.objects.filter(is_staff=False, is_superuser=False, groups__isnull=True)


def workshops_past_retention(*, cutoff: datetime) -> QuerySet[Workshop]:
    """Workshops that closed (or were cancelled) before `cutoff`, and ended before it too.

    The clock starts at the later of the end and the last move into closed or cancelled, so a
    workshop cancelled weeks ahead keeps its registrations until its own date has passed as well.
    """
    finished_at = (
        StageChange.objects.filter(workshop=OuterRef("pk"), target__in=[Stage.CLOSED, Stage.CANCELLED])
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return (
        Workshop.objects.filter(stage__in=OVER_STAGES)
        .alias(finished_at=Greatest("ends_at", Coalesce(Subquery(finished_at), "ends_at")))
        .filter(finished_at__lt=cutoff)
    )


def customers_due(
    *, past: QuerySet[Workshop], chosen: QuerySet[Workshop], idle_before: datetime | None = None
) -> QuerySet[User]:
    """Customers registered for a `chosen` workshop and for nothing outside `past`, not yet anonymised.

    With `idle_before`, also the customers who signed up but never registered for anything and
    have not signed in since that time: their profile is kept for no workshop at all.
    Lazy on purpose: the services hand it to the database as a subquery of each UPDATE.
    """
    registered = Registration.objects.values("attendee")
    of_chosen = Q(pk__in=Registration.objects.filter(workshop__in=chosen).values("attendee"))
    if idle_before is not None:
        idle = Q(date_joined__lt=idle_before) & (Q(last_login__isnull=True) | Q(last_login__lt=idle_before))
        of_chosen |= idle & ~Q(pk__in=registered)
    return (
        customers()
        .exclude(anonymised_q())
        .filter(of_chosen)
        .exclude(pk__in=Registration.objects.exclude(workshop__in=past).values("attendee"))
    )


def workshops_done(*, chosen: QuerySet[Workshop], leaving: QuerySet[User]) -> list[int]:
    """Closed workshops among `chosen` whose every customer is anonymised once `leaving` are."""
    remaining = customers().exclude(anonymised_q()).exclude(pk__in=leaving)
    return list(
        chosen.filter(stage=Stage.CLOSED)
        .exclude(pk__in=Registration.objects.filter(attendee__in=remaining).values("workshop"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


# --- Anonymising one person now ---------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why someone cannot be anonymised right now, and the workshops in the way."""

    reason: str  # "staff", "anonymised", "running" or "upcoming"
    workshops: list[Workshop] = field(default_factory=list)


def anonymisation_refusal(person: User) -> Refusal | None:
    """None if `person` may be anonymised now; else why not."""
    if not customers().filter(pk=person.pk).exists():
        return Refusal("staff")
    if person.email.endswith(f"@{PLACEHOLDER_DOMAIN}"):
        return Refusal("anonymised")
    holding = list(
        Workshop.objects.filter(
            registrations__attendee=person,
            registrations__status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED],
            stage__in=ACTIVE_STAGES,
        ).order_by("starts_at")
    )
    running = [workshop for workshop in holding if workshop.stage == Stage.RUNNING]
    if running:
        return Refusal("running", running)
    if holding:
        return Refusal("upcoming", holding)
    return None


def people_holding_places() -> QuerySet[Registration]:
    """Registrations that block anonymising their attendee now (see anonymisation_refusal)."""
    # A place in an active workshop is a place someone else could have: it is given up through the
    # normal cancellation (which promotes the waitlist), not silently by anonymisation.
    return Registration.objects.filter(
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED], workshop__stage__in=ACTIVE_STAGES
    )


# --- "Download my data" ------------------------------------------------------------------------------


def _when(value):
    return value.isoformat() if value else None


def person_data(person: User) -> dict:
    """Everything the portal holds on `person`, as plain data for a JSON file."""
    organisation = person.organisation
    registrations = (
        Registration.objects.filter(attendee=person)
        .select_related(
            "workshop",
            "workshop__topic",
            "organisation",
            "account_manager",
            "survey_answer",
            "credential__sandbox_account",
        )
        .order_by("queued_at", "pk")
    )
    credential_views = CredentialView.objects.filter(credential__registration__attendee=person).order_by("at", "pk")
    views_by_credential: dict[int, list[dict]] = {}
    for view in credential_views:
        views_by_credential.setdefault(view.credential_id, []).append(
            {"action": view.get_action_display(), "at": _when(view.at)}
        )
    registration_rows = []
    for registration in registrations:
        workshop = registration.workshop
        row = {
            "workshop": {
                "id": workshop.pk,
                "title": workshop.title,
                "topic": workshop.topic.name,
                "starts_at": _when(workshop.starts_at),
                "ends_at": _when(workshop.ends_at),
                "stage": workshop.get_stage_display(),
            },
            "status": registration.get_status_display(),
            "registered_at": _when(registration.queued_at),
            "confirmed_at": _when(registration.confirmed_at),
            "cancelled_at": _when(registration.cancelled_at),
            "organisation": registration.organisation.name if registration.organisation else None,
            "account_manager": str(registration.account_manager) if registration.account_manager else None,
            "attended": registration.attended,
            "survey_answer": None,
            "credential": None,
        }
        answer = getattr(registration, "survey_answer", None)
        if answer is not None:
            row["survey_answer"] = {
                "satisfaction": answer.satisfaction,
                "would_recommend": answer.would_recommend,
                "comment": answer.comment,
                "answered_at": _when(answer.answered_at),
            }
        credential = getattr(registration, "credential", None)
        if credential is not None:
            # Never the password: a file on someone's laptop outlives the workshop.
            row["credential"] = {
                "aws_account_id": credential.sandbox_account.aws_account_id,
                "iam_user_name": credential.iam_user_name,
                "status": credential.get_status_display(),
                "provisioned_at": _when(credential.provisioned_at),
                "revoked_at": _when(credential.revoked_at),
                "views": views_by_credential.get(credential.pk, []),
            }
        registration_rows.append(row)
    emails = (
        OutboundEmail.objects.filter(Q(recipient=person) | Q(registration__attendee=person) | Q(to=person.email))
        .distinct()
        .order_by("created_at", "pk")
    )
    return {
        "generated_at": _when(timezone.now()),
        "profile": {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "job_title": person.job_title,
            "phone": person.phone,
            "country": str(person.country.name) if person.country else "",
            "preferred_language": person.preferred_language,
            "organisation": {"name": organisation.name, "country": str(organisation.country.name)}
            if organisation
            else None,
            "joined_at": _when(person.date_joined),
            "last_sign_in_at": _when(person.last_login),
            "privacy_notice_version": person.privacy_consent_version,
            "privacy_consent_at": _when(person.privacy_consent_at),
            "retention_days_after_last_workshop": settings.CPP_GDPR_RETENTION_DAYS,
        },
        "registrations": registration_rows,
        "emails": [
            {
                "kind": email.get_kind_display(),
                "subject": email.subject,
                "to": email.to,
                "status": email.get_status_display(),
                "queued_at": _when(email.created_at),
                "sent_at": _when(email.sent_at),
            }
            for email in emails
        ],
        "email_suppressed": SuppressedAddress.objects.filter(email=person.email).exists(),
    }
