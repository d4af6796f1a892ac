"""The workshop admin as the two staff roles use it: who sees what, stage moves behind a
confirmation, the read-only audit history, the sandbox pool and the workshop form's validation."""

from datetime import UTC, datetime

import pytest
from django.contrib import messages
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import EmailKind, OutboundEmail
from tests.factories import (
    SIZES_AS_SHOWN,
    AccountManagerFactory,
    SandboxAccountFactory,
    SolutionsArchitectFactory,
    TopicFactory,
    WorkshopFactory,
    workshop_in,
)
from workshops.models import SandboxAccount, SandboxAccountState, Stage, StageChange, Workshop
from workshops.services import MANUAL_MOVES, StageError

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:workshops_workshop_changelist"
ACCOUNTS = "admin:workshops_sandboxaccount_changelist"


def change_url(workshop: Workshop) -> str:
    return reverse("admin:workshops_workshop_change", args=[workshop.pk])


def move_url(workshop: Workshop, target: str) -> str:
    return reverse("admin:workshops_workshop_move", args=[workshop.pk, target])


def listed(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


def choose_action(client, action: str, *objects, changelist=CHANGELIST, **extra):
    """What the changelist posts when staff tick rows, pick an action and press Go."""
    data = {"action": action, "index": 0, "_selected_action": [o.pk for o in objects], **extra}
    return client.post(reverse(changelist), data)


def confirm_action(client, action: str, *objects, changelist=CHANGELIST, **extra):
    """What the confirmation page posts when staff press its "yes, I'm sure" button."""
    data = {"action": action, "_selected_action": [o.pk for o in objects], "confirmed": "yes", **extra}
    return client.post(reverse(changelist), data)


def flashed(response) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in get_messages(response.wsgi_request)]


def workshop_form(owner, **changes) -> dict:
    """A complete, valid workshop form as the admin posts it, with `changes` on top."""
    data = {
        "title": "Containers Immersion Day",
        "topic": TopicFactory().pk,
        "language": "en",
        "agenda": "",
        "time_zone": "Europe/Madrid",
        "starts_at_0": "2030-06-12",
        "starts_at_1": "09:00:00",
        "ends_at_0": "2030-06-12",
        "ends_at_1": "17:00:00",
        "registration_deadline_0": "2030-06-10",
        "registration_deadline_1": "12:00:00",
        "provisioning_lead_minutes": 120,
        "budget_per_attendee_usd": "25.00",
        "venue": "Paseo de la Castellana 1, Madrid",
        "online_link": "",
        "capacity": 20,
        "attendees_per_account": 1,
        "owners": [owner.pk],
        "aws_regions": "eu-west-1, eu-central-1",
        "attendee_policy_arns": "arn:aws:iam::aws:policy/PowerUserAccess",
        # As the form shows them: the default sizes (workshops.sandbox.sizes).
        **SIZES_AS_SHOWN,
        # The audit inline is view-only, but its management form is part of the page.
        "stage_changes-TOTAL_FORMS": 0,
        "stage_changes-INITIAL_FORMS": 0,
        "stage_changes-MIN_NUM_FORMS": 0,
        "stage_changes-MAX_NUM_FORMS": 1000,
    }
    data.update(changes)
    return data


