"""Email backends of our own.

The embedded default keeps emails in the outbox: delivery marks them sent and the staff outbox
page shows them rendered, so a demo needs no mail server. Production uses django-ses.
"""

import uuid

from django.core.mail.backends.base import BaseEmailBackend


class OutboxOnlyBackend(BaseEmailBackend):
    """Sends nothing anywhere: the outbox row is the email, readable on the staff outbox page."""

    def send_messages(self, email_messages):
        for message in email_messages:
            # The same place django-ses leaves SES's id, so delivery reads one spot.
            message.extra_headers["message_id"] = f"outbox-{uuid.uuid4()}"
        return len(email_messages)
