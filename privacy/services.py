"""GDPR anonymisation (DESIGN.md section 8): what is personal, where it lives, and how it goes.

The customers of a workshop finished more than CPP_GDPR_RETENTION_DAYS ago lose everything that
names them; what the statistics read (company, country, registrations, attendance, survey scores,
AM attribution) stays. Each change is one UPDATE or DELETE over a set: the people are a subquery
the database evaluates inside each statement, never a Python loop over rows. All of a run happens
in one transaction, so a failure leaves nothing half done.

Where personal data lives, table by table, and what happens to it:

- accounts_user: names, email, job title, phone become placeholders; the person is deactivated with
  an unusable password. Country, organisation, language, consent version and dates stay.
- accounts_customerorganisation: a sole trader's company (one a customer typed and nobody else
  ever belonged to, see selectors.sole_trader_organisations) is likely their own name, so it becomes
  `anonymised-organisation-<id>` with its last member; its country and AM stay. Others stay whole.
- account_emailaddress, account_emailconfirmation (allauth): deleted.
- django_session: the person's sessions are deleted, found by decoding them (see _session_keys).
- notifications_outboundemail: recipient, subject, bodies, calendar invite and last error (which
  quotes the address) are blanked; key, kind, status and dates stay. AM digests list customers by
  name, so the digests of the person's workshops go blank as well.
- notifications_suppressedaddress: deleted (see _steps).
- workshops_surveyanswer.comment blanked (scores stay); workshops_credential's stored password
  wiped (the IAM user name is random, never derived from the person, and stays).
- workshops_stagechange.note: staff free text, blanked once the workshop is past retention.
- django_admin_log: the text the admin kept of the person, their registrations, emails and
  suppressions. The change messages name fields, never values, and stay.

Nothing else holds personal data: cleaner rows describe AWS resources, django_celery_beat holds
schedules that carry ids only, sesame keeps no table (its links die with the password change and
the deactivation), allauth's rate limits are kept in the cache under hashed keys for an hour.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from accounts.models import CustomerOrganisation, User
from notifications.models import EmailKind, OutboundEmail, SuppressedAddress
from privacy import selectors
from privacy.models import AnonymisationRun
from workshops.models import Credential, Registration, StageChange, SurveyAnswer, Workshop
from workshops.services import workshop_mark_anonymised

log = logging.getLogger(__name__)

# Shown in place of text the admin kept about an anonymised person.
REDACTED = "(anonymised)"
# Outbox kinds about a workshop whose text names customers who may not be its recipient.
WORKSHOP_WIDE_KINDS = (EmailKind.CUSTOMER_INVITATION, EmailKind.AM_DIGEST)
SESSION_DELETE_CHUNK = 500


class AnonymisationRefused(Exception):
    def __init__(self, refusal: selectors.Refusal):
        self.refusal = refusal
        super().__init__(refusal.reason)


@dataclass
class _Step:
    """One kind of personal data: the rows that still hold it, and what becomes of them."""

    name: str
    rows: QuerySet | None
    change: dict[str, Any] | None = None  # None: the rows are deleted
    session_keys: list[str] | None = None  # sessions are found by decoding, not by a query

    def count(self) -> int:
        if self.session_keys is not None:
            return len(self.session_keys)
        return self.rows.count()

    def apply(self) -> int:
        if self.session_keys is not None:
            return _sessions_delete(self.session_keys)
        if self.change is None:
            return self.rows.delete()[1].get(self.rows.model._meta.label, 0)
        return self.rows.update(**self.change)


def _as_text(rows: QuerySet) -> QuerySet:
    """The rows' primary keys as text, to match django_admin_log.object_id."""
    return rows.order_by().annotate(object_key=Cast("pk", CharField())).values("object_key")


def _logged(model, rows: QuerySet) -> Q:
    return Q(content_type=ContentType.objects.get_for_model(model), object_id__in=_as_text(rows))


def _session_store():
    return import_module(settings.SESSION_ENGINE).SessionStore


def _session_keys(people: QuerySet[User]) -> list[str]:
    """Keys of the sessions signed in as one of `people`.

    A session row holds the user id only inside its encoded data, so the rows are decoded here.
    With a session engine that keeps no table (cache, signed cookies) nothing can be listed; such
    sessions die anyway: the user is inactive and the changed password no longer matches the
    hash every session keeps, so Django signs them out on their next request.
    """
    store_class = _session_store()
    if not hasattr(store_class, "get_model_class"):
        return []
    ids = {str(pk) for pk in people.values_list("pk", flat=True)}
    if not ids:
        return []
    store = store_class()
    rows = store_class.get_model_class().objects.values_list("session_key", "session_data")
    return [key for key, data in rows.iterator(chunk_size=2000) if str(store.decode(data).get(SESSION_KEY)) in ids]


