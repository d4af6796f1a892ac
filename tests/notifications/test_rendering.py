"""Every email kind renders in every language, on the workshop's clock, with nothing left in English."""

import ast
import gettext
import html
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.html import strip_tags

from notifications.models import EmailKind
from notifications.rendering import OUR_KINDS, REQUIRED_CONTEXT, RenderedEmail, email_language, render_email
from tests.factories import AccountManagerFactory, CustomerFactory, SolutionsArchitectFactory, WorkshopFactory
from workshops.sandbox.selectors import AccountCost, ServiceCost, WorkshopSpend

LANGUAGES = [code for code, _name in settings.LANGUAGES]
TRANSLATED = [code for code in LANGUAGES if code != "en"]
LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
EMAIL_TEMPLATES = "templates/notifications/email/"
# Msgids that read the same in every language (names of things); none are needed yet.
SAME_IN_EVERY_LANGUAGE: set[str] = set()

# 08:00 UTC is 09:00 in Madrid (CET, UTC+1) on 10 March 2027, a Wednesday.
STARTS_AT = datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
# Spelt the way each language writes a date: lowercase day and month names in es, pt and it.
LOCAL_DATE = {
    "en": "Wednesday, March 10, 2027",
    "es": "miércoles, 10 de marzo de 2027",
    "pt": "quarta-feira, 10 de março de 2027",
    "it": "mercoledì 10 marzo 2027",
}
LINKS = {
    "link": "https://portal.example.com/sign-in/abc123",
    "invitation_link": "https://portal.example.com/i/am-7f3a",
    "my_workshops_link": "https://portal.example.com/me/workshops",
    "credentials_link": "https://portal.example.com/sign-in/cred456?next=/me/credentials/9",
    "survey_link": "https://portal.example.com/survey/9",
}


@pytest.fixture
def people(db):
    return {
        "workshop": WorkshopFactory(
            title="Serverless & Containers <Immersion> Day",
            starts_at=STARTS_AT,
            ends_at=STARTS_AT + timedelta(hours=7),
            time_zone="Europe/Madrid",
            venue="Paseo de la Castellana 1\n28046 Madrid",
            online_link="https://meet.example.com/cpp-serverless",
            agenda="09:30 Welcome\n10:00 Lambda deep dive\n14:00 Labs",
        ),
        "attendee": CustomerFactory(first_name="Lucía", last_name="Pérez"),
        "account_manager": AccountManagerFactory(first_name="Marco", last_name="Rossi"),
        "architect": SolutionsArchitectFactory(first_name="Ana"),
    }


def context_for(kind: str, people: dict) -> dict:
    """A realistic context for `kind`, with every optional value filled in."""
    workshop, attendee, am = people["workshop"], people["attendee"], people["account_manager"]
    attendee_context = {
        "workshop": workshop,
        "attendee": attendee,
        "my_workshops_link": LINKS["my_workshops_link"],
        "calendar_attached": True,
    }
    return {
        EmailKind.MAGIC_LINK: {"link": LINKS["link"], "expires_minutes": 15},
        EmailKind.INVITATION: {
            "workshop": workshop,
            "account_manager": am,
            "invitation_link": LINKS["invitation_link"],
        },
        EmailKind.CUSTOMER_INVITATION: {
            "workshop": workshop,
            "account_manager": am,
            "invitation_link": LINKS["invitation_link"],
            "note": "Lucía, this is the one I told you about at the Lisbon meetup.",
        },
        EmailKind.REGISTRATION_CONFIRMED: attendee_context,
        EmailKind.WAITLISTED: {**attendee_context, "position": 3},
        EmailKind.PROMOTED: attendee_context,
        EmailKind.REMINDER_WEEK: attendee_context,
        EmailKind.REMINDER_DAY: attendee_context,
        EmailKind.ACCOUNT_READY: {**attendee_context, "credentials_link": LINKS["credentials_link"]},
        EmailKind.SURVEY: {**attendee_context, "survey_link": LINKS["survey_link"]},
        EmailKind.REGISTRATION_CANCELLED: attendee_context,
        EmailKind.WORKSHOP_CANCELLED: {**attendee_context, "reason": "Madrid office closed for works."},
        EmailKind.WORKSHOP_CHANGED: attendee_context,
        EmailKind.AM_DIGEST: {
            "workshop": workshop,
            "account_manager": am,
            "rows": [
                {"name": "Lucía Pérez", "organisation": "Acme Iberia", "status": "Registered"},
                {"name": "João Silva", "organisation": "Tejo Foods", "status": "On the waitlist"},
            ],
        },
        EmailKind.POOL_SHORTFALL: {"workshop": workshop, "needed": 20, "reserved": 12},
        EmailKind.WORKSHOP_COST: {"workshop": workshop, "spend": SPEND},
        EmailKind.BUDGET_FROZEN: {
            "workshop": workshop,
            "account_id": "210987654321",
            "spend": Decimal("51.20"),
            "limit": Decimal("50.00"),
        },
    }[kind]


