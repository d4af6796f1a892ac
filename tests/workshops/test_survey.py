"""The survey: emailed once to each attendee when the workshop closes, answered once through a link
scoped to the one registration, and refused clearly to anyone and anything else."""

import time
from unittest import mock
from urllib.parse import parse_qs, urlsplit

import pytest
import sesame.tokens_v2
import sesame.utils
from django.conf import settings
from django.core import mail
from django.urls import reverse

from notifications.models import EmailKind, OutboundEmail
from tests.factories import (
    AccountManagerFactory,
    SignedUpCustomerFactory,
    SolutionsArchitectFactory,
    registration_in,
    workshop_in,
)
from workshops import services, side_effects, survey
from workshops.models import Registration, RegistrationStatus, Stage, SurveyAnswer

pytestmark = pytest.mark.django_db

ANSWER = {"satisfaction": "4", "would_recommend": "yes", "comment": "Great labs."}


@pytest.fixture(autouse=True)
def no_send_rate_limit(settings):
    settings.CPP_EMAIL_MAX_PER_SECOND = 0


@pytest.fixture
def only_the_survey_on_close():
    # Revoking credentials and refreshing guardrails on close talk to AWS; their own tests cover them.
    assert side_effects.send_survey in side_effects.handlers_for(Stage.CLOSED)
    with side_effects.stage_hooks_replaced(Stage.CLOSED, [side_effects.send_survey]):
        yield


def register(workshop, *, status=RegistrationStatus.CONFIRMED, attended=None, attendee=None) -> Registration:
    return registration_in(workshop, attendee=attendee, status=status, attended=attended)


def survey_emails():
    return OutboundEmail.objects.filter(kind=EmailKind.SURVEY).order_by("pk")


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)[settings.SESAME_TOKEN_NAME][0]


def url(registration) -> str:
    return reverse("workshops:survey", args=[registration.pk])


@pytest.fixture
def closed():
    return workshop_in(Stage.CLOSED, title="Data Day")


@pytest.fixture
def registration(closed):
    return register(closed, attended=True)


# --- The email -----------------------------------------------------------------------------------


class TestEmailOnClose:
    def test_each_attendee_gets_one_survey_email_even_when_closing_runs_twice(
        self, only_the_survey_on_close, django_capture_on_commit_callbacks
    ):
        sa = SolutionsArchitectFactory()
        workshop = workshop_in(Stage.RUNNING, title="Data Day")
        present = register(workshop, attended=True)
        unmarked = register(workshop, attended=None)
        register(workshop, attended=False)  # a no-show has nothing to rate
        register(workshop, status=RegistrationStatus.WAITLISTED)
        register(workshop, status=RegistrationStatus.CANCELLED)
        for _attempt in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                services.workshop_close(workshop_id=workshop.pk, actor=sa)
        assert {e.registration_id for e in survey_emails()} == {present.pk, unmarked.pk}

        # The handler itself run again (a late-acked task redelivered) queues nothing more.
        assert survey.survey_emails_queue(workshop_id=workshop.pk) == 0
        assert survey_emails().count() == 2

        email = survey_emails().get(registration=present)
        assert email.key == f"survey:{present.pk}"
        assert (email.to, email.recipient_id) == (present.attendee.email, present.attendee_id)
        assert "Data Day" in email.subject
        # The survey link is a key: the outbox keeps it sealed and drops it once sent, so read what was sent.
        [sent] = [m for m in mail.outbox if m.extra_headers["X-CPP-Email-Key"] == email.key]
        body_text, body_html = sent.body, sent.alternatives[0][0]
        link = next(word for word in body_text.split() if "/survey/" in word)
        assert link.startswith(settings.SITE_URL + url(present) + "?token=")
        assert link.replace("&", "&amp;") in body_html

    def test_nothing_is_queued_for_a_workshop_that_is_not_closed(self):
        running = workshop_in(Stage.RUNNING)
        register(running, attended=True)
        assert survey.survey_emails_queue(workshop_id=running.pk) == 0
        assert not survey_emails().exists()

    def test_the_email_is_in_the_attendees_language(self, closed):
        register(closed, attended=True, attendee=SignedUpCustomerFactory(preferred_language="es"))
        survey.survey_emails_queue(workshop_id=closed.pk)
        assert survey_emails().get().language == "es"


# --- The link ------------------------------------------------------------------------------------


