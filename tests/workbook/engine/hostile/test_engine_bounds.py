"""Formulas that made the engine itself run unbounded: a LAMBDA or LET call that never closes
(the engine's tokenizer backtracks exponentially on it), regular expressions whose counted
repeats take seconds to compile, arrays built from a few arguments (MUNIT, MAKEARRAY, EXPAND),
LAMBDA loops inside one function call, and one huge allocation."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from workbook.engine import recalc
from workbook.engine.excelfns import MAX_PATTERN_ITEMS, pattern_items
from workbook.engine.functions import call_closes
from workbook.engine.package import LIMITS

from .attacks import build
from .conftest import values


def _recalc(tmp_path, cells, name="in.xlsx"):
    src = build(tmp_path / name, {"Deal": {"A1": 1.0, **cells}})
    out = tmp_path / ("out_" + name)
    return recalc.recalc_file(str(src), str(out)), out


@pytest.mark.parametrize("formula", [
    "=LET(x,1,x+" + "a" * 40,
    '=_xlfn.LAMBDA(a,' + "a " * 30 + '")(1)',
])
def test_a_call_that_never_closes_is_unreadable_not_a_hang(tmp_path, formula):
    """Each of these took minutes (or hours) in the engine's tokenizer; run in a child process
    so a regression fails on the timeout instead of hanging the suite."""
    src = build(tmp_path / "lambda.xlsx", {"Deal": {"A1": 1.0, "B1": formula, "C1": "=A1+1"}})
    code = textwrap.dedent(f"""
        from workbook.engine import recalc
        r = recalc.recalc_file({str(src)!r}, None)
        print(r.exit_code, sorted(r.kept))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=240)
    assert out.stdout.startswith("3 "), out.stderr[-2000:]
    assert "'B1'" in out.stdout and "'C1'" not in out.stdout


def test_calls_that_close_are_still_evaluated(tmp_path):
    res, out = _recalc(tmp_path, {"B1": "=LET(x,2,x*3)", "B2": '=LET(s,"(a",LEN(s))',
                                  "B3": "=MAP(A1:A1,LAMBDA(v,v*10))"})
    assert res.exit_code == 0, res
    ws = values(out)
    assert (ws["B1"].value, ws["B2"].value, ws["B3"].value) == (6, 2, 10)


def test_call_closes():
    assert call_closes('LAMBDA(x,x+")")')
    assert call_closes('LET(x,"a""(",(x))')
    assert not call_closes('LAMBDA(x,")"')
    assert not call_closes("LAMBDA(x,(x)")


@pytest.mark.parametrize("pattern, items", [
    ("abc", 3), ("a{10}", 10), ("(?:a{10}){10}", 120), ("[a{5}]{3}", 3), (r"\{5}", 3),
    (r"\p{L}{4}", 4), ("a{1,60000}", 1), ("(a|b){3}", 9),
])
def test_pattern_items(pattern, items):
    assert pattern_items(pattern) == items


def test_regular_expressions_that_cannot_compile_in_time_are_value_errors(tmp_path):
    res, _ = _recalc(tmp_path, {
        "B1": '=REGEXTEST("a","(?:a{1000}){1000}")',
        "B2": '=REGEXTEST("a","a{4294967294}")',
        "B3": '=REGEXEXTRACT("aaa","(?:(?:a{100}){100}){100}")',
        "B4": '=LEN(REGEXREPLACE(REPT("a",32767),"",REPT("b",32767)))',
        "B5": '=REGEXREPLACE("abc","(b)","[\\1]")',
        "B6": '=REGEXTEST(REPT("a",70),"a{65}")'})
    errors = {c: msg for _, c, _, msg in res.errors}
    assert f"limit {MAX_PATTERN_ITEMS:,}" in errors["B1"] and "B6" not in errors
    assert "65,535" in errors["B2"] and f"limit {MAX_PATTERN_ITEMS:,}" in errors["B3"]
    assert "longer than 32,767" in errors["B4"] and "B5" not in errors


def test_arrays_built_from_a_few_arguments_are_bounded(tmp_path):
    res, out = _recalc(tmp_path, {"B1": "=SUM(MUNIT(20000))",
                                  "B2": "=SUM(MAKEARRAY(10000,10000,LAMBDA(r,c,r)))",
                                  "B3": "=SUM(MAKEARRAY(20,30,LAMBDA(r,c,r)))"})
    errors = {c: msg for _, c, _, msg in res.errors}
    assert "400,000,000 cells (limit 1,048,576)" in errors["B1"]
    assert "100,000,000 cells" in errors["B2"]
    ws = values(out)
    assert ws["B3"].value == 30 * 210


def test_a_lambda_loop_inside_one_call_stops_at_the_budget(tmp_path, refused, monkeypatch):
    monkeypatch.setitem(LIMITS, "seconds", 2.0)
    src = build(tmp_path / "loop.xlsx", {"Deal": {
        "A1": 1.0, "B1": "=SUM(MAKEARRAY(1000,1000,LAMBDA(r,c,SUM(MAKEARRAY(100,100,"
                         "LAMBDA(a,b,a*r))))))"}})
    refused(src, r"stopped after 2 s \(limit\)")
    monkeypatch.setitem(LIMITS, "seconds", 300.0)   # a stopped run leaves nothing behind
    res, out = _recalc(tmp_path, {"B1": '=LET(x,INDIRECT("A1"),x*2)'}, name="next.xlsx")
    assert res.exit_code == 0 and values(out)["B1"].value == 2


def test_one_huge_allocation_fails_inside_the_memory_ceiling(monkeypatch):
    if not sys.platform.startswith("linux"):
        pytest.skip("the data segment limit is Linux's")
    monkeypatch.setitem(LIMITS, "memory_bytes", 2**28)
    with recalc.memory_ceiling():
        with pytest.raises(MemoryError):
            np.ones(2**31 // 8 * 3)           # 3 GB
    a = np.ones(2**28 // 8 * 3)               # 768 MB: the ceiling is gone again
    assert a.size
