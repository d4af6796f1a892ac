"""Emails that carry someone's key are sealed in the outbox and never shown to staff for real.

A sign-in link, a password-reset link, the "account ready" link and the survey link each let
whoever holds them act as the person they were sent to (models.CARRIES_KEY says which kinds).
DESIGN.md section 6: where real mail is sent, nobody on the staff, superuser included, may read
one, on a page, in a search, in the admin or through an admin lookup that answers yes or no.

Why sealed, rather than rendered at send time with only a redacted body kept: the link is not
always ours to make again. allauth renders its password-reset email itself (accounts.adapter)
and hands over finished bodies, and a retry after a failed send must deliver the very same
link. So the finished bodies are kept, but only as a Fernet token in `sealed_bodies`, while
`body_text` and `body_html` stay empty: no page, filter, search, export or lookup that reads
the body columns can see or answer on the key, including ones written after this module, and
a lookup on the sealed column only matches ciphertext. The sender opens the seal to build the
message; once the email has left (or failed for good) the seal is dropped, since nothing needs
the key any more.

The seal's key is derived from SECRET_KEY (an HMAC with this purpose as salt, the way Django
derives its own signing keys), with SECRET_KEY_FALLBACKS still opening older seals: no new
secret to deploy, and rotating SECRET_KEY the Django way keeps queued emails sendable.

With the local outbox-only backend (`make run`) nothing leaves the machine and the outbox page
is how a developer signs in, so there the seal is opened for the page and kept after sending.
"""

from __future__ import annotations

import json

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from cpp_portal.secret_box import box_for
from notifications.models import CARRIES_KEY

SALT = "notifications.sealing.sealed_bodies"


class SealBroken(Exception):
    """No key derived from SECRET_KEY or its fallbacks opens a sealed body."""


def _fernet() -> MultiFernet:
    return box_for(SALT)


def is_sealed_kind(kind: str) -> bool:
    return CARRIES_KEY.get(kind, True)  # a kind nobody declared is treated as the dangerous case


def body_fields(*, kind: str, body_text: str, body_html: str) -> dict[str, str]:
    """The outbox columns that store these bodies: in the clear, or sealed if `kind` carries a key."""
    if not is_sealed_kind(kind):
        return {"body_text": body_text, "body_html": body_html, "sealed_bodies": ""}
    token = _fernet().encrypt(json.dumps({"text": body_text, "html": body_html}).encode()).decode()
    return {"body_text": "", "body_html": "", "sealed_bodies": token}


def bodies(email) -> tuple[str, str]:
    """The plain-text and HTML bodies of `email` as they are sent (the seal opened if there is one)."""
    if not email.sealed_bodies:
        return email.body_text, email.body_html
    try:
        opened = json.loads(_fernet().decrypt(email.sealed_bodies.encode()))
    except InvalidToken:
        raise SealBroken("Its sealed body opens with no key from SECRET_KEY or SECRET_KEY_FALLBACKS.") from None
    return opened["text"], opened["html"]


def outbox_only() -> bool:
    """True where nothing leaves the machine: the local backend that keeps emails in the outbox."""
    return settings.EMAIL_BACKEND == settings.OUTBOX_ONLY_BACKEND


def shown_to_staff(email) -> bool:
    """May staff read this email's bodies? Never one that carries a key, unless nothing is really sent."""
    return outbox_only() or not is_sealed_kind(email.kind)


def kept_after_sending() -> bool:
    """Keep a sealed body once its email has left? Only locally, where the outbox page is the inbox."""
    return outbox_only()
