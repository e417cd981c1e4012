"""Multi-collateral LGD by Monte Carlo: GPUs, BTC and contracted receivables that fall with the
borrower, a Gaussian or Student-t copula, calm and stress regimes, fire-sale haircuts.

§8.6. One systematic factor X ~ N(0, 1); obligor
assets A = sqrt(R) X + sqrt(1-R) xi, default when A is below its PD quantile. Collateral factor
Z_k has correlation rho_k (regime-dependent) with X and the GPU-BTC pair correlation given; the
receivables' own noise is independent. Given X the collateral does not depend on xi (theta = 0).

* Student-t copula: every Gaussian component is divided by one common s = sqrt(W/nu),
  W ~ chi2(nu), and mapped back to normal scores Y = Phi^-1(t_nu(Z/s)), so the marginals are
  unchanged and only the dependence (tail dependence) differs; default when
  Z_A / s < t_nu^-1(PD).
* Regime: stress (correlations and volatilities of the stress columns) or calm, tied to the
  economy by a probit link: stress when beta x + sqrt(1 - beta^2) eta < Phi^-1(p_stress), x the
  systematic factor's normal score, eta an independent normal, beta = ``regime_factor_corr``.
  So P(stress) = p_stress, P(stress | x) = Phi((Phi^-1(p_stress) - beta x) / sqrt(1 - beta^2))
  is high in bad states and defaults cluster in stress; results are continuous in p_stress
  (beta = 1: stress exactly in the worst p_stress share of systematic states; beta = 0: drawn
  independently of default).
* One mixing variable: in the t copula a single W scales every component at once (obligor,
  GPU, BTC, receivables), a market-wide shock to all dependence; it is not idiosyncratic to the
  borrower, so a portfolio of such loans shares it too (the t copula of McNeil, Frey and
  Embrechts with one W, not a grouped t).
* Collateral at the horizon: V_k = value_k exp(sigma_k sqrt(T) Y_k - sigma_k^2 T / 2) (so
  E[V_k] = value_k, the expected value at the horizon). With ``gpu_value_model = "rent"`` the
  GPUs are valued by the income approach of :mod:`pymodel.residual` at a lognormal market rent
  R0 (1-g)^T exp(sigma sqrt(T) Y): g is the decline of the trend (median) rent path, as in
  every ComputeCredit function and as RENT_DEFLATION_FIT's g_trend estimates it (the mean rent
  declines at g_mean = 1 - (1-g) e^(sigma^2/2), :func:`pymodel.deflation.mean_deflation`);
  V_GPU = gpus x V(T | rent), so rents
  and collateral value are linked and the cash cost's operating leverage shows (EAD and costs
  must then be in the rent's currency, e.g. USD, not USD million). Net proceeds
  N_k = max(0, V_k (1 - haircut_k) - cost_k). Waterfall: ``senior_secured_claims`` (e.g. secured
  project notes) are paid first from the GPUs and receivables, this debt takes what is left of
  them plus the BTC and shares it pro rata with ``pari_passu_claims``:
  pool = (max(0, N_gpu + N_rec - prior) + N_btc) EAD / (EAD + pari); recovery = min(EAD, pool)
  (1 + workout_discount_rate)^-workout_years; LGD = 1 - recovery / EAD. With no prior or pari
  passu claims (the defaults) the debt is senior secured on everything. A prior claim's
  shortfall is not a claim on the BTC (project notes non-recourse to the parent).
* Sampling conditional on default (``"conditional"``, default): draw A below its threshold by
  inverting the truncated normal, then X given A, so every path is a default path; in the t
  copula the default probability given W enters as a likelihood-ratio weight.
  ``"plain"`` simulates unconditionally and keeps the defaults (for comparison);
  ``"sobol"`` is the conditional sampler on scrambled Sobol points (8 independent scrambles,
  standard error from their spread).
* Downturn: a second batch with the systematic normal score fixed at its (1 - quantile) quantile
  x_q and the regime drawn from its distribution given x_q (the joint (X, regime) state at the
  quantile: stress with probability P(stress | x_q)): downturn LGD = E[LGD | default, x_q];
  the quantile loss loss_q999 = EAD p(x_q) downturn LGD is the loss of a fine-grained
  portfolio of such loans at the 99.9% systematic quantile (ASRF), and capital = loss_q999 - EL.

The random stream depends only on (seed, function name, path count), never on the economic
inputs: recalculation repeats the same number and bumping an input reuses the same draws.
"""

