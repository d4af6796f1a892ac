"""The nightly anonymisation: nothing personal left in any table, the statistics unchanged."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Avg, Count, Q
from django.utils import timezone

from accounts.models import User
from notifications.models import EmailKind, OutboundEmail
from notifications.services import email_enqueue
from privacy import services
from privacy.models import AnonymisationRun
from tests import factories
from tests.privacy.seed import seed_programme
from workshops.models import Registration, RegistrationStatus, Stage, StageChange, SurveyAnswer

pytestmark = pytest.mark.django_db

REPORT_TABLE = AnonymisationRun._meta.db_table


def _text(value) -> str | None:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value if isinstance(value, str) else None


def every_text_value() -> dict[tuple[str, str], list[str]]:
    """Every text, char and JSON value of every table the database has, found by introspection.

    Sessions are decoded: their data is signed base64, which would hide a name from a plain search.
    """
    found: dict[tuple[str, str], list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = connection.introspection.get_table_description(cursor, table)
            names = [column.name for column in columns]
            quoted = ", ".join(connection.ops.quote_name(name) for name in names)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    text = _text(value)
                    if text is None:
                        continue
                    if table == "django_session" and name == "session_data":
                        text = json.dumps(SessionStore().decode(text))
                    found.setdefault((table, name), []).append(text)
    return found


def leaks(secrets: list[str]) -> list[str]:
    hits = []
    for (table, column), values in every_text_value().items():
        for value in values:
            for secret in secrets:
                if secret.lower() in value.lower():
                    hits.append(f"{table}.{column} holds {secret!r}")
    return hits


def snapshot(exclude=(REPORT_TABLE,)) -> dict[str, list]:
    """Every row of every table but the run reports, to prove a run changed nothing."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if table in exclude:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows[table] = sorted(repr(row) for row in cursor.fetchall())
    return rows


def statistics() -> dict:
    """What the programme reports, computed from the tables the anonymisation keeps."""
    registrations = Registration.objects.all()
    attendees = registrations.filter(status=RegistrationStatus.CONFIRMED).exclude(attended=False)
    figures = {
        "registrations_by_status": dict(
            registrations.values_list("status").annotate(n=Count("pk")).order_by("status").values_list("status", "n")
        ),
        "attendees": attendees.count(),
        "marked_attended": registrations.filter(attended=True).count(),
        "no_shows": registrations.filter(attended=False).count(),
        "distinct_organisations": attendees.aggregate(n=Count("organisation", distinct=True))["n"],
        "per_account_manager": sorted(
            attendees.values("account_manager").annotate(n=Count("pk")).values_list("account_manager", "n"),
            key=lambda pair: (pair[0] is None, pair[0] or 0),
        ),
        "per_country": sorted(
            registrations.values("attendee__country").annotate(n=Count("pk")).values_list("attendee__country", "n"),
            key=repr,
        ),
        "per_organisation": sorted(
            registrations.values("organisation__name").annotate(n=Count("pk")).values_list("organisation__name", "n"),
            key=repr,
        ),
        "survey": SurveyAnswer.objects.aggregate(
            answers=Count("pk"), satisfaction=Avg("satisfaction"), recommend=Count("pk", filter=Q(would_recommend=True))
        ),
        "people_per_organisation": sorted(
            User.objects.filter(organisation__isnull=False)
            .values("organisation__name")
            .annotate(n=Count("pk"))
            .values_list("organisation__name", "n")
        ),
    }
    try:  # the statistics page's own figures, where that module is present
        from stats import selectors as stats

        totals = stats.programme_totals()
        figures["stats_totals"] = (
            totals.workshops,
            totals.attendees,
            totals.customers,
            totals.answers,
            totals.satisfaction,
            totals.recommend,
        )
        figures["stats_by_topic"] = [
            (f.key, f.workshops, f.attendees, f.customers, f.satisfaction) for f in stats.figures_by_topic()
        ]
        figures["stats_per_account_manager"] = [
            (f.account_manager_id, f.name, f.invited, f.registered, f.attended, f.no_shows)
            for f in stats.account_manager_figures()
        ]
    except ImportError:
        pass
    return figures


