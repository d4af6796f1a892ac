"""CSV files a spreadsheet opens as data, never as formulas (CSV injection, OWASP's advice).

Every CSV the portal hands out (the statistics, an SA's attendee list) is written by `csv_writer`,
whose cells pass through `spreadsheet_cell`. Names, companies and job titles are typed by
customers, so any cell may be hostile. The rule, for text cells (numbers pass unchanged: a
number is never a formula):

1. A cell is one line: every run of line breaks (CR, LF, VT, FF, NEL, U+2028, U+2029) becomes
   one space, so no importer, however naive, can see a cell spill into the next row.
2. A cell is *dangerous* when a spreadsheet could read it as a formula or a DDE call:
   - it starts with a tab or a carriage return;
   - once leading whitespace and invisible characters (zero-width spaces and joiners, the word
     joiner, the byte-order mark: any Unicode format or control character) are stripped, it
     starts with `=`, `+`, `-`, `@` or their full-width forms `＝`, `＋`, `－`, `＠`;
   - a part after a `;` starts that way: where the list separator is `;` (Spanish, Portuguese
     and Italian Excel) a `;` may end the cell, and the next one would be a formula;
   - it has DDE's shape `program|topic!item`: a `|` with a `!` after it (`cmd|' /C calc'!A0`).
3. A dangerous cell gets a single quote in front, which makes it text. Every cell is also written
   in double quotes, so spreadsheets split on no `,` or `;` inside it.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from decimal import Decimal
from typing import IO, Any

FORMULA_TRIGGERS = frozenset("=+-@＝＋－＠")
LINE_BREAKS = re.compile("[\r\n\v\f\x85\u2028\u2029]+")
DDE = re.compile(r"\|.*!", re.DOTALL)


def _visible_start(text: str) -> str:
    """The text from its first character a person would see: whitespace and invisible characters skipped."""
    for index, character in enumerate(text):
        if not (character.isspace() or unicodedata.category(character) in ("Cf", "Cc")):
            return text[index:]
    return ""


def cell_is_dangerous(text: str) -> bool:
    """True when a spreadsheet could run `text` as a formula or a DDE call (the module's rule 2)."""
    if text[:1] in ("\t", "\r"):
        return True
    if any(_visible_start(part)[:1] in FORMULA_TRIGGERS for part in text.split(";")):
        return True
    return DDE.search(text) is not None


def spreadsheet_cell(value: Any) -> Any:
    """`value` as a CSV cell: numbers as they are, text on one line and prefixed with ' when dangerous."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = str(value)
    dangerous = cell_is_dangerous(text)
    text = LINE_BREAKS.sub(" ", text)
    return f"'{text}" if dangerous else text


class SpreadsheetSafeWriter:
    """csv.writer's writerow and writerows, with every cell through spreadsheet_cell and quoted."""

    def __init__(self, file: IO[str]):
        self._writer = csv.writer(file, quoting=csv.QUOTE_ALL)

    def writerow(self, row) -> None:
        self._writer.writerow([spreadsheet_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def csv_writer(file: IO[str]) -> SpreadsheetSafeWriter:
    """The writer every CSV export uses (see the module's docstring for what it does to cells)."""
    return SpreadsheetSafeWriter(file)