from __future__ import annotations

import functools
import hashlib
import math
from typing import Any, Mapping

import numpy as np
from scipy.special import gammaincinv, ndtr, ndtri, stdtr, stdtrit

from . import residual
from .dscr.deal import P as _DEAL  # noqa: F401  (declares gpus)
from .errors import DomainError, InputTypeError
from .fields import Field, field_set
from .irb import asset_correlation
from .lgd import P as _LGD  # noqa: F401  (declares horizon_years, nu)
from .schema import CORR, NONNEG, RATE, UNIT, Param, declare, param
from .validation import Interval

__all__ = ["FIELDS", "MAX_PATHS", "MAX_WORK", "OUTPUTS", "COLLATERALS", "simulate_lgd",
           "sample_inputs",
           "rng_for", "P"]

MAX_PATHS = 250_000
#: Work of one call, in path x collateral x regime units (a step-down of the rent model counts
#: as a collateral: each is one more pass over the paths). A call that asks for more uses
#: fewer paths (reported as ``n_paths``), so the worst case takes about as long as the
#: largest plain case: MAX_PATHS paths over three collaterals in two regimes.
MAX_WORK = MAX_PATHS * 3 * 2
COLLATERALS = ("gpu", "btc", "receivables")
OUTPUTS = ("expected_lgd", "downturn_lgd", "expected_loss", "loss_q999", "std_error",
           "recovery_share_gpu", "recovery_share_btc", "recovery_share_receivables",
           "capital", "downturn_std_error", "n_paths")
_FUNCTION_ID = "LGD_MC"
_SOBOL_REPLICATES = 8

_MR88 = "D: docs/model.md §8.8"


def _corr(name: str, default: float, what: str, src: str = _MR88) -> Param:
    return Param(name, "decimal", what, CORR, default=default, source=src)


def _vol(name: str, default: float, what: str, src: str) -> Param:
    return Param(name, "decimal per sqrt(year)", what, NONNEG, default=default, source=src)


def _money(name: str, what: str, default: float = 0.0, src: str = "D: none") -> Param:
    return Param(name, "currency", what, NONNEG, default=default, source=src)


def _cut(name: str, what: str) -> Param:
    return Param(name, "decimal", what, UNIT, default=0.0, source="D: none")