SPEND = WorkshopSpend(
    total=Decimal("9"),
    attendees=3,
    accounts=[
        AccountCost(aws_account_id="111122223333", name="cpp-sandbox-001", amount=Decimal("7"), attendees=2),
        AccountCost(aws_account_id="444455556666", name="cpp-sandbox-002", amount=Decimal("2"), attendees=1),
    ],
    services=[
        ServiceCost("Amazon Elastic Compute Cloud - Compute", Decimal("6")),
        ServiceCost("AWS Lambda", Decimal("2")),
        ServiceCost("Amazon Simple Storage Service", Decimal("1")),
    ],
)


def variable_values(context: dict) -> list[str]:
    """What the caller put in: these may stay as they are in every language."""
    workshop = context.get("workshop")
    values = ["CPP Portal", settings.SITE_URL]
    if workshop is not None:
        values += [workshop.title, workshop.time_zone, workshop.online_link, *workshop.venue.splitlines()]
        values += workshop.agenda.splitlines()
    for key in ("attendee", "account_manager"):
        if key in context:
            person = context[key]
            values += [person.get_full_name(), person.first_name, person.email]
    for key in ("note", "reason", *LINKS):
        if context.get(key):
            values.append(str(context[key]))
    for row in context.get("rows", []):
        values += [str(v) for v in row.values()]
    spend = context.get("spend")
    if hasattr(spend, "services"):  # a workshop's cost: AWS's own names are never translated
        values += [s.service for s in spend.services]
        values += [f"{a.aws_account_id} {a.name}" for a in spend.accounts]
    if "account_id" in context:  # the frozen account's id: a number in every language
        values.append(context["account_id"])
    # Longest first, so a title is removed before a shorter value inside it.
    return sorted({v for v in values if v}, key=len, reverse=True)


URL = re.compile(r"https?://\S+")


def sentences(text: str, values: list[str]) -> list[str]:
    """The fixed wording of a text: each line with the caller's values cut out, pieces of 2+ words."""
    pieces = []
    for line in text.splitlines():
        line = URL.sub("\0", line)  # links the portal builds, e.g. the workshop's admin page
        for value in values:
            line = line.replace(value, "\0")
        for piece in line.split("\0"):
            piece = piece.strip(" \t:,.()–-“”")
            if len(re.findall(r"[^\W\d_]{2,}", piece)) >= 2:
                pieces.append(piece)
    return pieces


def html_text(body_html: str) -> str:
    return html.unescape(strip_tags(body_html))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", OUR_KINDS)
def test_every_kind_renders_in_every_language(kind, language, people):
    email = render_email(kind=kind, language=language, context=context_for(kind, people))

    assert isinstance(email, RenderedEmail)
    assert email.subject and "\n" not in email.subject and email.subject == email.subject.strip()
    assert email.body_text.strip() and email.body_html.strip()
    assert f'<html lang="{language}"' in email.body_html
    assert "-- \n" in email.body_text  # the footer that says why they got it
    workshop = people["workshop"]
    if "workshop" in REQUIRED_CONTEXT[kind]:
        for body in (email.body_text, html_text(email.body_html)):
            assert workshop.title in body
            assert LOCAL_DATE[language] in body
            # 08:00–15:00 UTC, shown on the workshop's clock with the clock named.
            assert "09:00" in body and "16:00" in body and "Europe/Madrid" in body
            assert "08:00" not in body and "15:00" not in body
            assert "Paseo de la Castellana 1" in body
            assert workshop.online_link in body


