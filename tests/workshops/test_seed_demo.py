"""seed_demo gives every stage, working logins, and nothing new the second time."""

import io
import re
import shlex
import subprocess
import sys

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import roles
from accounts.models import CustomerOrganisation, User
from notifications.models import EmailKind, OutboundEmail
from stats.selectors import account_manager_figures, programme_totals
from tests.factories import totp_code
from workshops import tasks
from workshops.models import Registration, RegistrationStatus, Stage, StageChange, SurveyAnswer, Topic, Workshop

pytestmark = pytest.mark.django_db

LOGIN = re.compile(r"^\s+(Superuser|Solutions Architect|Account Manager)\s+(\S+@\S+)\s+(\S+)$", re.MULTILINE)


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (User, CustomerOrganisation, Topic, Workshop, StageChange, Registration, SurveyAnswer)
    }


def test_every_stage_is_there_and_reached_through_the_services(debug):
    seed()
    assert set(Workshop.objects.values_list("stage", flat=True)) == set(Stage.values)
    for workshop in Workshop.objects.exclude(stage=Stage.DRAFT):
        # The audit trail leads from draft to where the workshop is, one allowed move at a time.
        moves = list(workshop.stage_changes.order_by("pk").values_list("source", "target"))
        assert moves[0][0] == Stage.DRAFT
        assert moves[-1][1] == workshop.stage
        assert all(a[1] == b[0] for a, b in zip(moves, moves[1:], strict=False))


def test_times_match_the_stages(debug):
    seed()
    now = timezone.now()
    by_stage = {w.stage: w for w in Workshop.objects.all()}
    assert by_stage[Stage.REGISTRATION_OPEN].registration_deadline > now
    closed_registration = by_stage[Stage.REGISTRATION_CLOSED]
    assert closed_registration.registration_deadline < now < closed_registration.provisioning_at
    assert by_stage[Stage.RUNNING].starts_at < now < by_stage[Stage.RUNNING].ends_at
    assert by_stage[Stage.CLOSED].ends_at < now
    assert by_stage[Stage.ANONYMISED].ends_at < by_stage[Stage.CLOSED].ends_at
    assert {w.time_zone for w in Workshop.objects.all()} == {"Europe/Madrid", "Europe/Lisbon", "Europe/Rome"}


def test_a_draft_can_be_published_right_away_by_a_solutions_architect(debug):
    seed()
    draft = Workshop.objects.filter(stage=Stage.DRAFT, registration_deadline__gt=timezone.now()).first()
    assert draft is not None
    sa = User.objects.get(email="sa1@cpp.example.com")
    from workshops.services import workshop_publish

    assert workshop_publish(workshop_id=draft.pk, actor=sa).stage == Stage.REGISTRATION_OPEN


def test_the_printed_logins_work_and_have_their_roles(debug):
    logins = LOGIN.findall(seed())
    assert len(logins) == 6
    for label, email, password in logins:
        user = authenticate(email=email, password=password)
        assert user is not None and user.is_staff, email
        if label == "Solutions Architect":
            assert user.is_solutions_architect
        if label == "Account Manager":
            assert user.is_account_manager and not user.is_solutions_architect
        if label == "Superuser":
            assert user.is_superuser
    assert sum(label == "Solutions Architect" for label, *_ in logins) == 2
    assert sum(label == "Account Manager" for label, *_ in logins) == 3


def test_customers_have_no_password_and_belong_to_an_organisation_with_an_account_manager(debug):
    seed()
    customers = User.objects.filter(is_staff=False)
    assert customers.count() >= 20
    assert not any(c.has_usable_password() for c in customers)
    assert not customers.filter(organisation__isnull=True).exists()
    assert set(CustomerOrganisation.objects.values_list("country", flat=True)) == {"ES", "PT", "IT"}
    for organisation in CustomerOrganisation.objects.all():
        assert roles.is_account_manager(organisation.account_manager)


SECOND_FACTOR = re.compile(r"^\s+(\S+@\S+)\s+([A-Z2-7]{32})$", re.MULTILINE)