class TestWhoSeesWhat:
    def test_a_solutions_architect_sees_every_workshop_including_drafts(self, client, sa):
        draft = WorkshopFactory(title="Still a draft")
        published = workshop_in(Stage.REGISTRATION_OPEN, title="Open for registration")
        client.force_login(sa)
        assert listed(client.get(reverse(CHANGELIST))) == {str(draft), str(published)}

    def test_an_account_manager_sees_only_published_workshops(self, client, am):
        WorkshopFactory(title="Still a draft")
        published = [workshop_in(stage) for stage in (Stage.REGISTRATION_OPEN, Stage.RUNNING, Stage.CANCELLED)]
        client.force_login(am)
        assert listed(client.get(reverse(CHANGELIST))) == {str(w) for w in published}

    def test_an_account_manager_reads_a_published_workshop_but_cannot_change_it(self, client, am):
        workshop = workshop_in(Stage.REGISTRATION_OPEN, title="Open for registration")
        client.force_login(am)
        page = client.get(change_url(workshop))
        assert page.status_code == 200
        assert page.context["has_change_permission"] is False
        assert b'name="_save"' not in page.content
        client.post(change_url(workshop), workshop_form(am, title="Renamed by an AM"))
        workshop.refresh_from_db()
        assert workshop.title == "Open for registration"

    def test_an_account_manager_guessing_a_drafts_url_gets_no_data(self, client, am):
        draft = WorkshopFactory(title="Secret draft")
        client.force_login(am)
        response = client.get(change_url(draft))
        assert response.status_code == 302
        assert response.url == reverse("admin:index")
        assert b"Secret draft" not in client.get(response.url).content

    def test_an_account_manager_has_no_stage_moves_and_a_forged_one_moves_nothing(self, client, am):
        workshop = workshop_in(Stage.REGISTRATION_OPEN)
        client.force_login(am)
        page = client.get(reverse(CHANGELIST))
        assert page.context["action_form"] is None
        assert client.get(change_url(workshop)).context.get("stage_move_buttons") is None

        confirm_action(client, "move_to_registration_closed", workshop)
        choose_action(client, "move_to_registration_closed", workshop, confirmed="yes")
        assert client.get(move_url(workshop, Stage.REGISTRATION_CLOSED)).status_code == 403
        assert client.post(move_url(workshop, Stage.REGISTRATION_CLOSED), {"confirmed": "yes"}).status_code == 403

        workshop.refresh_from_db()
        assert workshop.stage == Stage.REGISTRATION_OPEN
        assert not StageChange.objects.exists()

    @pytest.mark.parametrize(
        "changelist",
        [
            "admin:workshops_stagechange_changelist",
            "admin:workshops_sandboxaccount_changelist",
            "admin:django_celery_beat_periodictask_changelist",
        ],
    )
    def test_an_account_manager_never_sees_audit_rows_sandbox_accounts_or_periodic_tasks(self, client, am, changelist):
        client.force_login(am)
        assert client.get(reverse(changelist)).status_code == 403

    def test_an_account_manager_does_not_see_the_stage_history_of_a_workshop(self, client, am, sa):
        workshop = workshop_in(Stage.REGISTRATION_OPEN)
        StageChange.objects.create(workshop=workshop, source=Stage.DRAFT, target=Stage.REGISTRATION_OPEN, actor=sa)
        client.force_login(am)
        assert client.get(change_url(workshop)).context["inline_admin_formsets"] == []

    def test_a_customer_is_sent_to_the_admin_login(self, client, customer):
        client.force_login(customer)
        for url in (reverse("admin:index"), reverse(CHANGELIST)):
            response = client.get(url)
            assert response.status_code == 302
            assert response.url.startswith(reverse("admin:login"))


class TestStageMovesFromTheChangelist:
    def test_choosing_publish_asks_for_confirmation_and_moves_nothing_yet(self, client, sa, workshop):
        client.force_login(sa)
        page = choose_action(client, "move_to_registration_open", workshop)
        assert page.status_code == 200
        assert page.templates[0].name == "admin/confirm_action.html"
        assert workshop.title in page.content.decode()
        assert MANUAL_MOVES[Stage.REGISTRATION_OPEN].consequences in page.content.decode()
        workshop.refresh_from_db()
        assert workshop.stage == Stage.DRAFT
        assert not StageChange.objects.exists()

    def test_confirming_publish_moves_the_workshop_and_writes_the_audit_row(self, client, sa, workshop):
        client.force_login(sa)
        response = confirm_action(client, "move_to_registration_open", workshop)
        assert response.status_code == 302
        workshop.refresh_from_db()
        assert workshop.stage == Stage.REGISTRATION_OPEN
        change = StageChange.objects.get(workshop=workshop)
        assert (change.source, change.target, change.actor, change.automatic) == (
            Stage.DRAFT,
            Stage.REGISTRATION_OPEN,
            sa,
            False,
        )
        assert [level for level, _ in flashed(response)] == [messages.SUCCESS]

    def test_a_refused_move_is_reported_and_the_other_selected_workshops_still_move(self, client, sa):
        draft = WorkshopFactory(title="Ready to publish")
        running = workshop_in(Stage.RUNNING, title="Already running")
        client.force_login(sa)
        page = choose_action(client, "move_to_registration_open", draft, running)
        assert "not allowed from its stage" in page.content.decode()

        response = confirm_action(client, "move_to_registration_open", draft, running)

        draft.refresh_from_db()
        running.refresh_from_db()
        assert draft.stage == Stage.REGISTRATION_OPEN
        assert running.stage == Stage.RUNNING
        assert list(StageChange.objects.values_list("workshop", flat=True)) == [draft.pk]
        errors = [text for level, text in flashed(response) if level == messages.ERROR]
        successes = [text for level, text in flashed(response) if level == messages.SUCCESS]
        with pytest.raises(StageError) as refusal:
            MANUAL_MOVES[Stage.REGISTRATION_OPEN].service(workshop_id=running.pk, actor=sa)
        assert errors == [refusal.value.message]
        assert len(successes) == 1 and "Ready to publish" in successes[0]

    def test_cancelling_records_the_reason_in_the_stage_history(self, client, sa, workshop):
        client.force_login(sa)
        assert b'name="note"' in choose_action(client, "move_to_cancelled", workshop).content
        confirm_action(client, "move_to_cancelled", workshop, note="The venue flooded.")
        change = StageChange.objects.get(workshop=workshop)
        assert (change.target, change.note) == (Stage.CANCELLED, "The venue flooded.")

    def test_there_is_one_action_per_manual_move(self, client, sa):
        client.force_login(sa)
        choices = dict(client.get(reverse(CHANGELIST)).context["action_form"].fields["action"].choices)
        assert {f"move_to_{target}" for target in MANUAL_MOVES} <= set(choices)


