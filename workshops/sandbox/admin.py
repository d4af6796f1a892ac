"""The sandbox pool and attendees' credentials in the admin.

The pool is what `sync_accounts` imported: nothing here adds, edits or deletes an account. The
decisions left to an SA are actions behind a confirmation page (releasing quarantine, and those
other apps add: the cleaner's sweeps), and the guardrails page. Credentials are read-only, with
who looked at them; never their password.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts import roles
from cpp_portal.admin_confirm import action_confirmation_page, action_confirmed
from cpp_portal.read_only_admin import ReadOnlyAdminMixin, ReadOnlyInline
from workshops.models import (
    AccountFreeze,
    AccountSpend,
    Credential,
    CredentialView,
    SandboxAccount,
    SandboxAccountState,
    SpendRead,
)
from workshops.sandbox import accounts as sandbox_accounts
from workshops.sandbox import freeze, guardrails
from workshops.sandbox.guardrails import cleanable


class FrozenFilter(admin.SimpleListFilter):
    title = _("frozen over budget")
    parameter_name = "frozen"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_frozen=self.value() == "yes")
        return queryset


@admin.register(SandboxAccount)
class SandboxAccountAdmin(admin.ModelAdmin):
    """The pool as `sync_accounts` imported it; the one decision left to an SA is releasing quarantine."""

    list_display = ("aws_account_id", "name", "email", "state", "workshop", "failed_cleanups", "frozen")
    list_filter = ("state", FrozenFilter)
    search_fields = ("aws_account_id", "name", "email")
    list_select_related = ("workshop",)
    fields = ("aws_account_id", "name", "email", "state", "workshop", "failed_cleanups", "created_at", "updated_at")
    readonly_fields = fields
    actions = ["release_from_quarantine", "unfreeze"]

    def get_queryset(self, request):
        open_freezes = AccountFreeze.objects.filter(account=OuterRef("pk"), unfrozen_at__isnull=True)
        return super().get_queryset(request).annotate(is_frozen=Exists(open_freezes))

    @admin.display(description=_("frozen over budget"), boolean=True, ordering="is_frozen")
    def frozen(self, account):
        return account.is_frozen

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_release_permission(self, request) -> bool:
        # The migration's "change" grant on the pool means exactly this decision.
        return request.user.has_perm("workshops.change_sandboxaccount")

    def has_sweep_permission(self, request) -> bool:
        # Deleting everything in an account is an SA's call, on top of the pool's "change" grant.
        return roles.is_solutions_architect(request.user) and self.has_release_permission(request)

    @admin.action(permissions=["release"], description=_("Release from quarantine"))
    def release_from_quarantine(self, request, queryset):
        accounts = list(queryset)
        if not action_confirmed(request):
            return action_confirmation_page(
                self,
                request,
                title=gettext("Release from quarantine: are you sure?"),
                question=gettext("Put these accounts back in the pool for the next workshops?"),
                consequences=gettext(
                    "Their failed-cleanup count starts again from zero. Release only accounts you have "
                    "checked are clean."
                ),
                items=[
                    {
                        "object": account,
                        "status": account.get_state_display(),
                        "warning": ""
                        if account.state == SandboxAccountState.QUARANTINED
                        else gettext("Not quarantined: it will be left as it is."),
                    }
                    for account in accounts
                ],
                confirm_label=gettext("Release: yes, I’m sure"),
                action_name="release_from_quarantine",
            )
        released = []
        for account in accounts:
            try:
                sandbox_accounts.sandbox_account_release_quarantine(account_id=account.pk, actor=request.user)
            except ValueError as refused:
                self.message_user(request, str(refused), messages.ERROR)
            else:
                released.append(account.aws_account_id)
        if released:
            message = gettext("Released %(ids)s back to the pool.") % {"ids": ", ".join(released)}
            self.message_user(request, message, messages.SUCCESS)
        return None

    @admin.action(permissions=["release"], description=_("Unfreeze (over budget)"))
    def unfreeze(self, request, queryset):
        accounts = list(queryset)
        open_freezes = {
            f.account_id: f
            for f in AccountFreeze.objects.filter(account__in=accounts, unfrozen_at__isnull=True).select_related(
                "workshop"
            )
        }
        if not action_confirmed(request):
            return action_confirmation_page(
                self,
                request,
                title=gettext("Unfreeze: are you sure?"),
                question=gettext("Let the attendees of these accounts use them again, although they are over budget?"),
                consequences=gettext(
                    "Their spend keeps growing and will not freeze them again during this workshop. AWS Budgets "
                    "reports spend 8 to 12 hours late. Your name is recorded with the unfreeze."
                ),
                items=[
                    {
                        "object": account,
                        "status": (
                            gettext("Frozen at %(spend)s of %(limit)s USD (%(workshop)s)")
                            % {"spend": f.spend, "limit": f.limit, "workshop": f.workshop}
                            if (f := open_freezes.get(account.pk))
                            else account.get_state_display()
                        ),
                        "warning": ""
                        if account.pk in open_freezes
                        else gettext("Not frozen: it will be left as it is."),
                    }
                    for account in accounts
                ],
                confirm_label=gettext("Unfreeze: yes, I’m sure"),
                action_name="unfreeze",
            )
        unfrozen = []
        for account_pk, open_freeze in open_freezes.items():
            try:
                freeze.account_unfreeze(freeze_id=open_freeze.pk, actor=request.user)
            except freeze.FreezeError as refused:
                self.message_user(request, str(refused), messages.ERROR)
            else:
                unfrozen.append(next(a.aws_account_id for a in accounts if a.pk == account_pk))
        if unfrozen:
            message = gettext("Unfroze %(ids)s: their attendees may use them again.") % {"ids": ", ".join(unfrozen)}
            self.message_user(request, message, messages.SUCCESS)
        return None

    # --- Guardrails (the sandbox OU's service control policy) ---------------------------------------

    def get_urls(self):
        guardrails_page = path(
            "guardrails/",
            self.admin_site.admin_view(self.guardrails_view),
            name="workshops_sandboxaccount_guardrails",
        )
        return [guardrails_page, *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = extra_context or {}
        if roles.is_solutions_architect(request.user):
            extra_context["guardrails_url"] = reverse("admin:workshops_sandboxaccount_guardrails")
        return super().changelist_view(request, extra_context=extra_context)

    def guardrails_view(self, request):
        """What the sandbox OU's policy is, what it should be, and the confirmed POST that applies it."""
        if not roles.is_solutions_architect(request.user):
            raise PermissionDenied
        here = reverse("admin:workshops_sandboxaccount_guardrails")
        if action_confirmed(request):
            try:
                report = guardrails.guardrails_apply()
            except guardrails.GuardrailsError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(request, report.summary(), messages.SUCCESS)
            return HttpResponseRedirect(here)
        state, error = None, ""
        try:
            state = guardrails.guardrails_inspect()
        except guardrails.GuardrailsError as refused:
            error = str(refused)
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Sandbox guardrails"),
            "opts": self.opts,
            "max_characters": guardrails.MAX_POLICY_CHARACTERS,
            "cleanable": cleanable.cleanable_services(),
            "ou_id": settings.CPP_SANDBOX_OU_ID,
            "role_name": settings.CPP_SANDBOX_ROLE_NAME,
            "state": state,
            "error": error,
        }
        return TemplateResponse(request, "admin/workshops/guardrails.html", context)


