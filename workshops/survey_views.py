"""The survey page an attendee reaches from the email sent when the workshop closes.

The email's link carries a token scoped to one registration (workshops.survey); the page is also
open to its attendee when signed in, without a token. Opening the link changes nothing; only the
form's POST (which carries the token again) records the answer, so mail scanners that prefetch
links answer nothing. Nobody is signed in by this page.

Answers: an unknown registration is a 404; a link that is not (or no longer) valid for this
registration is a 410 that offers to sign in and come back; a registration with no survey (a
cancellation, a no-show, a workshop not closed) is a 404 that says why, to its attendee only.
"""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from workshops.models import Registration, SurveyAnswer
from workshops.survey import (
    SATISFACTION_SCORES,
    SURVEY_LINK_MAX_AGE,
    SurveyError,
    survey_answer_create,
    survey_path,
    survey_refusal,
    survey_token_user,
)

RECOMMEND_CHOICES = (("yes", _("Yes")), ("no", _("No")))


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("How satisfied are you with the workshop? (1 = not at all, 5 = very)"),
        choices=[(str(n), str(n)) for n in SATISFACTION_SCORES],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 1 to 5."),
            "invalid_choice": _("Satisfaction is a score from 1 to 5."),
        },
    )
    would_recommend = forms.ChoiceField(
        label=_("Would you recommend this workshop to a colleague?"),
        choices=RECOMMEND_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Answer yes or no."), "invalid_choice": _("Answer yes or no.")},
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        max_length=SurveyAnswer._meta.get_field("comment").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


def _login_url(registration_id: int) -> str:
    return f"{reverse('accounts:login')}?{urlencode({'next': survey_path(registration_id)})}"


def _not_found(request: HttpRequest, registration_id: int, reason: str = "") -> HttpResponse:
    context = {"reason": reason, "login_url": _login_url(registration_id)}
    return render(request, "workshops/survey_not_found.html", context, status=HTTPStatus.NOT_FOUND)


def _invalid_link(request: HttpRequest, registration_id: int) -> HttpResponse:
    context = {"login_url": _login_url(registration_id), "days": SURVEY_LINK_MAX_AGE.days}
    return render(request, "workshops/survey_link_invalid.html", context, status=HTTPStatus.GONE)


def _respondent(request: HttpRequest, registration: Registration, token: str | None) -> bool:
    """Whether this request speaks for the registration's attendee: by its token, or signed in as them."""
    if token is not None and survey_token_user(token=token, registration=registration) is not None:
        return True
    # Signing in revokes the links sent before: in the browser where they signed in, theirs still works.
    user = request.user
    return bool(user.is_authenticated and user.is_active and not user.is_staff and user.pk == registration.attendee_id)


@never_cache
@require_http_methods(["GET", "POST"])
def survey(request: HttpRequest, registration_id: int) -> HttpResponse:
    """The survey of one registration: the form, the thanks, or why there is none."""
    registration = (
        Registration.objects.select_related("workshop__topic", "survey_answer").filter(pk=registration_id).first()
    )
    if registration is None:
        return _not_found(request, registration_id)
    # The form posts the token back in a hidden field; a POST to the link itself carries it in the URL.
    token = request.POST.get(settings.SESAME_TOKEN_NAME) or request.GET.get(settings.SESAME_TOKEN_NAME)
    if not _respondent(request, registration, token):
        if token is None:
            return _not_found(request, registration_id)
        return _invalid_link(request, registration_id)
    if (refusal := survey_refusal(registration)) is not None:
        return _not_found(request, registration_id, refusal)
    context = {"registration": registration, "workshop": registration.workshop, "token": token or ""}
    answer = getattr(registration, "survey_answer", None)
    if answer is not None:
        return render(request, "workshops/survey_answered.html", {**context, "answer": answer, "just_now": False})
    if request.method == "GET":
        return render(request, "workshops/survey.html", {**context, "form": SurveyForm()})
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            answer = survey_answer_create(
                registration_id=registration.pk,
                satisfaction=form.cleaned_data["satisfaction"],
                would_recommend=form.cleaned_data["would_recommend"] == "yes",
                comment=form.cleaned_data["comment"],
            )
        except SurveyError as error:
            form.add_error(None, error.message)
        else:
            return render(request, "workshops/survey_answered.html", {**context, "answer": answer, "just_now": True})
    return render(request, "workshops/survey.html", {**context, "form": form}, status=HTTPStatus.BAD_REQUEST)
