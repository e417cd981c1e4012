"""Vasicek / Basel IRB capital (ASRF), expected loss, fair spread and the Frye-Jacobs LGD.

One systematic factor X ~ N(0, 1); obligor assets A = sqrt(R) X + sqrt(1-R) xi; default when
A < Phi^-1(PD). Every public function is vectorised: numbers or equal-length vectors (a loan
tape) broadcast together, scalars give a float. §8.1 and §8.5.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from .errors import DomainError, InputTypeError
from .schema import NONNEG, OPEN_UNIT, POS, SCHEMA, UNIT, UNIT_OPEN_HI, Param, declare
from .validation import Interval

__all__ = ["SEGMENTS", "basel_corr", "asset_correlation", "conditional_pd",
           "maturity_adjustment", "irb_capital", "irb_risk_weight", "expected_loss",
           "fair_spread", "frye_jacobs_lgd", "broadcast_named", "P"]

#: Basel II segments with their own asset correlation.
SEGMENTS = ("corporate", "mortgage", "qrre", "other_retail")
_RETAIL = ("mortgage", "qrre", "other_retail")
#: The two allowed values of the scaling switch: 1 (Basel III) and 1.06 (Basel II).
SCALINGS = (1.0, 1.06)

#: Parameters of the Vasicek / Basel IRB model (§8.1 and §8.5).
P = declare(
    Param("pd", "decimal (one-year probability)", "Probability of default PD over one year",
          OPEN_UNIT),
    Param("lgd", "decimal of EAD", "Loss given default LGD", UNIT),
    Param("ead", "currency", "Exposure at default EAD", NONNEG),
    Param("maturity", "years", "Effective maturity M (Basel floor 1, cap 5)", Interval(1, 5),
          default=2.5, source="P: Basel II para 318-320"),
    Param("asset_corr", "decimal", "Obligor asset correlation R", UNIT_OPEN_HI, default=None,
          empty="the Basel correlation of pd (corporate unless a segment is given)"),
    Param("segment", "", "Basel exposure class for the asset correlation", default="corporate",
          source="P: Basel II paras 272, 328-330", kind="choice", choices=SEGMENTS),
    Param("sales_eur_m", "EUR million a year", "Annual turnover for the SME adjustment of "
          "corporates (clipped to [5, 50])", POS, default=None, empty="no SME adjustment"),
    Param("scaling", "factor", "Scaling factor on K and RW: 1 (Basel III) or 1.06 (Basel II)",
          default=1.0, source="P: BIS CRE31 (Basel III); Basel II para 44",
          choices=SCALINGS),
    Param("quantile", "decimal", "Confidence level of the systematic factor", OPEN_UNIT,
          default=0.999, source="P: Basel II para 272"),
    Param("cdr", "decimal", "Conditional default rate cDR", OPEN_UNIT),
    Param("elgd", "decimal", "Expected (long-run) LGD", Interval(0, 1, lo_closed=False)),
)
D = {n: p.default for n, p in P.items() if p.has_default}


def broadcast_named(**arrays: Any) -> tuple[list[np.ndarray], tuple[int, ...]]:
    """Broadcast validated numbers/vectors; a length mismatch names both arguments.

    Returns the broadcast arrays (same order as given) and the common shape.
    """
    names = list(arrays)
    vals = [np.asarray(v, dtype=float) for v in arrays.values()]
    if all(v.ndim == 0 for v in vals):   # fast path: one loan
        return vals, ()
    sizes = [(n, v.size) for n, v in zip(names, vals) if v.ndim > 0 and v.size != 1]
    if sizes:
        n0, s0 = sizes[0]
        for n, s in sizes[1:]:
            if s != s0:
                raise InputTypeError(n, value=None, key="length_mismatch", other=n0,
                                     n_other=s0, n=s)
        vals = [v.ravel() if (v.ndim > 0 and v.size != 1) else v.reshape(()) for v in vals]
    else:
        vals = [v.reshape(()) for v in vals]
    out = np.broadcast_arrays(*vals)
    return [np.array(o, dtype=float) for o in out], out[0].shape


def _finish(x: np.ndarray) -> Any:
    return float(x) if np.ndim(x) == 0 else x


def _basel_corr(pd: np.ndarray, segment: str, sales: np.ndarray | None) -> np.ndarray:
    """Kernel: asset correlation R for clean arrays."""
    if segment == "mortgage":
        return np.full_like(pd, 0.15)
    if segment == "qrre":
        return np.full_like(pd, 0.04)
    if segment == "other_retail":
        w = (1.0 - np.exp(-35.0 * pd)) / (1.0 - np.exp(-35.0))
        return 0.03 * w + 0.16 * (1.0 - w)
    w = (1.0 - np.exp(-50.0 * pd)) / (1.0 - np.exp(-50.0))
    r = 0.12 * w + 0.24 * (1.0 - w)
    if sales is not None:
        s = np.clip(sales, 5.0, 50.0)
        r = r - 0.04 * (1.0 - (s - 5.0) / 45.0)
    return r


def basel_corr(pd: Any, *, segment: str = D["segment"], sales_eur_m: Any = D["sales_eur_m"]
               ) -> Any:
    """Basel II/III IRB asset correlation R.

    Parameters
    ----------
    pd : float or array_like
        One-year probability of default, decimal in (0, 1).
    segment : {"corporate", "mortgage", "qrre", "other_retail"}, optional
        Exposure class (default ``"corporate"``).
    sales_eur_m : float or array_like, optional
        Annual turnover in EUR million for the SME adjustment of corporates; clipped to
        [5, 50] (no adjustment when omitted or at 50 and above).

    Returns
    -------
    float or ndarray
        Asset correlation R, decimal.

    Notes
    -----
    Corporate: R = 0.12 w + 0.24 (1 - w), w = (1 - e^{-50 PD}) / (1 - e^{-50}); SME:
    R - 0.04 (1 - (S - 5)/45). Residential mortgage 0.15; QRRE 0.04; other retail
    0.03 w35 + 0.16 (1 - w35), w35 = (1 - e^{-35 PD}) / (1 - e^{-35}).

    References
    ----------
    BCBS (2006), Basel II, paras 272-273 and 327-330; BCBS (2005), "An Explanatory Note on the
    Basel II IRB Risk Weight Functions".
    """
    seg = SCHEMA.check("segment", segment)
    p = SCHEMA.check("pd", pd)
    if sales_eur_m is not None:
        if seg != "corporate":
            raise DomainError("sales_eur_m", "empty for segment " + seg, sales_eur_m)
        s = SCHEMA.check("sales_eur_m", sales_eur_m)
        (p, s), _ = broadcast_named(pd=p, sales_eur_m=s)
    else:
        s = None
        p = np.asarray(p, dtype=float)
    return _finish(_basel_corr(p, seg, s))


def asset_correlation(pd: Any, asset_corr: Any, segment: str = "corporate") -> Any:
    """The asset correlation R to use: ``asset_corr`` validated, or, when it is empty
    (``None``), the Basel correlation of the (validated) ``pd`` for ``segment`` (corporate
    without SME adjustment by default).

    The one place where "empty asset_corr = Basel correlation" is decided (IRB capital,
    Vasicek PD, Frye-Jacobs LGD, the closed-form and the Monte Carlo LGD).
    """
    if asset_corr is None:
        return _basel_corr(np.asarray(pd, dtype=float), segment, None)
    return SCHEMA.check("asset_corr", asset_corr)


def _cond_pd(pd: np.ndarray, r: np.ndarray, q: np.ndarray) -> np.ndarray:
    return ndtr((ndtri(pd) + np.sqrt(r) * ndtri(q)) / np.sqrt(1.0 - r))


def conditional_pd(pd: Any, asset_corr: Any = D["asset_corr"], *,
                   quantile: Any = D["quantile"]) -> Any:
    """Vasicek conditional PD at a quantile of the systematic factor (the "worst-case" PD).

    Parameters
    ----------
    pd : float or array_like
        Unconditional PD, decimal in (0, 1).
    asset_corr : float or array_like, optional
        Asset correlation R in [0, 1); empty means the Basel corporate correlation of ``pd``.
    quantile : float, optional
        Confidence level q in (0, 1) (default 0.999).

    Returns
    -------
    float or ndarray
        p(q) = Phi((Phi^-1(PD) + sqrt(R) Phi^-1(q)) / sqrt(1 - R)), decimal.

    References
    ----------
    Vasicek, O. (2002), "The distribution of loan portfolio value", Risk 15(12); Basel II
    para 272.
    """
    p = SCHEMA.check("pd", pd)
    r = asset_correlation(p, asset_corr)
    q = SCHEMA.check("quantile", quantile)
    (p, r, q), _ = broadcast_named(pd=p, asset_corr=r, quantile=q)
    return _finish(_cond_pd(p, r, q))


def maturity_adjustment(pd: Any, maturity: Any = D["maturity"]) -> Any:
    """Basel maturity adjustment (1 + (M - 2.5) b) / (1 - 1.5 b), b = (0.11852 - 0.05478 ln PD)^2.

    ``pd`` decimal in (0, 1); ``maturity`` effective maturity M in years, in [1, 5].
    """
    p = SCHEMA.check("pd", pd)
    m = SCHEMA.check("maturity", maturity)
    (p, m), _ = broadcast_named(pd=p, maturity=m)
    return _finish(_mat_adj(p, m))


def _mat_adj(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    b = (0.11852 - 0.05478 * np.log(p)) ** 2
    return (1.0 + (m - 2.5) * b) / (1.0 - 1.5 * b)


def _scaling(scaling: Any) -> float:
    s = SCHEMA.check("scaling", scaling)  # a finite number; then one of the two values
    if np.ndim(s) != 0 or not any(abs(s - v) < 1e-12 for v in SCALINGS):
        raise DomainError("scaling", "1 (Basel III) or 1.06 (Basel II)", s)
    return float(s)


def irb_capital(pd: Any, lgd: Any, *, maturity: Any = D["maturity"],
                asset_corr: Any = D["asset_corr"], scaling: Any = D["scaling"],
                segment: str = D["segment"], quantile: Any = D["quantile"]) -> Any:
    """Basel IRB capital requirement K per unit of EAD.

    Parameters
    ----------
    pd : float or array_like
        One-year PD, decimal in (0, 1). No PD floor is applied (Basel II 0.0003, Basel III
        0.0005 for non-sovereigns): apply it to the input if needed.
    lgd : float or array_like
        Loss given default, decimal in [0, 1].
    maturity : float or array_like, optional
        Effective maturity M in years, in [1, 5] (default 2.5). Ignored for retail segments.
    asset_corr : float or array_like, optional
        Asset correlation R in [0, 1); empty means :func:`basel_corr` of ``pd`` for ``segment``.
    scaling : {1, 1.06}, optional
        Scaling factor: 1 (Basel III, default) or 1.06 (Basel II).
    segment : str, optional
        ``"corporate"`` (default, with maturity adjustment) or a retail segment (none).
    quantile : float, optional
        Confidence level (default 0.999).

    Returns
    -------
    float or ndarray
        K, decimal of EAD.

    Notes
    -----
    K = s [LGD Phi((Phi^-1(PD) + sqrt(R) Phi^-1(0.999)) / sqrt(1-R)) - PD LGD]
    (1 + (M - 2.5) b) / (1 - 1.5 b), b = (0.11852 - 0.05478 ln PD)^2, s the scaling factor.

    References
    ----------
    BCBS (2006), Basel II, para 272 and Annex 5; BIS CRE31 (Basel III, no 1.06 factor).
    """
    seg = SCHEMA.check("segment", segment)
    p = SCHEMA.check("pd", pd)
    l_ = SCHEMA.check("lgd", lgd)
    m = SCHEMA.check("maturity", maturity)
    q = SCHEMA.check("quantile", quantile)
    s = _scaling(scaling)
    r = asset_correlation(p, asset_corr, seg)
    (p, l_, m, r, q), _ = broadcast_named(pd=p, lgd=l_, maturity=m, asset_corr=r, quantile=q)
    k = l_ * (_cond_pd(p, r, q) - p)
    if seg not in _RETAIL:
        k = k * _mat_adj(p, m)
    return _finish(s * k)


def irb_risk_weight(pd: Any, lgd: Any, **kwargs: Any) -> Any:
    """Risk weight RW = 12.5 K (decimal: 1.0 = 100%); arguments as :func:`irb_capital`."""
    return _finish(12.5 * np.asarray(irb_capital(pd, lgd, **kwargs)))


def expected_loss(pd: Any, lgd: Any, ead: Any) -> Any:
    """Expected loss EL = PD x LGD x EAD (currency, same units as ``ead``).

    ``pd`` decimal in (0, 1); ``lgd`` decimal in [0, 1]; ``ead`` exposure at default >= 0.
    """
    p = SCHEMA.check("pd", pd)
    l_ = SCHEMA.check("lgd", lgd)
    e = SCHEMA.check("ead", ead)
    (p, l_, e), _ = broadcast_named(pd=p, lgd=l_, ead=e)
    return _finish(p * l_ * e)


def fair_spread(pd: Any, lgd: Any) -> Any:
    """Fair annual credit spread s = -ln(1 - PD) x LGD (decimal per year, continuous).

    ``pd`` one-year PD, decimal in (0, 1); ``lgd`` decimal in [0, 1]. The default intensity
    -ln(1 - PD) times the loss rate: the spread that pays for expected loss (no risk premium).
    """
    p = SCHEMA.check("pd", pd)
    l_ = SCHEMA.check("lgd", lgd)
    (p, l_), _ = broadcast_named(pd=p, lgd=l_)
    return _finish(-np.log1p(-p) * l_)


def frye_jacobs_lgd(cdr: Any, pd: Any, elgd: Any, asset_corr: Any = D["asset_corr"]) -> Any:
    """Frye-Jacobs LGD as a function of the conditional default rate.

    Parameters
    ----------
    cdr : float or array_like
        Conditional default rate, decimal in (0, 1).
    pd : float or array_like
        Unconditional PD, decimal in (0, 1).
    elgd : float or array_like
        Expected LGD, decimal in (0, 1].
    asset_corr : float or array_like, optional
        Asset correlation R, decimal in [0, 1); empty means the Basel corporate correlation of
        ``pd``.

    Returns
    -------
    float or ndarray
        LGD(cDR) = Phi(Phi^-1(cDR) - k) / cDR, k = (Phi^-1(PD) - Phi^-1(PD ELGD)) / sqrt(1 - R).

    References
    ----------
    Frye, J. and Jacobs, M. (2012), "Credit loss and systematic loss given default", Journal of
    Credit Risk 8(1); MathWorks Risk Management Toolbox, ``fryeJacobsLGD``.
    """
    c = SCHEMA.check("cdr", cdr)
    p = SCHEMA.check("pd", pd)
    e = SCHEMA.check("elgd", elgd)
    r = asset_correlation(p, asset_corr)
    (c, p, e, r), _ = broadcast_named(cdr=c, pd=p, elgd=e, asset_corr=r)
    k = (ndtri(p) - ndtri(p * e)) / np.sqrt(1.0 - r)
    return _finish(ndtr(ndtri(c) - k) / c)
