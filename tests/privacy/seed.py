"""A small programme with distinctive personal values in every place the portal keeps them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone

from accounts.models import User
from notifications.models import EmailKind, OutboundEmail, SuppressedAddress, SuppressionReason
from tests import factories
from workshops.models import (
    Credential,
    CredentialView,
    Registration,
    RegistrationStatus,
    Stage,
    StageChange,
    SurveyAnswer,
    Workshop,
)


@dataclass
class Programme:
    sa: User
    am: User
    past: Workshop  # closed 44 days ago: its customers are due
    recent: Workshop  # closed 5 days ago: still within retention
    cancelled: Workshop  # cancelled, its date 40 days ago
    due: list[User]  # customers who must be anonymised
    kept: User  # also registered for `recent`: left alone
    staff_attendee: User  # an SA who sat in `past`: staff are never touched
    secrets: list[str] = field(default_factory=list)  # values that must vanish
    kept_secrets: list[str] = field(default_factory=list)  # `kept`'s values, which must stay


def _person(token: str, organisation, **extra) -> User:
    return factories.SignedUpCustomerFactory(
        email=f"{token.lower()}@{token.lower()}-corp.example",
        first_name=f"Ana{token}",
        last_name=f"Surname{token}",
        job_title=f"Chief {token} Officer",
        phone=f"+34 600 {abs(hash(token)) % 1000000:06d}",
        organisation=organisation,
        country="PT",
        **extra,
    )


def _values(person: User) -> list[str]:
    return [person.email, person.first_name, person.last_name, person.job_title, person.phone]


def _closed(days_ago: int, stage: str = Stage.CLOSED, **kwargs) -> Workshop:
    starts = timezone.now().replace(microsecond=0) - timedelta(days=days_ago, hours=8)
    workshop = factories.workshop_in(
        stage,
        starts_at=starts,
        ends_at=starts + timedelta(hours=7),
        registration_deadline=starts - timedelta(days=2),
        **kwargs,
    )
    return workshop


def _register(workshop, person, am, *, status=RegistrationStatus.CONFIRMED, attended=True) -> Registration:
    return Registration.objects.create(
        workshop=workshop,
        attendee=person,
        organisation=person.organisation,
        account_manager=am,
        status=status,
        queued_at=workshop.starts_at - timedelta(days=10),
        attended=attended,
    )


def _session(person: User, extra: str) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "sesame.backends.ModelBackend"
    store["last_search"] = extra
    store.create()
    return store.session_key


def seed_programme() -> Programme:
    sa = factories.SolutionsArchitectFactory(first_name="Sofia", last_name="Architect")
    am = factories.AccountManagerFactory(first_name="Andres", last_name="Manager")
    org_one = factories.CustomerOrganisationFactory(name="Acme Iberia", country="ES", account_manager=am)
    org_two = factories.CustomerOrganisationFactory(name="Globex Portugal", country="PT", account_manager=am)
    past = _closed(44, owners=[sa], account_managers=[am])
    recent = _closed(5, owners=[sa], account_managers=[am])
    cancelled = _closed(40, stage=Stage.CANCELLED, owners=[sa], account_managers=[am])
    StageChange.objects.create(
        workshop=past, source=Stage.RUNNING, target=Stage.CLOSED, actor=sa, note="Closed early: Zorbalina fell ill"
    )
    StageChange.objects.filter(workshop=past).update(created_at=timezone.now() - timedelta(days=44))

    zorbalina = _person("Zorbalina", org_one)
    quixby = _person("Quixby", org_one)
    vexmoor = _person("Vexmoor", org_two)
    kept = _person("Keeperling", org_two)
    staff_attendee = factories.SolutionsArchitectFactory(first_name="Stafferton", last_name="Visitor")
    programme = Programme(
        sa=sa,
        am=am,
        past=past,
        recent=recent,
        cancelled=cancelled,
        due=[zorbalina, quixby, vexmoor],
        kept=kept,
        staff_attendee=staff_attendee,
    )
    for person in programme.due:
        programme.secrets += _values(person)
    programme.kept_secrets = _values(kept)
    programme.secrets.append("Closed early: Zorbalina fell ill")

    registrations = {
        "zorbalina": _register(past, zorbalina, am),
        "quixby": _register(past, quixby, am, attended=False),
        "vexmoor": _register(past, vexmoor, None),
        "kept": _register(past, kept, am),
        "staff": _register(past, staff_attendee, None),
    }
    _register(cancelled, vexmoor, am, status=RegistrationStatus.CANCELLED, attended=None)
    _register(recent, kept, am)

    SurveyAnswer.objects.create(
        registration=registrations["zorbalina"],
        workshop=past,
        satisfaction=5,
        would_recommend=True,
        comment="Zorbalina says: call me on my mobile, the labs were great",
    )
    SurveyAnswer.objects.create(
        registration=registrations["kept"], workshop=past, satisfaction=3, would_recommend=False, comment=""
    )
    programme.secrets.append("Zorbalina says: call me on my mobile, the labs were great")

    account = factories.SandboxAccountFactory()
    credential = Credential.objects.create(
        registration=registrations["zorbalina"],
        sandbox_account=account,
        iam_user_name="cpp-7f3a9c21e0",
        password_encrypted="gAAAAABZorbalinaSecretToken",
    )
    programme.secrets.append("gAAAAABZorbalinaSecretToken")
    CredentialView.objects.create(credential=credential, viewer=zorbalina, action=CredentialView.Action.REVEAL)

    def outbox(key, kind, person=None, **fields):
        return OutboundEmail.objects.create(
            key=key,
            kind=kind,
            recipient=person,
            to=fields.pop("to", person.email if person else ""),
            scheduled_at=past.starts_at - timedelta(days=7),
            **fields,
        )

    for name, registration in registrations.items():
        person = registration.attendee
        outbox(
            f"registration_confirmed:{registration.pk}",
            EmailKind.REGISTRATION_CONFIRMED,
            person,
            subject=f"{person.first_name}, your seat is confirmed",
            body_text=f"Hello {person.first_name} {name}",
            body_html=f"<p>Hello {person.get_full_name()}</p>",
            calendar=f"ATTENDEE;CN={person.get_full_name()}",
            registration=registration,
            workshop=past,
            status="sent",
        )
    outbox(
        f"magic_link:{zorbalina.pk}:abc",
        EmailKind.MAGIC_LINK,
        zorbalina,
        subject="Your sign-in link",
        body_text="https://portal.example/login/link/?token=Zorbalinatoken",
        status="sent",
    )
    programme.secrets.append("Zorbalinatoken")
    # Queued before an address was known to be a user, so nothing links it but the address.
    outbox(
        "workshop_changed:orphan",
        EmailKind.WORKSHOP_CHANGED,
        to=quixby.email,
        subject="The date moved",
        body_text="Dear Quixby-the-reader",
        last_error=f"Not sent: {quixby.email} is suppressed (Hard bounce).",
        status="cancelled",
    )
    programme.secrets.append("Dear Quixby-the-reader")
    outbox(
        f"am_digest:{past.pk}:{am.pk}",
        EmailKind.AM_DIGEST,
        am,
        workshop=past,
        subject="Your customers at the workshop",
        body_text=f"{zorbalina.get_full_name()} and {kept.get_full_name()} registered",
        status="sent",
    )
    invitee = "wilhelmina.nevercame@prospect.example"
    outbox(
        "customer_invitation:1:deadbeef",
        EmailKind.CUSTOMER_INVITATION,
        to=invitee,
        workshop=past,
        subject="Andres invites you",
        body_text="Dear Wilhelmina Nevercame, join us",
        status="sent",
    )
    programme.secrets += [invitee, "Wilhelmina Nevercame"]
    SuppressedAddress.objects.create(email=quixby.email, reason=SuppressionReason.BOUNCE, detail=f"550 {quixby.email}")
    SuppressedAddress.objects.create(email=invitee, reason=SuppressionReason.COMPLAINT)

    EmailAddress.objects.create(user=zorbalina, email=zorbalina.email, verified=True, primary=True)
    LogEntry.objects.create(
        user=sa,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(zorbalina.pk),
        object_repr=str(zorbalina),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Phone"]}}]',
    )
    LogEntry.objects.create(
        user=sa,
        content_type=ContentType.objects.get_for_model(Registration),
        object_id=str(registrations["vexmoor"].pk),
        object_repr=str(registrations["vexmoor"]),
        action_flag=CHANGE,
    )
    _session(zorbalina, "Zorbalina-session-search")
    _session(kept, "Keeperling-session-search")
    programme.secrets.append("Zorbalina-session-search")
    return programme
