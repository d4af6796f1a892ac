"""Cleanup runs and what they found: one run, one target per (account, region), one row per event on an item.

A target's counters are written as its sweep goes, so the progress page reads a handful of rows
instead of counting items; the item rows are the record of what was found, deleted, refused and
left behind, and why.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from workshops.models import SandboxAccount, Workshop

# The region of a target that sweeps the global types (IAM …) of its account, once.
GLOBAL = "global"


class CleanupRun(models.Model):
    class Trigger(models.TextChoices):
        CLOSE = "close", _("Workshop closed")
        COMMAND = "command", _("clean_accounts command")
        ADMIN = "admin", _("Admin action")
        RETRY = "retry", _("Automatic retry")
        FULL_SWEEP = "full_sweep", _("Scheduled full sweep")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    workshop = models.ForeignKey(
        Workshop,
        verbose_name=_("workshop"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cleanup_runs",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger)
    dry_run = models.BooleanField(_("dry run"), default=True)
    accounts = models.ManyToManyField(SandboxAccount, verbose_name=_("accounts"), related_name="cleanup_runs")
    # Empty: every region enabled in the account, every service the cleaner knows.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    # Not a filter: the regions the guardrails allowed while the accounts were in use, so the only
    # ones attendees could have used (plus us-east-1, home of the global services). Empty: every
    # enabled region. A scheduled full sweep covers every region now and then all the same.
    scope_regions = models.JSONField(_("regions in scope"), default=list, blank=True)
    services = models.JSONField(_("services"), default=list, blank=True)
    # Item filters (cleaner.safety.Filters): tags as {key: value or "*"}, names as fnmatch patterns.
    keep_tags = models.JSONField(_("keep items tagged"), default=dict, blank=True)
    only_tags = models.JSONField(_("only items tagged"), default=dict, blank=True)
    name_patterns = models.JSONField(_("only names matching"), default=list, blank=True)
    keep_name_patterns = models.JSONField(_("keep names matching"), default=list, blank=True)
    min_age_hours = models.PositiveIntegerField(_("only items older than (hours)"), null=True, blank=True)
    budget_seconds = models.PositiveIntegerField(
        _("wait budget (seconds)"),
        default=1800,
        help_text=_("How long each account and region may delete and re-list before what is left is reported."),
    )
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED, db_index=True)
    error = models.TextField(_("error"), blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cleanup run")
        verbose_name_plural = _("cleanup runs")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        kind = _("dry run") if self.dry_run else _("cleanup")
        return f"#{self.pk} {kind} ({self.get_trigger_display()}, {self.get_status_display()})"

    @property
    def is_filtered(self) -> bool:
        """A run limited by region, service or item filters cannot tell that an account is clean."""
        return bool(
            self.regions
            or self.services
            or self.keep_tags
            or self.only_tags
            or self.name_patterns
            or self.keep_name_patterns
            or self.min_age_hours
        )

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class CleanupTarget(models.Model):
    """One (account, region) of a run, swept by one task; "global" sweeps the account's global types."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        CLEAN = "clean", _("Clean")
        DIRTY = "dirty", _("Left resources")
        # Clean but for what AWS will not delete before a date: not a failure, not yet clean.
        WAITING = "waiting", _("Waiting for AWS")
        ERROR = "error", _("Error")
        SKIPPED = "skipped", _("Skipped")

    FINISHED = (Status.CLEAN, Status.DIRTY, Status.WAITING, Status.ERROR, Status.SKIPPED)

    run = models.ForeignKey(CleanupRun, on_delete=models.CASCADE, related_name="targets")
    sandbox_account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="cleanup_targets")
    account_id = models.CharField(_("account"), max_length=12)
    region = models.CharField(_("region"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.QUEUED)
    scans = models.PositiveIntegerField(_("scans"), default=0)
    clean_scans_in_a_row = models.PositiveIntegerField(_("clean scans in a row"), default=0)
    found = models.PositiveIntegerField(_("found"), default=0)
    deleted = models.PositiveIntegerField(_("deleted"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    left = models.PositiveIntegerField(_("left"), default=0)
    protected = models.PositiveIntegerField(_("protected"), default=0)
    skipped = models.PositiveIntegerField(_("skipped by filter"), default=0)
    held = models.PositiveIntegerField(_("not deletable yet"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # A sweep holds its target until then and extends it as it goes; a redelivered task waits it out.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("cleanup target")
        verbose_name_plural = _("cleanup targets")
        ordering = ["account_id", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "sandbox_account", "region"], name="one_target_per_run_account_region"
            )
        ]
        indexes = [models.Index(fields=["status", "claimed_until"], name="cleanup_target_status_idx")]

    def __str__(self):
        return f"{self.account_id} {self.region} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED


class CleanupItem(models.Model):
    """Something that happened to one resource during a run: found, deleted, refused, failed, left."""

    class Action(models.TextChoices):
        FOUND = "found", _("Found")
        DELETED = "deleted", _("Deleted")
        WOULD_DELETE = "would_delete", _("Would delete")
        PROTECTED = "protected", _("Protected")
        SKIPPED_BY_FILTER = "skipped_by_filter", _("Skipped by filter")
        FAILED = "failed", _("Failed")
        NOT_YET = "not_yet", _("Not deletable yet")
        LEFT = "left", _("Left")

    run = models.ForeignKey(CleanupRun, on_delete=models.CASCADE, related_name="items")
    target = models.ForeignKey(CleanupTarget, on_delete=models.CASCADE, related_name="items")
    account_id = models.CharField(_("account"), max_length=12)
    region = models.CharField(_("region"), max_length=32)
    resource_type = models.CharField(_("type"), max_length=100)
    resource_id = models.CharField(_("id"), max_length=1024)
    name = models.CharField(_("name"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=Action)
    error = models.TextField(_("error"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("cleanup item")
        verbose_name_plural = _("cleanup items")
        ordering = ["at", "pk"]
        indexes = [
            # The page lists what was left or failed in a run; a restarted sweep reloads its target's items.
            models.Index(fields=["run", "action"], name="cleanup_item_run_action_idx"),
            models.Index(fields=["target", "action"], name="cleanup_item_target_action_idx"),
        ]

    def __str__(self):
        return f"{self.resource_type} {self.resource_id}: {self.action}"


class Finding(models.Model):
    """Something an account still held after a clean sweep that no resource type of the cleaner knows.

    Written by cleaner.findings only. An open finding keeps its account out of the pool until an
    SA decides: dismiss it (it is AWS's, or harmless) or clean the account again.
    """

    class Source(models.TextChoices):
        TAGGING = "tagging", _("Tagging API")
        CLOUD_CONTROL = "cloud_control", _("Cloud Control")
        COST = "cost", _("Still billing")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DISMISSED = "dismissed", _("Dismissed by an SA")
        GONE = "gone", _("Gone")

    run = models.ForeignKey(CleanupRun, on_delete=models.CASCADE, related_name="findings")
    sandbox_account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="findings")
    account_id = models.CharField(_("account"), max_length=12)
    region = models.CharField(_("region"), max_length=32)
    source = models.CharField(_("seen by"), max_length=16, choices=Source)
    resource_type = models.CharField(_("type"), max_length=200)
    identifier = models.CharField(_("resource"), max_length=1024)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status, default=Status.OPEN, db_index=True)
    found_at = models.DateTimeField(_("found at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("leftover finding")
        verbose_name_plural = _("leftover findings")
        ordering = ["account_id", "region", "resource_type", "identifier"]
        indexes = [models.Index(fields=["sandbox_account", "status"], name="finding_account_status_idx")]

    def __str__(self):
        return f"{self.account_id} {self.region} {self.resource_type} {self.identifier}"


class DetectorCheck(models.Model):
    """That the detector looked at one account after one run: once, whichever task gets there first."""

    class Kind(models.TextChoices):
        SCAN = "scan", _("Tagging API and Cloud Control, after the last scan")
        COST = "cost", _("Cost Explorer, the day after")

    run = models.ForeignKey(CleanupRun, on_delete=models.CASCADE, related_name="detector_checks")
    sandbox_account = models.ForeignKey(SandboxAccount, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind)
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)
    findings = models.PositiveIntegerField(_("findings"), default=0)
    # What the detector could not read (a refused region, a type Cloud Control does not know there).
    errors = models.TextField(_("could not check"), blank=True)

    class Meta:
        verbose_name = _("detector check")
        verbose_name_plural = _("detector checks")
        constraints = [
            models.UniqueConstraint(fields=["run", "sandbox_account", "kind"], name="one_detector_check_per_run")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: run {self.run_id}, {self.findings} findings"
