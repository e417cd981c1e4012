"""Basel IRB, expected loss, fair spread and Frye-Jacobs: published oracles and properties."""

import math

import numpy as np
import pytest

from pymodel import irb
from pymodel.errors import DomainError, InputTypeError

# Basel II (June 2006), Annex 5 "Illustrative IRB risk weights" (asksam.com mirror), as listed in
# §11.1: corporate, M = 2.5, LGD 0.45, no 1.06 factor. RW in percent, tolerance
# 0.01 percentage points.
ANNEX5_CORPORATE = [
    (0.0003, 14.44), (0.0005, 19.65), (0.0010, 29.65), (0.0025, 49.47), (0.0040, 62.72),
    (0.0050, 69.61), (0.0075, 82.78), (0.0100, 92.32), (0.0130, 100.95), (0.0150, 105.59),
    (0.0200, 114.86), (0.0250, 122.16), (0.0300, 128.44),
]
# Annex 5 other columns (§11.1): (segment, SME sales, LGD, PD, RW %).
ANNEX5_OTHER = [
    ("corporate", 5.0, 0.45, 0.0003, 11.30), ("corporate", 5.0, 0.45, 0.0100, 72.40),
    ("mortgage", None, 0.45, 0.0003, 4.15), ("mortgage", None, 0.45, 0.0100, 56.40),
    ("mortgage", None, 0.25, 0.0003, 2.30), ("mortgage", None, 0.25, 0.0100, 31.33),
    ("other_retail", None, 0.45, 0.0003, 4.45), ("other_retail", None, 0.45, 0.0100, 45.77),
    ("other_retail", None, 0.85, 0.0003, 8.41), ("other_retail", None, 0.85, 0.0100, 86.46),
    ("qrre", None, 0.45, 0.0003, 0.98), ("qrre", None, 0.45, 0.0100, 17.22),
    ("qrre", None, 0.85, 0.0003, 1.85), ("qrre", None, 0.85, 0.0100, 32.53),
]
# SAMA rulebook, Basel III IRB risk-weight table (§11.2): corporate, LGD 0.40,
# M = 2.5, no 1.06 factor; tolerance 0.01 percentage points.
SAMA_BASEL3 = [(0.0005, 17.47), (0.0010, 26.36), (0.0100, 82.06)]
# MathWorks Risk Management Toolbox, fryeJacobsLGD examples (§11.3), tol 5e-5.
FRYE_JACOBS = [(0.05, 0.08, 0.40, 0.20, 0.3197), (0.10, 0.09, 0.45, 0.20, 0.4151),
               (0.15, 0.10, 0.50, 0.20, 0.4971)]


@pytest.mark.parametrize("pd, rw", ANNEX5_CORPORATE)
def test_basel2_annex5_corporate(pd, rw):
    assert 100 * irb.irb_risk_weight(pd, 0.45, maturity=2.5) == pytest.approx(rw, abs=0.01)


def test_basel2_annex5_corporate_as_one_vector():
    pds, rws = map(np.array, zip(*ANNEX5_CORPORATE))
    np.testing.assert_allclose(100 * irb.irb_risk_weight(pds, 0.45), rws, atol=0.01)


@pytest.mark.parametrize("segment, sales, lgd, pd, rw", ANNEX5_OTHER)
def test_basel2_annex5_sme_and_retail(segment, sales, lgd, pd, rw):
    r = irb.basel_corr(pd, segment=segment, sales_eur_m=sales)
    got = 100 * irb.irb_risk_weight(pd, lgd, asset_corr=r, segment=segment)
    assert got == pytest.approx(rw, abs=0.01)


@pytest.mark.parametrize("pd, rw", SAMA_BASEL3)
def test_basel3_sama_rows(pd, rw):
    assert 100 * irb.irb_risk_weight(pd, 0.40, scaling=1) == pytest.approx(rw, abs=0.01)


@pytest.mark.parametrize("cdr, pd, elgd, rho, expected", FRYE_JACOBS)
def test_frye_jacobs_mathworks_examples(cdr, pd, elgd, rho, expected):
    assert irb.frye_jacobs_lgd(cdr, pd, elgd, rho) == pytest.approx(expected, abs=5e-5)