#: Parameters of the Monte Carlo LGD (§8.6) not declared by other models.
P = declare(
    Param("gpu_value", "currency", "Expected GPU collateral value at the horizon (e.g. the "
          "income value per GPU x GPUs; lognormal); 0 if no GPUs are pledged", NONNEG),
    Param("gpu_value_model", "", "lognormal: GPU value lognormal around gpu_value; rent: GPU "
          "value = gpus x income value at a lognormal market rent", default="lognormal",
          source="D", kind="choice", choices=("lognormal", "rent")),
    _vol("gpu_vol", 0.40, "GPU value volatility (rent volatility if gpu_value_model is rent), "
         "calm regime", "D: no published estimate"),
    _vol("gpu_vol_stress", 0.60, "GPU value volatility, stress regime",
         "D: no published estimate"),
    _corr("gpu_corr_calm", 0.4, "Correlation of GPU value with the systematic factor, calm"),
    _corr("gpu_corr_stress", 0.7, "Correlation of GPU value with the systematic factor, "
          "stress"),
    Param("rv_discount_rate", "annual effective decimal", "Buyer's discount rate for the GPU "
          "income value in a workout (gpu_value_model rent)", RATE, default=0.12,
          source="D: above the lender's 0.10 (a distressed buyer)"),
    _money("btc_value", "Expected BTC collateral value at the horizon (miners; lognormal)",
           src="D: none pledged"),
    _vol("btc_vol", 0.50, "BTC volatility, calm regime", "S: docs/model.md §8.8"),
    _vol("btc_vol_stress", 0.80, "BTC volatility, stress regime", "S: docs/model.md §8.8"),
    _corr("btc_corr_calm", 0.3, "Correlation of BTC with the systematic factor, calm"),
    _corr("btc_corr_stress", 0.7, "Correlation of BTC with the systematic factor, stress"),
    _corr("gpu_btc_corr_calm", 0.2, "Correlation of GPU value with BTC, calm"),
    _corr("gpu_btc_corr_stress", 0.6, "Correlation of GPU value with BTC, stress"),
    _money("receivables_value", "Expected value of contracted receivables at the horizon "
           "(lognormal)", src="D: none pledged"),
    _vol("receivables_vol", 0.20, "Receivables volatility", "D: no published estimate"),
    _corr("receivables_corr", 0.3, "Correlation of receivables with the systematic factor "
          "(both regimes)", "D: no published estimate"),
    Param("p_stress", "decimal", "Probability of the stress regime", UNIT, default=0.2,
          source="D: one year in five"),
    Param("regime_factor_corr", "decimal", "Link beta of the stress regime to the economy: "
          "stress when beta X + sqrt(1-beta^2) eta < Phi^-1(p_stress); 1 = the worst p_stress "
          "of systematic states, 0 = independent", UNIT, default=0.9,
          source="D: stress comes with bad systematic states (correlation convergence in "
                 "downturns, Longin and Solnik 2001; §8.7)"),
    Param("copula", "", "Dependence: Gaussian or Student-t copula", default="gaussian",
          source="D: the Basel ASRF model", kind="choice", choices=("gaussian", "t")),
    _cut("gpu_haircut", "Expected fire-sale haircut on GPU value (FIRESALE_HAIRCUT's "
         "expected row: the simulation applies the volatility itself)"),
    _cut("btc_haircut", "Fire-sale haircut on BTC"),
    _cut("receivables_haircut", "Haircut on receivables"),
    _money("gpu_liquidation_cost", "Fixed cost of liquidating the GPUs"),
    _money("btc_liquidation_cost", "Fixed cost of liquidating the BTC"),
    _money("receivables_collection_cost", "Fixed cost of collecting the receivables"),
    _money("senior_secured_claims", "Claims secured ahead of this debt on the GPUs and "
           "receivables (e.g. secured project notes): paid first from their net proceeds, no "
           "claim on the BTC",
           src="D: none (this debt is the senior secured claim)"),
    _money("pari_passu_claims", "Other claims sharing equally with this debt in what is left "
           "for it (e.g. other senior unsecured creditors)", src="D: none"),
    Param("workout_years", "years", "Time from default to recovery cash (discounting)", NONNEG,
          default=1.0, source="D: a one-year workout"),
    Param("workout_discount_rate", "annual effective decimal", "Discount rate of the recovery "
          "cash over the workout", RATE, default=0.10, source="P/S: facility rates 0.07-0.15"),
    Param("sampling", "", "conditional (every path defaults), plain (unconditional, keep "
          "defaults) or sobol (conditional, quasi-random)", default="conditional",
          source="D: lowest variance", kind="choice",
          choices=("conditional", "plain", "sobol")),
    Param("n_paths", "paths", "Monte Carlo paths per batch (capped so a call takes about a "
          "second)", Interval(1000, MAX_PATHS), default=100_000, source="D: about 0.3 s",
          kind="int"),
    Param("seed", "integer", "Random seed; change it to see the Monte Carlo noise",
          Interval(0, 2**31 - 1), default=1, source="D", kind="int"),
)


def _rent_model(v: dict[str, Any]) -> bool:
    return v["gpu_value_model"] == "rent"


def _lognormal(v: dict[str, Any]) -> bool:
    return v["gpu_value_model"] == "lognormal"


_RENT = "gpu_value_model is rent"
_RENT_NOTE = "Used when gpu_value_model is rent"

#: The LGD_MC field table (``lgd_inputs``).
FIELDS = field_set("lgd_inputs", [
    Field(param("ead"), note="Same currency as the collateral values; > 0"),
    param("pd"), param("asset_corr"), param("horizon_years"),
    Field(param("gpu_value"), when="gpu_value_model is lognormal", needed=_lognormal),
    param("gpu_value_model"), param("gpu_vol"), param("gpu_vol_stress"),
    param("gpu_corr_calm"), param("gpu_corr_stress"),
    Field(param("gpus"), when=_RENT, needed=_rent_model),
    Field(param("rent0"), when=_RENT, needed=_rent_model),
    Field(param("utilization"), note=_RENT_NOTE + ", after repossession"),
    Field(param("cash_cost"), when=_RENT, needed=_rent_model),
    Field(param("deflation"), note=_RENT_NOTE),
    param("rv_discount_rate"),
    Field(param("salvage"), note=_RENT_NOTE),
    Field(param("max_life_years"), note=_RENT_NOTE),
    Field(param("step_years"), note=_RENT_NOTE),
    Field(param("step_downs"), note=_RENT_NOTE),
    param("btc_value"), param("btc_vol"), param("btc_vol_stress"), param("btc_corr_calm"),
    param("btc_corr_stress"), param("gpu_btc_corr_calm"), param("gpu_btc_corr_stress"),
    param("receivables_value"), param("receivables_vol"), param("receivables_corr"),
    param("p_stress"), param("regime_factor_corr"), param("copula"), param("nu"),
    param("gpu_haircut"),
    param("btc_haircut"), param("receivables_haircut"), param("gpu_liquidation_cost"),
    param("btc_liquidation_cost"), param("receivables_collection_cost"),
    param("senior_secured_claims"), param("pari_passu_claims"),
    param("workout_years"), param("workout_discount_rate"), param("quantile"),
    param("sampling"), param("n_paths"), param("seed"),
], doc="Two-column range of LGD_MC field names and values (see LGD_FIELDS): money in one "
       "currency, decimals, years; EAD, PD and the collateral are required",
   renamed={"gpu_units": "gpus", "discount_rate": "workout_discount_rate"})


