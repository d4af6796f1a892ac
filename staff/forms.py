"""The SA's workshop form: the admin's form, with the pool's room checked and widgets for a phone."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.selectors import pool_room
from workshops.forms import WORKSHOP_FIELDSETS, WorkshopForm
from workshops.models import Stage

# A browser's own date-and-time picker; its value is read in the workshop's time zone (see views).
LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# Sections as in the admin, without what only the services set.
FIELDSETS = [
    (title, [name for name in section["fields"] if name in WorkshopForm._meta.fields])
    for title, section in WORKSHOP_FIELDSETS
]
FIELDSETS = [(title, names) for title, names in FIELDSETS if names]
FIELDSETS[-1][1].append("permissions_boundary_arn")


class StaffWorkshopForm(WorkshopForm):
    """Create or edit a workshop; the view renders and reads it in the workshop's own time zone."""

    class Meta(WorkshopForm.Meta):
        fields = [*WorkshopForm.Meta.fields, "permissions_boundary_arn"]
        widgets = {
            "starts_at": LOCAL_DATETIME,
            "ends_at": LOCAL_DATETIME,
            "registration_deadline": LOCAL_DATETIME,
            "owners": forms.CheckboxSelectMultiple,
            "account_managers": forms.CheckboxSelectMultiple,
            "agenda": forms.Textarea(attrs={"rows": 5}),
            "venue": forms.Textarea(attrs={"rows": 2}),
        }

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        # A new workshop in the past could never be published; an edit may fix a running one.
        if self.instance.pk is None and starts_at and starts_at <= timezone.now():
            raise forms.ValidationError(_("A new workshop must start in the future."))
        return starts_at

    def clean(self):
        cleaned = super().clean()
        capacity, team = cleaned.get("capacity"), cleaned.get("attendees_per_account")
        seats_changed = self.instance.pk is None or {"capacity", "attendees_per_account"} & set(self.changed_data)
        finished = self.instance.stage in (Stage.CLOSED, Stage.ANONYMISED, Stage.CANCELLED)
        if capacity and team and seats_changed and not finished:
            room = pool_room(self.instance if self.instance.pk else None)
            if capacity > room.accounts * team:
                self.add_error(
                    "capacity",
                    _(
                        "The sandbox pool seats at most %(seats)s attendees: %(accounts)s accounts "
                        "(free, or already this workshop's) × %(team)s per account. Lower the seats, make "
                        "teams larger, or add accounts to the pool first."
                    )
                    % {"seats": room.accounts * team, "accounts": room.accounts, "team": team},
                )
        return cleaned