def test_basel2_scaling_is_exactly_1_06():
    pds = np.array([p for p, _ in ANNEX5_CORPORATE])
    base = irb.irb_risk_weight(pds, 0.45)
    np.testing.assert_allclose(irb.irb_risk_weight(pds, 0.45, scaling=1.06), 1.06 * base,
                               rtol=1e-15)
    assert irb.irb_capital(0.01, 0.45, scaling=1.06) == pytest.approx(
        1.06 * irb.irb_capital(0.01, 0.45), rel=1e-15)


def test_corporate_correlation_endpoints_and_sme_clipping():
    assert irb.basel_corr(1e-12) == pytest.approx(0.24, abs=1e-9)
    assert irb.basel_corr(0.999) == pytest.approx(0.12, abs=1e-9)
    r = irb.basel_corr(0.01)
    assert irb.basel_corr(0.01, sales_eur_m=2.0) == pytest.approx(r - 0.04)   # clipped to 5
    assert irb.basel_corr(0.01, sales_eur_m=80.0) == pytest.approx(r)         # clipped to 50
    assert irb.basel_corr(0.01, sales_eur_m=27.5) == pytest.approx(r - 0.02)


def test_conditional_pd_formula_and_defaults():
    pd, r = 0.02, 0.15
    expected = 0.5 * math.erfc(-((-2.053748910631823 + math.sqrt(r) * 3.090232306167813)
                                 / math.sqrt(1 - r)) / math.sqrt(2))
    assert irb.conditional_pd(pd, r) == pytest.approx(expected, rel=1e-9)
    assert irb.conditional_pd(pd) == pytest.approx(irb.conditional_pd(pd, irb.basel_corr(pd)))
    assert irb.conditional_pd(pd, 0.0) == pytest.approx(pd)


def test_maturity_adjustment_is_one_at_one_year_for_k_formula():
    # (1 + (M - 2.5) b) / (1 - 1.5 b) = 1 at M = 1
    assert irb.maturity_adjustment(0.01, 1.0) == pytest.approx(1.0)
    assert irb.maturity_adjustment(0.01, 5.0) > irb.maturity_adjustment(0.01, 2.5) > 1.0


def test_retail_has_no_maturity_adjustment():
    k1 = irb.irb_capital(0.01, 0.45, segment="mortgage", maturity=1.0)
    k5 = irb.irb_capital(0.01, 0.45, segment="mortgage", maturity=5.0)
    assert k1 == k5


def test_expected_loss_and_fair_spread():
    assert irb.expected_loss(0.02, 0.4, 1e6) == pytest.approx(8000.0)
    np.testing.assert_allclose(irb.expected_loss([0.01, 0.02], [0.5, 0.25], 100.0), [0.5, 0.5])
    assert irb.fair_spread(0.02, 0.4) == pytest.approx(-math.log(0.98) * 0.4, rel=1e-14)
    # small PD: spread ~ PD x LGD
    assert irb.fair_spread(1e-6, 0.5) == pytest.approx(5e-7, rel=1e-5)


def test_frye_jacobs_properties():
    # LGD(cDR = PD) is close to ELGD and LGD rises with the default rate
    lg = irb.frye_jacobs_lgd(np.array([0.01, 0.05, 0.2, 0.5]), 0.05, 0.4, 0.1)
    assert np.all(np.diff(lg) > 0)
    assert irb.frye_jacobs_lgd(0.05, 0.05, 0.4, 0.0) == pytest.approx(0.4, rel=1e-12)


def test_vectors_broadcast_and_mismatch_names_arguments():
    out = irb.irb_capital([0.01, 0.02, 0.03], 0.45)
    assert out.shape == (3,)
    with pytest.raises(InputTypeError, match=r"lgd must have the same length as pd \(3\); got 2"):
        irb.irb_capital([0.01, 0.02, 0.03], [0.4, 0.5])