@pytest.mark.django_db
@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("kind", OUR_KINDS)
def test_translated_emails_keep_no_english_sentence(kind, language, people):
    context = context_for(kind, people)
    english = render_email(kind=kind, language="en", context=context)
    translated = render_email(kind=kind, language=language, context=context)
    values = variable_values(context)

    # A subject can be one word around the title ("Cancelled: …"): it must still change.
    assert translated.subject != english.subject
    assert sentences(english.body_text, values), "the English body has wording of its own"
    for english_text, translated_text in (
        (english.subject, translated.subject),
        (english.body_text, translated.body_text),
        (html_text(english.body_html), html_text(translated.body_html)),
    ):
        leftovers = [s for s in sentences(english_text, values) if s in translated_text]
        assert not leftovers, f"{kind} in {language} still says, in English: {leftovers}"


@pytest.mark.django_db
def test_html_is_escaped_and_plain_text_is_not(people):
    email = render_email(
        kind=EmailKind.REGISTRATION_CONFIRMED, language="en", context=context_for("registration_confirmed", people)
    )
    assert "Serverless &amp; Containers &lt;Immersion&gt; Day" in email.body_html
    assert "<Immersion>" not in email.body_html
    assert "Serverless & Containers <Immersion> Day" in email.body_text
    assert "Serverless & Containers <Immersion> Day" in email.subject


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_account_ready_links_to_the_credentials_page_and_never_carries_a_password(language, people):
    email = render_email(kind=EmailKind.ACCOUNT_READY, language=language, context=context_for("account_ready", people))
    for body in (email.body_text, email.body_html):
        assert LINKS["credentials_link"] in body
        assert not re.search(r"(password|contraseña|palavra-passe|senha)\W{0,3}[:=]", body, re.IGNORECASE)


@pytest.mark.django_db
def test_a_workshop_over_two_days_shows_both_days(people):
    workshop = people["workshop"]
    workshop.ends_at = STARTS_AT + timedelta(days=1, hours=7)
    email = render_email(kind=EmailKind.REMINDER_DAY, language="en", context=context_for("reminder_day", people))
    assert "From Wednesday, March 10, 2027, 09:00 to Thursday, March 11, 2027, 16:00 (Europe/Madrid time)" in (
        email.body_text
    )


@pytest.mark.django_db
def test_times_follow_the_workshops_zone_not_the_servers(people, settings):
    settings.TIME_ZONE = "America/New_York"
    workshop = people["workshop"]
    workshop.time_zone = "Asia/Tokyo"  # 08:00–15:00 UTC is 17:00–00:00 in Tokyo: it ends the next day
    email = render_email(kind=EmailKind.REMINDER_WEEK, language="en", context=context_for("reminder_week", people))
    assert "From Wednesday, March 10, 2027, 17:00 to Thursday, March 11, 2027, 00:00 (Asia/Tokyo time)" in (
        email.body_text
    )


def test_unknown_languages_fall_back_to_english_and_regional_ones_to_their_base():
    assert email_language("fr") == "en"
    assert email_language("") == "en"
    assert email_language("pt-BR") == "pt"
    assert email_language("es_ES") == "es"


def test_a_missing_context_value_is_a_clear_error():
    with pytest.raises(ValueError, match="needs expires_minutes"):
        render_email(kind=EmailKind.MAGIC_LINK, language="en", context={"link": "https://x.example.com"})
    with pytest.raises(ValueError, match="Unknown email kind"):
        render_email(kind="newsletter", language="en", context={})


def test_every_kind_has_its_three_templates():
    root = Path(settings.BASE_DIR) / EMAIL_TEMPLATES
    for kind in OUR_KINDS:
        assert {p.name for p in (root / kind).iterdir()} >= {"subject.txt", "body.txt", "body.html"}, kind


# --- The catalogues --------------------------------------------------------------------------