def rng_for(seed: int, n_paths: int, function: str = _FUNCTION_ID) -> np.random.Generator:
    """The generator for (seed, function, path count): a numpy SeedSequence built from the seed
    and a SHA-256 digest of the three (never Python's salted ``hash``)."""
    digest = hashlib.sha256(f"{seed}|{function}|{n_paths}".encode("utf-8")).digest()
    return np.random.default_rng(np.random.SeedSequence(
        [int(seed), int.from_bytes(digest[:16], "little")]))


def _regime_factor(v: Mapping[str, Any], regime: str, active: list[int]) -> tuple[np.ndarray,
                                                                                   np.ndarray]:
    """Loadings rho (3,) on X and a factor B (3, 3) of the residual covariance of the collateral
    factors given X, for ``regime``; checks the correlation matrix is positive semi-definite
    over the active collateral."""
    rho = np.array([v[f"gpu_corr_{regime}"], v[f"btc_corr_{regime}"], v["receivables_corr"]])
    gb = v[f"gpu_btc_corr_{regime}"]
    corr = np.array([[1.0, gb, rho[2] * rho[0]],
                     [gb, 1.0, rho[2] * rho[1]],
                     [rho[2] * rho[0], rho[2] * rho[1], 1.0]])
    resid = corr - np.outer(rho, rho)
    sub = resid[np.ix_(active, active)]
    eig = np.linalg.eigvalsh(sub) if sub.size else np.array([1.0])
    if eig.min() < -1e-10:
        names = {0: f"gpu_corr_{regime}", 1: f"btc_corr_{regime}"}
        fields = [names[i] for i in active if i in names]
        if 0 in active and 1 in active:
            fields.append(f"gpu_btc_corr_{regime}")
        shown = ", ".join(f"{n} {v[n]:g}" for n in fields)
        raise DomainError("lgd_inputs", f"a positive definite {regime} correlation matrix of the "
                          "systematic factor and the collateral", None,
                          formatted=shown + " (not positive definite)")
    w, vec = np.linalg.eigh(resid)
    b = vec * np.sqrt(np.clip(w, 0.0, None))
    return rho, b


def _normal_score(z: np.ndarray, s: np.ndarray | float, nu: float | None) -> np.ndarray:
    """Gaussian copula: z; t copula: Phi^-1(t_nu(z / s)), computed from the nearer tail."""
    if nu is None:
        return z
    tz = np.asarray(z / s, dtype=float)
    lo = t_lower_tail(nu, np.abs(tz))
    if lo.ndim == 0:
        score = ndtri(min(max(float(lo), 1e-300), 0.5))
        return np.float64(score if tz < 0 else -score)
    score = ndtri(np.clip(lo, 1e-300, 0.5, out=lo), out=lo)
    return np.negative(score, out=score, where=~(tz < 0))


#: Largest even degrees of freedom with the closed-form tail of :func:`t_lower_tail` (the
#: power (1 - q)^(nu/2) keeps its error below nu/2 units in the last place).
T_CLOSED_MAX_NU = 60