@pytest.mark.parametrize("call, exc, msg", [
    (lambda: irb.irb_capital(0.0, 0.45), DomainError, r"pd must be in \(0, 1\); got 0"),
    (lambda: irb.irb_capital(0.01, 1.2), DomainError, r"lgd must be in \[0, 1\]; got 1.2"),
    (lambda: irb.irb_capital(0.01, 0.45, maturity=7), DomainError,
     r"maturity must be in \[1, 5\]; got 7"),
    (lambda: irb.irb_capital(0.01, 0.45, asset_corr=1.0), DomainError,
     r"asset_corr must be in \[0, 1\); got 1"),
    (lambda: irb.irb_capital(0.01, 0.45, scaling=1.03), DomainError,
     r"scaling must be 1 \(Basel III\) or 1.06 \(Basel II\); got 1.03"),
    (lambda: irb.irb_capital([0.01, np.nan], 0.45), DomainError, r"pd\[2\] must be a finite"),
    (lambda: irb.irb_capital("x", 0.45), InputTypeError, r"pd must be a number; got text 'x'"),
    (lambda: irb.basel_corr(0.01, segment="bank"), InputTypeError,
     r"segment must be one of corporate \| mortgage \| qrre \| other_retail; got text 'bank'"),
    (lambda: irb.basel_corr(0.01, segment="qrre", sales_eur_m=10), DomainError,
     r"sales_eur_m must be empty for segment qrre; got 10"),
    (lambda: irb.basel_corr(0.01, sales_eur_m=0), DomainError, r"sales_eur_m must be > 0; got 0"),
    (lambda: irb.conditional_pd(0.01, 0.1, quantile=1.0), DomainError,
     r"quantile must be in \(0, 1\); got 1"),
    (lambda: irb.expected_loss(0.01, 0.4, -1), DomainError, r"ead must be >= 0; got -1"),
    (lambda: irb.frye_jacobs_lgd(0.05, 0.08, 0.0, 0.2), DomainError,
     r"elgd must be in \(0, 1\]; got 0"),
    (lambda: irb.frye_jacobs_lgd(0.05, 0.08, 0.4, 1.0), DomainError,
     r"asset_corr must be in \[0, 1\); got 1"),
    (lambda: irb.frye_jacobs_lgd(1.0, 0.08, 0.4, 0.2), DomainError,
     r"cdr must be in \(0, 1\); got 1"),
])
def test_error_paths(call, exc, msg):
    with pytest.raises(exc, match=msg):
        call()


def test_validation_fast_path_for_python_numbers_matches_array_path():
    """pymodel.validation.check has a fast path for plain Python numbers (added for the
    microsecond closed forms); it must accept and reject exactly like the general path."""
    from pymodel.validation import Interval, check
    doms = [Interval(0, 1, False, False), Interval(0, 1), Interval(0, None, False),
            Interval(None, 5, hi_closed=False), Interval()]
    for dom in doms:
        for v in (-1, 0, 0.5, 1, 1.0, 5, 7.5, float("inf"), float("nan"), -0.0):
            try:
                fast = ("ok", check("x", v, dom))
            except DomainError as e:
                fast = ("err", str(e))
            try:
                slow = ("ok", check("x", np.float64(v), dom))
            except DomainError as e:
                slow = ("err", str(e))
            assert fast == slow or (fast[0] == slow[0] == "ok" and fast[1] == slow[1])
    assert isinstance(check("x", 3, Interval()), float)
    with pytest.raises(InputTypeError, match="got TRUE"):
        check("x", True, Interval())


def test_empty_asset_corr_is_the_basel_correlation_everywhere():
    """One rule (irb.asset_correlation): an empty asset correlation is the Basel correlation of
    pd, in every function that takes one."""
    from pymodel import lgd, lgd_mc
    pd = 0.03
    r = irb.basel_corr(pd)
    assert irb.asset_correlation(pd, None) == r
    assert irb.conditional_pd(pd) == irb.conditional_pd(pd, r)
    assert irb.irb_capital(pd, 0.45) == irb.irb_capital(pd, 0.45, asset_corr=r)
    assert irb.irb_capital(pd, 0.45, segment="qrre") == irb.irb_capital(
        pd, 0.45, segment="qrre", asset_corr=irb.basel_corr(pd, segment="qrre"))
    assert irb.frye_jacobs_lgd(0.1, pd, 0.4) == irb.frye_jacobs_lgd(0.1, pd, 0.4, r)
    assert lgd.lgd_corr(pd, 0.9, 0.4, 1.0, 0.5) == lgd.lgd_corr(pd, 0.9, 0.4, 1.0, 0.5,
                                                                asset_corr=r)
    block = [("ead", 100.0), ("pd", pd), ("gpu_value", 80.0), ("n_paths", 4000)]
    assert lgd_mc.simulate_lgd(block) == lgd_mc.simulate_lgd(block + [("asset_corr", r)])
