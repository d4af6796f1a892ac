"""Forms of the staff pages: the SA's workshop form (the admin's, with the pool's room checked and widgets
for a phone) and the AM's list of contacts to invite."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.selectors import pool_room
from workshops.forms import WORKSHOP_FIELDSETS, WorkshopForm
from workshops.invitations import MAX_CONTACTS
from workshops.models import OVER_STAGES

# A browser's own date-and-time picker; its value is read in the workshop's time zone (see views).
LOCAL_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
# Sections as in the admin, without what only the services set.
FIELDSETS = [
    (title, [name for name in section["fields"] if name in WorkshopForm._meta.fields])
    for title, section in WORKSHOP_FIELDSETS
]
FIELDSETS = [(title, names) for title, names in FIELDSETS if names]
# The boundary sits with the rest of what attendees may do in AWS.
next(names for title, names in FIELDSETS if "aws_regions" in names).append("permissions_boundary_arn")


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
        finished = self.instance.stage in OVER_STAGES
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


# 500 contacts of a few hundred characters each, with room to spare.
MAX_LIST_BYTES = 512 * 1024
MAX_NOTE_LENGTH = 1000


class InviteByListForm(forms.Form):
    """An AM's list of contacts, pasted or as a CSV file, and an optional personal note."""

    contacts = forms.CharField(
        label=_("Paste contacts"),
        required=False,
        max_length=MAX_LIST_BYTES,
        strip=False,  # line numbers in error messages must match what was pasted
        widget=forms.Textarea(
            attrs={"rows": 8, "cols": 60, "spellcheck": "false", "placeholder": "ana@example.com; Ana; García; es"}
        ),
        help_text=_(
            "One contact per line: email, first name, last name, language (en, es, pt or it). "
            "Only the email is required; a header line is optional; separate with commas, "
            "semicolons or tabs. At most %(max)s contacts."
        )
        % {"max": MAX_CONTACTS},
    )
    csv_file = forms.FileField(
        label=_("…or upload a CSV file"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
    )
    note = forms.CharField(
        label=_("A note from you (optional)"),
        required=False,
        max_length=MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown in the email, in your words, above the workshop's details."),
    )

    def clean(self):
        cleaned = super().clean()
        pasted = (cleaned.get("contacts") or "").strip()
        upload = cleaned.get("csv_file")
        if pasted and upload:
            raise forms.ValidationError(_("Paste a list or upload a file, not both."))
        if upload:
            cleaned["text"] = self._read(upload)
        elif pasted:
            cleaned["text"] = cleaned["contacts"]
        elif not self.errors:
            raise forms.ValidationError(_("Paste a list of contacts or choose a CSV file."))
        return cleaned

    def _read(self, upload) -> str:
        if upload.size > MAX_LIST_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(kb)s KB: send at most %(max)s contacts at a time.")
                % {"kb": MAX_LIST_BYTES // 1024, "max": MAX_CONTACTS}
            )
        data = upload.read()
        # Spreadsheets save CSV as UTF-8 (often with a BOM) or, on Windows, as Windows-1252.
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            if "\x00" not in text:  # a spreadsheet's own format (.xlsx) rather than CSV
                return text
            break
        raise forms.ValidationError(_("The file is not a text (CSV) file: save it as “CSV UTF-8” and try again."))