class TestStageMovesFromTheWorkshopPage:
    def test_the_page_offers_only_the_moves_allowed_from_the_current_stage(self, client, sa):
        open_workshop = workshop_in(Stage.REGISTRATION_OPEN)
        client.force_login(sa)
        buttons = client.get(change_url(open_workshop)).context["stage_move_buttons"]
        assert [str(b["label"]) for b in buttons] == [
            "Close registration (→ Registration closed)",
            "Cancel (→ Cancelled)",
        ]
        assert buttons[0]["url"] == move_url(open_workshop, Stage.REGISTRATION_CLOSED)

    def test_a_button_leads_to_the_same_confirmation_and_only_its_post_moves(self, client, sa, workshop):
        client.force_login(sa)
        page = client.get(move_url(workshop, Stage.REGISTRATION_OPEN))
        assert page.templates[0].name == "admin/confirm_action.html"
        assert MANUAL_MOVES[Stage.REGISTRATION_OPEN].consequences in page.content.decode()
        workshop.refresh_from_db()
        assert workshop.stage == Stage.DRAFT

        response = client.post(move_url(workshop, Stage.REGISTRATION_OPEN), {"confirmed": "yes"})
        assert response.status_code == 302
        assert response.url == change_url(workshop)
        workshop.refresh_from_db()
        assert workshop.stage == Stage.REGISTRATION_OPEN
        assert StageChange.objects.filter(workshop=workshop, actor=sa).count() == 1

    def test_a_refused_button_press_says_why_and_changes_nothing(self, client, sa):
        closed = workshop_in(Stage.CLOSED)
        client.force_login(sa)
        response = client.post(move_url(closed, Stage.CANCELLED), {"confirmed": "yes"})
        [(level, text)] = flashed(response)
        assert level == messages.ERROR and "cannot move" in text
        closed.refresh_from_db()
        assert closed.stage == Stage.CLOSED


class TestTheStageHistory:
    def test_the_history_is_shown_on_the_workshop_page_read_only(self, client, sa, workshop):
        client.force_login(sa)
        confirm_action(client, "move_to_cancelled", workshop, note="Too few registrations.")
        page = client.get(change_url(workshop))
        [history] = page.context["inline_admin_formsets"]
        assert not (history.has_add_permission or history.has_change_permission or history.has_delete_permission)
        assert "Too few registrations." in page.content.decode()

    def test_the_stage_change_list_is_view_only_for_solutions_architects(self, client, sa, workshop):
        client.force_login(sa)
        confirm_action(client, "move_to_registration_open", workshop)
        change = StageChange.objects.get()
        page = client.get(reverse("admin:workshops_stagechange_changelist"), {"target": Stage.REGISTRATION_OPEN})
        assert list(page.context["cl"].result_list) == [change]
        assert client.get(reverse("admin:workshops_stagechange_add")).status_code == 403
        assert (
            client.get(reverse("admin:workshops_stagechange_change", args=[change.pk])).context["has_change_permission"]
            is False
        )
        assert client.post(reverse("admin:workshops_stagechange_delete", args=[change.pk])).status_code == 403
        assert StageChange.objects.filter(pk=change.pk).exists()


