"""The admin of people and customer organisations, for the two staff roles.

SAs manage everyone; an AM manages only the organisations they look after and reads the people
in them. Which rows a role sees comes from accounts.selectors; what it may do at all from the
group permissions of the staff-roles migration.
"""

import allauth.mfa.admin  # noqa: F401
from allauth.mfa.models import Authenticator
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.filters import RelatedFieldListFilter
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter

from accounts import roles
from accounts.models import CustomerOrganisation, User, normalise_organisation_name
from accounts.selectors import organisations_visible_to, people_visible_to

# allauth.mfa's admin would show a superuser everyone's authenticator secrets, and whoever holds
# those is the person. Its module is imported above so that its registration is there to take back.
admin.site.unregister(Authenticator)

CUSTOMERS_HAVE_NO_PASSWORD = _("Customers sign in by magic link and never have a password.")
PERSONAL_FIELDS = ("first_name", "last_name", "preferred_language", "job_title", "phone", "country", "organisation")


class VisibleOrganisationFilter(RelatedFieldListFilter):
    """Offers only the organisations the viewer may see, so the filter names no one else's customers."""

    def field_choices(self, field, request, model_admin):
        return list(organisations_visible_to(request.user).values_list("pk", "name"))


class PersonFormMixin:
    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).strip().lower()
        # Checked here, case-blind, so a clash reads as a field error rather than a constraint name.
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(self.instance.unique_error_message(User, ["email"]))
        return email

    def clean(self):
        cleaned = super().clean()
        is_staff = cleaned.get("is_staff", self.instance.is_staff)
        if cleaned.get("groups") and not is_staff:
            # A role is no use to someone who cannot enter the admin.
            self.add_error(
                "is_staff" if "is_staff" in self.fields else None,
                _("Someone with a staff role needs staff status to use it."),
            )
        return cleaned


class PersonCreationForm(PersonFormMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        usable_password = self.fields["usable_password"]
        usable_password.initial = "false"
        usable_password.help_text = _(
            "Staff may sign in with a password. Customers never have one: they sign in by magic link."
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("set_usable_password") and not cleaned.get("is_staff"):
            self.add_error("usable_password", CUSTOMERS_HAVE_NO_PASSWORD)
        return cleaned


class PersonChangeForm(PersonFormMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class PersonAdmin(UserAdmin):
    form = PersonChangeForm
    add_form = PersonCreationForm
    list_display = ("email", "first_name", "last_name", "organisation", "role_names", "is_staff", "is_active")
    list_filter = ("groups", "is_staff", "is_active", ("organisation", VisibleOrganisationFilter))
    search_fields = ("email", "first_name", "last_name", "organisation__name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    filter_horizontal = ("user_permissions",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": PERSONAL_FIELDS}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "groups", "is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "organisation",
                    "is_staff",
                    "groups",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def get_queryset(self, request):
        return people_visible_to(request.user).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not roles.is_solutions_architect(request.user):
            # An AM reads who their customers are; how anyone signs in is not theirs to see.
            return (
                (None, {"fields": ("email", *PERSONAL_FIELDS)}),
                (_("Important dates"), {"fields": ("last_login", "date_joined")}),
            )
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not obj.is_staff:
            # Customers sign in by magic link only, so there is no password to show or set.
            return ((None, {"fields": ("email",)}), *fieldsets[1:])
        return fieldsets

    def user_change_password(self, request, id, form_url=""):
        person = self.get_object(request, unquote(id))
        if person is not None and not person.is_staff and self.has_change_permission(request, person):
            self.message_user(request, CUSTOMERS_HAVE_NO_PASSWORD, messages.ERROR)
            return HttpResponseRedirect(reverse("admin:accounts_user_change", args=[person.pk]))
        return super().user_change_password(request, id, form_url)

    def get_list_filter(self, request):
        if roles.is_solutions_architect(request.user):
            return self.list_filter
        return ("is_active", ("organisation", VisibleOrganisationFilter))

    def get_readonly_fields(self, request, obj=None):
        readonly = tuple(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ("is_superuser", "user_permissions")
        return readonly

    def has_change_permission(self, request, obj=None):
        # Whoever may change a superuser's email or password can become them.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("roles"))
    def role_names(self, person):
        return ", ".join(group.name for group in person.groups.all())


class CustomerOrganisationForm(forms.ModelForm):
    class Meta:
        model = CustomerOrganisation
        fields = ("name", "country", "account_manager")

    def clean_name(self):
        name = self.cleaned_data["name"]
        # The unique key is the normalised name, which the form never sees: check it here so a
        # second spelling of a known company is a message, not a database error.
        taken = CustomerOrganisation.objects.filter(normalised_name=normalise_organisation_name(name))
        if taken.exclude(pk=self.instance.pk).exists():
            raise ValidationError(
                _(
                    "An organisation called “%(name)s” already exists. If it is not one of yours, ask a "
                    "Solutions Architect to make you its account manager."
                ),
                params={"name": name},
            )
        return name


@admin.register(CustomerOrganisation)
class CustomerOrganisationAdmin(admin.ModelAdmin):
    form = CustomerOrganisationForm
    list_display = ("name", "country", "account_manager", "member_count")
    list_filter = (("country", CountryFilter), "account_manager")
    search_fields = ("name",)
    readonly_fields = ("member_list",)

    def get_queryset(self, request):
        return organisations_visible_to(request.user)

    def get_list_display(self, request):
        if roles.is_solutions_architect(request.user):
            return self.list_display
        return tuple(name for name in self.list_display if name != "account_manager")

    def get_list_filter(self, request):
        if roles.is_solutions_architect(request.user):
            return self.list_filter
        return (("country", CountryFilter),)

    def get_fields(self, request, obj=None):
        fields = ["name", "country"]
        if roles.is_solutions_architect(request.user):
            fields.append("account_manager")
        if obj is not None:
            fields.append("member_list")
        return fields

    def save_model(self, request, obj, form, change):
        if not roles.is_solutions_architect(request.user):
            # An AM's organisations are theirs by definition: they can neither give one away nor
            # take one from a colleague.
            obj.account_manager = request.user
        if not change:
            obj.origin = CustomerOrganisation.Origin.STAFF  # never a sole trader's own name to anonymise
        super().save_model(request, obj, form, change)

    @admin.display(description=_("members"), ordering="member_count")
    def member_count(self, organisation):
        return organisation.member_count

    @admin.display(description=_("people"))
    def member_list(self, organisation):
        members = list(organisation.members.order_by("email"))
        if not members:
            return "-"
        links = format_html_join(
            "",
            '<li><a href="{}">{}</a></li>',
            ((reverse("admin:accounts_user_change", args=[member.pk]), member.email) for member in members),
        )
        return format_html("<ul>{}</ul>", links)
