"""SES events (through django-ses's webhook): hard bounces and complaints suppress an address.

Only about mail the portal sent: an event must name a message whose id the outbox recorded
(SES's MessageId, kept as `provider_message_id`), and an address that message went to.
Anything else is logged and ignored, so an event from somewhere else suppresses nobody, even
one that passed the topic and signature checks (DESIGN.md section 6: trusted topics only).
"""

import logging

from django.dispatch import receiver
from django_ses.signals import bounce_received, complaint_received

from notifications import selectors, services
from notifications.models import SuppressionReason

log = logging.getLogger(__name__)


def _sent_by_us(mail_obj: dict, address: str, event: str) -> bool:
    message_id = (mail_obj or {}).get("messageId") or ""
    sent_to = selectors.message_recipients(provider_message_id=message_id)
    if not sent_to:
        log.warning("SES %s about message %r, which the portal did not send: ignored", event, message_id[:200])
        return False
    if address.strip().lower() not in sent_to:
        log.warning("SES %s about message %r names an address it was not sent to: ignored", event, message_id[:200])
        return False
    return True


@receiver(bounce_received)
def suppress_hard_bounces(sender, mail_obj, bounce_obj, raw_message, **kwargs):
    # A soft (transient) bounce is a full mailbox or a busy server: the address is still good.
    if bounce_obj.get("bounceType") != "Permanent":
        return
    for recipient in bounce_obj.get("bouncedRecipients", []):
        address = recipient.get("emailAddress")
        if address and _sent_by_us(mail_obj, address, "bounce"):
            detail = recipient.get("diagnosticCode") or bounce_obj.get("bounceSubType", "")
            services.address_suppress(email=address, reason=SuppressionReason.BOUNCE, detail=detail)


@receiver(complaint_received)
def suppress_complaints(sender, mail_obj, complaint_obj, raw_message, **kwargs):
    for recipient in complaint_obj.get("complainedRecipients", []):
        address = recipient.get("emailAddress")
        if address and _sent_by_us(mail_obj, address, "complaint"):
            detail = complaint_obj.get("complaintFeedbackType", "")
            services.address_suppress(email=address, reason=SuppressionReason.COMPLAINT, detail=detail)
