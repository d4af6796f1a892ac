"""System checks: sending through SES needs its events locked to the portal's own SNS topics.

django-ses accepts an event from any SNS topic when AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS is empty
(django_ses.utils.verify_event_topic), and a valid signature only proves some topic sent it:
anyone's own topic, subscribed to our webhook, could then feed it bounces and complaints. So
with the SES backend on, the setting is required, and so is the signature check that makes it
mean something. `migrate` runs these checks, and the compose stack starts nothing before it.
"""

from django.conf import settings
from django.core.checks import Error, register

SES_BACKEND_PREFIX = "django_ses."


@register()
def ses_events_only_from_trusted_topics(app_configs=None, **kwargs) -> list[Error]:
    if not settings.EMAIL_BACKEND.startswith(SES_BACKEND_PREFIX):
        return []
    from django_ses.conf import settings as ses_settings

    errors = []
    if not ses_settings.EVENT_TRUSTED_TOPIC_ARNS:
        errors.append(
            Error(
                "EMAIL_BACKEND sends through SES, but AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS is empty: the SES events "
                "webhook would take bounces and complaints from any SNS topic.",
                hint="Set AWS_SNS_EVENT_TRUSTED_TOPIC_ARNS to the ARN of the SNS topic your SES configuration "
                "set publishes to (several separated by commas).",
                id="notifications.E001",
            )
        )
    if not ses_settings.VERIFY_EVENT_SIGNATURES:
        errors.append(
            Error(
                "EMAIL_BACKEND sends through SES, but AWS_SES_VERIFY_EVENT_SIGNATURES is off: anyone could post "
                "an event that claims a trusted topic.",
                hint="Remove AWS_SES_VERIFY_EVENT_SIGNATURES (it is on by default).",
                id="notifications.E002",
            )
        )
    return errors
