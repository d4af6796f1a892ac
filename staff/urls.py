from django.urls import path

from staff import am_views, views

app_name = "staff"

# /staff/… for Solutions Architects, /am/… for Account Managers.
# Beside /staff/cleanup/ (cleaner) and /staff/outbox/ (notifications): none of these paths meet theirs.
urlpatterns = [
    path("staff/", views.home, name="home"),
    path("staff/workshops/new/", views.workshop_create, name="workshop_create"),
    path("staff/workshops/<int:workshop_id>/", views.workshop_detail, name="workshop"),
    path("staff/workshops/<int:workshop_id>/edit/", views.workshop_edit, name="workshop_edit"),
    path("staff/workshops/<int:workshop_id>/attendees.csv", views.attendees_csv, name="attendees_csv"),
    path("staff/workshops/<int:workshop_id>/cleanup/", views.cleanup_progress, name="cleanup_progress"),
    path("staff/workshops/<int:workshop_id>/move/<str:target>/", views.stage_move, name="stage_move"),
    path(
        "staff/workshops/<int:workshop_id>/credentials/<int:credential_id>/retry/",
        views.credential_retry,
        name="credential_retry",
    ),
    path(
        "staff/workshops/<int:workshop_id>/registrations/<int:registration_id>/provision/",
        views.registration_provision,
        name="registration_provision",
    ),
    path(
        "staff/workshops/<int:workshop_id>/freezes/<int:freeze_id>/unfreeze/",
        views.account_unfreeze,
        name="account_unfreeze",
    ),
    path("staff/workshops/<int:workshop_id>/check-in/", views.check_in, name="check_in"),
    path(
        "staff/workshops/<int:workshop_id>/check-in/<int:registration_id>/",
        views.check_in_mark,
        name="check_in_mark",
    ),
    # The Account Managers' own pages.
    path("am/workshops/", am_views.am_workshops, name="am_workshops"),
    path("am/workshops/<int:workshop_id>/invite/", am_views.am_invite, name="am_invite"),
]
