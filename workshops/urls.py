from django.urls import path

from workshops import survey_views, views
from workshops.sandbox import views as sandbox_views

app_name = "workshops"

urlpatterns = [
    # path: a mangled link (even one with a "/" in it) still gets the invitation's own clear 404 page.
    path("i/<path:token>/", views.invitation, name="invitation"),
    path("me/workshops/", views.my_workshops, name="my_workshops"),
    path("me/registrations/<int:registration_id>/cancel/", views.cancel_registration, name="registration_cancel"),
    path(
        "me/registrations/<int:registration_id>/calendar.ics",
        views.registration_calendar,
        name="registration_calendar",
    ),
    path(
        "me/registrations/<int:registration_id>/credentials/",
        sandbox_views.credentials,
        name="credentials",
    ),
    path(
        "me/registrations/<int:registration_id>/credentials/reveal/",
        sandbox_views.credentials_reveal,
        name="credentials_reveal",
    ),
    path("me/registrations/<int:registration_id>/survey/", survey_views.survey, name="survey"),
]
