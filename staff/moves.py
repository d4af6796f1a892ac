"""The stage-move buttons and what their confirmation page says will happen, with this workshop's numbers.

The moves themselves are `workshops.services.MANUAL_MOVES`; this adds the words an SA reads
before confirming: who is emailed, which sandbox accounts change hands, what is cleaned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from staff.selectors import pool_room
from workshops.models import Credential, CredentialStatus, Stage, Workshop
from workshops.services import ALLOWED_MOVES, MANUAL_MOVES, Move

BUTTON_LABELS = {
    Stage.REGISTRATION_OPEN: gettext_lazy("Publish"),
    Stage.REGISTRATION_CLOSED: gettext_lazy("Close registration"),
    Stage.RUNNING: gettext_lazy("Start now"),
    Stage.CLOSED: gettext_lazy("Close now"),
    Stage.CANCELLED: gettext_lazy("Cancel the workshop"),
}


@dataclass(frozen=True)
class MoveButton:
    target: str
    label: str
    dangerous: bool


def move_buttons(workshop: Workshop) -> list[MoveButton]:
    """The moves an SA may make by hand from the workshop's stage, in the lifecycle's order."""
    return [
        MoveButton(target, BUTTON_LABELS.get(target, move.verb), target == Stage.CANCELLED)
        for target, move in MANUAL_MOVES.items()
        if target in ALLOWED_MOVES[workshop.stage]
    ]


@dataclass
class MovePreview:
    move: Move
    label: str
    allowed: bool
    consequences: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    asks_for_note: bool = False


def move_preview(workshop: Workshop, target: str) -> MovePreview:
    """What moving `workshop` (annotated by staff.selectors) to `target` will do, in sentences."""
    move = MANUAL_MOVES[target]
    preview = MovePreview(
        move=move,
        label=str(BUTTON_LABELS.get(target, move.verb)),
        allowed=target in ALLOWED_MOVES[workshop.stage],
        asks_for_note=target == Stage.CANCELLED,
    )
    if not preview.allowed:
        preview.warnings.append(
            _("A workshop that is “%(stage)s” cannot move to “%(target)s”: nothing will change.")
            % {"stage": workshop.get_stage_display(), "target": Stage(target).label}
        )
        return preview
    describe = {
        Stage.REGISTRATION_OPEN: _publish,
        Stage.REGISTRATION_CLOSED: _close_registration,
        Stage.RUNNING: _start,
        Stage.CLOSED: _close,
        Stage.CANCELLED: _cancel,
    }[target]
    describe(workshop, preview)
    return preview


def _am_count(workshop: Workshop) -> int:
    return workshop.account_managers.filter(is_active=True).count()


def _publish(workshop: Workshop, preview: MovePreview) -> None:
    ams = _am_count(workshop)
    room = pool_room(workshop)
    preview.consequences += [
        _("Registration opens until the deadline."),
        ngettext(
            "%(n)s Account Manager is emailed their personal invitation link.",
            "%(n)s Account Managers are emailed their personal invitation links.",
            ams,
        )
        % {"n": ams},
        ngettext(
            "%(n)s sandbox account is reserved for the %(seats)s seats.",
            "%(n)s sandbox accounts are reserved for the %(seats)s seats.",
            workshop.accounts_needed,
        )
        % {"n": workshop.accounts_needed, "seats": workshop.capacity},
    ]
    if not ams:
        preview.warnings.append(_("No Account Manager takes part yet: nobody will be invited."))
    if room.accounts < workshop.accounts_needed:
        preview.warnings.append(
            _("The pool has only %(free)s free accounts: the owners are emailed that it is short.")
            % {"free": room.accounts}
        )


def _close_registration(workshop: Workshop, preview: MovePreview) -> None:
    ams = _am_count(workshop)
    preview.consequences += [
        _("No one else can register; the %(n)s people on the waitlist stay there.") % {"n": workshop.waitlisted},
        ngettext(
            "%(n)s Account Manager gets a digest of their customers.",
            "%(n)s Account Managers get a digest of their customers.",
            ams,
        )
        % {"n": ams},
    ]


def _start(workshop: Workshop, preview: MovePreview) -> None:
    room = pool_room(workshop)
    team = workshop.attendees_per_account
    needed = -(-workshop.confirmed // team)
    preview.consequences += [
        ngettext(
            "%(n)s confirmed attendee gets an IAM user in a sandbox account and an email with a link to "
            "their credentials.",
            "%(n)s confirmed attendees get an IAM user in a sandbox account and an email with a link to "
            "their credentials.",
            workshop.confirmed,
        )
        % {"n": workshop.confirmed},
        _("%(needed)s accounts are used: %(reserved)s reserved, the rest taken from the pool.")
        % {"needed": needed, "reserved": workshop.reserved_accounts},
    ]
    if needed > room.accounts:
        preview.warnings.append(
            _("The pool can give only %(n)s accounts: some attendees will get none until it grows.")
            % {"n": room.accounts}
        )
    if workshop.stage == Stage.REGISTRATION_OPEN:
        preview.warnings.append(_("Registration is still open: it closes first."))


def _close(workshop: Workshop, preview: MovePreview) -> None:
    live = (
        Credential.objects.filter(registration__workshop=workshop).filter(~Q(status=CredentialStatus.REVOKED)).count()
    )
    preview.consequences += [
        ngettext(
            "%(n)s attendee credential is revoked: the IAM user is deleted.",
            "%(n)s attendee credentials are revoked: the IAM users are deleted.",
            live,
        )
        % {"n": live},
        ngettext(
            "Every resource in the workshop's %(n)s sandbox account is deleted by a cleanup run.",
            "Every resource in the workshop's %(n)s sandbox accounts is deleted by a cleanup run.",
            workshop.reserved_accounts,
        )
        % {"n": workshop.reserved_accounts},
        _("The attendees get the survey email."),
    ]


def _cancel(workshop: Workshop, preview: MovePreview) -> None:
    registered = workshop.confirmed + workshop.waitlisted
    preview.consequences += [
        ngettext(
            "%(n)s registered customer is emailed that the workshop is cancelled.",
            "%(n)s registered customers are emailed that the workshop is cancelled.",
            registered,
        )
        % {"n": registered},
        ngettext(
            "%(n)s reserved sandbox account goes back to the pool.",
            "%(n)s reserved sandbox accounts go back to the pool.",
            workshop.reserved_accounts,
        )
        % {"n": workshop.reserved_accounts},
    ]
    preview.warnings.append(_("This cannot be undone."))
