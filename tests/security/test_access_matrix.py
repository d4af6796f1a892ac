"""Who may reach which page: every URL pattern of the portal, opened by six kinds of visitor.

The table below is the one place that says it, one row per URL name. A pattern missing from it
fails the test: a new page must be classified here before it ships. The admin's own pages are
many and all guarded by one mechanism (`admin_view` plus model permissions), so a sample of them
is checked instead of each.

Outcomes: OK (200), LOGIN (redirected to a sign-in page), REDIRECT (sent on elsewhere), or the
status code of a refusal. Whatever a visitor may not see is a 404, so its existence tells nothing.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts import roles
from cleaner.models import CleanupRun
from notifications.models import EmailKind
from notifications.services import email_enqueue
from tests import factories
from workshops import registrations
from workshops.invitations import invitation_for
from workshops.models import AccountFreeze, Credential

pytestmark = pytest.mark.django_db

OK, LOGIN, REDIRECT = "ok", "login", "redirect"
ROLES = ("anonymous", "customer", "other_customer", "am", "other_am", "sa")
SIGN_IN_PAGES = ("/login/", "/accounts/login/", "/admin/login/")

# The anonymous, a customer (owner of the sample registration), another customer, the AM of the
# sample workshop (owner of its invitation), an AM not on it, and a Solutions Architect.
# A method other than GET is used where GET is not what the page is for.
ACCESS: dict[str, tuple[str, tuple]] = {
    # --- public ----------------------------------------------------------------------------
    "healthz": ("GET", (OK, OK, OK, OK, OK, OK)),
    "home": ("GET", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "set_language": ("POST", (REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "accounts:login": ("GET", (OK, OK, OK, OK, OK, OK)),
    "accounts:login_sent": ("GET", (OK, OK, OK, OK, OK, OK)),
    # No token: the same "this link does not work" page for everyone.
    "accounts:magic_link": ("GET", (400, 400, 400, 400, 400, 400)),
    "accounts:logout": ("POST", (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN)),
    "accounts:privacy": ("GET", (OK, OK, OK, OK, OK, OK)),
    # The invitation link is public by design (it is the AM's to share).
    "workshops:invitation": ("GET", (OK, OK, OK, OK, OK, OK)),
    # SNS posts here unsigned requests are refused by django-ses's signature check.
    "notifications:ses_events": ("POST", (400, 400, 400, 400, 400, 400)),
    # --- a customer's own ------------------------------------------------------------------
    "accounts:profile": ("GET", (LOGIN, OK, OK, OK, OK, OK)),
    "workshops:my_workshops": ("GET", (LOGIN, OK, OK, OK, OK, OK)),
    "workshops:registration_cancel": ("GET", (LOGIN, OK, 404, 404, 404, 404)),
    "workshops:registration_calendar": ("GET", (LOGIN, OK, 404, 404, 404, 404)),
    # Not signed in: 404 too (the page answers by magic link or to its attendee only).
    "workshops:credentials": ("GET", (404, OK, 404, 404, 404, 404)),
    # Not running yet: back to the page, which says why; nobody else learns it exists.
    "workshops:credentials_reveal": ("POST", (404, REDIRECT, 404, 404, 404, 404)),
    # Only once the workshop is closed, and to its attendee only; the sample workshop is open.
    "workshops:survey": ("GET", (404, 404, 404, 404, 404, 404)),
    # --- Account Managers ------------------------------------------------------------------
    "staff:am_workshops": ("GET", (LOGIN, 404, 404, OK, OK, 404)),
    "staff:am_invite": ("GET", (LOGIN, 404, 404, OK, 404, 404)),
    # --- Solutions Architects --------------------------------------------------------------
    "notifications:outbox": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "notifications:outbox_email": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "notifications:outbox_email_html": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "cleaner:runs": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "cleaner:run": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "cleaner:run_progress": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "stats:dashboard": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "stats:download": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:home": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:workshop_create": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:workshop": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:workshop_edit": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:attendees_csv": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:cleanup_progress": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    "staff:stage_move": ("GET", (LOGIN, 404, 404, 404, 404, OK)),  # the confirmation page
    "staff:check_in": ("GET", (LOGIN, 404, 404, 404, 404, OK)),
    # Buttons (POST only). The sample workshop is not running: the SA is sent back with a message.
    "staff:credential_retry": ("POST", (LOGIN, 404, 404, 404, 404, REDIRECT)),
    "staff:registration_provision": ("POST", (LOGIN, 404, 404, 404, 404, REDIRECT)),
    # The sample freeze is of the SA's workshop: the SA is sent back to the page, which says what happens.
    "staff:account_unfreeze": ("POST", (LOGIN, 404, 404, 404, 404, REDIRECT)),
    "staff:check_in_mark": ("POST", (LOGIN, 404, 404, 404, 404, REDIRECT)),
    # --- personal data (GDPR) ----------------------------------------------------------------
    "privacy:my_data": ("GET", (LOGIN, OK, OK, OK, OK, OK)),
    # Asking to be anonymised: not while registered for a coming workshop (409); staff never (403).
    "privacy:anonymise_me": ("GET", (LOGIN, 409, OK, 403, 403, 403)),
    "privacy:anonymised": ("GET", (OK, OK, OK, OK, OK, OK)),
    # --- the admin's sign-in and allauth (staff passwords only) ------------------------------
    "admin_login": ("GET", (LOGIN, 403, 403, LOGIN, LOGIN, LOGIN)),
    "account_login": ("GET", (OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "account_logout": ("GET", (REDIRECT, OK, OK, OK, OK, OK)),
    "account_inactive": ("GET", (OK, OK, OK, OK, OK, OK)),
    # Nobody signs up with a password (accounts.adapter closes it).
    "account_signup": ("GET", (OK, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    # Customers have no password to confirm.
    "account_reauthenticate": ("GET", (LOGIN, 403, 403, OK, OK, OK)),
    # Closed: an address is who someone is here, never swapped for an unverified one.
    "account_email": ("GET", (404, 404, 404, 404, 404, 404)),
    "account_email_verification_sent": ("GET", (OK, OK, OK, OK, OK, OK)),
    "account_change_password": ("GET", (LOGIN, REDIRECT, REDIRECT, OK, OK, OK)),
    # Customers never have a password; staff who have one are sent to "change".
    "account_set_password": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "account_reset_password": ("GET", (OK, OK, OK, OK, OK, OK)),
    "account_confirm_login_code": ("GET", (LOGIN, REDIRECT, REDIRECT, REDIRECT, REDIRECT, REDIRECT)),
    "account_confirm_email": ("GET", (OK, OK, OK, OK, OK, OK)),
    "account_reset_password_from_key_done": ("GET", (OK, OK, OK, OK, OK, OK)),
    "account_reset_password_from_key": ("GET", (OK, OK, OK, OK, OK, OK)),
    "account_reset_password_done": ("GET", (OK, OK, OK, OK, OK, OK)),
    # --- the second factor (allauth.mfa): staff only, a 404 to customers, who have no password -----
    # REDIRECT for staff is mostly allauth asking for the password again before a change (signed in
    # here without it); a 404 where there is nothing to show (no recovery codes, not a security key).
    "mfa_index": ("GET", (LOGIN, 404, 404, OK, OK, OK)),
    # Only in the middle of a sign-in; anyone else is sent back.
    "mfa_authenticate": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_reauthenticate": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, OK)),
    "mfa_activate_totp": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_deactivate_totp": ("GET", (LOGIN, 404, 404, 404, 404, REDIRECT)),
    "mfa_view_recovery_codes": ("GET", (LOGIN, 404, 404, 404, 404, 404)),
    "mfa_generate_recovery_codes": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_download_recovery_codes": ("GET", (LOGIN, 404, 404, 404, 404, 404)),
    "mfa_list_webauthn": ("GET", (LOGIN, 404, 404, OK, OK, OK)),
    "mfa_add_webauthn": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_reauthenticate_webauthn": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_remove_webauthn": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
    "mfa_edit_webauthn": ("GET", (LOGIN, 404, 404, REDIRECT, REDIRECT, REDIRECT)),
}

# The admin (under /admin/, besides admin_login above): a sample across apps and permissions,
# as (URL name, the Scene attribute whose pk it takes or None, method, outcomes). The AMs view
# people of their own organisations, organisations, topics and workshops; nothing of AWS, email
# or cleanup runs. "Not found" in the admin is a redirect to its index with a message.
ADMIN_SAMPLE: list[tuple[str, str | None, str, tuple]] = [
    ("admin:index", None, "GET", (LOGIN, LOGIN, LOGIN, OK, OK, OK)),
    ("admin:workshops_workshop_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, OK, OK, OK)),
    ("admin:workshops_workshop_change", "workshop", "GET", (LOGIN, LOGIN, LOGIN, OK, OK, OK)),
    ("admin:workshops_workshop_add", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:workshops_workshop_delete", "workshop", "GET", (LOGIN, LOGIN, LOGIN, 403, 403, 403)),
    ("admin:workshops_workshop_move", "workshop", "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:workshops_sandboxaccount_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:workshops_credential_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:accounts_user_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, OK, OK, OK)),
    ("admin:accounts_user_change", "customer", "GET", (LOGIN, LOGIN, LOGIN, OK, REDIRECT, OK)),
    ("admin:accounts_user_change", "sa", "GET", (LOGIN, LOGIN, LOGIN, REDIRECT, REDIRECT, OK)),
    ("admin:accounts_user_add", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:notifications_outboundemail_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:notifications_outboundemail_change", "email", "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:cleaner_cleanuprun_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
    ("admin:auth_group_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, 403)),
    ("admin:django_celery_beat_periodictask_changelist", None, "GET", (LOGIN, LOGIN, LOGIN, 403, 403, OK)),
]


def _patterns(patterns, prefix: str = "", namespace: str | None = None):
    """(route, name, pattern) of every URL pattern, through every include."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace
            if entry.namespace:
                inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = entry.name and (f"{namespace}:{entry.name}" if namespace else entry.name)
            yield prefix + str(entry.pattern), name, entry.pattern


