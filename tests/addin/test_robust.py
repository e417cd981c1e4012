"""Robust cells: every Excel function in the registry, driven with Excel-like inputs.

Hypothesis draws, per argument, either a plausible value (inside the declared domain, a default,
a documented choice, a field table built from the model's field sets) or what a careless sheet
sends: huge and tiny floats, negative zero, text, booleans, empty cells, error values, 1x1 and
n x m ranges of mixed content, ranges of the wrong length. Every call must return

* a finite number, a bool, a text (an error text starts with ``#VALUE!``/``#NUM!``/``#N/A``,
  names an argument, a field or the function, and is never an internal error or a traceback),
* or a rectangular list of rows of finite numbers, texts and bools (never NaN, inf or None);

within a few seconds (a correctness guard against hangs, not a speed claim), and the same output
when called again (recalculation is deterministic).

The functions come from :data:`addin.registry.REGISTRY`, so functions added later are covered.
Settings are derandomised (reproducible in CI) with few examples per function.
"""

import importlib
import math
import pkgutil
import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import addin.udfs  # noqa: F401  (registers every function)
import pymodel
from addin.packaging.generate import BLOCK_SAMPLES, SAMPLES
from addin.registry import REGISTRY
from pymodel.schema import SCHEMA as PARAMS
from pymodel.fields import FieldSet

SPECS = [REGISTRY[k] for k in sorted(REGISTRY) if not k.startswith("TEST_")]
IDS = [s.name for s in SPECS]

#: Wall-clock guard per call (seconds). Generous: CI machines are shared; a hang is minutes.
MAX_SECONDS = 5.0
EXAMPLES = 20

ROBUST = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.filter_too_much])

ERROR_CODES = ("#VALUE! ", "#NUM! ", "#N/A ")
EXCEL_ERRORS = ["#N/A", "#VALUE!", "#DIV/0!", "#REF!", "#NUM!", "#NAME?", "#NULL!", "#SPILL!"]
EXTREMES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e308, -1e308, 5e-324, -5e-324, 1e-300, 1e15,
            2.0 ** 53 + 2, 1e6, -1e6, 123456.789, float("inf"), float("nan")]
TEXTS = ["", " ", "abc", "1.5", "TRUE", "0,5", "NaN", "-", "\u221e", "x" * 300, "=A1"]


def _field_sets():
    """Every FieldSet declared in pymodel (deal tables), for plausible two-column inputs."""
    found = []
    for m in pkgutil.iter_modules(pymodel.__path__):
        mod = importlib.import_module(f"pymodel.{m.name}")
        found += [v for v in vars(mod).values() if isinstance(v, FieldSet)]
    return found


FIELD_SETS = _field_sets()
FIELD_NAMES = sorted({f.name for fs in FIELD_SETS for f in fs} | {fs.label for fs in FIELD_SETS})

# ----------------------------------------------------------------------------- strategies
junk_scalar = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EXTREMES),
    st.sampled_from(TEXTS),
    st.sampled_from(EXCEL_ERRORS),
    st.booleans(),
    st.none(),
    st.integers(-10**6, 10**6).map(float),
    st.integers(-2**53, 2**53),  # xlwings Lite (Pyodide) passes whole JS numbers as int
)


def plausible_number(name):
    """Numbers inside the declared domain of ``name`` (if any), its default, small values."""
    p = PARAMS.get(name)
    options = [st.floats(-2.0, 2.0), st.sampled_from([0.0, 0.1, 0.3, 0.5, 1.0, 2.5, 6.0]),
               st.integers(0, 12)]
    if p is not None:
        if isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
            options.append(st.just(float(p.default)))
        d = p.domain
        if d is not None:
            lo = d.lo if d.lo is not None else -10.0
            hi = d.hi if d.hi is not None else max(lo, 0.0) + 50.0
            options.append(st.floats(lo, hi, exclude_min=not d.lo_closed,
                                     exclude_max=not d.hi_closed))
    return st.one_of(*options)


def cell(name):
    return st.one_of(plausible_number(name), plausible_number(name), junk_scalar)


def ranges(elem, max_rows=8, max_cols=3):
    """An n x m range as a list of rows (and, as Office.js sends a single row/column, 1-D)."""
    two_d = st.integers(1, max_rows).flatmap(
        lambda n: st.integers(1, max_cols).flatmap(
            lambda m: st.lists(st.lists(elem, min_size=m, max_size=m), min_size=n,
                               max_size=n)))
    return st.one_of(two_d, st.lists(elem, min_size=1, max_size=max_rows),
                     elem.map(lambda v: [[v]]))