def test_every_printed_login_has_an_authenticator_app_whose_printed_secret_gives_the_codes(debug):
    output = seed()
    secrets = dict(SECOND_FACTOR.findall(output))
    assert set(secrets) == {email for _label, email, _password in LOGIN.findall(output)}
    [one_liner] = [line.strip() for line in output.splitlines() if line.strip().startswith("python3 -c")]
    for email, secret in secrets.items():
        [authenticator] = Authenticator.objects.filter(user__email=email, type=Authenticator.Type.TOTP)
        command = shlex.split(one_liner.replace("SECRET", secret))
        code = subprocess.run([sys.executable, *command[1:]], capture_output=True, text=True, check=True).stdout.strip()
        assert code == totp_code(secret)
        assert TOTP(authenticator).validate_code(code), email


def test_a_second_run_creates_nothing_and_still_prints_the_logins(debug):
    first = seed()
    before = counts()
    second = seed()
    assert counts() == before
    assert "nothing created" in second
    assert LOGIN.findall(second) == LOGIN.findall(first)
    assert SECOND_FACTOR.findall(second) == SECOND_FACTOR.findall(first)


def test_a_changed_password_is_not_printed(debug):
    seed()
    user = User.objects.get(email="sa2@cpp.example.com")
    user.set_password("someone changed it on purpose")
    user.save()
    assert "demo-sa-2-password" not in seed()


def test_it_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not User.objects.exists()


def test_force_runs_it_without_debug(settings):
    settings.DEBUG = False
    seed("--force")
    assert Workshop.objects.exists()


# --- The customers at the workshops ---------------------------------------------------------------

WITH_PEOPLE = (Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED, Stage.RUNNING, Stage.CLOSED)


def test_customers_registered_for_every_workshop_that_was_open_and_kept_their_people(debug):
    assert "registrations" in seed()
    for workshop in Workshop.objects.filter(stage__in=WITH_PEOPLE):
        confirmed = workshop.registrations.filter(status=RegistrationStatus.CONFIRMED).count()
        assert 3 <= confirmed <= workshop.capacity, workshop.title
        assert workshop.capacity > 1 and confirmed > 1, "a believable room, not one person"
    # The anonymised workshop's people would have to be anonymised; the others never had registration open.
    assert not Registration.objects.exclude(workshop__stage__in=WITH_PEOPLE).exists()
    assert not Registration.objects.filter(attendee__is_staff=True).exists()


def test_a_full_workshop_has_a_waitlist_and_none_is_overbooked(debug):
    seed()
    full = [
        workshop
        for workshop in Workshop.objects.filter(stage__in=WITH_PEOPLE)
        if workshop.registrations.filter(status=RegistrationStatus.CONFIRMED).count() == workshop.capacity
    ]
    assert full, "no workshop is full"
    assert any(w.registrations.filter(status=RegistrationStatus.WAITLISTED).exists() for w in full)
    # The waitlist only ever forms behind a full room.
    for workshop in Workshop.objects.filter(registrations__status=RegistrationStatus.WAITLISTED).distinct():
        assert workshop in full


def test_most_registrations_come_through_an_account_managers_invitation_link(debug):
    seed()
    attributed = Registration.objects.filter(account_manager__isnull=False).select_related("invitation", "workshop")
    assert attributed.count() > Registration.objects.filter(account_manager__isnull=True).count() > 0
    for registration in attributed:
        assert registration.invitation.account_manager_id == registration.account_manager_id
        assert registration.workshop.account_managers.filter(pk=registration.account_manager_id).exists()
    assert len({r.account_manager_id for r in attributed}) == 3, "every demo AM has customers to show"


