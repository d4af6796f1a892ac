"""Turn an email kind, a language and a context into the subject and bodies the outbox stores.

Templates live in `templates/notifications/email/<kind>/` (`subject.txt`, `body.txt`,
`body.html`); the bodies extend `base.txt` / `base.html`. Rendering happens inside the
recipient's language and the workshop's time zone, so dates read as the recipient expects and
times are the ones on the workshop's own clock (the zone name is printed beside them).

The context each kind needs is in REQUIRED_CONTEXT; these are optional:
`note` (customer_invitation), `position` (waitlisted), `reason` (workshop_cancelled),
`calendar_attached` (say an .ics is attached: registration_confirmed, promoted, workshop_changed,
registration_cancelled, workshop_cancelled),
`my_workshops_link` (registration_cancelled). `am_digest` rows are dicts with `name`,
`organisation` and `status`, where status is a display label (a lazy one is translated here).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from notifications.models import EmailKind

TEMPLATE_DIR = "notifications/email"

_WORKSHOP = {"workshop"}
_ATTENDEE = _WORKSHOP | {"attendee"}
REQUIRED_CONTEXT: dict[str, frozenset[str]] = {
    kind: frozenset(keys)
    for kind, keys in {
        EmailKind.MAGIC_LINK: {"link", "expires_minutes"},
        EmailKind.INVITATION: _WORKSHOP | {"account_manager", "invitation_link"},
        EmailKind.CUSTOMER_INVITATION: _WORKSHOP | {"account_manager", "invitation_link"},
        EmailKind.REGISTRATION_CONFIRMED: _ATTENDEE | {"my_workshops_link"},
        EmailKind.WAITLISTED: _ATTENDEE | {"my_workshops_link"},
        EmailKind.PROMOTED: _ATTENDEE | {"my_workshops_link"},
        EmailKind.REMINDER_WEEK: _ATTENDEE | {"my_workshops_link"},
        EmailKind.REMINDER_DAY: _ATTENDEE | {"my_workshops_link"},
        EmailKind.ACCOUNT_READY: _ATTENDEE | {"credentials_link"},
        EmailKind.SURVEY: _ATTENDEE | {"survey_link"},
        EmailKind.REGISTRATION_CANCELLED: _ATTENDEE,
        EmailKind.WORKSHOP_CANCELLED: _ATTENDEE,
        EmailKind.WORKSHOP_CHANGED: _ATTENDEE | {"my_workshops_link"},
        EmailKind.AM_DIGEST: _WORKSHOP | {"account_manager", "rows"},
        EmailKind.POOL_SHORTFALL: _WORKSHOP | {"needed", "reserved"},
        EmailKind.WORKSHOP_COST: _WORKSHOP | {"spend"},  # a workshops.sandbox.selectors.WorkshopSpend
        EmailKind.BUDGET_FROZEN: _WORKSHOP | {"account_id", "spend", "limit"},
    }.items()
}


# These languages write weekday and month names in lowercase ("mercoledì 10 marzo"); Django's
# own Italian and Portuguese catalogues capitalise them.
LOWERCASE_DATE_NAMES = frozenset({"es", "pt", "it"})


# allauth renders its own emails (password reset, security notices) from its translated templates.
RENDERED_ELSEWHERE = frozenset({EmailKind.ACCOUNT_MESSAGE})
OUR_KINDS = tuple(kind for kind in EmailKind.values if kind not in RENDERED_ELSEWHERE)


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    body_text: str
    body_html: str


def email_language(language: str | None) -> str:
    """The portal language closest to `language` ("pt-br" → "pt"); English when there is none."""
    known = {code for code, _name in settings.LANGUAGES}
    code = (language or "").strip().lower().replace("_", "-")
    if code in known:
        return code
    base = code.split("-")[0]
    return base if base in known else settings.LANGUAGE_CODE


def render_email(*, kind: str, language: str, context: dict) -> RenderedEmail:
    """Render the subject, plain text and HTML of a `kind` email in `language`."""
    if kind not in REQUIRED_CONTEXT:
        raise ValueError(f"Unknown email kind {kind!r}.")
    missing = REQUIRED_CONTEXT[kind] - context.keys()
    if missing:
        raise ValueError(f"A {kind} email needs {', '.join(sorted(missing))} in its context.")
    language = email_language(language)
    values = {**context, "kind": kind, "language": language, "site_url": settings.SITE_URL}
    workshop = context.get("workshop")
    if workshop is not None:
        # Staff emails point at the workshop's page; customers never get this link.
        values.setdefault("workshop_admin_link", _workshop_admin_link(workshop))
    # Times are formatted from local_start/local_end; the zone also keeps any `date` filter in a
    # template on the workshop's clock rather than the server's.
    zone = timezone.override(workshop.time_zone) if workshop is not None else contextlib.nullcontext()
    with translation.override(language), zone:
        if workshop is not None:
            values["when"] = _workshop_times(workshop, language)
        subject = " ".join(_render(kind, "subject.txt", values, autoescape=False).split())
        values["subject"] = subject
        body_text = _tidy_text(_render(kind, "body.txt", values, autoescape=False))
        body_html = _render(kind, "body.html", values, autoescape=True).strip() + "\n"
    return RenderedEmail(subject=subject, body_text=body_text, body_html=body_html)


def _workshop_times(workshop, language: str) -> dict:
    """Start and end on the workshop's own clock, spelt as `language` writes dates."""
    lowercase = language in LOWERCASE_DATE_NAMES
    times = {"same_day": workshop.local_start.date() == workshop.local_end.date()}
    for name, moment in (("start", workshop.local_start), ("end", workshop.local_end)):
        day, date = date_format(moment, "l"), date_format(moment, "DATE_FORMAT")
        times[f"{name}_day"] = day.lower() if lowercase else day
        times[f"{name}_date"] = date.lower() if lowercase else date
        times[f"{name}_time"] = date_format(moment, "H:i")
    return times


def _workshop_admin_link(workshop) -> str:
    try:
        return settings.SITE_URL + reverse("admin:workshops_workshop_change", args=[workshop.pk])
    except NoReverseMatch:  # an unsaved workshop (a preview) has no page yet
        return settings.SITE_URL + "/admin/"


def _render(kind: str, name: str, values: dict, *, autoescape: bool) -> str:
    # The engine-level template takes a Context, which is where autoescaping is switched: off
    # for the subject and plain text (an "&" must stay "&"), on for HTML.
    template = get_template(f"{TEMPLATE_DIR}/{kind}/{name}").template
    return template.render(Context(values, autoescape=autoescape))


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy_text(text: str) -> str:
    # Template tags leave trailing spaces and runs of blank lines; a reader sees paragraphs.
    lines = [line.rstrip() for line in text.strip().splitlines()]
    # The signature separator is "-- " with its space, by convention (RFC 3676).
    lines = ["-- " if line == "--" else line for line in lines]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)) + "\n"