class TestTheNightlyRun:
    def test_nothing_personal_stays_and_the_statistics_read_the_same(self):
        programme = seed_programme()
        assert leaks(programme.secrets), "the seed must put the values somewhere the scan can see"
        before = statistics()

        state = snapshot()
        dry = services.customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND, dry_run=True)
        assert snapshot() == state, "a dry run changes nothing"

        real = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
        assert real.counts == dry.counts, "the dry run reports what the real run does"
        assert real.counts["people"] == 3
        assert real.counts["workshops_anonymised"] == 0  # `kept` is still a customer of it
        assert leaks(programme.secrets) == []
        assert statistics() == before

        state = snapshot()
        again = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
        assert set(again.counts.values()) == {0}
        assert snapshot() == state, "a second run changes nothing"

    def test_people_are_deactivated_signed_out_and_keep_what_the_statistics_need(self):
        programme = seed_programme()
        zorbalina = programme.due[0]
        organisation_id = zorbalina.organisation_id
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)

        zorbalina.refresh_from_db()
        assert zorbalina.email == f"anonymised-{zorbalina.pk}@anonymised.invalid"
        assert (zorbalina.first_name, zorbalina.last_name, zorbalina.job_title, zorbalina.phone) == ("", "", "", "")
        assert not zorbalina.is_active and not zorbalina.has_usable_password()
        assert zorbalina.organisation_id == organisation_id and zorbalina.country == "PT"
        sessions = [SessionStore().decode(s.session_data) for s in SessionStore.get_model_class().objects.all()]
        assert {session["_auth_user_id"] for session in sessions} == {str(programme.kept.pk)}
        assert not OutboundEmail.objects.exclude(to="").filter(recipient__in=programme.due).exists()
        assert SurveyAnswer.objects.get(registration__attendee=zorbalina).satisfaction == 5

    def test_a_sealed_email_loses_its_sealed_body_too(self):
        # Emails that carry a key keep their bodies sealed (notifications.sealing), not in body_text.
        programme = seed_programme()
        zorbalina = programme.due[0]
        survey = email_enqueue(
            key="survey:sealed-test",
            kind=EmailKind.SURVEY,
            to=zorbalina.email,
            subject="How was it?",
            body_text="Tell us: https://portal.example.com/survey/1/?token=abc",
            recipient_id=zorbalina.pk,
        )
        assert survey.sealed_bodies
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
        survey.refresh_from_db()
        assert (survey.to, survey.body_text, survey.sealed_bodies) == ("", "", "")

    def test_a_customer_with_a_workshop_still_within_retention_is_left_alone(self):
        programme = seed_programme()
        kept = programme.kept
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)

        kept.refresh_from_db()
        assert [kept.email, kept.first_name, kept.last_name, kept.job_title, kept.phone] == programme.kept_secrets
        assert kept.is_active
        # ...so the workshop they share waits, closed, until its last customer is done.
        programme.past.refresh_from_db()
        assert programme.past.stage == Stage.CLOSED

    def test_the_workshop_moves_to_anonymised_once_its_last_customer_is_done(self):
        programme = seed_programme()
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
        Registration.objects.filter(workshop=programme.recent).update(
            workshop=factories.workshop_in(
                Stage.CLOSED,
                starts_at=timezone.now() - timedelta(days=60),
                ends_at=timezone.now() - timedelta(days=59),
                registration_deadline=timezone.now() - timedelta(days=61),
            )
        )
        run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)

        assert run.counts["people"] == 1
        programme.past.refresh_from_db()
        assert programme.past.stage == Stage.ANONYMISED
        move = StageChange.objects.filter(workshop=programme.past, target=Stage.ANONYMISED).get()
        assert move.automatic
        programme.cancelled.refresh_from_db()
        assert programme.cancelled.stage == Stage.CANCELLED  # cancelled stays cancelled

    def test_a_customer_who_never_registered_goes_once_idle_for_the_retention_period(self):
        long_ago = timezone.now() - timedelta(days=45)
        idle = factories.SignedUpCustomerFactory(first_name="Quillonia", date_joined=long_ago, last_login=long_ago)
        recent = factories.SignedUpCustomerFactory(first_name="Brandivar", date_joined=long_ago)
        recent.last_login = timezone.now() - timedelta(days=3)
        recent.save(update_fields=["last_login"])
        never_signed_in = factories.SignedUpCustomerFactory(
            first_name="Ostravel", date_joined=long_ago, last_login=None
        )

        run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)

        assert run.counts["people"] == 2
        for person in (idle, recent, never_signed_in):
            person.refresh_from_db()
        assert (idle.first_name, idle.is_active) == ("", False)
        assert (never_signed_in.first_name, never_signed_in.is_active) == ("", False)
        assert (recent.first_name, recent.is_active) == ("Brandivar", True)
        # A run for one workshop is about that workshop's customers only.
        other = factories.SignedUpCustomerFactory(date_joined=long_ago, last_login=long_ago)
        past = factories.workshop_in(
            Stage.CLOSED,
            starts_at=long_ago,
            ends_at=long_ago + timedelta(hours=8),
            registration_deadline=long_ago - timedelta(days=1),
        )
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND, workshop_id=past.pk)
        other.refresh_from_db()
        assert other.is_active

    def test_staff_are_never_anonymised(self):
        programme = seed_programme()
        staff = [programme.sa, programme.am, programme.staff_attendee]
        before = [(p.email, p.first_name, p.last_name, p.is_active) for p in staff]
        services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE, older_than_days=0)
        for person in staff:
            person.refresh_from_db()
        assert [(p.email, p.first_name, p.last_name, p.is_active) for p in staff] == before

    def test_retention_comes_from_the_setting(self, settings):
        programme = seed_programme()
        settings.CPP_GDPR_RETENTION_DAYS = 50
        assert services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE).counts["people"] == 0
        settings.CPP_GDPR_RETENTION_DAYS = 30
        run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
        assert run.counts["people"] == len(programme.due)
        assert run.options == {"older_than_days": 30}
        assert run.finished_at is not None and run.trigger == "schedule"