def parse_po(path: Path) -> list[dict]:
    """The entries of a .po file: msgctxt, msgid, msgid_plural, msgstr {form: text}, flags, references."""
    entries = []
    # gettext's tools always write a blank line between entries; obsolete ones (#~) have no msgid.
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry = {"flags": set(), "references": [], "msgstr": {}}
        target = None  # (mapping, key) that a continuation line extends
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#:"):
                entry["references"] += line[2:].split()
            elif line.startswith("#") or not line:
                continue
            elif line.startswith('"'):
                mapping, key = target
                mapping[key] += ast.literal_eval(line)
            else:
                keyword, _, rest = line.partition(" ")
                form = re.fullmatch(r"msgstr(?:\[(\d+)\])?", keyword)
                target = (entry["msgstr"], int(form.group(1) or 0)) if form else (entry, keyword)
                target[0][target[1]] = ast.literal_eval(rest)
        if "msgid" in entry:
            entries.append(entry)
    return entries


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "django.po"


PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalogues_have_no_untranslated_or_fuzzy_entries(language):
    entries = parse_po(po_path(language))
    header = next(e for e in entries if e["msgid"] == "")
    assert "fuzzy" not in header["flags"]
    assert f"Language: {language}\n" in header["msgstr"][0]
    plurals = int(re.search(r"Plural-Forms: nplurals=(\d+);", header["msgstr"][0]).group(1))
    problems = []
    for entry in entries:
        if entry["msgid"] == "":
            continue
        if "fuzzy" in entry["flags"]:
            problems.append(("fuzzy", entry["msgid"]))
        forms = entry["msgstr"]
        if not forms or not all(forms.values()) or ("msgid_plural" in entry and len(forms) != plurals):
            problems.append(("untranslated", entry["msgid"]))
        expected = set(PLACEHOLDER.findall(entry["msgid"] + entry.get("msgid_plural", "")))
        for text in forms.values():
            if set(PLACEHOLDER.findall(text)) - expected:
                problems.append(("unknown placeholder", entry["msgid"]))
        if "msgid_plural" not in entry and set(PLACEHOLDER.findall(forms.get(0, ""))) != expected:
            problems.append(("placeholders differ", entry["msgid"]))
    assert not problems


@pytest.mark.parametrize("language", TRANSLATED)
def test_compiled_catalogues_match_the_po_files(language):
    # Compare contents, not mtimes: a checkout sets every mtime to the same moment.
    expected = {}
    for entry in parse_po(po_path(language)):
        if entry["msgid"] == "" or "fuzzy" in entry["flags"]:
            continue
        key = f"{entry['msgctxt']}\x04{entry['msgid']}" if "msgctxt" in entry else entry["msgid"]
        if "msgid_plural" in entry:
            expected.update({(key, n): text for n, text in entry["msgstr"].items()})
        else:
            expected[key] = entry["msgstr"][0]
    with open(po_path(language).with_suffix(".mo"), "rb") as mo:
        compiled = dict(gettext.GNUTranslations(mo)._catalog)
    compiled.pop("", None)  # the header
    assert compiled == expected, "run: DEBUG=1 .venv/bin/python manage.py compilemessages --ignore=.venv"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_email_string_is_translated_at_runtime(language):
    email_entries = [
        e
        for e in parse_po(po_path(language))
        if e["msgid"] and any(ref.startswith(EMAIL_TEMPLATES) for ref in e["references"])
    ]
    assert len(email_entries) > 50
    same = []
    with translation.override(language):
        for entry in email_entries:
            msgid = entry["msgid"]
            if msgid in SAME_IN_EVERY_LANGUAGE:
                continue
            if "msgid_plural" in entry:
                results = {translation.ngettext(msgid, entry["msgid_plural"], n): n for n in (1, 2)}
                untranslated = msgid in results or entry["msgid_plural"] in results
            elif "msgctxt" in entry:
                untranslated = translation.pgettext(entry["msgctxt"], msgid) == msgid
            else:
                untranslated = translation.gettext(msgid) == msgid
            if untranslated:
                same.append(msgid)
    assert not same, f"{language}: these email strings are still in English: {same}"
