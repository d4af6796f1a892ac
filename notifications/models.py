"""The email outbox: every email is a row before it is sent, and suppressed addresses."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class EmailKind(models.TextChoices):
    MAGIC_LINK = "magic_link", _("Sign-in link")
    ACCOUNT_MESSAGE = "account_message", _("Account security message")
    INVITATION = "invitation", _("Invitation link for an Account Manager")
    CUSTOMER_INVITATION = "customer_invitation", _("Invitation to a customer")
    REGISTRATION_CONFIRMED = "registration_confirmed", _("Registration confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    PROMOTED = "promoted", _("Moved from the waitlist to a seat")
    REMINDER_WEEK = "reminder_week", _("Reminder a week before")
    REMINDER_DAY = "reminder_day", _("Reminder a day before")
    ACCOUNT_READY = "account_ready", _("Sandbox account ready")
    SURVEY = "survey", _("Survey")
    REGISTRATION_CANCELLED = "registration_cancelled", _("Registration cancelled")
    WORKSHOP_CANCELLED = "workshop_cancelled", _("Workshop cancelled")
    WORKSHOP_CHANGED = "workshop_changed", _("Workshop date or place changed")
    AM_DIGEST = "am_digest", _("Account Manager digest")
    POOL_SHORTFALL = "pool_shortfall", _("Sandbox pool too small")
    WORKSHOP_COST = "workshop_cost", _("What a workshop cost")
    BUDGET_FROZEN = "budget_frozen", _("Sandbox account frozen over its budget")

    @property
    def carries_key(self) -> bool:
        """Whether its link signs the reader in or acts for them (see CARRIES_KEY)."""
        return CARRIES_KEY[self]


# Does an email of this kind carry someone's key: a link that signs its reader in, or acts for
# them? Such bodies are sealed in the outbox and never shown to staff where real mail is sent
# (notifications.sealing). Every kind answers here, once: a kind left out stops the import.
CARRIES_KEY: dict[str, bool] = {
    EmailKind.MAGIC_LINK: True,  # signs in
    # allauth's password-reset link sets a staff member's password; its other notices ride along.
    EmailKind.ACCOUNT_MESSAGE: True,
    # The AM's invitation link is made to be passed on: it registers newcomers, it signs nobody in.
    EmailKind.INVITATION: False,
    EmailKind.CUSTOMER_INVITATION: False,
    EmailKind.REGISTRATION_CONFIRMED: False,
    EmailKind.WAITLISTED: False,
    EmailKind.PROMOTED: False,
    EmailKind.REMINDER_WEEK: False,
    EmailKind.REMINDER_DAY: False,
    EmailKind.ACCOUNT_READY: True,  # signs in as the attendee on their credentials page, for a day
    EmailKind.SURVEY: True,  # answers the survey as the attendee, for 30 days
    EmailKind.REGISTRATION_CANCELLED: False,
    EmailKind.WORKSHOP_CANCELLED: False,
    EmailKind.WORKSHOP_CHANGED: False,
    EmailKind.AM_DIGEST: False,
    EmailKind.POOL_SHORTFALL: False,
    EmailKind.WORKSHOP_COST: False,  # figures for the workshop's SAs; its link needs their own sign-in
    EmailKind.BUDGET_FROZEN: False,
}
if _unanswered := sorted(set(EmailKind.values) - set(CARRIES_KEY)):
    raise ImproperlyConfigured(
        f"notifications.models.CARRIES_KEY must say whether {', '.join(_unanswered)} carry a key."
    )
KEY_KINDS = frozenset(kind for kind, carries in CARRIES_KEY.items() if carries)


# Lower goes first. Sign-in links expire in minutes, so they jump every queue.
PRIORITY = {EmailKind.MAGIC_LINK: 0, EmailKind.ACCOUNT_MESSAGE: 0}
DEFAULT_PRIORITY = 5


class EmailStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class OutboundEmail(models.Model):
    key = models.CharField(_("key"), max_length=200, unique=True, help_text=_("The same key is never queued twice."))
    kind = models.CharField(_("kind"), max_length=32, choices=EmailKind)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    to = models.EmailField(_("to"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("plain text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    # A calendar invite sent with the email (iCalendar text), if any.
    calendar = models.TextField(_("calendar invite"), blank=True)
    # The bodies of a kind that carries a key, encrypted (notifications.sealing); body_text and
    # body_html stay empty for those. Never shown, never searched: not a form field.
    sealed_bodies = models.TextField(_("sealed bodies"), blank=True, editable=False)
    workshop = models.ForeignKey(
        "workshops.Workshop", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    registration = models.ForeignKey(
        "workshops.Registration", on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    priority = models.PositiveSmallIntegerField(default=DEFAULT_PRIORITY)
    scheduled_at = models.DateTimeField(_("scheduled for"))
    status = models.CharField(_("status"), max_length=16, choices=EmailStatus, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    provider_message_id = models.CharField(_("provider message id"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("email")
        verbose_name_plural = _("outbox")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # The sender's question: what is queued and due, most urgent first.
            models.Index(fields=["status", "priority", "scheduled_at"], name="outbox_due_idx"),
            models.Index(fields=["status", "claimed_at"], name="outbox_claimed_idx"),
            # SES's bounces and complaints name the message they are about.
            models.Index(fields=["provider_message_id"], name="outbox_provider_id_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} → {self.to or '(anonymised)'}"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", _("Hard bounce")
    COMPLAINT = "complaint", _("Complaint")
    MANUAL = "manual", _("Suppressed by staff")


class SuppressedAddress(models.Model):
    """An address nothing more is sent to: it bounced for good or its owner complained."""

    email = models.EmailField(_("email"), unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=SuppressionReason)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"

    def save(self, *args, **kwargs):
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)


class RateLimitSlot(models.Model):
    """The shared clock of a rate limit: the next free moment to send (GCRA's arrival time)."""

    name = models.CharField(max_length=50, unique=True)
    next_free_at = models.FloatField(default=0.0)

    def __str__(self):
        return self.name
