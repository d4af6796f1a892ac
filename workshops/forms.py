"""Forms of the workshop pages for customers and Account Managers."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from workshops.invitations import MAX_CONTACTS

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
        widget=forms.Textarea(attrs={"rows": 8, "cols": 60, "spellcheck": "false",
                                     "placeholder": "ana@example.com; Ana; García; es"}),
        help_text=_("One contact per line: email, first name, last name, language (en, es, pt or it). "
                    "Only the email is required; a header line is optional; separate with commas, "
                    "semicolons or tabs. At most %(max)s contacts.") % {"max": MAX_CONTACTS},
    )  # fmt: skip
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
