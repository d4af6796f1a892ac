"""seed_demo gives every stage, working logins, and nothing new the second time."""

import io
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts import roles
from accounts.models import CustomerOrganisation, User
from workshops.models import Stage, StageChange, Topic, Workshop

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
        model.__name__: model.objects.count() for model in (User, CustomerOrganisation, Topic, Workshop, StageChange)
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


def test_a_second_run_creates_nothing_and_still_prints_the_logins(debug):
    first = seed()
    before = counts()
    second = seed()
    assert counts() == before
    assert "nothing created" in second
    assert LOGIN.findall(second) == LOGIN.findall(first)


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
