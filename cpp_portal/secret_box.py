"""Encryption keyed on SECRET_KEY, for data the portal puts where others may read it (a link, a row).

Each purpose gets its own key: an HMAC of SECRET_KEY with the purpose as salt, the way Django
derives its signing keys, so a token made for one purpose never opens for another. The keys of
SECRET_KEY_FALLBACKS still open what was made before a rotation. Fernet (AES-128-CBC with an
HMAC-SHA256) authenticates what it encrypts and stamps when, so a token's age can be checked.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.utils.crypto import salted_hmac


def box_for(purpose: str) -> MultiFernet:
    """The keys of `purpose`: the first (from SECRET_KEY) encrypts, every one decrypts."""
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    keys = [salted_hmac(purpose, "", secret=secret, algorithm="sha256").digest() for secret in secrets]
    return MultiFernet([Fernet(base64.urlsafe_b64encode(key)) for key in keys])
