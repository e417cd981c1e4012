"""Formula text: tokens, called functions, add-in references and skipped arguments."""

from __future__ import annotations

import pytest

from workbook.engine.formulatext import (SKIPPED_FUNCTION, function_names, mark_skipped,
                                         tokens)

S = SKIPPED_FUNCTION + "()"


def test_tokens_cover_every_character():
    text = "SUM('a''b'!A1:B2,\"x\"\"(\",[1]S!C3,T[[#This Row],[v]],{1,2;3,4})*-#N/A"
    assert "".join(t.text for t in tokens(text)) == text


def test_function_names_skip_strings_sheets_and_qualified_names():
    text = ("SUM(A1, IF(x, \"F(\", 'a F('!A1)) + [2]!G(1) + Book.xlam!H(1) + A1 (B1:C2) "
            "+ _xlfn.XLOOKUP(1) + T[[#This Row],[K(]]")
    assert function_names(text) == ["SUM", "IF", "_xlfn.XLOOKUP"]


@pytest.mark.parametrize("text, expected", [
    ("LGD_CORR(a,b,c,1,0.5, ,0)", f"LGD_CORR(a,b,c,1,0.5, {S},0)"),
    ("LGD_CORR(,1,)", f"LGD_CORR({S},1,{S})"),
    ("LGD_CORR()", "LGD_CORR()"),
    ("IF(A1,,2)+SUM(1,,2)", "IF(A1,,2)+SUM(1,,2)"),          # Excel's own: left alone
    ("LGD_CORR({1,,2},IF(1,,),(A1,B1))", "LGD_CORR({1,,2},IF(1,,),(A1,B1))"),
    ('LGD_CORR(",,",\'a,,b\'!A1,,)', f'LGD_CORR(",,",\'a,,b\'!A1,{S},{S})'),
    ("lgd_corr(1,,2)", f"lgd_corr(1,{S},2)"),
])
def test_mark_skipped_marks_only_our_functions(text, expected):
    assert mark_skipped(text, {"LGD_CORR"}) == expected
