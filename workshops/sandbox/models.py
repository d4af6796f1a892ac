"""The sandbox side's records: pool accounts, attendees' credentials and their audit, spend, freezes.

Models of the workshops app (its migrations hold them), kept apart from the workshop's own
records; workshops.models imports them so Django finds them, and so does older code.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workshops.models import Registration, Workshop


class SandboxAccountState(models.TextChoices):
    AVAILABLE = "available", _("Available")
    ASSIGNED = "assigned", _("Assigned to a workshop")
    IN_USE = "in_use", _("In use")
    CLEANING = "cleaning", _("Being cleaned")
    QUARANTINED = "quarantined", _("Quarantined")
    RETIRED = "retired", _("Left the pool")


class SandboxAccount(models.Model):
    """A member account of the AWS Organization in the sandbox OU."""

    aws_account_id = models.CharField(
        _("AWS account id"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("An AWS account id is 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    email = models.EmailField(_("root email"), blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=SandboxAccountState,
        default=SandboxAccountState.AVAILABLE,
        editable=False,
        db_index=True,
    )
    workshop = models.ForeignKey(
        Workshop,
        verbose_name=_("reserved for"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sandbox_accounts",
        editable=False,
    )
    failed_cleanups = models.PositiveSmallIntegerField(_("failed cleanups in a row"), default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sandbox account")
        verbose_name_plural = _("sandbox accounts")
        ordering = ["aws_account_id"]

    def __str__(self):
        return f"{self.aws_account_id} {self.name}".strip()


class CredentialStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    READY = "ready", _("Ready")
    FAILED = "failed", _("Failed")
    REVOKED = "revoked", _("Revoked")
    REVOKE_FAILED = "revoke_failed", _("Revocation failed")


class Credential(models.Model):
    """An attendee's IAM user in a sandbox account, with its console password encrypted at rest."""

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="credential")
    sandbox_account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="credentials")
    # Opaque on purpose: an IAM user name is visible to anyone in the account and in CloudTrail.
    iam_user_name = models.CharField(_("IAM user name"), max_length=64)
    # A Fernet token (workshops.sandbox.key_ring); wiped when the credential is revoked.
    password_encrypted = models.TextField(blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=16, choices=CredentialStatus, default=CredentialStatus.PENDING, editable=False
    )
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    provisioned_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("credential")
        verbose_name_plural = _("credentials")
        constraints = [
            models.UniqueConstraint(fields=["sandbox_account", "iam_user_name"], name="one_iam_user_name_per_account")
        ]
        indexes = [models.Index(fields=["status"], name="credential_status_idx")]

    def __str__(self):
        return f"{self.iam_user_name} in {self.sandbox_account_id} ({self.status})"


class CredentialView(models.Model):
    """Audit: every time an attendee opened their credentials page or revealed the password."""

    class Action(models.TextChoices):
        PAGE = "page", _("Opened the credentials page")
        REVEAL = "reveal", _("Revealed the password")

    credential = models.ForeignKey(Credential, on_delete=models.CASCADE, related_name="views")
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    action = models.CharField(max_length=8, choices=Action)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("credential view")
        verbose_name_plural = _("credential views")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.credential_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


class AccountSpend(models.Model):
    """What one pool account cost on one day for one AWS service, as Cost Explorer last reported it.

    Written only by workshops.sandbox.spend. Not personal data: it stays when customers are anonymised.
    """

    sandbox_account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="spend")
    # The workshop that held the account that day; None for a day between workshops.
    workshop = models.ForeignKey(
        Workshop, on_delete=models.SET_NULL, null=True, blank=True, related_name="spend", editable=False
    )
    day = models.DateField(_("day"))
    service = models.CharField(_("AWS service"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=6)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("account spend")
        verbose_name_plural = _("account spend")
        constraints = [
            models.UniqueConstraint(fields=["sandbox_account", "day", "service"], name="one_spend_per_account_day")
        ]
        indexes = [models.Index(fields=["workshop", "day"], name="spend_workshop_day_idx")]

    def __str__(self):
        return f"{self.sandbox_account_id} {self.day} {self.service}: {self.amount} {self.currency}"


class SpendRead(models.Model):
    """One read of the bill from Cost Explorer: the days it covered and what AWS answered."""

    started_at = models.DateTimeField(_("started at"), default=timezone.now, db_index=True)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    requests = models.PositiveSmallIntegerField(_("requests"), default=0)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("spend read")
        verbose_name_plural = _("spend reads")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        return f"{self.first_day}..{self.last_day}: {self.error or self.rows}"


class AccountFreeze(models.Model):
    """A sandbox account whose budget ran out: its attendees denied everything until an SA unfreezes it.

    Written only by workshops.sandbox.freeze. At most one open freeze per account.
    """

    account = models.ForeignKey(
        SandboxAccount, verbose_name=_("sandbox account"), on_delete=models.PROTECT, related_name="freezes"
    )
    workshop = models.ForeignKey(Workshop, verbose_name=_("workshop"), on_delete=models.CASCADE, related_name="freezes")
    frozen_at = models.DateTimeField(_("frozen at"), auto_now_add=True)
    # What AWS Budgets reported when it was frozen (its data lags 8–12 hours behind the real spend).
    spend = models.DecimalField(_("spend (USD)"), max_digits=12, decimal_places=2)
    limit = models.DecimalField(_("budget (USD)"), max_digits=12, decimal_places=2)
    unfrozen_at = models.DateTimeField(_("unfrozen at"), null=True, blank=True)
    # None with unfrozen_at set: lifted by the portal itself when the workshop closed.
    unfrozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("unfrozen by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("account freeze")
        verbose_name_plural = _("account freezes")
        ordering = ["-frozen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"], condition=models.Q(unfrozen_at__isnull=True), name="one_open_freeze_per_account"
            )
        ]

    def __str__(self):
        return f"{self.account_id} frozen at {self.frozen_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.unfrozen_at is None


class RegionsAllowed(models.Model):
    """From `since` on, the sandbox OU's guardrails let attendees act in these regions and no other.

    Written by workshops.sandbox.guardrails each time it finds or puts the policy in place with a
    different set. The cleaner reads it to sweep only the regions attendees could have used while
    an account was theirs; without a record for that time it sweeps every enabled region.
    """

    since = models.DateTimeField(_("since"), default=timezone.now, db_index=True)
    regions = models.JSONField(_("regions"), default=list)

    class Meta:
        verbose_name = _("regions allowed by the guardrails")
        verbose_name_plural = _("regions allowed by the guardrails")
        ordering = ["-since", "-pk"]

    def __str__(self):
        return f"{self.since:%Y-%m-%d %H:%M}: {', '.join(self.regions)}"
