"""Admin pages for records nobody edits by hand: audit trails, the outbox, what AWS reported."""

from django.contrib import admin


class ReadOnlyAdminMixin:
    """View only, for everyone: these rows are facts written by the services, never drafts."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
