"""seed_demo's customers at its workshops: who registers, who comes, and what they answer.

Everything goes through the services the pages use (registration, check-in, survey), at the moment
the pages would: registering right after publishing, checking in once the workshop runs, answering
once it has closed. seed_demo moves past workshops through their stages while their dates are
still ahead and dates them back afterwards; `registrations_date_back` then moves these people's
times with them, so nobody registered for a workshop after it was over.

Customers are named by the part of their email before the @ (seed_demo's CUSTOMERS). The tables
are fixed rather than random, so every demo shows the same people in the same places.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accounts.models import User
from workshops.invitations import invitation_for
from workshops.models import Registration, RegistrationStatus, SurveyAnswer, Workshop
from workshops.registrations import registration_attendance_mark, registration_create
from workshops.survey import survey_answer_create


@dataclass(frozen=True)
class Answer:
    satisfaction: int
    would_recommend: bool
    comment: str = ""


@dataclass(frozen=True)
class DemoAttendance:
    registrants: tuple[str, ...]  # in arrival order: past the capacity they join the waitlist
    # Registered without their account manager's invitation link (found it on the website).
    on_their_own: frozenset[str] = frozenset()
    no_shows: frozenset[str] = frozenset()
    # Of a workshop running now: not ticked on the check-in list yet.
    not_checked_in: frozenset[str] = frozenset()
    answers: dict[str, Answer] = field(default_factory=dict)


# Only workshops that were open for registration at some point and still have their people: the
# anonymised one would need its customers anonymised, and customers are shared across workshops.
ATTENDANCE = {
    "Containers on Amazon EKS — Milano": DemoAttendance(
        ("luca.ferrari", "matteo.romano", "chiara.esposito", "sofia.marino"),
        on_their_own=frozenset({"sofia.marino"}),
    ),
    "Data Lakes and Analytics — Barcelona": DemoAttendance(
        ("lucia.torres", "mariana.rodrigues", "ines.martins", "marta.sanchez", "sergio.romero"),
        on_their_own=frozenset({"sergio.romero"}),
    ),
    # Full, with two people from Madrid waiting: their AM does not work this workshop.
    "Security Essentials — Porto": DemoAttendance(
        (
            "rui.pereira",
            "duarte.almeida",
            "tiago.oliveira",
            "beatriz.santos",
            "mariana.rodrigues",
            "ines.martins",
            "elena.navarro",
            "javier.moreno",
        ),
        on_their_own=frozenset({"beatriz.santos"}),
    ),
    "Well-Architected Hands-on — Roma": DemoAttendance(
        ("luca.ferrari", "francesca.colombo", "alessandro.ricci", "sofia.marino", "chiara.esposito"),
        not_checked_in=frozenset({"alessandro.ricci"}),
    ),
    "Serverless Immersion Day — Valencia": DemoAttendance(
        (
            "ana.garcia",
            "pablo.lopez",
            "carlos.ruiz",
            "javier.moreno",
            "marta.sanchez",
            "sergio.romero",
            "lucia.torres",
            "beatriz.santos",
        ),
        on_their_own=frozenset({"pablo.lopez"}),
        no_shows=frozenset({"carlos.ruiz"}),
        answers={
            "ana.garcia": Answer(
                5, True, "Muy práctico: el lunes ya estábamos probando Step Functions con nuestros pedidos."
            ),
            "pablo.lopez": Answer(5, True),
            "javier.moreno": Answer(4, True, "Buen ritmo. Al laboratorio de la tarde le faltó algo de tiempo."),
            "marta.sanchez": Answer(4, True),
            "sergio.romero": Answer(
                3, False, "Interesante, pero esperaba más casos de uso para una empresa industrial como la nuestra."
            ),
            "beatriz.santos": Answer(5, True),
        },
    ),
    # Pasticceria Navigli had a trade fair that week: neither of its people came.
    "Data Lakes and Analytics — Torino": DemoAttendance(
        ("matteo.romano", "chiara.esposito", "francesca.colombo", "alessandro.ricci", "luca.ferrari", "sofia.marino"),
        no_shows=frozenset({"alessandro.ricci", "sofia.marino"}),
        answers={
            "matteo.romano": Answer(5, True, "Laboratori chiari e ben preparati. Athena ci servirà da subito."),
            "chiara.esposito": Answer(3, True, "Avrei voluto più tempo su Lake Formation e sui permessi."),
            "luca.ferrari": Answer(4, True),
        },
    ),
}


def _customer(handle: str) -> User:
    return User.objects.get(email__istartswith=f"{handle}@", is_staff=False)


def _handle(registration: Registration) -> str:
    """How the tables above name a registration's attendee."""
    return registration.attendee.email.split("@")[0]


