"""Every form refuses a POST that carries no CSRF token, whoever sends it.

The one view exempt by design is SES's webhook (SNS posts there with no cookie, and django-ses
checks the message's signature instead); anything else found exempt fails here.
"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from notifications.models import SuppressedAddress
from tests.security.test_access_matrix import Scene, portal_patterns

pytestmark = pytest.mark.django_db

# URL name: why it may take a POST without a CSRF token.
CSRF_EXEMPT = {
    "notifications:ses_events": "SNS cannot hold a CSRF cookie; django-ses verifies each message's signature",
}
# Posts that change things in the admin, one per kind of admin page.
ADMIN_POSTS = [
    ("admin:workshops_workshop_add", None),
    ("admin:workshops_workshop_change", "workshop"),
    ("admin:workshops_workshop_move", "workshop"),
    ("admin:workshops_workshop_changelist", None),  # where the admin's actions are posted
    ("admin:accounts_user_add", None),
    ("admin:accounts_user_change", "customer"),
    ("admin:logout", None),
]


@pytest.fixture
def scene(db):
    return Scene()


def csrf_client(scene: Scene, role: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role != "anonymous":
        client.force_login(getattr(scene, role))
    return client


def test_only_the_ses_webhook_is_exempt_from_csrf_checks():
    # Django marks a view csrf_exempt with an attribute; the admin's own views included.
    exempt = {name for name, view in _views(get_resolver().url_patterns) if getattr(view, "csrf_exempt", False)}
    assert exempt == set(CSRF_EXEMPT), f"exempt from CSRF checks: {sorted(exempt)}"


def _views(patterns, namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _views(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield name or str(entry.pattern), entry.callback


@pytest.mark.parametrize("role", ["anonymous", "customer", "am", "sa"])
def test_every_portal_page_refuses_a_post_without_a_csrf_token(scene, role):
    client = csrf_client(scene, role)
    accepted = []
    for _route, name, arguments in portal_patterns():
        if name in CSRF_EXEMPT:
            continue
        url = reverse(name, kwargs={a: scene.arguments[a] for a in arguments})
        response = client.post(url, {"email": "ana@example.com", "confirm": "yes"})
        if response.status_code != 403:
            accepted.append(f"{name} ({url}): {response.status_code}")
    assert not accepted, "POST without a CSRF token not refused:\n" + "\n".join(accepted)


def test_admin_forms_refuse_a_post_without_a_csrf_token(scene):
    client = csrf_client(scene, "sa")
    for name, attribute in ADMIN_POSTS:
        args = [getattr(scene, attribute).pk] if attribute else []
        if name == "admin:workshops_workshop_move":
            args.append("registration_closed")
        response = client.post(reverse(name, args=args), {"title": "Changed", "confirmed": "yes"})
        assert response.status_code == 403, name
    scene.workshop.refresh_from_db()
    assert scene.workshop.title != "Changed"
    assert scene.workshop.stage == "registration_open"


def test_with_its_token_the_same_form_goes_through(scene):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("accounts:login"))
    token = client.cookies["csrftoken"].value
    response = client.post(reverse("accounts:login"), {"email": "ana@example.com", "csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_the_exempt_ses_webhook_refuses_an_unsigned_message_and_changes_nothing(scene, settings):
    settings.AWS_SES_VERIFY_EVENT_SIGNATURES = True
    before = SuppressedAddress.objects.count()
    response = Client(enforce_csrf_checks=True).post(
        reverse("notifications:ses_events"),
        data='{"Type": "Notification", "Message": "{\\"eventType\\": \\"Bounce\\"}"}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert SuppressedAddress.objects.count() == before
