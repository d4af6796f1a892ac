"""The workshop form and its fields, as the admin and the SA's pages (staff/forms.py) both use them."""

from __future__ import annotations

import functools
import re
import zoneinfo

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from workshops.models import Workshop, validate_time_zone
from workshops.sandbox.guardrails import cleanable


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def form_time_zone(request, workshop: Workshop | None) -> zoneinfo.ZoneInfo:
    """The zone a workshop form's times are typed in: the one posted with them, else the workshop's, else the default.

    Every form that edits a workshop (the admin's, the SA's pages) reads its times through this.
    """
    name = request.POST.get("time_zone", "").strip()
    if name not in _time_zone_names() and workshop is not None:
        name = workshop.time_zone
    if name not in _time_zone_names():
        name = Workshop._meta.get_field("time_zone").default
    return zoneinfo.ZoneInfo(name)


class StringListField(forms.Field):
    """A list of short strings, one per line or comma-separated; pasted JSON lists work too."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 60})

    def __init__(self, *, encoder=None, decoder=None, **kwargs):
        # The model's JSONField offers its encoder and decoder; a plain list of strings needs neither.
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return "\n".join(map(str, value)) if isinstance(value, list) else value

    def to_python(self, value):
        if isinstance(value, list):
            return value
        return re.findall(r"[^\s,\[\]\"']+", value or "")


WORKSHOP_FIELDSETS = (
    (_("What"), {"fields": ("title", "topic", "language", "agenda")}),
    (
        _("When"),
        {
            "description": _("Dates and times are in the workshop's own time zone."),
            "fields": ("time_zone", "starts_at", "ends_at", "registration_deadline", "provisioning_lead_minutes"),
        },
    ),
    (_("Where"), {"fields": ("venue", "online_link")}),
    (_("Who"), {"fields": ("capacity", "attendees_per_account", "owners", "account_managers")}),
    (_("AWS"), {"fields": ("aws_regions", "aws_services", "attendee_policy_arns", "budget_per_attendee_usd")}),
    (
        _("Instance sizes"),
        {
            "description": _("Attendees may launch only these sizes; the sandbox guardrails refuse every other."),
            "fields": (
                "ec2_instance_types",
                "rds_instance_classes",
                "sagemaker_instance_types",
                "accelerated_instances_allowed",
            ),
        },
    ),
    (_("Stage"), {"fields": ("stage", "accounts")}),
)
# Only the services change these; "accounts" is the count of the pool's reservations.
WORKSHOP_READONLY = ("stage", "accounts")


def _https_by_default(db_field, **kwargs):
    # Staff paste meeting links without a scheme; today they are https (and Django 6's default).
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


# The largest primary key a database column holds (a signed 64-bit integer). A forged choice past it
# reached the database, which refused it with an error rather than a "no such choice" (SQLite raises
# OverflowError): the form must say the choice is invalid before it asks.
LARGEST_KEY = 2**63 - 1


def _key_fits(value) -> bool:
    try:
        return abs(int(str(value).strip())) <= LARGEST_KEY
    except ValueError:
        return True  # not a number at all: Django's own check answers it as an invalid choice


class BoundedModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value):
        if value not in self.empty_values and not _key_fits(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        for pk in value:
            if not _key_fits(pk):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


class WorkshopForm(forms.ModelForm):
    class Meta:
        model = Workshop
        formfield_callback = _https_by_default
        fields = [
            name
            for _title, section in WORKSHOP_FIELDSETS
            for name in section["fields"]
            if name not in WORKSHOP_READONLY
        ]
        field_classes = {
            "aws_regions": StringListField,
            "attendee_policy_arns": StringListField,
            "aws_services": StringListField,
            "ec2_instance_types": StringListField,
            "rds_instance_classes": StringListField,
            "sagemaker_instance_types": StringListField,
            "topic": BoundedModelChoiceField,
            "owners": BoundedModelMultipleChoiceField,
            "account_managers": BoundedModelMultipleChoiceField,
        }
        help_texts = {
            "aws_regions": _("One per line or separated by commas, e.g. eu-west-1, eu-central-1."),
            "attendee_policy_arns": _("One per line, e.g. arn:aws:iam::aws:policy/PowerUserAccess."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "aws_services" in self.fields:
            # The form says which services there are to choose from: those the cleaner cleans today.
            self.fields["aws_services"].help_text = _(
                "One per line, as IAM names them. Attendees may use only services the cleaner can clean: %(services)s."
            ) % {"services": ", ".join(cleanable.cleanable_services())}

    def clean_aws_services(self):
        services, cleanable_now = self.cleaned_data["aws_services"] or [], cleanable.cleanable_services()
        unknown = [s for s in services if s not in cleanable_now]
        if unknown:
            raise forms.ValidationError(
                _("The cleaner cannot clean %(services)s, so attendees may not use it: choose from %(allowed)s.")
                % {"services": ", ".join(unknown), "allowed": ", ".join(cleanable_now)}
            )
        return sorted(set(services))

    def account_managers_added(self) -> set:
        """The Account Managers this form adds to its workshop; read before the form saves them."""
        if "account_managers" not in self.changed_data:
            return set()
        before = set(self.instance.account_managers.all()) if self.instance.pk else set()
        return set(self.cleaned_data["account_managers"]) - before

    def clean_time_zone(self):
        # The model validates this too, but only after the form has put the value on the instance,
        # and the page then shows the instance, whose name needs its time zone.
        time_zone = self.cleaned_data["time_zone"]
        validate_time_zone(time_zone)
        return time_zone