def registrations_create(*, workshop: Workshop) -> list[Registration]:
    """Register the workshop's demo customers while it is open, most through their AM's invitation link."""
    attendance = ATTENDANCE.get(workshop.title)
    if attendance is None:
        return []
    account_managers = set(workshop.account_managers.all())
    registrations = []
    for handle in attendance.registrants:
        customer = _customer(handle)
        account_manager = customer.organisation.account_manager
        invitation = None
        if account_manager in account_managers and handle not in attendance.on_their_own:
            invitation = invitation_for(workshop=workshop, account_manager=account_manager)
        registrations.append(registration_create(workshop_id=workshop.pk, attendee=customer, invitation=invitation))
    return registrations


def _seated(workshop: Workshop):
    return (
        workshop.registrations.filter(status=RegistrationStatus.CONFIRMED)
        .select_related("attendee")
        .order_by("queued_at", "pk")
    )


def attendance_mark(*, workshop: Workshop, actor: User) -> int:
    """Tick the check-in list as the workshop's SA would on the day; returns how many were marked."""
    attendance = ATTENDANCE.get(workshop.title)
    if attendance is None:
        return 0
    marked = 0
    for registration in _seated(workshop):
        handle = _handle(registration)
        if handle in attendance.not_checked_in:
            continue
        registration_attendance_mark(
            registration_id=registration.pk, attended=handle not in attendance.no_shows, actor=actor
        )
        marked += 1
    return marked


def survey_answers_create(*, workshop: Workshop) -> int:
    """Answer the survey of a closed workshop for the attendees who did; returns how many answered."""
    attendance = ATTENDANCE.get(workshop.title)
    if attendance is None:
        return 0
    answered = 0
    for registration in _seated(workshop):
        answer = attendance.answers.get(_handle(registration))
        if answer is None:
            continue
        survey_answer_create(
            registration_id=registration.pk,
            satisfaction=answer.satisfaction,
            would_recommend=answer.would_recommend,
            comment=answer.comment,
        )
        answered += 1
    return answered


def registrations_date_back(
    *, workshop: Workshop, registrations: list[Registration], starts_at: datetime, ends_at: datetime, deadline: datetime
) -> None:
    """Move the people's times to the workshop's real dates, keeping their order.

    They arrive over the fortnight before the deadline, are checked in just after the start and
    answer the survey over the days after the end.
    """
    first_arrival = deadline - timedelta(days=14)
    for position, registration in enumerate(workshop.registrations.order_by("queued_at", "pk")):
        registered_at = first_arrival + position * timedelta(hours=29)
        Registration.objects.filter(pk=registration.pk).update(
            queued_at=registered_at,
            confirmed_at=registered_at if registration.confirmed_at else None,
            attendance_marked_at=(
                starts_at + timedelta(minutes=10 + position) if registration.attendance_marked_at else None
            ),
        )
    answers = SurveyAnswer.objects.filter(workshop=workshop).order_by("answered_at", "pk")
    for position, answer in enumerate(answers):
        SurveyAnswer.objects.filter(pk=answer.pk).update(answered_at=ends_at + timedelta(hours=3 + 17 * position))
    # The confirmation and waitlist emails are rendered after the commit from these very objects:
    # reloaded, they carry the workshop's real dates rather than the future ones it was published with.
    for registration in registrations:
        registration.refresh_from_db()
