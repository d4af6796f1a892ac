"""The report of every GDPR anonymisation run: who or what asked, with which options, what it changed."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AnonymisationRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Nightly schedule")
        COMMAND = "command", _("manage.py command")
        SELF_SERVICE = "self_service", _("The person themselves")
        STAFF = "staff", _("Staff, from the admin")

    trigger = models.CharField(_("trigger"), max_length=16, choices=Trigger)
    dry_run = models.BooleanField(_("dry run"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # What was asked: retention days, a workshop, the people picked by hand.
    options = models.JSONField(_("options"), default=dict, blank=True)
    # Rows changed per kind of data (in a dry run: rows that would change).
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("anonymisation run")
        verbose_name_plural = _("anonymisation runs")
        ordering = ["-started_at", "-pk"]

    def __str__(self):
        kind = _("dry run") if self.dry_run else _("run")
        return f"{kind} {self.pk} ({self.get_trigger_display()}, {self.started_at:%Y-%m-%d %H:%M})"
