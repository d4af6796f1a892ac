"""Workshops, their stages and audit trail, invitations, registrations and the survey.

The sandbox side's records (pool accounts, credentials, spend, freezes) are workshops.sandbox.models.
"""

import math
import re
import secrets
import zoneinfo
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts import roles
from cpp_portal.aws import COMMERCIAL_REGIONS
from workshops.sandbox import sizes

# Accounts are handed out at most a week ahead; the beat task relies on this bound.
MAX_LEAD_MINUTES = 7 * 24 * 60
IAM_POLICY_ARN = re.compile(r"^arn:aws:iam::(aws|\d{12}):policy/[\w+=,.@/-]{1,512}$")


class Stage(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REGISTRATION_OPEN = "registration_open", _("Registration open")
    REGISTRATION_CLOSED = "registration_closed", _("Registration closed")
    RUNNING = "running", _("Running")
    CLOSED = "closed", _("Closed")
    ANONYMISED = "anonymised", _("Anonymised")
    CANCELLED = "cancelled", _("Cancelled")


# The sets of stages the lifecycle's rules speak of, each named once.
UPCOMING_STAGES = (Stage.REGISTRATION_OPEN, Stage.REGISTRATION_CLOSED)  # published, its day still to come
LIVE_STAGES = (*UPCOMING_STAGES, Stage.RUNNING)  # published and not over: seats, accounts and regions in use
ACTIVE_STAGES = (Stage.DRAFT, *LIVE_STAGES)  # not over: still edited
FINISHED_STAGES = (Stage.CLOSED, Stage.ANONYMISED)  # it took place and is over
OVER_STAGES = (*FINISHED_STAGES, Stage.CANCELLED)  # over, one way or the other: nothing more happens
DELIVERED_STAGES = (Stage.RUNNING, *FINISHED_STAGES)  # it took place: the statistics count it
CHECK_IN_STAGES = (Stage.REGISTRATION_CLOSED, Stage.RUNNING, Stage.CLOSED)  # attendance can be marked


def default_budget_per_attendee() -> Decimal:
    # The programme's setting at the time the workshop is made; the workshop keeps its own after that.
    return Decimal(str(settings.CPP_BUDGET_PER_ATTENDEE_USD)).quantize(Decimal("0.01"))


class Topic(models.Model):
    """What a workshop teaches; the statistics count per topic."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]

    def __str__(self):
        return self.name


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone, e.g. Europe/Madrid."), params={"value": value})


def validate_regions(value) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(_("Allow at least one AWS region."))
    unknown = [r for r in value if r not in COMMERCIAL_REGIONS]
    if unknown:
        raise ValidationError(
            _("Unknown or unsupported AWS regions: %(regions)s."), params={"regions": ", ".join(map(str, unknown))}
        )


def validate_policy_arns(value) -> None:
    if not isinstance(value, list):
        raise ValidationError(_("Give a list of IAM policy ARNs."))
    bad = [a for a in value if not isinstance(a, str) or not IAM_POLICY_ARN.match(a)]
    if bad:
        raise ValidationError(_("Not IAM policy ARNs: %(arns)s."), params={"arns": ", ".join(map(str, bad))})


class Workshop(models.Model):
    title = models.CharField(_("title"), max_length=200)
    topic = models.ForeignKey(Topic, verbose_name=_("topic"), on_delete=models.PROTECT, related_name="workshops")
    agenda = models.TextField(_("agenda"), blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    venue = models.TextField(_("venue"), blank=True, help_text=_("Address, for an in-person workshop."))
    online_link = models.URLField(_("online link"), blank=True, help_text=_("Meeting link, for an online workshop."))
    time_zone = models.CharField(
        _("time zone"), max_length=64, default="Europe/Madrid", validators=[validate_time_zone]
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    registration_deadline = models.DateTimeField(_("registration deadline"))
    capacity = models.PositiveIntegerField(_("seats"), validators=[MinValueValidator(1)])
    owners = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("solutions architects"),
        related_name="owned_workshops",
        limit_choices_to={"groups__name": roles.SOLUTIONS_ARCHITECTS},
    )
    account_managers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account managers"),
        related_name="invited_workshops",
        blank=True,
        limit_choices_to={"groups__name": roles.ACCOUNT_MANAGERS},
    )
    attendees_per_account = models.PositiveSmallIntegerField(
        _("attendees per account"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("More than one makes teams that share a sandbox account."),
    )
    aws_regions = models.JSONField(
        _("allowed AWS regions"),
        default=list,
        validators=[validate_regions],
        help_text=_('e.g. ["eu-west-1", "eu-central-1"]'),
    )
    attendee_policy_arns = models.JSONField(
        _("IAM policy ARNs for attendees"),
        default=list,
        blank=True,
        validators=[validate_policy_arns],
        help_text=_('e.g. ["arn:aws:iam::aws:policy/PowerUserAccess"]'),
    )
    permissions_boundary_arn = models.CharField(
        _("permissions boundary ARN"),
        max_length=600,
        blank=True,
        validators=[RegexValidator(IAM_POLICY_ARN)],
        help_text=_("Optional: an IAM policy that caps what attendees may do, whatever their policies grant."),
    )
    # What the labs use, as IAM names them ("ec2", "states"): only services the cleaner can clean,
    # since the guardrails refuse every other one to attendees (workshops.forms checks it).
    aws_services = models.JSONField(
        _("AWS services the labs use"),
        default=list,
        blank=True,
        help_text=_("One per line, as IAM names them, e.g. ec2, lambda, s3."),
    )
    # What attendees may launch (workshops.sandbox.sizes): the guardrails deny every other size.
    ec2_instance_types = models.JSONField(
        _("EC2 instance types"),
        default=sizes.default_ec2_instance_types,
        validators=[sizes.validate_ec2_instance_types],
        help_text=_("The EC2 instance types attendees may launch; every other type is refused."),
    )
    rds_instance_classes = models.JSONField(
        _("RDS instance classes"),
        default=sizes.default_rds_instance_classes,
        validators=[sizes.validate_rds_instance_classes],
        help_text=_("The database instance classes attendees may create."),
    )
    sagemaker_instance_types = models.JSONField(
        _("SageMaker instance types"),
        default=sizes.default_sagemaker_instance_types,
        validators=[sizes.validate_sagemaker_instance_types],
        help_text=_("The SageMaker instance types attendees may use (“system” is Studio’s own)."),
    )
    accelerated_instances_allowed = models.BooleanField(
        _("GPU and bare-metal sizes allowed"),
        default=False,
        help_text=_("An SA’s explicit choice: only then may the sizes above name GPU, accelerator or metal sizes."),
    )
    budget_per_attendee_usd = models.DecimalField(
        _("budget per attendee (USD)"),
        max_digits=8,
        decimal_places=2,
        default=default_budget_per_attendee,
        validators=[MinValueValidator(Decimal("1.00"))],
        help_text=_(
            "Each sandbox account's AWS budget is this times the attendees sharing it; once it is spent, "
            "its attendees are frozen out until an SA lets them back in."
        ),
    )
    provisioning_lead_minutes = models.PositiveIntegerField(
        _("provisioning lead time (minutes)"),
        default=120,
        validators=[MaxValueValidator(MAX_LEAD_MINUTES)],
        help_text=_("How long before the start the sandbox accounts are handed out."),
    )
    stage = models.CharField(_("stage"), max_length=24, choices=Stage, default=Stage.DRAFT, editable=False)
    # Raised whenever the date or place changes, so calendar apps replace the event they hold.
    calendar_sequence = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["-starts_at"]
        permissions = [("move_stage", _("Can move a workshop through its stages"))]
        indexes = [models.Index(fields=["stage", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="workshop_ends_after_start"
            ),
            models.CheckConstraint(
                condition=models.Q(registration_deadline__lte=models.F("starts_at")),
                name="workshop_deadline_not_after_start",
            ),
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="workshop_has_seats"),
            models.CheckConstraint(
                condition=models.Q(attendees_per_account__gte=1), name="workshop_team_size_positive"
            ),
        ]

    def __str__(self):
        if not self.starts_at or self.time_zone not in zoneinfo.available_timezones():
            return self.title  # an unsaved or invalid form must still be printable
        return f"{self.title} ({self.local_start:%Y-%m-%d})"

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            errors["ends_at"] = _("The workshop must end after it starts.")
        if self.starts_at and self.registration_deadline and self.registration_deadline > self.starts_at:
            errors["registration_deadline"] = _("Registration must close no later than the start.")
        if not self.venue.strip() and not self.online_link:
            errors["venue"] = _("Give a venue, an online link, or both.")
        errors.update(sizes.accelerated_sizes_refusal(self))
        if errors:
            raise ValidationError(errors)

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_start(self):
        return self.starts_at.astimezone(self.tz)

    @property
    def local_end(self):
        return self.ends_at.astimezone(self.tz)

    @property
    def provisioning_at(self):
        """When the workshop starts running on its own: its lead time before the start."""
        return self.starts_at - timedelta(minutes=self.provisioning_lead_minutes)

    @property
    def closes_at(self):
        """When the workshop closes on its own: its end plus the grace period."""
        return self.ends_at + timedelta(minutes=settings.CPP_CLOSE_GRACE_MINUTES)

    @property
    def accounts_needed(self) -> int:
        return math.ceil(self.capacity / self.attendees_per_account)

    @property
    def is_published(self) -> bool:
        return self.stage != Stage.DRAFT


class StageChange(models.Model):
    """One audited stage move; its side effects are stamped done once they have run."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="stage_changes")
    source = models.CharField(_("from"), max_length=24, choices=Stage)
    target = models.CharField(_("to"), max_length=24, choices=Stage)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    automatic = models.BooleanField(_("automatic"), default=False)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    side_effects_done_at = models.DateTimeField(_("side effects done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.workshop_id}: {self.source} → {self.target}"


def new_invitation_token() -> str:
    # 144 random bits: unguessable, and short enough for a link in an email.
    return secrets.token_urlsafe(18)


class Invitation(models.Model):
    """An Account Manager's personal link to a workshop; registrations through it are theirs."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="invitations")
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="invitations",
        verbose_name=_("account manager"),
    )
    token = models.CharField(max_length=32, unique=True, default=new_invitation_token, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("invitation link")
        verbose_name_plural = _("invitation links")
        constraints = [
            models.UniqueConstraint(fields=["workshop", "account_manager"], name="one_invitation_per_am_and_workshop")
        ]

    def __str__(self):
        return f"{self.account_manager} → {self.workshop}"


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("Waitlisted")
    CANCELLED = "cancelled", _("Cancelled")


class Registration(models.Model):
    """One person's place at one workshop: a seat, a place in the waitlist, or a cancellation."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="registrations")
    attendee = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="registrations")
    # The company at the time of registering, kept for the statistics after anonymisation.
    organisation = models.ForeignKey(
        "accounts.CustomerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registrations",
    )
    invitation = models.ForeignKey(
        Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="registrations"
    )
    # The AM the registration is attributed to (copied from the invitation, kept if it is deleted).
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attributed_registrations",
        verbose_name=_("account manager"),
    )
    status = models.CharField(_("status"), max_length=16, choices=RegistrationStatus, editable=False)
    # Arrival order: the waitlist is served by this, and a re-registration joins at the back.
    queued_at = models.DateTimeField(_("registered at"), editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    # None until an SA ticks the check-in list: True attended, False a no-show.
    attended = models.BooleanField(_("attended"), null=True, blank=True)
    attendance_marked_at = models.DateTimeField(_("attendance marked at"), null=True, blank=True, editable=False)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("attendance marked by"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["queued_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "attendee"], name="one_registration_per_person_and_workshop")
        ]
        indexes = [models.Index(fields=["workshop", "status", "queued_at"], name="registration_queue_idx")]

    def __str__(self):
        return f"{self.attendee} @ {self.workshop_id} ({self.status})"


class SurveyAnswer(models.Model):
    """An attendee's answer to the one-page survey after the workshop: one per registration.

    The scores outlive anonymisation (the programme reports them); the comment is free text and
    is blanked with the rest of the attendee's personal data.
    """

    registration = models.OneToOneField(Registration, on_delete=models.CASCADE, related_name="survey_answer")
    # Denormalised so the statistics group by workshop without a join through registrations.
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="survey_answers")
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    would_recommend = models.BooleanField(_("would recommend"))
    comment = models.TextField(_("comment"), blank=True, max_length=4000)
    answered_at = models.DateTimeField(_("answered at"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering = ["-answered_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5), name="survey_satisfaction_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.registration_id}: {self.satisfaction}/5"


# The sandbox side's models live with it; imported here so Django registers them with this app.
from workshops.sandbox.models import (  # noqa: E402, F401
    AccountFreeze,
    AccountSpend,
    Credential,
    CredentialStatus,
    CredentialView,
    RegionsAllowed,
    SandboxAccount,
    SandboxAccountState,
    SpendRead,
)