@functools.lru_cache(maxsize=None)
def _t_tail_poly(k: int) -> tuple[float, ...]:
    """Coefficients (ascending powers of q) of R_k with 2 P(T_2k <= -t) = (1 - q)^k R_k(q),
    q = t / sqrt(2k + t^2), in exact rational arithmetic: 1 - q sum_{j<k} C(2j, j) 4^-j
    (1 - q^2)^j divided k times by (1 - q). Every coefficient is positive."""
    from fractions import Fraction
    p = [Fraction(0)] * (2 * k + 1)
    p[0] = Fraction(1)
    base = [Fraction(1)]                       # (1 - q^2)^j
    for j in range(k):
        a = Fraction(math.comb(2 * j, j), 4 ** j)
        for i, c in enumerate(base):
            p[i + 1] -= a * c
        nxt = [Fraction(0)] * (len(base) + 2)
        for i, c in enumerate(base):
            nxt[i] += c
            nxt[i + 2] -= c
        base = nxt
    for _ in range(k):                         # p(q) = (1 - q) p'(q), no remainder
        while len(p) > 1 and p[-1] == 0:
            p.pop()
        quot = [Fraction(0)] * (len(p) - 1)
        carry = Fraction(0)
        for i in range(len(p) - 1, 0, -1):     # synthetic division by (q - 1), highest first
            carry = p[i] + carry
            quot[i - 1] = -carry
        if p[0] + carry != 0:
            raise ArithmeticError(f"t tail polynomial for nu = {2 * k}")
        p = quot
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return tuple(float(c) for c in p)


def t_lower_tail(nu: float, t: np.ndarray) -> np.ndarray:
    """P(T <= -t) of Student's t with ``nu`` degrees of freedom, for t >= 0 (a new array).

    Even integer ``nu`` = 2k up to :data:`T_CLOSED_MAX_NU`: the closed form
    (1/2) (1 - q)^k R_k(q), q = t / sqrt(nu + t^2), with 1 - q = nu / (r (r + t)),
    r = sqrt(nu + t^2), taken without cancellation and R_k a polynomial of positive
    coefficients (:func:`_t_tail_poly`; Abramowitz and Stegun 26.7.4 rearranged): within a few
    units in the last place of the exact tail down to underflow, about twenty times as fast
    as the incomplete beta function. Any other ``nu``: scipy.special.stdtr.
    """
    t = np.asarray(t, dtype=float)
    k = int(nu) // 2
    if not (nu == 2 * k and 1 <= k and nu <= T_CLOSED_MAX_NU):
        return np.asarray(stdtr(nu, -t), dtype=float)
    if t.ndim == 0:
        return t_lower_tail(nu, t.reshape(1)).reshape(())
    coef = _t_tail_poly(k)
    with np.errstate(over="ignore", invalid="ignore"):
        r = np.multiply(t, t)
        r += nu
        np.sqrt(r, out=r)
        d = r + t
        d *= r
        np.divide(nu, d, out=d)               # 1 - q
    q = 1.0 - d
    poly = np.full_like(d, coef[-1])
    for c in coef[-2::-1]:
        poly *= q
        poly += c
    out = np.power(d, k) if k > 2 else (d * d if k == 2 else d)
    out *= poly
    out *= 0.5
    return out