def _sessions_delete(keys: list[str]) -> int:
    store_class = _session_store()
    if hasattr(store_class, "cache_key_prefix"):
        # cached_db: each session lives in the cache as well as in its row.
        for key in keys:
            store_class(session_key=key).delete()
        return len(keys)
    model = store_class.get_model_class()
    deleted = 0
    for start in range(0, len(keys), SESSION_DELETE_CHUNK):
        deleted += model.objects.filter(session_key__in=keys[start : start + SESSION_DELETE_CHUNK]).delete()[0]
    return deleted


def _steps(*, people: QuerySet[User], workshops: QuerySet[Workshop]) -> list[_Step]:
    """Every kind of personal data of `people` (and of `workshops`, wholly past retention).

    In order: a step may read rows a later step changes, never the reverse, so the querysets can
    stay lazy and each is evaluated by the database in its own statement.
    """
    from allauth.account.models import EmailAddress

    now = timezone.now()
    registrations = Registration.objects.filter(attendee__in=people)
    addresses = people.order_by().values("email")
    outbox = OutboundEmail.objects.filter(
        Q(recipient__in=people)
        | Q(registration__in=registrations)
        | Q(to__in=addresses)
        | Q(kind=EmailKind.AM_DIGEST, workshop__in=registrations.values("workshop"))
        | Q(kind__in=WORKSHOP_WIDE_KINDS, workshop__in=workshops)
    )
    blank_email = Q(to="", subject="", body_text="", body_html="", sealed_bodies="", calendar="", last_error="")
    invitees = OutboundEmail.objects.filter(kind=EmailKind.CUSTOMER_INVITATION, workshop__in=workshops).values("to")
    # A suppression only stops sending to an address; once the address is gone from every other
    # table nothing can be sent to it, and a hash kept instead would still identify the person
    # to anyone holding the address. So the row goes. Invitees who never signed up lose theirs
    # with their workshop's invitations, unless the address belongs to someone who stays.
    suppressed = SuppressedAddress.objects.filter(
        Q(email__in=addresses)
        | (Q(email__in=invitees) & ~Q(email__in=User.objects.exclude(pk__in=people).values("email")))
    )
    sole_traders = selectors.sole_trader_organisations(people)
    admin_log = LogEntry.objects.filter(
        _logged(User, people)
        | _logged(Registration, registrations)
        | _logged(OutboundEmail, outbox)
        | _logged(SuppressedAddress, suppressed)
        | _logged(CustomerOrganisation, sole_traders)
    ).exclude(object_repr=REDACTED)
    placeholder = Concat(
        Value("anonymised-"),
        Cast("pk", CharField()),
        Value(f"@{selectors.PLACEHOLDER_DOMAIN}"),
        output_field=CharField(),
    )
    return [
        _Step("sessions", None, session_keys=_session_keys(people)),
        _Step("admin_log", admin_log, {"object_repr": REDACTED}),
        _Step("suppressed_addresses", suppressed),
        _Step(
            "emails",
            outbox.exclude(blank_email),
            {
                "to": "",
                "subject": "",
                "body_text": "",
                "body_html": "",
                "sealed_bodies": "",
                "calendar": "",
                "last_error": "",
                "updated_at": now,
            },
        ),
        _Step("email_addresses", EmailAddress.objects.filter(user__in=people)),
        _Step(
            "survey_comments",
            SurveyAnswer.objects.filter(registration__in=registrations).exclude(comment=""),
            {"comment": ""},
        ),
        _Step(
            "stored_passwords",
            Credential.objects.filter(registration__in=registrations).exclude(password_encrypted=""),
            {"password_encrypted": "", "updated_at": now},
        ),
        _Step("stage_notes", StageChange.objects.filter(workshop__in=workshops).exclude(note=""), {"note": ""}),
        # Before the people: a sole trader's organisation is found through its member, not yet changed.
        # Its country, AM and every registration stay, so the statistics count it as before.
        _Step(
            "organisations",
            sole_traders,
            {
                "name": Concat(Value("anonymised-organisation-"), Cast("pk", CharField()), output_field=CharField()),
                "normalised_name": Concat(
                    Value(selectors.ORGANISATION_PLACEHOLDER_PREFIX), Cast("pk", CharField()), output_field=CharField()
                ),
                "updated_at": now,
            },
        ),
        # Last: every step above finds the people by the details this one replaces.
        _Step(
            "people",
            people,
            {
                "first_name": "",
                "last_name": "",
                "job_title": "",
                "phone": "",
                "email": placeholder,
                "is_active": False,
                "password": f"{UNUSABLE_PASSWORD_PREFIX}anonymised",
            },
        ),
    ]


