"""django-sesame's v2 tokens, with one spelling each (SESAME_TOKENS names this module).

A v2 token is unpadded URL-safe base64 of 28 bytes (an 8-byte primary key, a 4-byte timestamp, the
16-byte signature): 38 characters carrying 224 bits, so the last character's 4 low bits are
ignored by the decoder, and 16 different links open the same door. A token is accepted only if
encoding what it decodes to gives it back, character for character: a link changed anywhere is
refused, so a token can be recorded, compared or revoked as the string it is.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from sesame import tokens_v2


def is_canonical(token: str, *, padded: bool = False) -> bool:
    """Whether `token` is exactly the URL-safe base64 spelling (unpadded unless `padded`) of the bytes it decodes to.

    Every token the portal accepts passes this: sesame's here, the sign-up token (accounts.services).
    """
    given = token.encode()
    try:
        data = base64.urlsafe_b64decode(given + b"=" * (-len(given) % 4))
    except (binascii.Error, ValueError):
        return False
    spelled = base64.urlsafe_b64encode(data)
    return hmac.compare_digest(spelled if padded else spelled.rstrip(b"="), given)


def create_token(user, scope: str = "") -> str:
    return tokens_v2.create_token(user, scope)


def detect_token(token: str) -> bool:
    return tokens_v2.detect_token(token)


def parse_token(token: str, get_user, scope: str = "", max_age=None):
    if not is_canonical(token):
        return None
    return tokens_v2.parse_token(token, get_user, scope, max_age)
