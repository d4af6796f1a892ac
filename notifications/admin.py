from django.contrib import admin
from django.db.models.constants import LOOKUP_SEP
from django.urls import reverse
from django.utils.html import format_html

from cpp_portal.read_only_admin import ReadOnlyAdminMixin
from notifications.models import OutboundEmail, SuppressedAddress


@admin.register(SuppressedAddress)
class SuppressedAddressAdmin(admin.ModelAdmin):
    list_display = ["email", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    fields = ["email", "reason", "detail"]

    def has_change_permission(self, request, obj=None):
        return False  # remove and add again: a suppression is a fact with a time, not a draft


# The columns that hold what an email says. A filter in the address bar (`?body_text__regex=…`)
# answers yes or no by its row count, and a few hundred of them read a sign-in link out letter by
# letter: no lookup touches these, whatever the backend and whoever asks (superuser included).
# Searching stays on the recipient, the subject (never a link: models.CARRIES_KEY kinds keep
# theirs in the body) and the key.
NO_LOOKUP_FIELDS = frozenset({"subject", "body_text", "body_html", "calendar", "sealed_bodies", "last_error"})


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox page is where staff read emails (where they may); this is for finding rows."""

    list_display = ["created_at", "to", "kind", "status", "attempts", "scheduled_at", "page"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject", "key"]
    list_select_related = ["workshop"]
    exclude = ["body_text", "body_html", "calendar", "sealed_bodies"]

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split(LOOKUP_SEP, 1)[0] in NO_LOOKUP_FIELDS:
            return False
        return super().lookup_allowed(lookup, value, request)

    @admin.display(description="outbox page")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', reverse("notifications:outbox_email", args=[obj.pk]))
