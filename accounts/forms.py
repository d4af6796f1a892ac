"""Forms for asking for a sign-in link and completing a profile."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.validators import validate_name_characters


class FocusFirstErrorMixin:
    """Put the keyboard focus on the first field that needs fixing."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["autofocus"] = True
                break


class MagicLinkRequestForm(FocusFirstErrorMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def clean_email(self):
        # One spelling per address: the rate limit and the account look-up share it.
        return self.cleaned_data["email"].strip().lower()


class ProfileForm(FocusFirstErrorMixin, forms.ModelForm):
    company = forms.CharField(
        label=_("Company"),
        max_length=200,
        validators=[validate_name_characters],
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        help_text=_("The company you work for, as you usually write it."),
    )
    consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that CPP Portal keeps these details to run the workshops."),
        required=True,
        error_messages={"required": _("Please agree to the privacy notice to continue.")},
    )

    field_order = [
        "first_name",
        "last_name",
        "company",
        "job_title",
        "phone",
        "country",
        "preferred_language",
        "consent",
    ]

    class Meta:
        model = User
        fields = ["first_name", "last_name", "job_title", "phone", "country", "preferred_language"]
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "job_title": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.instance
        for name in ("first_name", "last_name", "job_title", "country"):
            # Optional on the model (staff and anonymised people lack them); a customer needs them.
            self.fields[name].required = True
        self.fields["phone"].help_text = _("Optional. Only used if we must reach you on the day.")
        if user.is_staff:
            # Staff belong to no customer organisation, and the customers' privacy notice is not theirs.
            del self.fields["company"], self.fields["consent"]
            for name in ("job_title", "country"):
                self.fields[name].required = False
            return
        if user.organisation_id:
            self.initial.setdefault("company", user.organisation.name)
        if user.privacy_consent_version == settings.CPP_PRIVACY_NOTICE_VERSION:
            self.initial.setdefault("consent", True)

    def clean_company(self):
        name = " ".join(self.cleaned_data["company"].split())
        if not name:
            raise forms.ValidationError(_("Please enter the name of your company."))
        return name
