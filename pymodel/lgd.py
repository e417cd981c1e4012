"""Correlated LGD in closed form: lognormal collateral that falls with the borrower.

§8.4 (Pykhtin-style, in this project's conventions). Obligor A = sqrt(R) X + sqrt(1-R) xi,
default when A < c = Phi^-1(PD); collateral per unit EAD at the workout horizon
C = coverage exp(sigma Y - sigma^2/2), Y = rho X + sqrt(1-rho^2) (theta xi + sqrt(1-theta^2) eta),
sigma = collateral_vol sqrt(horizon_years). Loss per unit EAD L = 1[A < c] (1 - C)^+.

Also the Student-t copula tail dependence lambda(rho, nu) and the Longin-Solnik conditional
correlation (§8.7). Every function is vectorised over loans (a loan tape in one call).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import ndtr, ndtri

from .bivariate import _phi2, phi2_scalar, pointwise, rowwise_on
from .irb import asset_correlation, broadcast_named
from .schema import CORR, NONNEG, POS, SCHEMA, Param, declare, param

__all__ = ["lgd_inputs", "expected_loss_corr", "conditional_loss", "lgd_corr", "lgd_downturn",
           "lgd_capital", "tail_dependence", "conditional_correlation", "P"]

#: Parameters of the correlated-LGD model (§8.4 and §8.7).
P = declare(
    Param("coverage", "decimal of EAD", "Expected collateral value at the horizon divided by "
          "EAD (after haircuts, discounted)", NONNEG),
    Param("collateral_vol", "decimal per sqrt(year)", "Annual volatility of the log "
          "collateral value", NONNEG),
    Param("horizon_years", "years", "Time to the collateral sale (workout horizon), over which "
          "the collateral value is uncertain", POS, default=1.0,
          source="D: a one-year workout"),
    Param("rho_collateral", "decimal", "Correlation of the collateral with the systematic "
          "factor (> 0 = wrong-way: collateral falls in downturns)", CORR),
    Param("theta", "decimal", "Correlation of the collateral with the obligor's idiosyncratic "
          "risk (0 = none)", CORR, default=0.0, source="D: no published estimate"),
    Param("nu", "degrees of freedom", "Student-t degrees of freedom (t copula)", POS,
          default=4.0, source="D: docs/model.md §8.8, §11.4"),
    Param("x", "standard deviations", "Value x of the systematic factor X ~ N(0, 1)", None),
    Param("threshold", "standard deviations", "Threshold h of the conditioning region of X",
          POS),
    Param("region", "", "Conditioning region: |X| > h (outside), |X| < h (inside) or X < -h "
          "(below)", default="outside", source="D: both tails", kind="choice",
          choices=("outside", "inside", "below")),
)
D = {n: p.default for n, p in P.items() if p.has_default}
_ASSET_CORR = param("asset_corr").default
_QUANTILE = param("quantile").default


def lgd_inputs(pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
               rho_collateral: Any, asset_corr: Any = _ASSET_CORR, theta: Any = D["theta"],
               quantile: Any = _QUANTILE) -> dict[str, np.ndarray]:
    """Validate and broadcast the closed-form inputs (shared by the public functions).

    Returns a dict of equal-shape float arrays: pd, coverage, sigma (= vol sqrt(horizon)), rho,
    r (asset correlation), theta, quantile.
    """
    p = SCHEMA.check("pd", pd)
    cov = SCHEMA.check("coverage", coverage)
    vol = SCHEMA.check("collateral_vol", collateral_vol)
    hor = SCHEMA.check("horizon_years", horizon_years)
    rho = SCHEMA.check("rho_collateral", rho_collateral)
    th = SCHEMA.check("theta", theta)
    q = SCHEMA.check("quantile", quantile)
    r = asset_correlation(p, asset_corr)
    (p, cov, vol, hor, rho, r, th, q), _ = broadcast_named(
        pd=p, coverage=cov, collateral_vol=vol, horizon_years=hor, rho_collateral=rho,
        asset_corr=r, theta=th, quantile=q)
    return {"pd": p, "coverage": cov, "sigma": vol * np.sqrt(hor), "rho": rho, "r": r,
            "theta": th, "quantile": q}


def _put_el(a: np.ndarray, cov: np.ndarray, s: np.ndarray, corr: np.ndarray) -> np.ndarray:
    """E[1[Z_A < a] (1 - cov exp(s Y - s^2/2))^+] for standard normals with corr(Z_A, Y) = corr.

    Handles s = 0 (deterministic collateral) and cov = 0 (no collateral)."""
    if np.ndim(a) == 0 and np.ndim(cov) == 0 and np.ndim(s) == 0 and np.ndim(corr) == 0:
        return np.asarray(_put_el_scalar(float(a), float(cov), float(s), float(corr)))
    if rowwise_on():
        return pointwise(_put_el_scalar, a, cov, s, corr)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.empty(np.broadcast(a, cov, s, corr).shape)
        a, cov, s, corr = np.broadcast_arrays(a, cov, s, corr)
        det = (s <= 0.0) | (cov <= 0.0)
        # deterministic or absent collateral: P(Z_A < a) (1 - cov)^+
        out[det] = ndtr(a[det]) * np.maximum(1.0 - cov[det], 0.0)
        m = ~det
        if m.any():
            am, cm, sm, rm = a[m], cov[m], s[m], corr[m]
            d1 = (-np.log(cm) + sm * sm / 2.0) / sm
            d2 = d1 - sm
            v = _phi2(am, d1, rm) - cm * _phi2(am - rm * sm, d2, rm)
            out[m] = np.maximum(v, 0.0)
    return out


def _put_el_scalar(a: float, cov: float, s: float, corr: float) -> float:
    """Scalar twin of :func:`_put_el` (one loan in microseconds)."""
    if s <= 0.0 or cov <= 0.0:
        return 0.5 * math.erfc(-a / math.sqrt(2.0)) * max(1.0 - cov, 0.0)
    d1 = (-math.log(cov) + s * s / 2.0) / s
    v = phi2_scalar(a, d1, corr) - cov * phi2_scalar(a - corr * s, d1 - s, corr)
    return max(v, 0.0)


def _el(v: dict[str, np.ndarray]) -> np.ndarray:
    """Unconditional EL per unit EAD."""
    c = ndtri(v["pd"])
    r, rho, th = v["r"], v["rho"], v["theta"]
    rho_ay = np.sqrt(r) * rho + np.sqrt(1.0 - r) * np.sqrt(np.maximum(1.0 - rho * rho, 0.0)) * th
    return _put_el(c, v["coverage"], v["sigma"], np.clip(rho_ay, -1.0, 1.0))


def _el_x(v: dict[str, np.ndarray], x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """EL(x) and p(x) per unit EAD, conditional on the systematic factor X = x."""
    c = ndtri(v["pd"])
    r, rho, th, sig, cov = v["r"], v["rho"], v["theta"], v["sigma"], v["coverage"]
    a = (c - np.sqrt(r) * x) / np.sqrt(1.0 - r)
    s = sig * np.sqrt(np.maximum(1.0 - rho * rho, 0.0))
    cov_x = cov * np.exp(sig * rho * x - sig * sig * rho * rho / 2.0)
    return _put_el(a, cov_x, s, th), ndtr(a)


def _finish(x: np.ndarray) -> Any:
    if np.ndim(x) == 0:
        return min(max(float(x), 0.0), 1.0)
    x = np.clip(x, 0.0, 1.0)
    return float(x) if np.ndim(x) == 0 else x


def expected_loss_corr(pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
                       rho_collateral: Any, *, asset_corr: Any = _ASSET_CORR,
                       theta: Any = D["theta"]) -> Any:
    """Unconditional expected loss per unit EAD, EL = E[1[A < c] (1 - C)^+] (decimal of EAD).

    Arguments as :func:`lgd_corr`.
    """
    return _finish(_el(lgd_inputs(pd, coverage, collateral_vol, horizon_years, rho_collateral,
                                  asset_corr, theta)))


def conditional_loss(x: Any, pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
                     rho_collateral: Any, *, asset_corr: Any = _ASSET_CORR,
                     theta: Any = D["theta"]) -> tuple[Any, Any]:
    """EL(x) and p(x) per unit EAD conditional on the systematic factor X = x (N(0, 1) units).

    Returns the conditional expected loss (decimal of EAD) and the conditional PD (decimal).
    """
    xv = SCHEMA.check("x", x)
    v = lgd_inputs(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr,
                   theta)
    el, p = _el_x(v, np.asarray(xv, dtype=float))
    return _finish(el), _finish(p)


def lgd_corr(pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
             rho_collateral: Any, *, asset_corr: Any = _ASSET_CORR,
             theta: Any = D["theta"]) -> Any:
    """Expected LGD with lognormal collateral correlated with the systematic factor.

    Parameters
    ----------
    pd : float or array_like
        One-year PD, decimal in (0, 1).
    coverage : float or array_like
        Expected collateral value at the horizon / EAD, decimal >= 0 (fold deterministic
        haircuts and the workout discount factor into it: coverage (1 - h) DF).
    collateral_vol : float or array_like
        Annual volatility of log collateral value, decimal per sqrt(year), >= 0.
    horizon_years : float or array_like
        Time to the collateral sale (workout horizon), years > 0.
    rho_collateral : float or array_like
        Correlation of collateral with the systematic factor, in [-1, 1] (> 0 wrong-way).
    asset_corr : float or array_like, optional
        Asset correlation R in [0, 1); empty means the Basel corporate correlation of ``pd``.
    theta : float or array_like, optional
        Correlation of collateral with the obligor's idiosyncratic risk, in [-1, 1] (default 0).

    Returns
    -------
    float or ndarray
        Expected LGD = EL / PD, decimal in [0, 1].

    Notes
    -----
    With sigma = vol sqrt(T), rho_AY = sqrt(R) rho + sqrt(1-R) sqrt(1-rho^2) theta,
    d1 = (-ln coverage + sigma^2/2)/sigma, d2 = d1 - sigma:
    EL = Phi2(c, d1; rho_AY) - coverage Phi2(c - rho_AY sigma, d2; rho_AY).

    References
    ----------
    Pykhtin, M. (2003), "Unexpected recovery risk", Risk 16(8), 74-78; Frye, J. (2000),
    "Collateral damage", Risk 13(4), 91-94.
    """
    v = lgd_inputs(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr,
                   theta)
    return _finish(_el(v) / v["pd"])


def lgd_downturn(pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
                 rho_collateral: Any, *, asset_corr: Any = _ASSET_CORR, theta: Any = D["theta"],
                 quantile: Any = _QUANTILE) -> Any:
    """Downturn LGD: expected LGD given default when the systematic factor is at its
    (1 - quantile) quantile, x_q = -Phi^-1(quantile); EL(x_q)/p(x_q), decimal in [0, 1].

    Arguments as :func:`lgd_corr`; ``quantile`` in (0, 1), default 0.999.
    """
    v = lgd_inputs(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr,
                   theta, quantile)
    el, p = _el_x(v, -ndtri(v["quantile"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        lgd = np.where(p > 0, el / np.where(p > 0, p, 1.0), 0.0)
    return _finish(lgd)


def lgd_capital(pd: Any, coverage: Any, collateral_vol: Any, horizon_years: Any,
                rho_collateral: Any, *, asset_corr: Any = _ASSET_CORR, theta: Any = D["theta"],
                quantile: Any = _QUANTILE) -> Any:
    """Capital per unit EAD with correlated collateral: K = EL(x_q) - EL (no maturity
    adjustment, no scaling), decimal of EAD. Arguments as :func:`lgd_downturn`."""
    v = lgd_inputs(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr,
                   theta, quantile)
    el_q, _ = _el_x(v, -ndtri(v["quantile"]))
    return _finish(np.maximum(el_q - _el(v), 0.0))


def tail_dependence(pair_corr: Any, nu: Any = D["nu"]) -> Any:
    """Tail-dependence coefficient of the bivariate Student-t copula.

    Parameters
    ----------
    pair_corr : float or array_like
        Correlation parameter rho of the copula, in [-1, 1].
    nu : float or array_like, optional
        Degrees of freedom, > 0 (default 4).

    Returns
    -------
    float or ndarray
        lambda = 2 t_{nu+1}(-sqrt((nu+1)(1-rho)/(1+rho))), decimal in [0, 1] (the same for the
        lower and upper tail; 0 for the Gaussian copula, nu -> infinity).

    References
    ----------
    Demarta, S. and McNeil, A. J. (2005), "The t copula and related copulas", International
    Statistical Review 73(1); Embrechts, McNeil and Straumann (2002), "Correlation and
    dependence in risk management: properties and pitfalls".
    """
    r = SCHEMA.check("pair_corr", pair_corr)
    n = SCHEMA.check("nu", nu)
    (r, n), _ = broadcast_named(pair_corr=r, nu=n)
    with np.errstate(divide="ignore"):
        arg = -np.sqrt((n + 1.0) * (1.0 - r) / (1.0 + r))
    from scipy.stats import t as student_t  # imported when used (scipy.stats is slow to load)
    lam = 2.0 * student_t.cdf(arg, n + 1.0)
    return _finish(lam)


def conditional_correlation(pair_corr: Any, threshold: Any, *, region: str = D["region"]
                            ) -> Any:
    """Correlation of a standard bivariate normal pair conditional on X's region.

    Parameters
    ----------
    pair_corr : float or array_like
        Unconditional correlation rho, in [-1, 1].
    threshold : float or array_like
        h > 0 in standard deviations.
    region : {"outside", "inside", "below"}, optional
        Condition |X| > h (default), |X| < h, or X < -h (the lower tail).

    Returns
    -------
    float or ndarray
        rho_A = rho / sqrt(rho^2 + (1 - rho^2) / Var(X | A)).

    Notes
    -----
    Var(X | |X| > h) = 1 + h phi(h)/Phi(-h); Var(X | |X| < h) = 1 - 2 h phi(h)/(2 Phi(h) - 1);
    Var(X | X < -h) = 1 + h phi(h)/Phi(-h) - (phi(h)/Phi(-h))^2.

    References
    ----------
    Longin, F. and Solnik, B. (2001), "Extreme correlation of international equity markets",
    Journal of Finance 56(2), 649-676; Boyer, Gibson and Loretan (1999).
    """
    reg = SCHEMA.check("region", region)
    r = SCHEMA.check("pair_corr", pair_corr)
    h = SCHEMA.check("threshold", threshold)
    (r, h), _ = broadcast_named(pair_corr=r, threshold=h)
    dens = np.exp(-h * h / 2.0) / np.sqrt(2.0 * np.pi)
    tail = ndtr(-h)
    if reg == "outside":
        var = 1.0 + h * dens / tail
    elif reg == "inside":
        var = 1.0 - 2.0 * h * dens / (2.0 * ndtr(h) - 1.0)
    else:
        lam = dens / tail
        var = 1.0 + h * lam - lam * lam
    out = r / np.sqrt(r * r + (1.0 - r * r) / var)
    return float(out) if np.ndim(out) == 0 else out