def test_closed_workshops_have_their_check_in_list_ticked_and_survey_answers(debug):
    seed()
    closed = Workshop.objects.filter(stage=Stage.CLOSED)
    assert closed.count() == 2
    no_shows = 0
    for workshop in closed:
        seated = workshop.registrations.filter(status=RegistrationStatus.CONFIRMED)
        attended = seated.filter(attended=True)
        assert not seated.filter(attended__isnull=True).exists(), "the SA ticked the whole list"
        assert seated.filter(attended__isnull=False, attendance_marked_by__isnull=True).count() == 0
        assert attended.count() > seated.filter(attended=False).count()
        no_shows += seated.filter(attended=False).count()
        answers = SurveyAnswer.objects.filter(workshop=workshop)
        assert attended.count() / 2 < answers.count() <= attended.count()
        assert not answers.exclude(registration__attended=True).exists(), "a no-show has nothing to rate"
    assert no_shows >= 1
    answers = SurveyAnswer.objects.all()
    assert len(set(answers.values_list("satisfaction", flat=True))) >= 3
    assert answers.filter(would_recommend=False).exists() and answers.filter(would_recommend=True).exists()
    assert answers.exclude(comment="").exists() and answers.filter(comment="").exists()


def test_a_running_workshop_is_being_checked_in(debug):
    seed()
    running = Workshop.objects.get(stage=Stage.RUNNING)
    seated = running.registrations.filter(status=RegistrationStatus.CONFIRMED)
    assert seated.filter(attended=True).exists() and seated.filter(attended__isnull=True).exists()
    assert not SurveyAnswer.objects.filter(workshop__stage__in=(Stage.RUNNING, Stage.REGISTRATION_CLOSED)).exists()


def test_the_peoples_times_follow_the_workshops_dates(debug):
    seed()
    now = timezone.now()
    for registration in Registration.objects.select_related("workshop"):
        workshop = registration.workshop
        assert registration.queued_at <= min(workshop.registration_deadline, now), workshop.title
        if registration.confirmed_at:
            assert registration.confirmed_at <= workshop.registration_deadline
        if registration.attendance_marked_at:
            assert workshop.starts_at <= registration.attendance_marked_at <= min(workshop.ends_at, now)
    for answer in SurveyAnswer.objects.select_related("workshop"):
        assert answer.workshop.ends_at <= answer.answered_at <= now


def test_the_statistics_and_the_account_managers_figures_are_not_empty(debug):
    seed()
    totals = programme_totals()
    assert totals.attendees >= 10 and totals.customers >= 3
    assert totals.answers >= 5 and 3.5 <= totals.satisfaction < 5
    assert 0 < totals.recommend < totals.answers
    figures = [f for f in account_manager_figures() if f.account_manager_id is not None]
    assert sum(f.attended for f in figures) > 0 and sum(f.no_shows for f in figures) > 0


def test_registrations_are_emailed_with_the_workshops_real_dates(
    debug, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.CPP_EMAIL_MAX_PER_SECOND = 0
    # Only the registrations' emails: the stage side effects would reach for the (absent) fake AWS.
    monkeypatch.setattr(tasks.run_stage_side_effects, "delay", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        seed()
    for registration in Registration.objects.all():
        seated = registration.status == RegistrationStatus.CONFIRMED
        kind = EmailKind.REGISTRATION_CONFIRMED if seated else EmailKind.WAITLISTED
        assert OutboundEmail.objects.filter(registration=registration, kind=kind).count() == 1
    # The emails were written after the workshops were dated back: no reminder of one already under way.
    reminders = OutboundEmail.objects.filter(kind__in=(EmailKind.REMINDER_WEEK, EmailKind.REMINDER_DAY))
    assert reminders.exists()
    for reminder in reminders.select_related("workshop"):
        assert timezone.now() < reminder.scheduled_at < reminder.workshop.starts_at


def test_a_second_run_adds_no_registrations_or_answers(debug):
    seed()
    registrations = list(Registration.objects.order_by("pk").values_list("pk", "status", "attended"))
    answers = SurveyAnswer.objects.count()
    second = seed()
    assert list(Registration.objects.order_by("pk").values_list("pk", "status", "attended")) == registrations
    assert SurveyAnswer.objects.count() == answers
    assert "registrations" not in second