class TestTheCommand:
    def test_dry_run_prints_the_counts_and_changes_nothing(self, capsys):
        programme = seed_programme()
        call_command("anonymize_customers", "--dry-run")
        out = capsys.readouterr().out
        assert "dry run" in out and "people" in out
        assert User.objects.filter(email=programme.due[0].email).exists()
        assert AnonymisationRun.objects.get().dry_run

    def test_one_workshop_with_a_shorter_retention(self):
        programme = seed_programme()
        call_command("anonymize_customers", "--workshop", str(programme.recent.pk), "--older-than-days", "1")
        run = AnonymisationRun.objects.get()
        assert run.trigger == "command" and run.options == {"older_than_days": 1, "workshop": programme.recent.pk}
        # `kept` is the recent workshop's only customer; with one day of retention both their workshops are past.
        assert run.counts["people"] == 1
        programme.kept.refresh_from_db()
        assert programme.kept.first_name == ""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--older-than-days", "-1"], "0 or more"),
            (["--workshop", "999999"], "no workshop 999999"),
        ],
    )
    def test_bad_arguments_are_refused_and_change_nothing(self, args, message):
        seed_programme()
        with pytest.raises(CommandError, match=message):
            call_command("anonymize_customers", *args)
        assert not AnonymisationRun.objects.exists()

    def test_a_workshop_within_retention_is_refused_by_name(self):
        programme = seed_programme()
        with pytest.raises(CommandError, match="not been closed for more than 30 days"):
            call_command("anonymize_customers", "--workshop", str(programme.recent.pk))
        assert not AnonymisationRun.objects.exists()


def test_the_beat_runs_it_every_night():
    from celery.schedules import crontab

    from cpp_portal.celery import app

    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "privacy.tasks.anonymise_due_customers")
    assert isinstance(entry["schedule"], crontab)


def test_the_task_anonymises_with_the_schedule_as_trigger():
    from privacy.tasks import anonymise_due_customers

    seed_programme()
    anonymise_due_customers.delay()
    assert AnonymisationRun.objects.get().trigger == AnonymisationRun.Trigger.SCHEDULE


@pytest.mark.postgres
def test_the_same_on_postgresql(require_postgres):
    TestTheNightlyRun().test_nothing_personal_stays_and_the_statistics_read_the_same()


@pytest.mark.parametrize(
    "engine", ["django.contrib.sessions.backends.cached_db", "django.contrib.sessions.backends.cache"]
)
def test_sessions_go_whatever_the_session_engine(settings, client, engine):
    from django.urls import reverse

    settings.SESSION_ENGINE = engine
    programme = seed_programme()
    client.force_login(programme.due[0])
    assert client.get(reverse("accounts:profile")).status_code == 200

    run = services.customers_anonymise(trigger=AnonymisationRun.Trigger.SCHEDULE)
    # cached_db: this session (found in its table, deleted there and from the cache) and the seed's
    # database row. A plain cache keeps no list to search: nothing is counted, yet the session dies
    # at its next request, as the user is inactive and the password its hash was made from is gone.
    assert run.counts["sessions"] == (2 if engine.endswith("cached_db") else 0)
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
