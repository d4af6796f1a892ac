"""Only Solutions Architects (and superusers) see the staff pages; anyone else gets 404, anonymous visitors sign in."""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, workshop_in
from workshops.models import Stage

pytestmark = pytest.mark.django_db


def staff_urls(workshop, registration_id=1, credential_id=1) -> list[tuple[str, str]]:
    pk = workshop.pk
    return [
        ("get", reverse("staff:home")),
        ("get", reverse("staff:workshop", args=[pk])),
        ("get", reverse("staff:workshop_create")),
        ("get", reverse("staff:workshop_edit", args=[pk])),
        ("get", reverse("staff:attendees_csv", args=[pk])),
        ("get", reverse("staff:cleanup_progress", args=[pk])),
        ("get", reverse("staff:stage_move", args=[pk, Stage.CLOSED])),
        ("post", reverse("staff:stage_move", args=[pk, Stage.CLOSED])),
        ("post", reverse("staff:credential_retry", args=[pk, credential_id])),
        ("post", reverse("staff:registration_provision", args=[pk, registration_id])),
        ("get", reverse("staff:check_in", args=[pk])),
        ("post", reverse("staff:check_in_mark", args=[pk, registration_id])),
    ]


@pytest.fixture
def running(sa):
    return workshop_in(Stage.RUNNING, owners=[sa])


def test_anonymous_visitors_are_sent_to_sign_in(client, running):
    for method, url in staff_urls(running):
        response = getattr(client, method)(url, {"confirmed": "yes"} if method == "post" else {})
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:login")), url


@pytest.mark.parametrize("who", ["customer", "am", "staff_without_role"])
def test_everyone_but_solutions_architects_gets_404(client, running, customer, am, who):
    person = {"customer": customer, "am": am, "staff_without_role": UserFactory(is_staff=True)}[who]
    client.force_login(person)
    for method, url in staff_urls(running):
        response = getattr(client, method)(url, {"confirmed": "yes"} if method == "post" else {})
        assert response.status_code == 404, url
    running.refresh_from_db()
    assert running.stage == Stage.RUNNING  # the refused POST moved nothing


def test_an_inactive_solutions_architect_is_signed_out_and_sent_to_sign_in(client, sa, running):
    sa.is_active = False
    sa.save()
    client.force_login(sa)  # a session from before the account was switched off
    response = client.get(reverse("staff:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_solutions_architects_and_superusers_see_the_pages(client, sa, running):
    superuser = UserFactory(is_staff=True, is_superuser=True)
    for person in (sa, superuser):
        client.force_login(person)
        for method, url in staff_urls(running):
            if method == "get":
                assert client.get(url).status_code == 200, url
        assert client.get(reverse("staff:home")).status_code == 200


def test_a_workshop_that_does_not_exist_is_404(sa_client):
    assert sa_client.get(reverse("staff:workshop", args=[999999])).status_code == 404
    assert sa_client.get(reverse("staff:stage_move", args=[999999, Stage.CLOSED])).status_code == 404
    assert sa_client.get(reverse("staff:check_in", args=[999999])).status_code == 404


def test_an_unknown_stage_move_is_404(sa_client, running):
    assert sa_client.get(reverse("staff:stage_move", args=[running.pk, "nowhere"])).status_code == 404


def test_the_nav_links_staff_home_for_solutions_architects_only(client, sa, am):
    client.force_login(sa)
    assert reverse("staff:home") in client.get(reverse("notifications:outbox")).content.decode()
    client.force_login(am)
    assert reverse("staff:home") not in client.get(reverse("staff:am_workshops")).content.decode()


def test_the_staff_paths_leave_cleanup_and_outbox_to_their_apps(sa_client):
    assert sa_client.get("/staff/cleanup/").status_code == 200
    assert sa_client.get("/staff/outbox/").status_code == 200
    assert reverse("staff:home") == "/staff/"
