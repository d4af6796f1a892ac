from django.contrib import admin
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


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the outbox page is where staff read emails; this is for finding rows."""

    list_display = ["created_at", "to", "kind", "status", "attempts", "scheduled_at", "page"]
    list_filter = ["status", "kind", "language"]
    search_fields = ["to", "subject", "key"]
    list_select_related = ["workshop"]
    exclude = ["body_text", "body_html", "calendar"]

    @admin.display(description="outbox page")
    def page(self, obj):
        return format_html('<a href="{}">open</a>', reverse("notifications:outbox_email", args=[obj.pk]))