class TestLink:
    def test_the_link_opens_the_form_without_signing_in(self, client, registration):
        link = survey.survey_link(registration)
        response = client.get(link.removeprefix(settings.SITE_URL))
        assert response.status_code == 200
        page = response.content.decode()
        assert 'name="satisfaction"' in page and 'name="would_recommend"' in page and 'name="comment"' in page
        assert "_auth_user_id" not in client.session  # looking (or a mail scanner) signs nobody in
        assert not SurveyAnswer.objects.exists()

    def test_a_tampered_token_is_refused(self, client, registration):
        token = token_of(survey.survey_link(registration))
        tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        response = client.post(url(registration), {**ANSWER, "token": tampered})
        assert response.status_code == 410
        assert "no longer valid" in response.content.decode()
        assert not SurveyAnswer.objects.exists()

    def test_the_token_of_another_registration_is_refused(self, client, closed, registration):
        other = register(closed, attended=True)
        token = token_of(survey.survey_link(other))
        assert client.get(url(registration), {"token": token}).status_code == 410
        assert client.post(url(registration), {**ANSWER, "token": token}).status_code == 410
        assert not SurveyAnswer.objects.exists()

    def test_a_token_of_another_scope_is_refused(self, client, registration):
        credentials_token = sesame.utils.get_token(registration.attendee, scope=f"credentials:{registration.pk}")
        assert client.post(url(registration), {**ANSWER, "token": credentials_token}).status_code == 410
        assert not SurveyAnswer.objects.exists()

    def test_a_link_revoked_by_signing_in_still_works_where_the_attendee_is_signed_in(self, client, registration):
        link = survey.survey_link(registration).removeprefix(settings.SITE_URL)
        client.force_login(registration.attendee)  # a later sign-in: one-time tokens sent before are revoked
        assert survey.survey_token_user(token=token_of(link), registration=registration) is None
        assert client.get(link).status_code == 200
        client.logout()
        response = client.get(link)
        assert response.status_code == 410
        assert "sign in" in response.content.decode()

    def test_an_expired_token_is_refused(self, client, registration):
        token = token_of(survey.survey_link(registration))
        later = time.time() + survey.SURVEY_LINK_MAX_AGE.total_seconds() + 60
        with mock.patch.object(sesame.tokens_v2.time, "time", return_value=later):
            response = client.post(url(registration), {**ANSWER, "token": token})
        assert response.status_code == 410
        assert not SurveyAnswer.objects.exists()

    def test_a_token_still_works_on_its_last_days(self, client, registration):
        token = token_of(survey.survey_link(registration))
        later = time.time() + survey.SURVEY_LINK_MAX_AGE.total_seconds() - 3600
        with mock.patch.object(sesame.tokens_v2.time, "time", return_value=later):
            assert client.post(url(registration), {**ANSWER, "token": token}).status_code == 200
        assert SurveyAnswer.objects.filter(registration=registration).exists()

    def test_an_unknown_registration_is_a_clear_404(self, client, registration):
        token = token_of(survey.survey_link(registration))
        response = client.post(reverse("workshops:survey", args=[registration.pk + 1000]), {**ANSWER, "token": token})
        assert response.status_code == 404
        assert "no survey to answer here" in response.content.decode()

    def test_a_cancelled_registration_is_a_clear_404(self, client, closed):
        cancelled = register(closed, status=RegistrationStatus.CANCELLED)
        token = token_of(survey.survey_link(cancelled))
        response = client.post(url(cancelled), {**ANSWER, "token": token})
        assert response.status_code == 404
        assert "was cancelled" in response.content.decode()
        assert not SurveyAnswer.objects.exists()

    def test_a_no_show_and_a_workshop_not_yet_closed_have_no_survey(self, client, closed):
        no_show = register(closed, attended=False)
        early = register(workshop_in(Stage.RUNNING), attended=True)
        for registration in (no_show, early):
            token = token_of(survey.survey_link(registration))
            assert client.post(url(registration), {**ANSWER, "token": token}).status_code == 404
        assert not SurveyAnswer.objects.exists()

    def test_without_a_token_only_the_signed_in_attendee_may_answer(self, client, closed, registration):
        assert client.get(url(registration)).status_code == 404  # anonymous, no token
        for someone_else in (register(closed).attendee, AccountManagerFactory(), SolutionsArchitectFactory()):
            client.force_login(someone_else)
            assert client.get(url(registration)).status_code == 404
            assert client.post(url(registration), ANSWER).status_code == 404
        assert not SurveyAnswer.objects.exists()
        client.force_login(registration.attendee)
        assert client.get(url(registration)).status_code == 200
        assert client.post(url(registration), ANSWER).status_code == 200
        assert SurveyAnswer.objects.get().registration == registration


