"""The browser's side of the portal's security: a Content-Security-Policy and a Permissions-Policy on
every page, and no inline JavaScript anywhere that the policy would have to allow.

The policy allows scripts and styles from the portal itself only, so an injected `<script>` or
`onerror=` does nothing. That holds only if the portal's own pages need no inline script either:
the template scan below keeps it so, and the pages are opened as the people who see them.
(The browser tests prove the JavaScript still runs under the policy: tests/browser.)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.security.test_access_matrix import ACCESS, ADMIN_SAMPLE, OK, ROLES, Scene, portal_patterns

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails are not pages: mail clients ignore a CSP, and the staff outbox shows them in a sandboxed
# frame with its own policy (notifications/views.py), so their inline styles are what email needs.
EMAIL_TEMPLATES = TEMPLATES / "notifications" / "email"

PERMISSIONS_OFF = ("camera", "microphone", "geolocation", "payment", "usb", "serial", "hid", "midi")


@pytest.fixture
def scene(db):
    """The access matrix's people and things: every page has someone who may open it."""
    return Scene()


def directives(header: str) -> dict[str, list[str]]:
    """`"default-src 'self'; img-src 'self' data:"` as `{"default-src": ["'self'"], "img-src": [...]}`."""
    parts = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in parts}


def permissions(header: str) -> dict[str, str]:
    return dict(item.strip().split("=", 1) for item in header.split(","))


class InlineCode(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts and on* handlers."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        handlers = [name for name in attributes if name.startswith("on")]
        if handlers:
            self.found.append(f"<{tag}> with {', '.join(handlers)}")
        # Data blocks (json_script) are not run, so no policy blocks them.
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self._in_inline_script = True

    def handle_endtag(self, tag):
        self._in_inline_script = False

    def handle_data(self, data):
        if self._in_inline_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]!r}")


def inline_code_in(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def pages_as_their_people(scene):
    """(what, URL, visitor) for every portal page and the admin sample: each GET by the first role it answers."""
    for _route, name, arguments in portal_patterns():
        method, outcomes = ACCESS[name]
        if method != "GET" or OK not in outcomes:
            continue
        url = reverse(name, kwargs={a: scene.arguments[a] for a in arguments})
        yield name, url, scene.person(ROLES[outcomes.index(OK)])
    for name, attribute, _method, outcomes in ADMIN_SAMPLE:
        if outcomes[ROLES.index("sa")] != OK or name == "admin:workshops_workshop_move":
            continue
        args = [getattr(scene, attribute).pk] if attribute else []
        yield name, reverse(name, args=args), scene.sa


def opened(url: str, person):
    client = Client()
    if person is not None:
        client.force_login(person)
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response


def test_the_site_policy_allows_only_the_portals_own_scripts_and_styles_and_no_framing():
    client = Client()
    policy = directives(client.get(reverse("accounts:login"))["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_every_page_answers_with_both_policies_and_runs_no_inline_code(scene):
    missing, inline = [], []
    for name, url, person in pages_as_their_people(scene):
        response = opened(url, person)
        for header in ("Content-Security-Policy", "Permissions-Policy"):
            if header not in response:
                missing.append(f"{name} ({url}): no {header}")
        if response["Content-Type"].startswith("text/html"):
            inline += [f"{name} ({url}): {what}" for what in inline_code_in(response.content.decode())]
    assert not missing, "\n".join(missing)
    assert not inline, "\n".join(inline)


def test_the_admin_pages_carry_the_policy_too(scene):
    # The admin's JavaScript is static files (and its data rides in data-* attributes), so the
    # site policy needs no exception for it: a browser test opens it under the policy as well.
    response = opened(reverse("admin:workshops_workshop_change", args=[scene.workshop.pk]), scene.sa)
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]
    assert not inline_code_in(response.content.decode())


def test_the_credentials_page_keeps_the_site_policy_and_can_never_be_framed(scene):
    site = directives(Client().get(reverse("accounts:login"))["Content-Security-Policy"])
    response = opened(reverse("workshops:credentials", args=[scene.registration.pk]), scene.customer)
    page = directives(response["Content-Security-Policy"])
    assert page["frame-ancestors"] == ["'none'"]
    assert page == site  # the same policy, not a weaker one of its own
    assert response["Referrer-Policy"] == "same-origin"


def test_a_site_policy_that_allowed_framing_would_still_not_frame_the_credentials_page(scene, settings):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {**settings.CONTENT_SECURITY_POLICY["DIRECTIVES"], "frame-ancestors": ["'self'"]}
    }
    response = opened(reverse("workshops:credentials", args=[scene.registration.pk]), scene.customer)
    assert directives(response["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_the_outbox_email_frame_keeps_its_stricter_policy(scene):
    response = opened(reverse("notifications:outbox_email_html", args=[scene.email.pk]), scene.sa)
    assert directives(response["Content-Security-Policy"])["default-src"] == ["'none'"]


def test_powerful_browser_features_are_off_except_webauthn_and_writing_the_clipboard():
    policy = permissions(Client().get(reverse("accounts:login"))["Permissions-Policy"])
    for feature in PERMISSIONS_OFF:
        assert policy[feature] == "()", feature
    assert policy["publickey-credentials-get"] == "(self)"
    assert policy["publickey-credentials-create"] == "(self)"
    assert policy["clipboard-write"] == "(self)"  # the copy buttons


def test_an_error_page_carries_both_policies_too():
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response and "Permissions-Policy" in response


# --- the templates themselves ------------------------------------------------------------------

TAG = re.compile(r"<[a-zA-Z][^<>]*>")
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt", ".xml", ".svg"))


def test_the_scan_sees_what_it_looks_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") and not INLINE_SCRIPT.search('<script src="a.js">')
    assert any(HANDLER.search(tag) for tag in TAG.findall('<input value="x" onfocus="this.select()">'))
    assert not any(HANDLER.search(tag) for tag in TAG.findall('<p>Someone="x"</p> <a data-on="1">'))


def test_no_template_has_an_inline_script_or_an_event_handler_attribute():
    found = []
    for path in templates():
        text = path.read_text()
        name = path.relative_to(TEMPLATES)
        found += [f"{name}: {match.group(0)}" for match in INLINE_SCRIPT.finditer(text)]
        found += [f"{name}: {tag[:80]}" for tag in TAG.findall(text) if HANDLER.search(tag)]
    assert not found, "Move these into a file under static/ (see static/js/):\n" + "\n".join(found)


def test_no_page_template_has_an_inline_style_attribute():
    found = []
    for path in templates():
        name = str(path.relative_to(TEMPLATES))
        if path.is_relative_to(EMAIL_TEMPLATES):
            continue
        found += [f"{name}: {tag[:80]}" for tag in TAG.findall(path.read_text()) if STYLE_ATTRIBUTE.search(tag)]
    assert not found, "The CSP ignores inline styles: give these a class in a stylesheet:\n" + "\n".join(found)