def _argument_names(pattern) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _is_admin(route: str, name: str | None) -> bool:
    # The admin's own patterns are named "admin:…" or not at all (its redirects); admin_login is ours.
    return route.startswith("admin/") and (name is None or name.startswith("admin:"))


def portal_patterns():
    """Every pattern outside the admin's own, as (route, name, argument names)."""
    return [
        # An include's own arguments (allauth's "keys/<int:pk>/") sit in the route, not the leaf pattern.
        (route, name, list(dict.fromkeys([*re.findall(r"<(?:\w+:)?(\w+)>", route), *_argument_names(pattern)])))
        for route, name, pattern in _patterns(get_resolver().url_patterns)
        if not _is_admin(route, name)
    ]


class Scene:
    """One object of each kind a URL names, belonging to the customer and the AM of the matrix."""

    def __init__(self):
        cache.clear()  # rate-limit counters from other tests must not refuse a page here
        self.sa = factories.SolutionsArchitectFactory()
        self.am = factories.AccountManagerFactory()
        self.other_am = factories.AccountManagerFactory()
        self.customer = factories.SignedUpCustomerFactory()
        self.other_customer = factories.SignedUpCustomerFactory()
        self.customer.organisation.account_manager = self.am  # the AM's own customer
        self.customer.organisation.save(update_fields=["account_manager"])
        self.workshop = factories.open_workshop(owners=[self.sa], account_managers=[self.am])
        factories.open_workshop(owners=[self.sa], account_managers=[self.other_am])
        self.invitation = invitation_for(workshop=self.workshop, account_manager=self.am)
        self.registration = registrations.registration_create(
            workshop_id=self.workshop.pk, attendee=self.customer, invitation=self.invitation
        )
        self.email = email_enqueue(
            key="security:sample",
            kind=EmailKind.CUSTOMER_INVITATION,
            to=self.customer.email,
            subject="Sample",
            body_text="Sample",
            body_html="<p>Sample</p>",
        )
        self.run = CleanupRun.objects.create(trigger=CleanupRun.Trigger.COMMAND, requested_by=self.sa)
        self.credential = Credential.objects.create(
            registration=self.registration, sandbox_account=factories.SandboxAccountFactory(), iam_user_name="cpp-1"
        )
        self.freeze = AccountFreeze.objects.create(
            account=self.credential.sandbox_account, workshop=self.workshop, spend=51, limit=50
        )
        self.arguments = {
            "token": self.invitation.token,
            "freeze_id": self.freeze.pk,
            "registration_id": self.registration.pk,
            "workshop_id": self.workshop.pk,
            "email_id": self.email.pk,
            "run_id": self.run.pk,
            "credential_id": self.credential.pk,
            "target": "registration_closed",
            "table": "months",
            # allauth's e-mail confirmation and password-reset keys: made-up ones are refused on the page.
            "key": "made-up-key",
            "uidb36": "zz",
            # A security key's id: the SA's authenticator app is none, so it is refused to everyone.
            "pk": self.sa.authenticator_set.get().pk,
        }

    def person(self, role: str):
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def scene(db):
    assert Group.objects.filter(name=roles.ACCOUNT_MANAGERS).exists()
    return Scene()


