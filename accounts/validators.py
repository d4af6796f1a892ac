"""What a person's name (or their company's, or job title) may hold.

Control characters and the invisible marks that reorder text (bidi overrides and isolates) have
no place in a name, and in one they make the admin, emails and CSV files show something other
than what is stored ("Ana\u202eexe.txt" reads as "Anatxt.exe").
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Bidi marks, embeddings, overrides and isolates, and other invisible formatting that can hide or
# reorder what a reader sees. Zero-width joiners (U+200C/U+200D) stay: some scripts spell names with them.
INVISIBLE_FORMATTING = frozenset(
    "\u061c\u180e\u200b\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2060"
    "\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff\ufff9\ufffa\ufffb"
)


def refused_character(value: str) -> str | None:
    """The first character a name may not hold, or None."""
    for character in value:
        # Cc is U+0000–U+001F and U+007F–U+009F (tabs and line breaks included).
        if unicodedata.category(character) == "Cc" or character in INVISIBLE_FORMATTING:
            return character
    return None


def validate_name_characters(value: str) -> None:
    character = refused_character(value or "")
    if character is not None:
        raise ValidationError(
            _("Remove the invisible or control character (U+%(code)04X) from this name."),
            code="invisible_character",
            params={"code": ord(character)},
        )
