"""Loan-tape calls (functions taking columns): a bad row is that row's error, every other row is
computed, for every function that takes a tape; errors about the whole call stay one error."""

import math

import pytest

import addin.udfs  # noqa: F401  (registers every function)
from addin.packaging.generate import _sample
from addin.registry import REGISTRY, TAPE_KIND, UdfSpec, ArgSpec, tape_by_rows

TAPE_SPECS = [REGISTRY[k] for k in sorted(REGISTRY)
              if any(a.kind == TAPE_KIND for a in REGISTRY[k].args)]
FACTORS = [1.0, 0.9, 1.1, 0.95, 1.05, 1.02]
#: Values for required arguments the documentation examples have no sample for.
EXTRA = {"rho_collateral": 0.5}


def test_there_are_tape_functions():
    assert {"GPU_RV", "LGD_CORR", "IRB_K"} <= {s.name for s in TAPE_SPECS}


def _row_values(spec):
    """Scalar arguments of one valid call (required arguments; optional ones empty)."""
    vals = {a.name: (None if a.optional else EXTRA.get(a.name, _sample(a))) for a in spec.args}
    if any(v is None for a, v in zip(spec.args, vals.values()) if not a.optional):
        pytest.skip(f"{spec.name}: no sample value for a required argument")
    return vals


def _tape(spec, n, bad_row=None, bad_value="abc"):
    """Columns of n rows for every required tape argument (rows scaled by FACTORS), the rest
    scalar; the first tape argument of ``bad_row`` replaced by ``bad_value``."""
    base = _row_values(spec)
    tape_args = [a.name for a in spec.args if a.kind == TAPE_KIND and not a.optional]
    rows = []
    for i in range(n):
        row = dict(base)
        for k in tape_args:
            row[k] = base[k] * FACTORS[i % len(FACTORS)]
        if i == bad_row:
            row[tape_args[0]] = bad_value
        rows.append(row)
    columns = dict(base)
    for k in tape_args:
        columns[k] = [[r[k]] for r in rows]
    return columns, rows, tape_args


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
    return a == b


@pytest.mark.parametrize("spec", TAPE_SPECS, ids=[s.name for s in TAPE_SPECS])
def test_bad_row_is_its_own_error_and_other_rows_are_computed(spec):
    n, bad = 6, 3
    columns, rows, tape_args = _tape(spec, n, bad_row=bad)
    out = spec.func(**columns)
    assert isinstance(out, list) and len(out) == n, out
    for i, (got, row) in enumerate(zip(out, rows)):
        alone = spec.func(**row)
        if i == bad:
            assert isinstance(got[0], str) and got[0].startswith("#VALUE! ")
            # the message of the cell alone, naming the row: "pd[4] must be ..."
            k = tape_args[0]
            assert got[0] == alone.replace(f" {k} ", f" {k}[{i + 1}] ", 1), (got, alone)
        else:
            assert not isinstance(alone, str), (spec.name, i, alone)
            assert _same(got[0], alone), (spec.name, i, got, alone)
    # the good rows equal the same tape without the bad row, computed in one call
    good_cols, good_rows, _ = _tape(spec, n)
    whole = spec.func(**good_cols)
    assert [r[0] for i, r in enumerate(whole) if i != bad] == \
        [r[0] for i, r in enumerate(out) if i != bad] or all(
            _same(a[0], b[0]) for i, (a, b) in enumerate(zip(whole, out)) if i != bad)


@pytest.mark.parametrize("spec", TAPE_SPECS, ids=[s.name for s in TAPE_SPECS])
def test_domain_error_in_one_row(spec):
    columns, rows, tape_args = _tape(spec, 4, bad_row=0, bad_value=-5.0)
    out = spec.func(**columns)
    alone = spec.func(**rows[0])
    if not isinstance(alone, str):
        pytest.skip(f"{spec.name}: {tape_args[0]} = -5 is valid")
    k = tape_args[0]
    assert out[0][0] == alone.replace(f" {k} ", f" {k}[1] ", 1)
    assert alone.startswith(("#NUM!", "#VALUE!", "#N/A"))
    assert all(not isinstance(r[0], str) for r in out[1:])


def test_gpu_rv_tape_with_an_empty_cell_and_an_optional_column():
    f = REGISTRY["GPU_RV"].func
    out = f([[2.4], [None], [2.5], [2.2]], 0.8, 0.45, 0.3, 0.1, [[0], [None], [1000], [None]])
    assert out[1][0] == "#VALUE! rent0[2] is required; got an empty cell"
    assert _same(out[0][0], f(2.4, 0.8, 0.45, 0.3, 0.1, 0))
    assert _same(out[2][0], f(2.5, 0.8, 0.45, 0.3, 0.1, 1000))
    assert _same(out[3][0], f(2.2, 0.8, 0.45, 0.3, 0.1))  # empty optional cell: the default