def _paths(v: Mapping[str, Any]) -> int:
    """The paths per batch a call uses: ``n_paths``, fewer if the work (paths x collaterals x
    regimes, see :data:`MAX_WORK`) would exceed the cap."""
    n = int(v["n_paths"])
    units = max(len(_active(v)), 1)
    if _rent_model(v):
        units += len(v["step_years"])
    if 0.0 < v["p_stress"] < 1.0:
        units *= 2
    return max(1000, min(n, MAX_WORK // units))


def _uniforms(rng: np.random.Generator, dims: int, n: int, sampling: str,
              limit: int = MAX_PATHS) -> list[np.ndarray]:
    """Blocks of uniforms, shape (dims, n) each: one block, or Sobol replicates (a power of
    two each, never more than ``limit`` paths in all)."""
    if sampling != "sobol":
        return [np.clip(rng.random((dims, n)), 1e-16, 1.0 - 1e-16)]
    m = max(1, math.ceil(math.log2(max(n // _SOBOL_REPLICATES, 2))))
    while m > 1 and _SOBOL_REPLICATES * 2 ** m > limit:
        m -= 1
    blocks = []
    for _ in range(_SOBOL_REPLICATES):
        from scipy.stats import qmc  # imported when used (scipy.stats is slow to load)
        pts = qmc.Sobol(d=dims, scramble=True, seed=rng).random_base2(m)
        blocks.append(np.clip(pts.T, 1e-16, 1.0 - 1e-16))
    return blocks


def _recovery(v: Mapping[str, Any], zx: np.ndarray, stress: np.ndarray, u_eps: np.ndarray,
              s: np.ndarray | float, nu: float | None, loads: dict[str, tuple[np.ndarray,
              np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """LGD per path and recovery per collateral per path (discounted, currency)."""
    eps = ndtri(u_eps)                                    # (3, n)
    n = zx.size
    z = np.empty((3, n))
    for regime, mask in (("calm", ~stress), ("stress", stress)):
        if not mask.any():
            continue
        rho, b = loads[regime]
        z[:, mask] = rho[:, None] * zx[mask] + b @ eps[:, mask]
    active = _active(v)
    y = np.zeros((3, n))
    if active:
        y[active] = _normal_score(z[active], s, nu)
    t = v["horizon_years"]
    net = np.empty((3, n))
    for i, k in enumerate(COLLATERALS):
        if i not in active:
            net[i] = 0.0
            continue
        vol = np.where(stress, v.get(f"{k}_vol_stress", v[f"{k}_vol"]), v[f"{k}_vol"]) \
            if k != "receivables" else np.full(n, v["receivables_vol"])
        sig = vol * math.sqrt(t)
        if k == "gpu" and v["gpu_value_model"] == "rent":
            # g is the trend (median) decline: the rent is lognormal around R0 (1-g)^T
            coll = v["gpus"] * _rent_linked_value(v, np.exp(sig * y[i]))
        else:
            shock = np.exp(sig * y[i] - sig * sig / 2.0)   # E[V_k] = value_k
            coll = v[f"{k}_value"] * shock
        cost = v[{"gpu": "gpu_liquidation_cost", "btc": "btc_liquidation_cost",
                  "receivables": "receivables_collection_cost"}[k]]
        net[i] = np.maximum(coll * (1.0 - v[f"{k}_haircut"]) - cost, 0.0)
    # waterfall: prior claims are paid first from the GPUs and receivables; this debt shares
    # what is left of them, and the BTC, pro rata with the pari passu claims
    project = net[0] + net[2]
    left = np.maximum(project - v["senior_secured_claims"], 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kept = np.where(project > 0, left / np.where(project > 0, project, 1.0), 0.0)
    net[0] *= kept
    net[2] *= kept
    pool = net.sum(0) * (v["ead"] / (v["ead"] + v["pari_passu_claims"]))
    df = (1.0 + v["workout_discount_rate"]) ** (-v["workout_years"])
    rec = np.minimum(pool, v["ead"]) * df
    total = net.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(total > 0, net / np.where(total > 0, total, 1.0), 0.0)
    return 1.0 - rec / v["ead"], share * rec


def _active(v: Mapping[str, Any]) -> list[int]:
    """Indices of the collateral present in the deal."""
    out = []
    for i, k in enumerate(COLLATERALS):
        rent = k == "gpu" and v["gpu_value_model"] == "rent"
        if (v["gpus"] > 0) if rent else (v[f"{k}_value"] > 0):
            out.append(i)
    return out


def _rent_linked_value(v: Mapping[str, Any], shock: np.ndarray) -> np.ndarray:
    """GPU value per GPU at the horizon from the income approach (§4), with the
    market rent at the horizon R0 (1-g)^T shock: rents and collateral value move together, and
    the operating leverage of the cash cost makes value fall faster than rent."""
    return residual.economic_value_path(
        v["horizon_years"], v["rent0"] * shock, v["utilization"], v["cash_cost"],
        v["deflation"], v["rv_discount_rate"], salvage=v["salvage"],
        max_life_years=v["max_life_years"], step_years=v["step_years"],
        step_downs=v["step_downs"])


def _check(v: Mapping[str, Any]) -> None:
    """Checks across fields (each field was validated when the block was parsed, required
    fields included)."""
    if v["ead"] <= 0:
        raise DomainError("ead", "> 0 (the LGD is a share of EAD)", v["ead"])
    if _rent_model(v) and len(v["step_years"]) != len(v["step_downs"]):
        raise InputTypeError("lgd_inputs.step_downs", value=None, key="length_mismatch",
                             other="step_years", n_other=len(v["step_years"]),
                             n=len(v["step_downs"]))


def _weighted(x: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    sw = w.sum()
    mean = float((w * x).sum() / sw)
    se = float(np.sqrt((w * w * (x - mean) ** 2).sum()) / sw)
    return mean, se


def simulate_lgd(lgd_inputs: Mapping[str, Any] | list[tuple[Any, Any]]) -> dict[str, float]:
    """Monte Carlo LGD of a loan secured on GPUs, BTC and receivables.

    Parameters
    ----------
    lgd_inputs : mapping or list of (field, value) pairs
        Fields of :data:`FIELDS` (see ``FIELDS.table()``): EAD, PD and the collateral are
        required, missing optional fields take their defaults. Money fields share one
        currency (EAD and collateral values); decimals for rates, probabilities,
        correlations and haircuts; years for times.

    Returns
    -------
    dict
        ``expected_lgd`` (decimal, E[LGD | default]), ``downturn_lgd`` (decimal, at the
        systematic quantile), ``expected_loss`` (currency, PD x expected LGD x EAD),
        ``loss_q999`` (currency, EAD p(x_q) downturn LGD), ``std_error`` (decimal, of
        expected_lgd), ``recovery_share_gpu|btc|receivables`` (decimal shares of expected
        recovery), ``capital`` (currency, loss_q999 - expected_loss), ``downturn_std_error``
        (decimal), ``n_paths`` (paths per batch actually used).

    Raises
    ------
    InputTypeError, DomainError
        Unknown fields, values outside their domain, or correlation matrices that are not
        positive (semi-)definite (the message names the entries).

    References
    ----------
    §8.6; Pykhtin (2003), "Unexpected recovery risk", Risk 16(8); Demarta and
    McNeil (2005), "The t copula and related copulas"; Glasserman (2004), "Monte Carlo Methods
    in Financial Engineering", ch. 9 (conditional sampling).
    """
    v = FIELDS.parse(lgd_inputs)
    _check(v)
    pd_ = v["pd"]
    r = float(asset_correlation(pd_, v["asset_corr"]))
    active = _active(v)
    loads = {reg: _regime_factor(v, reg, active) for reg in ("calm", "stress")}
    nu = float(v["nu"]) if v["copula"] == "t" else None
    sampling, n = v["sampling"], _paths(v)
    rng = rng_for(v["seed"], n)
    limit = MAX_PATHS if n == v["n_paths"] else n   # the work cap binds: stay under it
    main_blocks = _uniforms(rng, 7, n, sampling, limit)
    dt_blocks = _uniforms(rng, 6, n, sampling, limit)
    sr, sr1 = math.sqrt(r), math.sqrt(1.0 - r)
    q_def = float(stdtrit(nu, pd_)) if nu else float(ndtri(pd_))
    x_q = float(ndtri(1.0 - v["quantile"]))
    beta = float(v["regime_factor_corr"])
    beta1 = math.sqrt(max(1.0 - beta * beta, 0.0))
    p_thr = float(ndtri(v["p_stress"]))             # -inf at 0, +inf at 1
    # P(stress | systematic score x_q): continuous in p_stress unless beta = 1
    if beta1 > 0:
        pi_q = float(ndtr((p_thr - beta * x_q) / beta1))
    else:
        pi_q = 1.0 if x_q < p_thr else 0.0

    means, ses, dmeans, dses, pqs, shares, used = [], [], [], [], [], [], 0
    for ub, ud in zip(main_blocks, dt_blocks):
        m = ub.shape[1]
        used += m
        # ---- main batch: default scenarios ------------------------------------------
        s = np.sqrt(2.0 * gammaincinv(nu / 2.0, ub[6]) / nu) if nu else np.ones(m)
        thr = q_def * s
        if sampling == "plain":
            zx = ndtri(ub[1])
            za = sr * zx + sr1 * ndtri(ub[0])
            w = (za < thr).astype(float) / pd_
        else:
            pdw = ndtr(thr)
            za = ndtri(np.clip(ub[0] * pdw, 1e-300, None))
            zx = sr * za + sr1 * ndtri(ub[1])
            w = pdw / pd_
        x_score = _normal_score(zx, s, nu)          # the systematic factor's normal score
        stress = beta * x_score + beta1 * ndtri(ub[5]) < p_thr
        lgd, rec_k = _recovery(v, zx, stress, ub[2:5], s, nu, loads)
        if w.sum() <= 0:
            raise DomainError("lgd_inputs.n_paths", "large enough to see a default (or use "
                              "sampling conditional)", n)
        mu, se = _weighted(lgd, w)
        means.append(mu)
        ses.append(se)
        shares.append((rec_k * w).sum(1) / w.sum())
        # ---- downturn batch: systematic normal score fixed at x_q ---------------------
        if nu:
            t_x = float(stdtrit(nu, ndtr(x_q)))
            s_d = np.sqrt(2.0 * gammaincinv((nu + 1.0) / 2.0, ud[5]) / (nu + t_x * t_x))
            zx_d = t_x * s_d
        else:
            s_d = np.ones(m)
            zx_d = np.full(m, x_q)
        p_def = ndtr((q_def * s_d - sr * zx_d) / sr1)
        lgd_d, _ = _recovery(v, zx_d, ud[0] < pi_q, ud[2:5], s_d, nu, loads)
        mu_d, se_d = _weighted(lgd_d, p_def) if p_def.sum() > 0 else (float(lgd_d.mean()),
                                                                      float(lgd_d.std()))
        dmeans.append(mu_d)
        dses.append(se_d)
        pqs.append(float(p_def.mean()))

    k = len(means)
    elgd = float(np.mean(means))
    dlgd = float(np.mean(dmeans))
    if k > 1:   # Sobol replicates: standard error from their spread
        se = float(np.std(means, ddof=1) / math.sqrt(k))
        dse = float(np.std(dmeans, ddof=1) / math.sqrt(k))
    else:
        se, dse = ses[0], dses[0]
    rec_mean = np.mean(shares, axis=0)
    tot = rec_mean.sum()
    share = rec_mean / tot if tot > 0 else np.zeros(3)
    el = pd_ * elgd * v["ead"]
    loss_q = v["ead"] * float(np.mean(pqs)) * dlgd
    out = {"expected_lgd": elgd, "downturn_lgd": dlgd, "expected_loss": el,
           "loss_q999": loss_q, "std_error": se,
           "recovery_share_gpu": float(share[0]), "recovery_share_btc": float(share[1]),
           "recovery_share_receivables": float(share[2]),
           "capital": loss_q - el, "downturn_std_error": dse, "n_paths": float(used)}
    return {k_: out[k_] for k_ in OUTPUTS}


#: Sample deals for the workbooks: a bitcoin miner turning AI host, and a GPU neo-cloud.
_SAMPLES = {
    "miner": [
        ("ead", 100.0), ("pd", 0.04), ("horizon_years", 1.0),
        ("gpu_value", 55.0), ("gpu_vol", 0.45), ("gpu_vol_stress", 0.65),
        ("gpu_corr_calm", 0.4), ("gpu_corr_stress", 0.7),
        ("btc_value", 35.0), ("btc_vol", 0.50), ("btc_vol_stress", 0.80),
        ("btc_corr_calm", 0.3), ("btc_corr_stress", 0.7),
        ("gpu_btc_corr_calm", 0.2), ("gpu_btc_corr_stress", 0.6),
        ("p_stress", 0.25), ("copula", "t"), ("nu", 4.0),
        ("gpu_haircut", 0.30), ("btc_haircut", 0.05), ("gpu_liquidation_cost", 3.0),
        ("workout_years", 1.0), ("workout_discount_rate", 0.12), ("seed", 1),
    ],
    "neocloud": [
        ("ead", 100.0), ("pd", 0.025), ("horizon_years", 1.0),
        ("gpu_value", 70.0), ("gpu_vol", 0.40), ("gpu_vol_stress", 0.60),
        ("gpu_corr_calm", 0.4), ("gpu_corr_stress", 0.7),
        ("receivables_value", 20.0), ("receivables_vol", 0.20), ("receivables_corr", 0.3),
        ("receivables_haircut", 0.20),
        ("p_stress", 0.2), ("copula", "gaussian"),
        ("gpu_haircut", 0.25), ("gpu_liquidation_cost", 2.0),
        ("workout_years", 1.5), ("workout_discount_rate", 0.10), ("seed", 1),
    ],
}


def sample_inputs(kind: str = "miner") -> list[tuple[str, Any]]:
    """A sample LGD_MC input block (field, value) for ``kind`` "miner" (GPUs + BTC, t copula)
    or "neocloud" (GPUs + contracted receivables, Gaussian); money in USD million, values are
    illustrative [D], not calibrated."""
    if kind not in _SAMPLES:
        raise DomainError("kind", "one of " + " | ".join(_SAMPLES), kind)
    return list(_SAMPLES[kind])