def field_table():
    """A two-column block of (field name, value), mostly known names, sometimes not."""
    name = st.one_of(st.sampled_from(FIELD_NAMES or ["rate"]), st.sampled_from(FIELD_NAMES or [
        "rate"]).map(str.upper), st.sampled_from(["", "unknown_field", None, 3.0]))
    choices = sorted({c for fs in FIELD_SETS for f in fs for c in f.choices
                      if isinstance(c, str)}) or ["x"]
    value = st.one_of(plausible_number(""), st.sampled_from(choices), junk_scalar,
                      st.sampled_from(["1; 2; 3", "0.5, 0.2"]))
    return st.lists(st.tuples(name, value).map(list), min_size=0, max_size=10)


def valid_number(name):
    """A number the model should accept: the default or a draw inside the declared domain."""
    p = PARAMS.get(name)
    if p is None or p.domain is None:
        return st.one_of(st.sampled_from([0.05, 0.3, 1.0, 2.5]), st.floats(0.01, 5.0))
    d = p.domain
    lo = d.lo if d.lo is not None else -1.0
    hi = d.hi if d.hi is not None else max(lo, 0.0) + 20.0
    inside = st.floats(lo, hi, exclude_min=not d.lo_closed, exclude_max=not d.hi_closed)
    if isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
        return st.one_of(st.just(float(p.default)), inside)
    return inside


def valid_field_value(f):
    if f.choices:
        return st.sampled_from(f.choices)
    if f.kind == "int":
        lo = int(f.domain.lo) if f.domain is not None and f.domain.lo is not None else 1
        return st.integers(lo, lo + 10).map(float)
    if isinstance(f.default, (int, float)) and not isinstance(f.default, bool):
        d = f.domain
        if d is not None and d.lo is not None:
            hi = d.hi if d.hi is not None else d.lo + 2 * abs(float(f.default)) + 1
            return st.one_of(st.just(float(f.default)), st.floats(
                d.lo, hi, exclude_min=not d.lo_closed, exclude_max=not d.hi_closed))
        return st.just(float(f.default))
    if f.kind == "float" and f.domain is not None and f.domain.lo is not None:
        return valid_number(f.name)  # a required fact: a value inside its domain
    return st.none()


def valid_table(label):
    """A field table for the FieldSet named like the argument: a few fields changed."""
    sets = [fs for fs in FIELD_SETS if fs.label == label] or FIELD_SETS
    fs_strategy = st.sampled_from(sets)

    def rows(fs):
        # the deal facts every block must give (documented sample values), then a few fields
        # changed; facts drawn again replace their sample value
        facts = BLOCK_SAMPLES.get(fs.label, {})
        fields = list(fs)

        def table(drawn):
            names = {r[0] for r in drawn}
            return [[n, v] for n, v in facts.items() if n not in names] + drawn
        return st.lists(st.sampled_from(fields), min_size=1, max_size=4, unique_by=lambda f:
                        f.name).flatmap(lambda chosen: st.tuples(*[
                            valid_field_value(f).map(lambda v, n=f.name: [n, v])
                            for f in chosen]).map(list).map(table))
    return fs_strategy.flatmap(rows)


def valid_arg(a):
    """An input the function should accept (drives the maths, not only the validation); the
    documented example value (addin.packaging.generate.SAMPLES) is one of the candidates."""
    value = _valid_arg(a)
    if a.name in SAMPLES:
        return st.one_of(st.just(SAMPLES[a.name]), value)
    return value


def _valid_arg(a):
    p = PARAMS.get(a.name)
    if a.kind == "pairs":
        return valid_table(a.name)
    if a.kind == "text":
        return st.sampled_from(list(p.choices)) if p is not None and p.choices else st.none()
    if a.kind == "bool":
        return st.booleans()
    if a.kind == "int":
        d = p.domain if p is not None else None
        lo = int(d.lo) if d is not None and d.lo is not None else 1
        hi = int(d.hi) if d is not None and d.hi is not None else lo + 12
        return st.one_of(st.integers(lo, hi).map(float), st.integers(lo, hi))  # Lite: int
    if a.kind in ("vector", "number_or_vector", "matrix"):
        col = st.lists(valid_number(a.name), min_size=1, max_size=5).map(
            lambda xs: [[x] for x in xs])
        return st.one_of(valid_number(a.name), col) if a.kind != "vector" else col
    value = valid_number(a.name)
    return st.one_of(st.none(), value) if a.optional else value


