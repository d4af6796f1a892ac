from django.urls import path
from django_ses.views import SESEventWebhookView

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("staff/outbox/", views.outbox, name="outbox"),
    path("staff/outbox/<int:email_id>/", views.outbox_email, name="outbox_email"),
    path("staff/outbox/<int:email_id>/html", views.outbox_email_html, name="outbox_email_html"),
    # SES → SNS → here: bounces and complaints (signatures verified by django-ses).
    path("notifications/ses-events", SESEventWebhookView.as_view(), name="ses_events"),
]