def _run(
    *,
    trigger: str,
    dry_run: bool,
    options: dict,
    requested_by: User | None,
    people: QuerySet[User],
    workshops: QuerySet[Workshop],
    mark_workshops: bool,
) -> AnonymisationRun:
    run = AnonymisationRun.objects.create(trigger=trigger, dry_run=dry_run, options=options, requested_by=requested_by)
    try:
        with transaction.atomic():
            done = selectors.workshops_done(chosen=workshops, leaving=people) if mark_workshops else []
            counts = {}
            for step in _steps(people=people, workshops=workshops):
                counts[step.name] = step.count() if dry_run else step.apply()
            counts["workshops_anonymised"] = len(done)
            if not dry_run:
                for workshop_id in done:
                    workshop_mark_anonymised(
                        workshop_id=workshop_id,
                        actor=requested_by,
                        automatic=trigger == AnonymisationRun.Trigger.SCHEDULE,
                    )
    except Exception as error:
        AnonymisationRun.objects.filter(pk=run.pk).update(error=repr(error)[:2000], finished_at=timezone.now())
        raise
    run.counts, run.finished_at = counts, timezone.now()
    run.save(update_fields=["counts", "finished_at"])
    log.info("anonymisation run %s (%s%s): %s", run.pk, trigger, ", dry run" if dry_run else "", counts)
    return run


def retention_cutoff(*, older_than_days: int | None = None):
    days = settings.CPP_GDPR_RETENTION_DAYS if older_than_days is None else older_than_days
    return timezone.now() - timedelta(days=days)


def customers_anonymise(
    *,
    trigger: str,
    dry_run: bool = False,
    older_than_days: int | None = None,
    workshop_id: int | None = None,
    requested_by: User | None = None,
) -> AnonymisationRun:
    """Anonymise the customers of every workshop past retention (or of one), and report the run.

    A customer still registered for a workshop not past retention is left for a later run; a
    closed workshop whose customers are all done moves to "anonymised". Customers who signed up
    but never registered go once they have not signed in for the retention period.
    """
    days = settings.CPP_GDPR_RETENTION_DAYS if older_than_days is None else older_than_days
    cutoff = retention_cutoff(older_than_days=days)
    past = selectors.workshops_past_retention(cutoff=cutoff)
    chosen = past if workshop_id is None else past.filter(pk=workshop_id)
    options: dict[str, Any] = {"older_than_days": days}
    if workshop_id is not None:
        options["workshop"] = workshop_id
    return _run(
        trigger=trigger,
        dry_run=dry_run,
        options=options,
        requested_by=requested_by,
        # A run for one workshop touches only its customers; the full run also those who never registered.
        people=selectors.customers_due(past=past, chosen=chosen, idle_before=cutoff if workshop_id is None else None),
        workshops=chosen,
        mark_workshops=True,
    )


def people_anonymise(
    *, people_ids: list[int], trigger: str, requested_by: User | None, dry_run: bool = False
) -> AnonymisationRun:
    """Anonymise these customers now, whatever the retention (self-service and staff).

    Staff and people still holding a place at a workshop that has not finished are left out,
    checked again here in the same statement as the change, whatever the caller checked before.
    """
    people = (
        selectors.customers()
        .exclude(selectors.anonymised_q())
        .filter(pk__in=people_ids)
        .exclude(pk__in=selectors.people_holding_places().values("attendee"))
    )
    return _run(
        trigger=trigger,
        dry_run=dry_run,
        options={"people": sorted(people_ids)},
        requested_by=requested_by,
        people=people,
        workshops=Workshop.objects.none(),
        mark_workshops=False,
    )


def person_anonymise(*, person: User, trigger: str, requested_by: User | None) -> AnonymisationRun:
    """Anonymise one customer now, or raise AnonymisationRefused saying why not."""
    refusal = selectors.anonymisation_refusal(person)
    if refusal is not None:
        raise AnonymisationRefused(refusal)
    run = people_anonymise(people_ids=[person.pk], trigger=trigger, requested_by=requested_by)
    if not run.counts["people"]:
        # They registered for a workshop between the check and the change, which checked again.
        raise AnonymisationRefused(selectors.anonymisation_refusal(person) or selectors.Refusal("anonymised"))
    return run
