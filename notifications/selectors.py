"""Reads of the outbox for the staff pages."""

from django.db.models import Q, QuerySet

from notifications.models import OutboundEmail


def outbox_list(*, status: str = "", kind: str = "", search: str = "") -> QuerySet[OutboundEmail]:
    emails = OutboundEmail.objects.select_related("workshop").defer("body_text", "body_html", "calendar")
    if status:
        emails = emails.filter(status=status)
    if kind:
        emails = emails.filter(kind=kind)
    if search:
        emails = emails.filter(Q(to__icontains=search) | Q(subject__icontains=search))
    return emails.order_by("-created_at", "-pk")


def message_recipients(*, provider_message_id: str) -> set[str]:
    """The addresses the outbox sent the provider's message `provider_message_id` to (none if it did not)."""
    if not provider_message_id:
        return set()
    return set(OutboundEmail.objects.filter(provider_message_id=provider_message_id).values_list("to", flat=True))