def draw_args(data, spec):
    """All valid, all valid but one argument wild, or all wild."""
    mode = data.draw(st.sampled_from(["valid", "one wild", "wild"]), label="mode")
    wild = data.draw(st.integers(0, max(len(spec.args) - 1, 0)), label="wild argument")
    out = []
    for i, a in enumerate(spec.args):
        if mode == "wild" or (mode == "one wild" and i == wild):
            out.append(data.draw(arg_strategy(a), label=a.name))
        else:
            out.append(data.draw(valid_arg(a), label=a.name))
    return out


def arg_strategy(a):
    p = PARAMS.get(a.name)
    scalar = cell(a.name)
    if a.kind == "text":
        choices = list(p.choices) if p is not None and p.choices else ["abc"]
        scalar = st.one_of(st.sampled_from(choices), st.sampled_from(choices).map(str.lower),
                           junk_scalar)
    elif a.kind == "bool":
        scalar = st.one_of(st.booleans(), st.sampled_from(["TRUE", "false", 1.0, 0.0]),
                           junk_scalar)
    elif a.kind == "int":
        scalar = st.one_of(st.integers(-3, 60).map(float), scalar)
    if a.kind in ("vector", "number_or_vector", "matrix"):
        value = st.one_of(ranges(plausible_number(a.name)), ranges(cell(a.name)), scalar)
    elif a.kind == "pairs":
        value = st.one_of(field_table(), field_table(), ranges(junk_scalar, max_cols=3), scalar)
    else:
        value = st.one_of(scalar, scalar, scalar, ranges(cell(a.name), max_rows=4))
    if a.optional:
        value = st.one_of(st.none(), value)
    return value


# ----------------------------------------------------------------------------- checks
def _names_something(spec, text):
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    names = {a.name for a in spec.args} | set(FIELD_NAMES) | {spec.name}
    return bool(words & names)


def check_value(spec, v, where):
    if isinstance(v, bool):
        return
    if isinstance(v, float):
        assert math.isfinite(v), f"{where}: {v!r}"
        return
    if isinstance(v, str):
        assert "Traceback" not in v and "internal error" not in v, f"{where}: {v}"
        if v.startswith("#") and " " in v:
            assert v.startswith(ERROR_CODES), f"{where}: unknown error code in {v!r}"
            assert _names_something(spec, v), f"{where}: error names no argument: {v!r}"
        return
    raise AssertionError(f"{where}: unexpected cell type {type(v).__name__}: {v!r}")


def check_result(spec, out):
    if isinstance(out, list):
        assert out and all(isinstance(r, list) for r in out), f"not a list of rows: {out!r}"
        width = len(out[0])
        assert width > 0 and all(len(r) == width for r in out), "ragged table"
        for i, row in enumerate(out):
            for j, v in enumerate(row):
                check_value(spec, v, f"{spec.name}[{i}][{j}]")
                if isinstance(v, str) and v.startswith(ERROR_CODES):
                    pass  # a clean error text inside a table is allowed
        return
    check_value(spec, out, spec.name)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@ROBUST
@given(data=st.data())
def test_every_function_survives_excel_inputs(spec, data):
    args = draw_args(data, spec)
    t0 = time.perf_counter()
    out = spec.func(*args)
    elapsed = time.perf_counter() - t0
    assert elapsed < MAX_SECONDS, f"{spec.name} took {elapsed:.1f} s"
    check_result(spec, out)
    again = spec.func(*args)
    assert repr(again) == repr(out), "not deterministic"


def test_checker_rejects_bad_outputs():
    """The checks above can fail (NaN, None, traceback, ragged, nameless error)."""
    spec = REGISTRY["COMPUTECREDIT_VERSION"]
    for bad in (float("nan"), None, [[1.0, None]], [[1.0], [1.0, 2.0]], [],
                "#VALUE! Traceback (most recent call last)", "#NUM! something is wrong",
                "#DIV/0! COMPUTECREDIT_VERSION", [[float("inf")]]):
        with pytest.raises(AssertionError):
            check_result(spec, bad)
    check_result(spec, [["a", 1.0, True], ["#N/A", 2.0, False]])
    check_result(spec, "#NUM! COMPUTECREDIT_VERSION: the result is not a finite number")
