"""What the staff pages change themselves; stage moves and provisioning stay with workshops' own services."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from workshops.models import Registration, RegistrationStatus, Stage, Workshop

log = logging.getLogger(__name__)

# The day itself (registration closes before it), and afterwards to correct a mark.
CHECK_IN_STAGES = (Stage.REGISTRATION_CLOSED, Stage.RUNNING, Stage.CLOSED)


class AttendanceError(Exception):
    """An attendance mark that cannot be recorded; the message says why."""


@transaction.atomic
def registration_attendance_mark(*, registration_id: int, attended: bool | None, actor: User) -> Registration:
    """Record that a confirmed attendee came (True) or did not (False); None clears the mark."""
    registration = Registration.objects.select_for_update().get(pk=registration_id)
    workshop = Workshop.objects.get(pk=registration.workshop_id)
    if workshop.stage not in CHECK_IN_STAGES:
        raise AttendanceError(
            _("Attendance is taken once registration has closed; “%(title)s” is %(stage)s.")
            % {"title": workshop.title, "stage": workshop.get_stage_display().lower()}
        )
    if registration.status != RegistrationStatus.CONFIRMED:
        raise AttendanceError(
            _("Only confirmed attendees are checked in; this registration is %(status)s.")
            % {"status": registration.get_status_display().lower()}
        )
    if registration.attended is attended:
        return registration  # a double tap: keep who marked it first, and when
    registration.attended = attended
    registration.attendance_marked_at = None if attended is None else timezone.now()
    registration.attendance_marked_by = None if attended is None else actor
    registration.save(update_fields=["attended", "attendance_marked_at", "attendance_marked_by", "updated_at"])
    log.info("registration %s attendance %s by %s", registration.pk, attended, actor.pk)
    return registration