def test_a_missing_value_in_the_last_row_is_that_rows_error_not_a_broadcast():
    f = REGISTRY["GPU_RV"].func
    out = f([[2.4], [2.5], [None]], 0.8, 0.45, [[0.3], [0.3], [0.3]], 0.1)
    assert len(out) == 3 and out[2][0].startswith("#VALUE! rent0[3] is required")
    # rows empty in every tape column at the end: a selection a little too long, dropped
    out = f([[2.4], [-2.5], [None]], 0.8, 0.45, [[0.3], [0.3], [None]], 0.1)
    assert len(out) == 2 and out[1][0].startswith("#NUM! rent0[2] must be")


def test_errors_about_the_whole_call_stay_one_error():
    f = REGISTRY["GPU_RV"].func
    # a bad scalar argument
    assert f([[2.4], [2.5]], 0.8, 0.45, 1.3, 0.1) == \
        "#NUM! deflation must be in (-1, 1); got 1.3"
    # columns of different sizes
    out = f([[2.4], [2.5], [2.6]], 0.8, 0.45, [[0.3], [0.3]], 0.1)
    assert isinstance(out, str) and out.startswith("#VALUE!")
    # a single cell: no tape
    assert f("abc", 0.8, 0.45, 0.3, 0.1).startswith("#VALUE! rent0")


def test_cost_grows_with_bad_rows_not_with_the_tape(monkeypatch):
    spec = REGISTRY["LGD_CORR"]
    calls = []
    body = spec.body

    def counting(*a, **k):
        calls.append(1)
        return body(*a, **k)
    monkeypatch.setattr(spec, "body", counting)
    n = 1024
    pd = [[0.02]] * n
    pd[700] = [[1.5]]
    out = spec.func(pd, 0.8, 0.5, 6.0, 0.5)
    assert len(out) == n and out[700][0].startswith("#NUM! pd[701] must be")
    assert sum(isinstance(r[0], str) for r in out) == 1
    assert len(calls) <= 2 * 10 + 1  # about 2 log2(n) part calls


def test_a_function_that_is_not_row_by_row_keeps_its_error():
    """tape_by_rows refuses when a part's result does not have one row per input row."""
    def body(x):
        if any(v < 0 for v in ([x] if isinstance(x, float) else x)):
            raise ValueError("no")
        return [[1.0], [2.0]]  # two rows whatever the input
    spec = UdfSpec("TEST_NOT_ROWWISE", "ComputeCredit Info", "doc.",
                   [ArgSpec("x", "x", TAPE_KIND, False, None)], body)
    assert tape_by_rows(spec, {"x": [[1.0], [2.0], [-1.0]]}, ValueError("no")) is None
    assert tape_by_rows(spec, {"x": 1.0}, ValueError("no")) is None  # not a tape


def test_a_column_with_empty_cells_is_never_stretched_over_the_others():
    """A column that ends early (one value, then empty cells) next to a full column: the empty
    rows are errors of their own, not the first value repeated."""
    f = REGISTRY["GPU_RV"].func
    out = f([[2.4], [None], [None]], 0.8, 0.45, [[0.3], [0.2], [0.1]], 0.1)
    assert _same(out[0][0], f(2.4, 0.8, 0.45, 0.3, 0.1))
    assert out[1][0] == "#VALUE! rent0[2] is required; got an empty cell"
    assert out[2][0] == "#VALUE! rent0[3] is required; got an empty cell"
    # an optional column filled in part: its empty cells take the default in their row
    out = f([[2.4], [2.3], [2.2]], 0.8, 0.45, [[0.3], [0.2], [0.1]], 0.1, [[100], [None], [None]])
    assert [r[0] for r in out] == [f(2.4, 0.8, 0.45, 0.3, 0.1, 100), f(2.3, 0.8, 0.45, 0.2, 0.1),
                                   f(2.2, 0.8, 0.45, 0.1, 0.1)]


def test_an_empty_optional_column_is_its_default_in_one_call(monkeypatch):
    spec = REGISTRY["GPU_RV"]
    calls = []
    body = spec.body

    def counting(*a, **k):
        calls.append(1)
        return body(*a, **k)
    monkeypatch.setattr(spec, "body", counting)
    n = 500
    rents = [[2.0 + i / n] for i in range(n)]
    out = spec.func(rents, 0.8, 0.45, 0.3, 0.1, [[None]] * n)
    assert len(out) == n and not any(isinstance(r[0], str) for r in out)
    assert calls == []  # one column call, no row-by-row parts
    assert out[7][0] == spec.func(rents[7][0], 0.8, 0.45, 0.3, 0.1)
