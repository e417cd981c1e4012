"""Structured references to Excel tables, and unary signs that cancel, as the engine gets
them (the values are checked end to end in the fidelity corpus: tables, excel_markup)."""

from __future__ import annotations

import pytest

from workbook.engine.formulatext import double_negation
from workbook.engine.tables import Table, structured_to_a1

T = {"SCHEDULE": Table("Schedule", "Loan's", 1, 1, 6, 4, 1, 1,
                       ("Period", "Payment", "Interest [net]", "Total"))}


@pytest.mark.parametrize("text,row,want", [
    ("SUM(Schedule[Payment])", 3, "SUM('Loan''s'!$B$2:$B$5)"),
    ("Schedule[[#This Row],[Payment]]*2", 3, "'Loan''s'!$B$3*2"),
    ("Schedule[[#This Row], [Total]]", 5, "'Loan''s'!$D$5"),
    ("Schedule[[#This Row],[Total]]", 6, "#VALUE!"),          # the totals row
    ("SUM(Schedule[[Payment]:[Interest '[net']]])", 1, "SUM('Loan''s'!$B$2:$C$5)"),
    ("ROWS(Schedule)", 1, "ROWS('Loan''s'!$A$2:$D$5)"),
    ("ROWS(schedule[])", 1, "ROWS('Loan''s'!$A$2:$D$5)"),
    ("Schedule[#All]", 1, "'Loan''s'!$A$1:$D$6"),
    ("Schedule[#Headers]", 1, "'Loan''s'!$A$1:$D$1"),
    ("Schedule[[#Totals],[Total]]", 1, "'Loan''s'!$D$6"),
    ("Schedule[[#Headers],[#Data],[Period]]", 1, "'Loan''s'!$A$1:$A$5"),
    ("Schedule[Missing]", 1, "#REF!"),
    ('"Schedule[Payment]"&MySchedule', 1, '"Schedule[Payment]"&MySchedule'),
    ("[1]Schedule!A1+'Schedule'!A1", 1, "[1]Schedule!A1+'Schedule'!A1"),
])
def test_structured_references_become_ranges(text, row, want):
    assert structured_to_a1(text, T, row) == want


def test_a_table_without_header_or_totals_row_has_none():
    t = {"T": Table("T", "S", 5, 2, 8, 3, 0, 0, ("a", "b"))}
    assert structured_to_a1("T[#Headers]", t) == "#REF!"
    assert structured_to_a1("T[[#Totals],[a]]", t) == "#REF!"
    assert structured_to_a1("T[b]", t) == "'S'!$C$5:$C$8"


def test_a_malformed_group_after_a_table_name_is_an_error():
    with pytest.raises(ValueError):
        structured_to_a1("Schedule[[#Nope],[Total]]", T)
    with pytest.raises(ValueError):
        structured_to_a1("Schedule[[Total]", T)


@pytest.mark.parametrize("text,want", [
    ("SUMPRODUCT(--(A1:A4<=2),B1:B4)", "SUMPRODUCT((-(-(A1:A4<=2))),B1:B4)"),
    ("2*--Sheet1!A1:A4", "2*(-(-Sheet1!A1:A4))"),
    ("-+-F(1,2)+3", "(-(-F(1,2)))+3"),
    ("--'My s'!A1^2", "(-(-'My s'!A1))^2"),
    ("-A1", "-A1"), ("---A1", "---A1"), ("A1--B1", "A1--B1"), ('"--x"', '"--x"'),
])
def test_cancelling_signs_are_applied_one_by_one(text, want):
    assert double_negation(text) == want