class CredentialViewInline(ReadOnlyInline):
    """Who opened a credentials page or revealed a password, and when: the audit, read-only."""

    model = CredentialView
    fields = ("at", "action", "viewer")
    readonly_fields = fields
    verbose_name_plural = _("views of these credentials")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("viewer")


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Attendees' credentials as provisioning left them, with every view; never the password."""

    list_display = (
        "iam_user_name",
        "attendee",
        "workshop",
        "sandbox_account",
        "status",
        "provisioned_at",
        "revoked_at",
    )
    list_filter = ("status",)
    search_fields = (
        "iam_user_name",
        "sandbox_account__aws_account_id",
        "registration__workshop__title",
        "registration__attendee__email",
    )
    list_select_related = ("registration__workshop", "registration__attendee", "sandbox_account")
    # password_encrypted is left out on purpose: not even its ciphertext belongs on a staff page.
    fields = (
        "registration",
        "sandbox_account",
        "iam_user_name",
        "status",
        "attempts",
        "last_error",
        "provisioned_at",
        "revoked_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
    inlines = [CredentialViewInline]

    @admin.display(description=_("attendee"), ordering="registration__attendee__email")
    def attendee(self, credential):
        return credential.registration.attendee

    @admin.display(description=_("workshop"), ordering="registration__workshop__starts_at")
    def workshop(self, credential):
        return credential.registration.workshop


@admin.register(SpendRead)
class SpendReadAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each daily read of the bill from Cost Explorer, and what AWS answered: read-only."""

    list_display = ("started_at", "first_day", "last_day", "requests", "rows", "error")
    list_filter = ("started_at",)


@admin.register(AccountSpend)
class AccountSpendAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The bill per pool account, day and AWS service, as last read: read-only."""

    list_display = ("day", "sandbox_account", "workshop", "service", "amount", "currency", "read_at")
    list_filter = ("day",)
    search_fields = ("sandbox_account__aws_account_id", "workshop__title", "service")
    list_select_related = ("sandbox_account", "workshop")
    date_hierarchy = "day"


@admin.register(AccountFreeze)
class AccountFreezeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every freeze over budget: when, at what spend, and who let the attendees back in; read-only."""

    list_display = ("account", "workshop", "frozen_at", "spend", "limit", "unfrozen_at", "unfrozen_by")
    list_filter = (("unfrozen_at", admin.EmptyFieldListFilter),)
    search_fields = ("account__aws_account_id", "workshop__title")
    list_select_related = ("account", "workshop", "unfrozen_by")
    fields = list_display
    readonly_fields = fields


def sandbox_account_actions_add(*actions) -> None:
    """Offer more actions on the pool's page: other apps add theirs (the cleaner its sweeps) from their admin.

    The arrow points from them to the pool, never back: this package knows no app that uses it.
    """
    SandboxAccountAdmin.actions = [
        *SandboxAccountAdmin.actions,
        *(a for a in actions if a not in SandboxAccountAdmin.actions),
    ]


def sandbox_account_inlines_add(*inlines) -> None:
    """Show more on an account's page: other apps add their records of it (the cleaner its findings)."""
    SandboxAccountAdmin.inlines = [
        *SandboxAccountAdmin.inlines,
        *(i for i in inlines if i not in SandboxAccountAdmin.inlines),
    ]