class TestTheWorkshopForm:
    def test_a_solutions_architect_creates_a_draft_in_the_workshops_own_time_zone(self, client, sa):
        client.force_login(sa)
        form = workshop_form(sa, time_zone="America/New_York", stage=Stage.RUNNING)
        response = client.post(reverse("admin:workshops_workshop_add"), form)
        assert response.status_code == 302
        workshop = Workshop.objects.get(title="Containers Immersion Day")
        assert workshop.stage == Stage.DRAFT  # the posted stage is ignored: only services move it
        assert workshop.starts_at == datetime(2030, 6, 12, 13, 0, tzinfo=UTC)  # 09:00 in New York
        assert workshop.aws_regions == ["eu-west-1", "eu-central-1"]
        assert list(workshop.owners.all()) == [sa]

    def test_the_form_shows_times_in_the_workshops_own_time_zone(self, client, sa):
        workshop = WorkshopFactory(time_zone="Asia/Tokyo", starts_at=datetime(2030, 6, 12, 0, 30, tzinfo=UTC))
        client.force_login(sa)
        page = client.get(change_url(workshop)).content.decode()
        assert 'name="starts_at_0" value="2030-06-12"' in page
        assert 'name="starts_at_1" value="09:30:00"' in page

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            (
                {"aws_regions": "eu-west-1, mars-north-1"},
                "aws_regions",
                "Unknown or unsupported AWS regions: mars-north-1",
            ),
            ({"ends_at_1": "08:00:00"}, "ends_at", "The workshop must end after it starts."),
            ({"registration_deadline_0": "2030-06-13"}, "registration_deadline", "Registration must close no later"),
            (
                {"attendee_policy_arns": "PowerUserAccess"},
                "attendee_policy_arns",
                "Not IAM policy ARNs: PowerUserAccess",
            ),
            ({"time_zone": "Europe/Atlantis"}, "time_zone", "Europe/Atlantis is not a known time zone"),
            ({"venue": ""}, "venue", "Give a venue, an online link, or both."),
        ],
    )
    def test_bad_input_is_refused_with_a_message_and_saves_nothing(self, client, sa, changes, field, message):
        workshop = WorkshopFactory(title="Unchanged")
        client.force_login(sa)
        page = client.post(change_url(workshop), workshop_form(sa, **changes))
        assert page.status_code == 200
        errors = page.context["adminform"].form.errors
        assert message in " ".join(errors[field])
        assert message in page.content.decode()
        workshop.refresh_from_db()
        assert workshop.title == "Unchanged"


