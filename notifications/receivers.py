"""SES events (through django-ses's webhook): hard bounces and complaints suppress an address."""

import logging

from django.dispatch import receiver
from django_ses.signals import bounce_received, complaint_received

from notifications import services
from notifications.models import SuppressionReason

log = logging.getLogger(__name__)


@receiver(bounce_received)
def suppress_hard_bounces(sender, mail_obj, bounce_obj, raw_message, **kwargs):
    # A soft (transient) bounce is a full mailbox or a busy server: the address is still good.
    if bounce_obj.get("bounceType") != "Permanent":
        return
    for recipient in bounce_obj.get("bouncedRecipients", []):
        address = recipient.get("emailAddress")
        if address:
            detail = recipient.get("diagnosticCode") or bounce_obj.get("bounceSubType", "")
            services.address_suppress(email=address, reason=SuppressionReason.BOUNCE, detail=detail)


@receiver(complaint_received)
def suppress_complaints(sender, mail_obj, complaint_obj, raw_message, **kwargs):
    for recipient in complaint_obj.get("complainedRecipients", []):
        address = recipient.get("emailAddress")
        if address:
            detail = complaint_obj.get("complaintFeedbackType", "")
            services.address_suppress(email=address, reason=SuppressionReason.COMPLAINT, detail=detail)
