"""People: the user (email is the login), and the customer organisations they belong to."""

import re

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts import roles
from accounts.validators import validate_name_characters


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            # Customers never have a password: they sign in by magic link.
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    username = None
    email = models.EmailField(_("email address"), unique=True)
    # AbstractUser's, with the check every typed name gets (so every form of the model has it too).
    first_name = models.CharField(_("first name"), max_length=150, blank=True, validators=[validate_name_characters])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[validate_name_characters])
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    job_title = models.CharField(_("job title"), max_length=150, blank=True, validators=[validate_name_characters])
    phone = models.CharField(_("phone number"), max_length=40, blank=True)
    country = CountryField(_("country"), blank=True)
    organisation = models.ForeignKey(
        "accounts.CustomerOrganisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="members",
    )

    # Consent to the privacy notice: which version, and when.
    privacy_consent_version = models.CharField(_("privacy notice version"), max_length=20, blank=True)
    privacy_consent_at = models.DateTimeField(_("privacy consent given at"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message=_("Someone already uses this email address."),
            )
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # One spelling per address, so look-ups and the unique constraint agree.
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def profile_is_complete(self) -> bool:
        """Whether a customer has told us who they are and consented to the current notice."""
        if self.is_staff:
            return True
        return bool(
            self.first_name
            and self.last_name
            and self.organisation_id
            and self.privacy_consent_version == settings.CPP_PRIVACY_NOTICE_VERSION
        )

    @property
    def is_solutions_architect(self) -> bool:
        return roles.is_solutions_architect(self)

    @property
    def is_account_manager(self) -> bool:
        return roles.is_account_manager(self)


def normalise_organisation_name(name: str) -> str:
    """The form two spellings of one company share: case and spacing do not count."""
    return re.sub(r"\s+", " ", name).strip().casefold()


class CustomerOrganisation(models.Model):
    class Origin(models.TextChoices):
        # A customer types their company's name on their profile; no match, and it is created.
        TYPED = "typed", _("typed by its first member")
        # An Account Manager (or an SA) adds it in the admin, for the customers they bring.
        STAFF = "staff", _("created by staff")

    name = models.CharField(_("name"), max_length=200, validators=[validate_name_characters])
    normalised_name = models.CharField(max_length=200, unique=True, editable=False)
    country = CountryField(_("country"), blank=True)
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer_organisations",
        limit_choices_to={"groups__name": roles.ACCOUNT_MANAGERS},
    )
    # Who made it decides what GDPR does with it: one a customer typed and no one else ever
    # belonged to names that person (a sole trader), and goes with them (privacy/services.py).
    origin = models.CharField(_("origin"), max_length=8, choices=Origin.choices, default=Origin.TYPED, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("customer organisation")
        verbose_name_plural = _("customer organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.name = re.sub(r"\s+", " ", self.name).strip()
        self.normalised_name = normalise_organisation_name(self.name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "normalised_name"}
        super().save(*args, **kwargs)
