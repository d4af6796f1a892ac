"""Invitations: each AM's personal link to a workshop, the emails that carry it, and the digest.

An Account Manager gets one link per workshop (an `Invitation`); whoever registers through it is
attributed to them. The AM is emailed the link when registration opens (or when they are added
to a workshop that is already open), may send it to a list of contacts from the portal, and gets
a digest of their customers when registration closes. Every email is keyed by what it is about,
so running any of this twice sends nothing twice.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from email.utils import getaddresses

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.validators import refused_character
from notifications import services as outbox
from notifications.models import EmailKind, OutboundEmail
from notifications.rendering import render_email
from workshops.models import Invitation, Registration, RegistrationStatus, Workshop
from workshops.registrations import registration_open_for

# One paste or file; more is a mailing campaign, which is not what this page is for.
MAX_CONTACTS = 500
MAX_NAME_LENGTH = 150  # User.first_name / last_name
COLUMNS = ("email", "first_name", "last_name", "language")
# Header spellings people use, after lower-casing and turning "-", "_" and runs of spaces into one space.
HEADER_NAMES = {
    "email": "email",
    "e mail": "email",
    "email address": "email",
    "e mail address": "email",
    "mail": "email",
    "first name": "first_name",
    "firstname": "first_name",
    "given name": "first_name",
    "forename": "first_name",
    "last name": "last_name",
    "lastname": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "language": "language",
    "lang": "language",
    "locale": "language",
}
DELIMITERS = ("\t", ";", ",")


def invitation_link(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}{reverse('workshops:invitation', args=[invitation.token])}"


def invitation_for(*, workshop: Workshop, account_manager: User) -> Invitation:
    """The AM's one invitation to `workshop`, created on first use."""
    # get_or_create retries the read when a concurrent insert wins the unique constraint.
    invitation, _created = Invitation.objects.get_or_create(workshop=workshop, account_manager=account_manager)
    return invitation


def _existing_keys(keys: list[str]) -> set[str]:
    return set(OutboundEmail.objects.filter(key__in=keys).values_list("key", flat=True))


def account_managers_invite(*, workshop_id: int) -> int:
    """Email each participating AM their invitation link while registration is open; returns how many were new.

    Runs when registration opens, and again whenever AMs are added to an open workshop: the
    ones already emailed are skipped by key.
    """
    workshop = Workshop.objects.select_related("topic").get(pk=workshop_id)
    if not registration_open_for(workshop):
        return 0  # moved on (or past its deadline) before this ran: the link would not work
    account_managers = list(workshop.account_managers.filter(is_active=True).order_by("pk"))
    invitations = [invitation_for(workshop=workshop, account_manager=am) for am in account_managers]
    already = _existing_keys([f"{EmailKind.INVITATION}:{i.pk}" for i in invitations])
    queued = 0
    for invitation in invitations:
        key = f"{EmailKind.INVITATION}:{invitation.pk}"
        if key in already:
            continue
        am = invitation.account_manager
        outbox.email_enqueue_for(
            recipient=am,
            kind=EmailKind.INVITATION,
            key=key,
            context={"workshop": workshop, "account_manager": am, "invitation_link": invitation_link(invitation)},
            workshop_id=workshop.pk,
        )
        queued += 1
    return queued


# --- Inviting customers by list ----------------------------------------------------------------


@dataclass(frozen=True)
class ContactRow:
    """One line of a pasted or uploaded list, as written; `problem` is set when it could not be read."""

    line: int
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    language: str = ""
    problem: str = ""


@dataclass(frozen=True)
class RowError:
    line: int | None  # None: about the list as a whole
    message: str


@dataclass
class InviteReport:
    queued: int = 0
    already_invited: int = 0  # on an earlier list: not sent again
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_-]+", " ", cell.strip().lower())