def outcome(response) -> str | int:
    if response.status_code == 200:
        return OK
    if response.status_code in (301, 302, 303):
        location = response["Location"]
        return LOGIN if location.split("?")[0] in SIGN_IN_PAGES else REDIRECT
    return response.status_code


def visit(scene: Scene, role: str, method: str, url: str):
    client = Client()
    person = scene.person(role)
    if person is not None:
        client.force_login(person)
    return client.generic(method, url) if method not in ("GET", "POST") else getattr(client, method.lower())(url)


def check(scene: Scene, rows: list[tuple[str, str, str, tuple]]) -> list[str]:
    """Every (name, URL, method, outcomes) row opened as every role; what differs, one line each."""
    wrong = []
    for name, url, method, expected in rows:
        for role, want in zip(ROLES, expected, strict=True):
            got = outcome(visit(scene, role, method, url))
            if got != want:
                wrong.append(f"{name} ({method} {url}) as {role}: expected {want}, got {got}")
    return wrong


def test_every_url_pattern_is_classified_in_the_access_table():
    unclassified = [f"{route} (name {name!r})" for route, name, _args in portal_patterns() if name not in ACCESS]
    assert not unclassified, (
        "These URL patterns are not in tests/security/test_access_matrix.py's ACCESS table. Classify each: "
        "who (anonymous, customer, another customer, AM, another AM, SA) may reach it, and what the others "
        "get:\n  " + "\n  ".join(unclassified)
    )


def test_the_access_table_names_no_page_that_is_gone():
    names = {name for _route, name, _args in portal_patterns()}
    assert not set(ACCESS) - names, f"Remove from ACCESS: {sorted(set(ACCESS) - names)}"


def test_each_visitor_reaches_exactly_the_pages_the_table_allows(scene):
    rows = []
    for route, name, arguments in portal_patterns():
        if name not in ACCESS:
            continue  # reported by the classification test
        missing = [a for a in arguments if a not in scene.arguments]
        assert not missing, f"{route}: give Scene.arguments a sample value for {missing}"
        url = reverse(name, kwargs={a: scene.arguments[a] for a in arguments})
        method, expected = ACCESS[name]
        rows.append((name, url, method, expected))
    wrong = check(scene, rows)
    assert not wrong, "\n".join(wrong)


def test_customers_and_account_managers_reach_only_the_admin_pages_their_role_allows(scene):
    rows = []
    for name, attribute, method, expected in ADMIN_SAMPLE:
        args = [getattr(scene, attribute).pk] if attribute else []
        if name == "admin:workshops_workshop_move":
            args.append("registration_closed")
        rows.append((name, reverse(name, args=args), method, expected))
    wrong = check(scene, rows)
    assert not wrong, "\n".join(wrong)
