"""The deal paths kept between calls: exact (the same values as computed afresh), never shared
between different deals or stresses, never changed by a caller."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pymodel import dscr
from pymodel.dscr import cashflows
from pymodel.dscr.deal import parse_deal


def _arrays(obj, prefix=""):
    """Every array of a path (nested dataclasses), by its attribute path."""
    out = {}
    for name in getattr(obj, "__dataclass_fields__", {}):
        v = getattr(obj, name)
        if isinstance(v, np.ndarray):
            out[prefix + name] = v
        elif hasattr(v, "__dataclass_fields__"):
            out.update(_arrays(v, prefix + name + "."))
    return out


def _same(p, q):
    a, b = _arrays(p), _arrays(q)
    assert a.keys() == b.keys() and a
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k, strict=True)


def _fresh(deal, **stress):
    return cashflows.Base(deal)._path(None, **stress)


@pytest.fixture
def empty_memo(monkeypatch):
    monkeypatch.setattr(cashflows, "_MEMO", type(cashflows._MEMO)())


def _deal(**changes):
    return parse_deal(dict(dscr.sample_deal(), **changes))


@settings(max_examples=40, deadline=None)
@given(debt=st.floats(1e6, 4e7), g=st.floats(-0.3, 0.9), again=st.booleans(),
       sweep=st.sampled_from([0.0, 0.5]))
def test_a_kept_path_is_the_path_computed_afresh(debt, g, again, sweep):
    deal = _deal(debt=debt, sweep_share=sweep)
    first = cashflows.Base(deal).path(deflation=g)
    second = cashflows.Base(_deal(debt=debt, sweep_share=sweep)).path(deflation=g)
    _same(first, _fresh(deal, deflation=g))
    _same(second, first)


def test_different_deals_and_stresses_never_share_a_path(empty_memo):
    base = _deal()
    near = _deal(debt=np.nextafter(base.debt, np.inf))    # one ulp more debt
    p, q = cashflows.Base(base).path(), cashflows.Base(near).path()
    assert p.schedule.opening[0] != q.schedule.opening[0]
    _same(q, _fresh(near))
    # the same number as another type, and -0.0 for 0.0, are other stresses (kept apart)
    r0 = cashflows.Base(base).path(deflation=0.0)
    r1 = cashflows.Base(base).path(deflation=-0.0)
    r2 = cashflows.Base(base).path(deflation=np.float64(0.0))
    assert len(cashflows._MEMO) == 5
    for r in (r0, r1, r2):
        _same(r, _fresh(base, deflation=0.0))


def test_a_caller_changing_its_path_changes_no_other(empty_memo):
    deal = _deal()
    p = cashflows.Base(deal).path()
    expect = copy.deepcopy(p)
    for arr in _arrays(p).values():
        arr[...] = -1.0 if arr.dtype.kind == "f" else arr
    _same(cashflows.Base(deal).path(), expect)


def test_the_memo_is_bounded(empty_memo, monkeypatch):
    monkeypatch.setattr(cashflows, "MEMO_SIZE", 3)
    base = cashflows.Base(_deal())
    for g in (0.1, 0.2, 0.3, 0.4, 0.5):
        base.path(deflation=g)
    assert len(cashflows._MEMO) == 3


def test_refinancing_risk_cells_share_the_deal_path(empty_memo, monkeypatch):
    calls = []
    real = cashflows.Base._path
    monkeypatch.setattr(cashflows.Base, "_path",
                        lambda self, *a, **kw: calls.append(kw) or real(self, *a, **kw))
    deal = dscr.sample_deal()
    rows = [dscr.refi_risk(deal, max_ltv=m) for m in (0.5, 0.6, 0.7)]
    assert calls == [{}]
    monkeypatch.setattr(cashflows, "_MEMO", type(cashflows._MEMO)())
    assert dscr.refi_risk(deal, max_ltv=0.6) == rows[1]