def _delimiter(text: str) -> str:
    # The separator used most wins; a list of bare addresses has none, and any will do.
    counts = {d: text.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def contacts_parse(text: str) -> list[ContactRow]:
    """Read a pasted list or CSV (email, first name, last name, language; header optional).

    Commas, semicolons or tabs separate the columns; blank lines are skipped and every row keeps
    the line number the person sees in their editor.
    """
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[ContactRow] = []
    columns: tuple[str, ...] | None = None  # known once the first row is read
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            while cells and not cells[-1]:
                cells.pop()  # spreadsheets pad rows with empty cells
            if not cells:
                continue
            line = reader.line_num
            if columns is None:
                columns, is_header, problem = _header(cells)
                if problem:
                    rows.append(ContactRow(line=line, problem=problem))
                if is_header:
                    continue
            rows.append(_row(line, cells, columns))
    except csv.Error as error:
        problem = _("This line cannot be read (%(error)s).") % {"error": error}
        rows.append(ContactRow(line=reader.line_num, problem=problem))
    return rows


def _header(first: list[str]) -> tuple[tuple[str, ...], bool, str]:
    """The column order, whether the first row is a header, and what is wrong with it if anything."""
    known = [HEADER_NAMES.get(_header_key(cell)) for cell in first]
    if any("@" in cell for cell in first) or not any(known):
        # Data in the default order; if it is not an address, the row's own checks say so.
        return COLUMNS, False, ""
    unknown = [cell for cell, name in zip(first, known, strict=True) if name is None]
    if unknown:
        problem = _("Unknown column “%(column)s”: the columns are email, first_name, last_name, language.") % {
            "column": unknown[0]
        }
    elif "email" not in known:
        problem = _("The header has no email column.")
    elif len(set(known)) != len(known):
        problem = _("The header names a column twice.")
    else:
        return tuple(known), True, ""
    return COLUMNS, True, problem


def _row(line: int, cells: list[str], columns: tuple[str, ...]) -> ContactRow:
    if len(cells) > len(columns):
        return ContactRow(line=line, problem=_("Too many columns: give email, first name, last name, language."))
    values = dict(zip(columns, cells, strict=False))
    return ContactRow(line=line, **values)


def _language_code(value: str) -> str | None:
    """A portal language from a code ("es", "pt-BR") or a name ("Spanish", "español"); None if unknown."""
    codes = [code for code, _name in settings.LANGUAGES]
    wanted = value.strip().lower().replace("_", "-")
    if wanted.split("-")[0] in codes:
        return wanted.split("-")[0]
    for code in codes:
        info = LANG_INFO.get(code, {})
        if wanted in (info.get("name", "").lower(), info.get("name_local", "").lower()):
            return code
    return None


def _address(value: str) -> tuple[str, str]:
    """The address a contact's email cell names, and a problem instead when it is not clear which.

    A bare address, or "Name <address>" as mail programs copy it: the address is only ever what
    stands between the one pair of angle brackets at the end. A name that holds an address itself
    ('"Boss <boss@example.com>" <someone@else.example>') is refused, not guessed at: whoever reads
    the list sees one address and the email would go to another. So is anything that does not
    read one way only: two pairs of brackets, a bracket left open, text after it, two addresses.
    """
    value = value.strip()
    if not any(mark in value for mark in '<>"'):
        return value.lower(), ""
    name, bracket, rest = value.rpartition("<")
    if "@" in name:
        return "", _("“%(value)s” has an address in its name: give the address alone.") % {"value": value}
    address = rest[:-1].strip()
    unclear = _("“%(value)s” is unclear: give the address alone, or as Name <address>.") % {"value": value}
    if not bracket or not rest.endswith(">") or ">" in rest[:-1] or "<" in name or ">" in name:
        return "", unclear
    # What is between the brackets must be one address to email.utils as well (not "a@x, b@y").
    # The name is not parsed: a spreadsheet drops its quotes, and "Doe, Jane" is still one name.
    if getaddresses([f"<{address}>"]) != [("", address)]:
        return "", unclear
    return address.lower(), ""


@dataclass(frozen=True)
class _Contact:
    email: str
    language: str


def _contacts_validate(rows: list[ContactRow], *, default_language: str) -> tuple[list[_Contact], list[RowError]]:
    errors: list[RowError] = []
    contacts: list[_Contact] = []
    first_line: dict[str, int] = {}
    if not rows:
        return [], [RowError(None, _("The list has no contacts."))]
    if len(rows) > MAX_CONTACTS:
        errors.append(
            RowError(
                rows[MAX_CONTACTS].line,
                _("The list has %(count)s contacts; send at most %(max)s at a time.")
                % {"count": len(rows), "max": MAX_CONTACTS},
            )
        )
    for row in rows:
        if row.problem:
            errors.append(RowError(row.line, row.problem))
            continue
        problems = []
        email, problem = _address(row.email)
        if not problem:
            try:
                validate_email(email)
            except ValidationError:
                problem = _("“%(value)s” is not an email address.") % {"value": row.email or _("(empty)")}
        if problem:
            problems.append(problem)
        elif email in first_line:
            problems.append(_("%(email)s is already on line %(line)s.") % {"email": email, "line": first_line[email]})
        else:
            first_line[email] = row.line
        for name in (row.first_name, row.last_name):
            if "@" in name:
                problems.append(_("Put one contact per line: “%(value)s” is in a name column.") % {"value": name})
            elif len(name) > MAX_NAME_LENGTH:
                problems.append(_("A name is longer than %(max)s characters.") % {"max": MAX_NAME_LENGTH})
            elif (character := refused_character(name)) is not None:
                problems.append(
                    _("A name holds an invisible or control character (U+%(code)04X).") % {"code": ord(character)}
                )
        language = _language_code(row.language) if row.language else default_language
        if language is None:
            problems.append(
                _("Unknown language “%(value)s”: use %(codes)s.")
                % {"value": row.language, "codes": ", ".join(code for code, _name in settings.LANGUAGES)}
            )
        errors.extend(RowError(row.line, problem) for problem in problems)
        if not problems:
            contacts.append(_Contact(email=email, language=language))
    errors.sort(key=lambda error: error.line or 0)
    return contacts, errors


def _customer_invitation_key(invitation: Invitation, email: str) -> str:
    # A keyed hash, not the address: keys outlive the GDPR anonymisation that blanks the recipient.
    digest = salted_hmac("workshops.customer_invitation", email, algorithm="sha256").hexdigest()[:32]
    return f"{EmailKind.CUSTOMER_INVITATION}:{invitation.pk}:{digest}"


@transaction.atomic(durable=True)
def customers_invite(*, invitation: Invitation, rows: list[ContactRow], note: str = "") -> InviteReport:
    """Email the AM's invitation to each contact, all or nothing: any bad row and nothing is queued."""
    workshop = invitation.workshop
    if not registration_open_for(workshop):
        return InviteReport(
            errors=[RowError(None, _("Registration for “%(title)s” is closed.") % {"title": workshop.title})]
        )
    contacts, errors = _contacts_validate(rows, default_language=workshop.language)
    if errors:
        return InviteReport(errors=errors)
    keys = {contact.email: _customer_invitation_key(invitation, contact.email) for contact in contacts}
    already = _existing_keys(list(keys.values()))
    users = dict(User.objects.filter(email__in=list(keys)).values_list("email", "pk"))
    am = invitation.account_manager
    context = {"workshop": workshop, "account_manager": am, "invitation_link": invitation_link(invitation)}
    if note.strip():
        context["note"] = note.strip()
    rendered = {}  # nothing in it is per contact, so once per language will do
    report = InviteReport()
    for contact in contacts:
        if keys[contact.email] in already:
            report.already_invited += 1
            continue
        if contact.language not in rendered:
            rendered[contact.language] = render_email(
                kind=EmailKind.CUSTOMER_INVITATION, language=contact.language, context=context
            )
        email = rendered[contact.language]
        outbox.email_enqueue(
            key=keys[contact.email],
            kind=EmailKind.CUSTOMER_INVITATION,
            to=contact.email,
            subject=email.subject,
            body_text=email.body_text,
            body_html=email.body_html,
            language=contact.language,
            workshop_id=workshop.pk,
            recipient_id=users.get(contact.email),
        )
        report.queued += 1
    return report


# --- The digest when registration closes ------------------------------------------------------

_STATUS_ORDER = {RegistrationStatus.CONFIRMED: 0, RegistrationStatus.WAITLISTED: 1, RegistrationStatus.CANCELLED: 2}


def _digest_rows(workshop: Workshop, account_manager: User) -> list[dict]:
    registrations = (
        Registration.objects.select_related("attendee", "organisation")
        .filter(workshop=workshop, account_manager=account_manager)
        .order_by("queued_at", "pk")
    )
    ordered = sorted(registrations, key=lambda r: _STATUS_ORDER[r.status])  # stable: queue order within
    return [
        {
            "name": r.attendee.get_full_name() or r.attendee.email,
            "organisation": r.organisation.name if r.organisation else "",
            "status": RegistrationStatus(r.status).label,  # lazy: rendered in the AM's language
        }
        for r in ordered
    ]


def account_managers_digest(*, workshop_id: int) -> int:
    """Email each AM of the workshop where their customers stand; returns how many were new."""
    workshop = Workshop.objects.select_related("topic").get(pk=workshop_id)
    # The participating AMs, and any AM removed since whose customers still registered.
    account_managers = (
        User.objects.filter(is_active=True)
        .filter(Q(invited_workshops=workshop) | Q(attributed_registrations__workshop=workshop))
        .distinct()
        .order_by("pk")
    )
    queued = 0
    for am in account_managers:
        key = f"{EmailKind.AM_DIGEST}:{workshop.pk}:{am.pk}"
        if OutboundEmail.objects.filter(key=key).exists():
            continue
        outbox.email_enqueue_for(
            recipient=am,
            kind=EmailKind.AM_DIGEST,
            key=key,
            context={"workshop": workshop, "account_manager": am, "rows": _digest_rows(workshop, am)},
            workshop_id=workshop.pk,
        )
        queued += 1
    return queued
