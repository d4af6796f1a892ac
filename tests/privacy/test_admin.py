"""Staff export and anonymise people from the admin; only SAs and superusers may."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from privacy.models import AnonymisationRun
from privacy.services import customers_anonymise
from tests.privacy.seed import seed_programme

pytestmark = pytest.mark.django_db

PEOPLE = reverse("admin:accounts_user_changelist")


@pytest.fixture
def programme():
    return seed_programme()


def act(client, action, people, **extra):
    return client.post(PEOPLE, {"action": action, helpers.ACTION_CHECKBOX_NAME: [p.pk for p in people], **extra})


def test_an_sa_exports_the_data_of_the_people_picked(client, programme):
    client.force_login(programme.sa)
    response = act(client, "export_data", programme.due[:2])
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    emails = [person["profile"]["email"] for person in json.loads(response.content)["people"]]
    assert sorted(emails) == sorted(p.email for p in programme.due[:2])


def test_anonymise_now_asks_first_then_anonymises_and_reports(client, programme):
    client.force_login(programme.sa)
    picked = [programme.due[0], programme.am]
    page = act(client, "anonymise_now", picked)
    assert page.status_code == 200
    body = page.content.decode()
    assert "cannot be undone" in body and "staff: never anonymised" in body
    assert not AnonymisationRun.objects.exists()

    response = act(client, "anonymise_now", picked, confirmed="yes")
    assert response.status_code == 302
    zorbalina, am = picked
    zorbalina.refresh_from_db()
    am.refresh_from_db()
    assert not zorbalina.is_active and zorbalina.first_name == ""
    assert am.is_active and am.first_name == "Andres"
    run = AnonymisationRun.objects.get()
    assert (run.trigger, run.requested_by, run.counts["people"]) == ("staff", programme.sa, 1)


def test_an_account_manager_has_neither_action(client, programme):
    client.force_login(programme.am)
    page = client.get(PEOPLE).content.decode()
    assert "anonymise_now" not in page and "export_data" not in page
    response = act(client, "anonymise_now", programme.due[:1], confirmed="yes")
    programme.due[0].refresh_from_db()
    assert programme.due[0].is_active
    assert response.status_code in (200, 302)
    assert not AnonymisationRun.objects.exists()


def test_the_runs_are_listed_read_only(client, programme):
    customers_anonymise(trigger=AnonymisationRun.Trigger.COMMAND, dry_run=True)
    client.force_login(programme.sa)
    run = AnonymisationRun.objects.get()
    assert client.get(reverse("admin:privacy_anonymisationrun_changelist")).status_code == 200
    assert client.get(reverse("admin:privacy_anonymisationrun_change", args=[run.pk])).status_code == 200
    assert (
        client.post(reverse("admin:privacy_anonymisationrun_delete", args=[run.pk]), {"post": "yes"}).status_code == 403
    )
    assert client.get(reverse("admin:privacy_anonymisationrun_add")).status_code == 403
