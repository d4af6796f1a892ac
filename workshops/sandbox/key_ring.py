"""The key ring for attendees' console passwords: Fernet tokens under CPP_CREDENTIALS_KEYS.

The first key encrypts; every key decrypts (MultiFernet), so a new key can be put in front of
the old one, the stored passwords re-encrypted with `manage.py rotate_credential_keys`, and the
old key dropped afterwards. Nothing here logs or returns a token in an error message.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

log = logging.getLogger(__name__)

GENERATE_HINT = (
    'Generate one with: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class SecretUnreadable(InvalidToken):
    """A stored token no key in CPP_CREDENTIALS_KEYS opens (a key was dropped too soon, or it is damaged)."""


def _keys() -> tuple[str, ...]:
    keys = tuple(k.strip() for k in settings.CPP_CREDENTIALS_KEYS if k and k.strip())
    if not keys:
        raise ImproperlyConfigured(
            "CPP_CREDENTIALS_KEYS is empty: attendee passwords cannot be encrypted without a Fernet key. "
            f"Set it to one key, or several separated by commas (the first encrypts). {GENERATE_HINT}"
        )
    return keys


@functools.lru_cache(maxsize=8)
def _ring(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    # Cached per key tuple: settings may change (tests, a reload), and building is not free.
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            # Never echo the key itself: it is a secret even when it is a broken one.
            raise ImproperlyConfigured(
                f"CPP_CREDENTIALS_KEYS: key number {position} is not a Fernet key "
                f"(32 url-safe base64-encoded bytes). {GENERATE_HINT}"
            )
    return MultiFernet(fernets), fernets[0]


def ensure_configured() -> None:
    """Raise ImproperlyConfigured now if passwords could not be encrypted (before any are made)."""
    _ring(_keys())


def encrypt(plaintext: str) -> str:
    """A Fernet token of `plaintext` under the first key."""
    ring, _primary = _ring(_keys())
    return ring.encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    """The plaintext of a token made under any key of the ring."""
    ring, _primary = _ring(_keys())
    try:
        return ring.decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("No key in CPP_CREDENTIALS_KEYS decrypts this stored secret.") from None


def rotate(token: str) -> str:
    """The same plaintext re-encrypted under the first key (its original timestamp kept)."""
    ring, _primary = _ring(_keys())
    try:
        return ring.rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("No key in CPP_CREDENTIALS_KEYS decrypts this stored secret.") from None


def is_current(token: str) -> bool:
    """Whether `token` is already under the first key (so rotating it would change nothing)."""
    primary = _ring(_keys())[1]
    try:
        primary.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@dataclass
class RotationReport:
    rotated: int = 0
    current: int = 0
    unreadable: list[int] | None = None

    def summary(self) -> str:
        text = f"Re-encrypted {self.rotated} stored passwords with the first key; {self.current} already were."
        if self.unreadable:
            text += (
                f" {len(self.unreadable)} could not be decrypted with any key and were left as they are "
                f"(credentials {', '.join(map(str, self.unreadable))})."
            )
        return text


def stored_passwords_rotate(*, batch_size: int = 500) -> RotationReport:
    """Re-encrypt every stored password under the first key; safe to run again (it skips current ones)."""
    from workshops.models import Credential

    report = RotationReport(unreadable=[])
    stored = Credential.objects.exclude(password_encrypted="").order_by("pk")
    last_pk = 0
    while True:
        batch = list(stored.filter(pk__gt=last_pk).values_list("pk", "password_encrypted")[:batch_size])
        if not batch:
            return report
        for pk, token in batch:
            last_pk = pk
            if is_current(token):
                report.current += 1
                continue
            try:
                fresh = rotate(token)
            except SecretUnreadable:
                report.unreadable.append(pk)
                log.error("credential %s: stored password unreadable with every key; left as it is", pk)
                continue
            # Only over the token read: a revocation that wiped it meanwhile must stay wiped.
            if Credential.objects.filter(pk=pk, password_encrypted=token).update(password_encrypted=fresh):
                report.rotated += 1