# --- The answer ----------------------------------------------------------------------------------


class TestAnswer:
    def test_an_answer_is_recorded_once(self, client, registration):
        token = token_of(survey.survey_link(registration))
        response = client.post(url(registration), {**ANSWER, "token": token})
        assert response.status_code == 200
        assert "Thank you!" in response.content.decode()
        answer = SurveyAnswer.objects.get()
        assert (answer.registration, answer.workshop_id) == (registration, registration.workshop_id)
        assert (answer.satisfaction, answer.would_recommend, answer.comment) == (4, True, "Great labs.")

        again = client.post(url(registration), {"satisfaction": "1", "would_recommend": "no", "token": token})
        assert "already answered" in again.content.decode()
        assert client.get(url(registration), {"token": token}).content.decode().count("already answered") == 1
        answer.refresh_from_db()
        assert (SurveyAnswer.objects.count(), answer.satisfaction) == (1, 4)

    def test_a_post_to_the_link_itself_is_answered_too(self, client, registration):
        link = survey.survey_link(registration).removeprefix(settings.SITE_URL)
        assert client.post(link, ANSWER).status_code == 200
        assert SurveyAnswer.objects.get().registration == registration

    def test_the_service_refuses_a_second_answer(self, registration):
        survey.survey_answer_create(registration_id=registration.pk, satisfaction=5, would_recommend=True)
        with pytest.raises(survey.SurveyError, match="already been answered"):
            survey.survey_answer_create(registration_id=registration.pk, satisfaction=1, would_recommend=False)
        assert SurveyAnswer.objects.get().satisfaction == 5

    @pytest.mark.parametrize("satisfaction", ["0", "6", "-1", "4.5", "five", ""])
    def test_a_satisfaction_outside_1_to_5_is_refused_and_changes_nothing(self, client, registration, satisfaction):
        token = token_of(survey.survey_link(registration))
        response = client.post(url(registration), {**ANSWER, "satisfaction": satisfaction, "token": token})
        assert response.status_code == 400
        page = response.content.decode()
        assert "score from 1 to 5" in page
        assert 'name="token"' in page  # the form keeps the link's token for the next try
        assert not SurveyAnswer.objects.exists()

    @pytest.mark.parametrize("satisfaction", [0, 6, -3])
    def test_the_service_refuses_a_score_out_of_range(self, registration, satisfaction):
        with pytest.raises(survey.SurveyError, match="1 to 5"):
            survey.survey_answer_create(
                registration_id=registration.pk, satisfaction=satisfaction, would_recommend=True
            )
        assert not SurveyAnswer.objects.exists()

    def test_recommend_must_be_yes_or_no_and_the_comment_is_optional(self, client, registration):
        token = token_of(survey.survey_link(registration))
        refused = client.post(url(registration), {"satisfaction": "3", "would_recommend": "maybe", "token": token})
        assert refused.status_code == 400 and "Answer yes or no." in refused.content.decode()
        assert not SurveyAnswer.objects.exists()
        client.post(url(registration), {"satisfaction": "3", "would_recommend": "no", "token": token})
        answer = SurveyAnswer.objects.get()
        assert (answer.satisfaction, answer.would_recommend, answer.comment) == (3, False, "")

    def test_a_comment_too_long_is_refused(self, client, registration):
        token = token_of(survey.survey_link(registration))
        response = client.post(url(registration), {**ANSWER, "comment": "x" * 4001, "token": token})
        assert response.status_code == 400
        assert not SurveyAnswer.objects.exists()

    def test_the_form_post_needs_csrf(self, registration):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        token = token_of(survey.survey_link(registration))
        assert strict.post(url(registration), {**ANSWER, "token": token}).status_code == 403
        assert not SurveyAnswer.objects.exists()


@pytest.mark.postgres
def test_two_answers_sent_at_once_make_one(require_postgres, transactional_db):
    import threading

    from django.db import connection

    registration = register(workshop_in(Stage.CLOSED), attended=True)
    barrier = threading.Barrier(4)
    outcomes = []

    def answer(satisfaction):
        try:
            barrier.wait()
            survey.survey_answer_create(
                registration_id=registration.pk, satisfaction=satisfaction, would_recommend=True
            )
            outcomes.append("recorded")
        except survey.SurveyError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=answer, args=(n,)) for n in (2, 3, 4, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["recorded", "refused", "refused", "refused"]
    assert SurveyAnswer.objects.filter(registration=registration).count() == 1