class TestEditingAPublishedWorkshop:
    """An SA's edit goes through workshops.services.workshop_update and carries its consequences."""

    def test_an_account_manager_added_to_an_open_workshop_gets_their_invitation(
        self, client, sa, am, django_capture_on_commit_callbacks
    ):
        workshop = workshop_in(Stage.REGISTRATION_OPEN, account_managers=[am])
        newcomer = AccountManagerFactory()
        client.force_login(sa)
        form = workshop_form(
            sa,
            title=workshop.title,
            starts_at_0=f"{workshop.local_start:%Y-%m-%d}",
            starts_at_1=f"{workshop.local_start:%H:%M:%S}",
            ends_at_0=f"{workshop.local_end:%Y-%m-%d}",
            ends_at_1=f"{workshop.local_end:%H:%M:%S}",
            registration_deadline_0=f"{workshop.registration_deadline.astimezone(workshop.tz):%Y-%m-%d}",
            registration_deadline_1=f"{workshop.registration_deadline.astimezone(workshop.tz):%H:%M:%S}",
            account_managers=[am.pk, newcomer.pk],
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(change_url(workshop), form)
        assert response.status_code == 302, response.context["adminform"].form.errors
        invited = OutboundEmail.objects.filter(kind=EmailKind.INVITATION).values_list("to", flat=True)
        assert newcomer.email in invited

    def test_moving_the_date_raises_the_calendar_sequence(self, client, sa):
        workshop = workshop_in(Stage.REGISTRATION_OPEN, starts_at=datetime(2030, 6, 12, 7, 0, tzinfo=UTC))
        client.force_login(sa)
        response = client.post(change_url(workshop), workshop_form(sa, starts_at_1="10:00:00"))
        assert response.status_code == 302
        workshop.refresh_from_db()
        assert workshop.calendar_sequence == 1
        assert workshop.stage == Stage.REGISTRATION_OPEN


class TestTheWorkshopList:
    def test_the_list_shows_local_start_seats_and_the_accounts_reserved_against_those_needed(self, client, sa):
        workshop = workshop_in(
            Stage.REGISTRATION_OPEN,
            time_zone="Europe/Madrid",
            starts_at=datetime(2030, 6, 12, 7, 0, tzinfo=UTC),
            capacity=10,
            attendees_per_account=2,
            owners=[sa],
        )
        SandboxAccountFactory.create_batch(3, workshop=workshop)
        client.force_login(sa)
        row = client.get(reverse(CHANGELIST)).content.decode()
        assert "2030-06-12 09:00 Europe/Madrid" in row
        assert "3 / 5" in row and "the pool is short" in row
        assert str(sa) in row

    def test_the_list_costs_the_same_queries_for_one_workshop_or_many(self, client, sa):
        client.force_login(sa)
        WorkshopFactory(owners=[sa])
        client.get(reverse(CHANGELIST))  # warm caches (content types, sessions) out of the count
        with CaptureQueriesContext(connection) as one:
            client.get(reverse(CHANGELIST))
        for _ in range(5):
            workshop = WorkshopFactory(owners=[sa, SolutionsArchitectFactory()])
            SandboxAccountFactory(workshop=workshop)
        with CaptureQueriesContext(connection) as many:
            client.get(reverse(CHANGELIST))
        assert len(many) == len(one)


class TestTheSandboxPool:
    def test_releasing_quarantine_asks_first_then_releases_and_reports_refusals(self, client, sa):
        quarantined = SandboxAccountFactory(failed_cleanups=3)
        in_use = SandboxAccountFactory()
        SandboxAccount.objects.filter(pk=quarantined.pk).update(state=SandboxAccountState.QUARANTINED)
        SandboxAccount.objects.filter(pk=in_use.pk).update(state=SandboxAccountState.IN_USE)
        client.force_login(sa)

        page = choose_action(client, "release_from_quarantine", quarantined, in_use, changelist=ACCOUNTS)
        assert page.templates[0].name == "admin/confirm_action.html"
        assert "Not quarantined" in page.content.decode()
        quarantined.refresh_from_db()
        assert quarantined.state == SandboxAccountState.QUARANTINED

        response = confirm_action(client, "release_from_quarantine", quarantined, in_use, changelist=ACCOUNTS)
        quarantined.refresh_from_db()
        in_use.refresh_from_db()
        assert (quarantined.state, quarantined.failed_cleanups) == (SandboxAccountState.AVAILABLE, 0)
        assert in_use.state == SandboxAccountState.IN_USE
        levels = dict(flashed(response))
        assert f"Account {in_use.aws_account_id} is In use, not quarantined." == levels[messages.ERROR]
        assert quarantined.aws_account_id in levels[messages.SUCCESS]

    def test_the_pool_is_read_only_in_the_admin(self, client, sa):
        account = SandboxAccountFactory(name="cpp-sandbox-keep")
        client.force_login(sa)
        assert client.get(reverse("admin:workshops_sandboxaccount_add")).status_code == 403
        assert (
            client.get(reverse("admin:workshops_sandboxaccount_change", args=[account.pk])).context[
                "has_change_permission"
            ]
            is False
        )
        client.post(reverse("admin:workshops_sandboxaccount_change", args=[account.pk]), {"name": "renamed"})
        assert client.post(reverse("admin:workshops_sandboxaccount_delete", args=[account.pk])).status_code == 403
        account.refresh_from_db()
        assert account.name == "cpp-sandbox-keep"

    def test_the_pool_list_costs_the_same_queries_for_one_account_or_many(self, client, sa, workshop):
        client.force_login(sa)
        SandboxAccountFactory(workshop=workshop)
        client.get(reverse(ACCOUNTS))
        with CaptureQueriesContext(connection) as one:
            client.get(reverse(ACCOUNTS))
        for _ in range(5):
            SandboxAccountFactory(workshop=WorkshopFactory())
        with CaptureQueriesContext(connection) as many:
            client.get(reverse(ACCOUNTS))
        assert len(many) == len(one)
