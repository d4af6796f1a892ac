"""Every CSV the portal hands out opens in a spreadsheet as data: no cell runs as a formula or spills over.

The rule is cpp_portal/spreadsheets.py's docstring; these tests check it on the cells an attacker
would type (a customer's name, company or job title), on anything hypothesis makes up, and through
the two downloads themselves.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from hypothesis import given
from hypothesis import strategies as st

from cpp_portal.spreadsheets import FORMULA_TRIGGERS, cell_is_dangerous, csv_writer, spreadsheet_cell

# (what a customer typed, the cell a spreadsheet gets)
HOSTILE = [
    ("=1+1", "'=1+1"),
    ("  =1+1", "'  =1+1"),
    ("\u200b=1+1", "'\u200b=1+1"),
    ("\ufeff\u2060 +1", "'\ufeff\u2060 +1"),
    ("\u3000=1+1", "'\u3000=1+1"),  # an ideographic space is whitespace too
    ("＝1+1", "'＝1+1"),
    ("＠SUM(A1)", "'＠SUM(A1)"),
    ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"),
    ("+34 600 000 000", "'+34 600 000 000"),
    ("\tHello", "'\tHello"),
    ("\r=1+1", "' =1+1"),  # a leading CR: prefixed, and the line break flattened
    ("cmd|' /C calc'!A0", "'cmd|' /C calc'!A0"),
    ("Acme;=1+1", "'Acme;=1+1"),  # ';' ends a cell where it is the list separator (es, pt, it)
    ("a\nb", "a b"),
    ("a\r\n\r\nb", "a b"),
    ("line\u2028break", "line break"),
    ("Ana\n=1+1", "Ana =1+1"),  # flattened, the formula is in the middle of the text: inert
]

HARMLESS = ["Zubiri", "O'Brien", "Ana-María", "AT&T | Spain", "Hello!", "CTO; Head of IT", "50% off", ""]


@pytest.mark.parametrize(("typed", "cell"), HOSTILE, ids=[repr(t) for t, _ in HOSTILE])
def test_a_cell_a_spreadsheet_could_run_is_prefixed_and_never_spans_lines(typed, cell):
    assert spreadsheet_cell(typed) == cell


@pytest.mark.parametrize("typed", HARMLESS)
def test_ordinary_text_is_left_alone(typed):
    assert spreadsheet_cell(typed) == typed


def test_numbers_stay_numbers_and_nothing_is_empty():
    assert spreadsheet_cell(-2) == -2 and spreadsheet_cell(0.25) == 0.25
    assert spreadsheet_cell(None) == ""
    assert spreadsheet_cell(True) == "True"


# --- properties ------------------------------------------------------------------------------

# Text rich in what matters: triggers, separators, whitespace, invisible characters, line breaks.
tricky_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(list(FORMULA_TRIGGERS) + list(";|!\t\r\n \u00a0\u200b\u200c\u200d\u2060\ufeff\u2028\x85")),
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
    ),
    max_size=30,
)


def _reads_as_formula(cell: str) -> bool:
    """What a spreadsheet would do with the cell: a leading ' makes it text, anything else is checked."""
    return not cell.startswith("'") and cell_is_dangerous(cell)


@given(tricky_text)
def test_no_cell_reads_as_a_formula_or_holds_a_line_break(typed):
    cell = spreadsheet_cell(typed)
    assert not _reads_as_formula(cell)
    assert not any(c in cell for c in "\r\n\v\f\x85\u2028\u2029")


@given(tricky_text)
def test_a_cell_keeps_every_word_typed(typed):
    cell = spreadsheet_cell(typed)
    body = cell[1:] if cell_is_dangerous(typed) else cell
    assert body.split() == typed.split()  # only the spacing between words may change


@given(st.lists(st.lists(tricky_text, min_size=1, max_size=5), min_size=1, max_size=5))
def test_every_row_is_one_line_and_reads_back_cell_for_cell(rows):
    file = io.StringIO(newline="")
    writer = csv_writer(file)
    writer.writerows(rows)
    lines = file.getvalue().split("\r\n")
    assert lines[-1] == "" and len(lines) - 1 == len(rows)  # a naive importer sees one row per row
    read = list(csv.reader(io.StringIO(file.getvalue(), newline="")))
    assert read == [[str(spreadsheet_cell(value)) for value in row] for row in rows]


def test_every_csv_export_goes_through_the_one_writer():
    # A csv.writer anywhere else would skip the rule: every export uses cpp_portal.spreadsheets.csv_writer.
    base = Path(django_settings.BASE_DIR)
    apps = [p for p in base.glob("*/**/*.py") if p.parts[len(base.parts)] not in ("tests", "bench", ".venv")]
    direct = [
        str(p.relative_to(base)) for p in apps if "csv.writer(" in p.read_text() or "DictWriter(" in p.read_text()
    ]
    assert direct == ["cpp_portal/spreadsheets.py"]
