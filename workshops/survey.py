"""The one-page survey after a workshop: who is asked, the link that opens it, and the answer.

Who is asked: every confirmed registration of a closed workshop whose attendee was not marked a
no-show (`attended` True or not marked). Many check-in lists are never ticked, so leaving out the
unmarked would leave most workshops without any answer; a marked no-show has nothing to rate.

The link carries a django-sesame token scoped to the one registration (`survey:<id>`), like the
credentials link, valid for SURVEY_LINK_MAX_AGE. Opening it or answering does not sign anyone in,
so the link is not spent by use; like every sesame token of the portal it is revoked when the
attendee signs in (one-time tokens hang on the last login), in which case the attendee, signed in,
reaches the same page without a token.

One answer per registration, and it is final: the programme reports its figures, and an answer
that could still change would move them afterwards. A second visit says it was already answered.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

import sesame.utils
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from workshops.models import Registration, RegistrationStatus, Stage, SurveyAnswer

SURVEY_LINK_MAX_AGE = timedelta(days=30)
SATISFACTION_SCORES = range(1, 6)


class SurveyError(Exception):
    """An answer the survey does not take; the message says why."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


# --- Links ---------------------------------------------------------------------------------------


def survey_scope(registration_id: int) -> str:
    return f"survey:{registration_id}"


def survey_path(registration_id: int) -> str:
    return reverse("workshops:survey", args=[registration_id])


def survey_link(registration: Registration) -> str:
    """The link in the survey email: this registration's survey, answerable without a password."""
    token = sesame.utils.get_token(registration.attendee, scope=survey_scope(registration.pk))
    return f"{settings.SITE_URL}{survey_path(registration.pk)}?{urlencode({settings.SESAME_TOKEN_NAME: token})}"


def survey_token_user(*, token: str, registration: Registration) -> User | None:
    """The attendee a valid survey token of `registration` belongs to; None for any other token."""
    if not token:
        return None
    user = sesame.utils.get_user(
        token,
        scope=survey_scope(registration.pk),
        max_age=SURVEY_LINK_MAX_AGE,
        update_last_login=False,  # answering is not signing in
    )
    if user is None or user.pk != registration.attendee_id or user.is_staff:
        return None
    return user


# --- Who is asked --------------------------------------------------------------------------------


def survey_recipients(workshop_id: int):
    """The registrations of a workshop whose attendees are asked: confirmed and not a marked no-show."""
    return (
        Registration.objects.filter(workshop_id=workshop_id, status=RegistrationStatus.CONFIRMED)
        .exclude(attended=False)
        .filter(attendee__is_active=True)
    )


def survey_refusal(registration: Registration) -> str | None:
    """Why this registration has no survey to answer (a sentence for its attendee); None when it has."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return _("This registration was cancelled or never had a seat, so it has no survey.")
    if registration.attended is False:
        return _("The check-in list says you did not attend this workshop, so it has no survey for you.")
    if registration.workshop.stage != Stage.CLOSED:
        if registration.workshop.stage == Stage.ANONYMISED:
            return _("The survey of this workshop has closed.")
        return _("The survey opens when the workshop is over.")
    return None


def survey_emails_queue(*, workshop_id: int) -> int:
    """Queue the survey email of every attendee of a closed workshop; returns how many were new."""
    from notifications import workshop_emails
    from notifications.models import OutboundEmail

    registrations = list(
        survey_recipients(workshop_id)
        .filter(workshop__stage=Stage.CLOSED, survey_answer__isnull=True)
        .select_related("attendee", "workshop__topic")
        .order_by("pk")
    )
    keys = {r.pk: workshop_emails.survey_key(r) for r in registrations}
    already = set(OutboundEmail.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    queued = 0
    for registration in registrations:
        if keys[registration.pk] in already:
            continue  # the outbox's unique key would refuse it anyway; this skips rendering it
        workshop_emails.survey_email(registration, survey_link=survey_link(registration))
        queued += 1
    return queued


# --- Answers -------------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def survey_answer_create(
    *, registration_id: int, satisfaction: int, would_recommend: bool, comment: str = ""
) -> SurveyAnswer:
    """Record the one answer of a registration; refuses a second one and anything out of range."""
    registration = (
        Registration.objects.select_for_update(of=("self",))
        .select_related("workshop")
        .filter(pk=registration_id)
        .first()
    )
    if registration is None:
        raise SurveyError(_("There is no such registration."))
    if (refusal := survey_refusal(registration)) is not None:
        raise SurveyError(refusal)
    if satisfaction not in SATISFACTION_SCORES:
        raise SurveyError(_("Satisfaction is a score from 1 to 5."))
    comment = comment.strip()
    if len(comment) > SurveyAnswer._meta.get_field("comment").max_length:
        raise SurveyError(_("The comment is too long."))
    if SurveyAnswer.objects.filter(registration=registration).exists():
        raise SurveyError(_("This survey has already been answered. Thank you!"))
    try:
        with transaction.atomic():
            return SurveyAnswer.objects.create(
                registration=registration,
                workshop_id=registration.workshop_id,
                satisfaction=satisfaction,
                would_recommend=bool(would_recommend),
                comment=comment,
            )
    except IntegrityError as error:  # a second answer sent at the same moment
        raise SurveyError(_("This survey has already been answered. Thank you!")) from error
