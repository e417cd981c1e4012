"""Rolling-origin backtest of the rent and value forecasts against the shipped market evidence.

For each SKU, each quantity (``rent``: rents per GPU-hour; ``value``: used-GPU prices per GPU)
and each basis separately (a spot rent is never compared with a contract rent), the observations
of the evidence (:mod:`pymodel.market`) form a series; observations of the same date are
averaged in logs. Every observation is taken in turn as a forecast origin, every later
observation of the same series as a target, and the pair is scored at its exact horizon
h = target date - origin date (years), grouped into horizon buckets of 6, 12 and 24 months
(:data:`HORIZONS`: 3-9, 9-18 and 18-36 months). A forecast made at an origin uses only the
evidence dated on or before the origin.

Methods (median forecasts F; :data:`METHODS`):

``model``
    The model's rent path with the shipped default deflation g (the schema's ``deflation``):
    F = R_i (1-g)^h for rents; for values F = P_i V(h)/V(0), the observed price moved by the
    income-value path of :func:`pymodel.residual.economic_value_path` (rent at the origin,
    utilisation, cash cost, discount rate and salvage as below).
``model (fitted g)``
    As ``model`` with g fitted on the series up to the origin (log-linear fit of
    :func:`pymodel.deflation.deflation_fit`; needs 3 dates spanning at least a year).
``model (level)`` (values only)
    The income value itself, F = V(h): the model's level, not anchored on the observed price.
``random walk``
    No change: F = the origin observation.
``straight line``
    The straight-line book comparator: F = origin x BV(age + h)/BV(age), with BV straight-line
    over :data:`BOOK_LIFE_YEARS` to a salvage of :data:`SALVAGE_SHARE` of cost, age measured
    from the catalogue volume date (applied to rents as well: rent falling with book value).

Prediction intervals: ln(actual) ~ N(ln F, sigma^2 h) for every method, sigma the annual
volatility of detrended log rent (the quadratic-variation estimator of
:func:`pymodel.deflation.deflation_fit`) fitted on the series up to the origin when it has 3
dates; otherwise the median over the SKU's rent series fitted up to the origin (then over every
SKU). The interval is central with probability :data:`COVERAGE`. An origin with no volatility
estimate yet is scored for bias and error but has no interval (``n_interval`` counts the pairs
with one).

Scores per (SKU, quantity, basis, horizon, method): n pairs, bias = mean(ln F - ln A) (positive:
the forecast was too high), mean absolute log error MALE = mean |ln F - ln A|, and coverage = the
share of actuals inside the interval among the ``n_interval`` pairs that have one. Pairs share origins and targets, so they are not
independent: read n as the number of comparisons, not of independent trials.

Value-model inputs: utilisation and discount rate at their defaults, cash cost per GPU-hour
built up from the catalogue's system power (colocation 184.06 per kW-month / 730 h, power 0.0806
per kWh at PUE 1.2, other 0.06: §4.3), salvage :data:`SALVAGE_SHARE` of the
catalogue reference price, remaining physical life 8 years less the age at the origin; the rent
at the origin is the latest non-hyperscaler rent observation of the SKU (any basis) on or
before the origin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd
from scipy.stats import norm

from .catalogue import find_sku, load_catalogue
from .deflation import EXCEL_EPOCH, deflation_fit
from .errors import ComputeCreditError, InputTypeError, NotAvailableError
from .market import PRICE_BASES, RENT_BASES, load_market_evidence
from .residual import D as _RV
from .residual import economic_value_path
from .schema import NONNEG, OPEN_UNIT, SCHEMA, Param, declare

__all__ = ["backtest", "BacktestResult", "HORIZONS", "METHODS", "COVERAGE", "BOOK_LIFE_YEARS",
           "SALVAGE_SHARE", "PHYSICAL_LIFE_YEARS", "cash_cost_from_power", "SUMMARY_COLUMNS"]

#: Horizon buckets: label (months) -> [low, high) in months.
HORIZONS = {6: (3.0, 9.0), 12: (9.0, 18.0), 24: (18.0, 36.0 + 1e-9)}
#: Forecast methods, in report order.
METHODS = ("model", "model (fitted g)", "model (level)", "random walk", "straight line")
#: Central probability of the prediction intervals.
COVERAGE = 0.80
#: Book life of the straight-line comparator, years (CoreWeave, Microsoft, Alphabet: 6).
BOOK_LIFE_YEARS = 6.0
#: Salvage as a share of the reference price (§10: 0.03 of cost).
SALVAGE_SHARE = 0.03
#: Physical life cap from the volume date, years (§10: 8, amcompute).
PHYSICAL_LIFE_YEARS = 8.0
#: Minimum span of the origin's own series for a fitted deflation, years.
MIN_FIT_SPAN_YEARS = 1.0
#: Columns of :attr:`BacktestResult.summary`.
SUMMARY_COLUMNS = ("sku", "quantity", "basis", "horizon_months", "method", "n", "bias",
                   "male", "n_interval", "coverage")

_DAYS = 365.25
_MONTH = _DAYS / 12

#: Parameters of the backtest (the value-model inputs are the residual-value model's).
P = declare(
    Param("interval_coverage", "decimal", "Central probability of the prediction intervals",
          OPEN_UNIT, default=COVERAGE, source="D: 80% intervals"),
    Param("skus", "", "Catalogue SKUs to backtest", default=("A100 SXM", "H100 SXM"),
          kind="range", source="D: the SKUs with several years of public evidence"),
    Param("system_kw_per_gpu", "kW per GPU", "IT power per GPU (system kW / GPUs per system)",
          NONNEG),
)


def cash_cost_from_power(system_kw_per_gpu: float) -> float:
    """Cash cost per GPU-hour from the IT power per GPU (kW): colocation + power + other.

    c = 184.06 kW / 730 + 0.0806 x kW x 1.2 + 0.06 (CBRE H2 2024 colocation per kW-month, EIA
    2023 industrial power per kWh at PUE 1.2, other costs; §4.3). H100 (1.275
    kW): 0.505.
    """
    kw = float(SCHEMA.check("system_kw_per_gpu", system_kw_per_gpu))
    return 184.06 * kw / 730.0 + 0.0806 * kw * 1.2 + 0.06


@dataclass
class BacktestResult:
    """Result of :func:`backtest`.

    Attributes
    ----------
    forecasts : pandas.DataFrame
        One row per (origin, target, method): ``sku``, ``quantity``, ``basis``, ``origin``,
        ``target`` (dates), ``horizon_months`` (bucket), ``h_years``, ``method``, ``actual``,
        ``forecast``, ``lo``, ``hi`` (interval; NaN when no volatility was available at the
        origin), ``log_error`` = ln F - ln A, ``covered`` (1.0, 0.0 or NaN without interval),
        ``sigma`` (the volatility used, decimal per sqrt-year).
    summary : pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`, one row per (SKU, quantity, basis, horizon, method)
        and pooled rows with ``basis`` = ``all`` per (SKU, quantity, horizon, method) and
        ``sku`` = ``all`` per (quantity, horizon, method).
    series : pandas.DataFrame
        The series scored: ``sku``, ``quantity``, ``basis``, ``date`` (the 15th of the month),
        ``value`` (the month's observations averaged in logs), ``n_obs``.
    settings : dict
        Deflation, coverage, horizons and the value-model inputs used.
    """

    forecasts: pd.DataFrame
    summary: pd.DataFrame
    series: pd.DataFrame
    settings: dict = field(default_factory=dict)


def _series(ev: pd.DataFrame, skus: tuple[str, ...]) -> pd.DataFrame:
    ev = ev[ev["sku"].isin(skus)]
    rent = ev["basis"].isin(RENT_BASES) & (ev["segment"] != "hyperscaler")
    value = ev["basis"].isin(("used sale", "refurbished"))
    rows = []
    for quantity, mask in (("rent", rent), ("value", value)):
        sub = ev[mask]
        month = sub["date"].dt.to_period("M").dt.to_timestamp() + pd.Timedelta(days=14)
        sub = sub.assign(logv=np.log(sub["value"]), month=month)
        for (sku, basis, date), g in sub.groupby(["sku", "basis", "month"], sort=True):
            rows.append((sku, quantity, basis, date, float(np.exp(g["logv"].mean())), len(g)))
    return pd.DataFrame(rows, columns=["sku", "quantity", "basis", "date", "value", "n_obs"])


def _days(dates: pd.Series | Iterable) -> np.ndarray:
    return ((pd.to_datetime(pd.Series(list(dates))) - EXCEL_EPOCH)
            / pd.Timedelta(days=1)).to_numpy(dtype=float)


def _fit_days(days: np.ndarray, values: np.ndarray):
    """deflation_fit on day numbers, or None when it cannot be fitted (fewer than 3 dates, a
    fitted g outside (-1, 1))."""
    if np.unique(days).size < 3:
        return None
    try:
        return deflation_fit(days, values)
    except ComputeCreditError:
        return None


def _fit(dates: pd.Series, values: pd.Series):
    return _fit_days(_days(dates), np.asarray(values, dtype=float))


class _Vol:
    """Volatility available at an origin: own series, else the SKU's rent series, else all."""

    def __init__(self, series: pd.DataFrame):
        self.rents = series[series["quantity"] == "rent"]
        self._cache: dict = {}

    def pooled(self, origin: pd.Timestamp, sku: str | None) -> float | None:
        key = (origin, sku)
        if key not in self._cache:
            vols = []
            data = self.rents if sku is None else self.rents[self.rents["sku"] == sku]
            for _, s in data[data["date"] <= origin].groupby(["sku", "basis"]):
                f = _fit(s["date"], s["value"])
                if f is not None:
                    vols.append(f.volatility)
            self._cache[key] = float(np.median(vols)) if vols else None
        return self._cache[key]


def _book_ratio(age0: float, h: np.ndarray) -> np.ndarray:
    """BV(age0 + h)/BV(age0), straight line to SALVAGE_SHARE over BOOK_LIFE_YEARS."""
    def bv(a):
        return 1.0 - (1.0 - SALVAGE_SHARE) * np.clip(np.maximum(a, 0.0) / BOOK_LIFE_YEARS,
                                                     0.0, 1.0)
    return bv(age0 + np.asarray(h, dtype=float)) / bv(age0)


def backtest(evidence: pd.DataFrame | None = None, *,
             skus: Iterable[str] = P["skus"].default,
             deflation: float = _RV["deflation"],
             interval_coverage: float = COVERAGE,
             utilization: float = _RV["utilization"],
             discount_rate: float = _RV["discount_rate"],
             basis: Iterable[str] | None = None) -> BacktestResult:
    """Rolling-origin forecasts of rent and value, scored against later observations.

    Parameters
    ----------
    evidence : pandas.DataFrame, optional
        Market evidence in the layout of :func:`pymodel.market.load_market_evidence`
        (default: the shipped evidence).
    skus : iterable of str, optional
        Catalogue SKUs to backtest. Default A100 SXM and H100 SXM.
    deflation : float, optional
        The model's annual rent decline g, decimal per year in (-1, 1). Default: the shipped
        default (0.30).
    interval_coverage : float, optional
        Central probability of the prediction intervals, in (0, 1). Default 0.80.
    utilization, discount_rate : float, optional
        Value-model inputs (decimal; annual effective). Defaults as in GPU_RV.
    basis : str or iterable of str, optional
        Restrict to these bases (rent or price bases of :mod:`pymodel.market`).

    Returns
    -------
    BacktestResult
        Every scored forecast, the summary table and the series used.

    Raises
    ------
    InputTypeError, DomainError
        Bad arguments (unknown SKU or basis, g outside (-1, 1), interval_coverage outside
        (0, 1)).
    NotAvailableError
        The evidence has no pair of observations to score.

    Notes
    -----
    See the module docstring for the series, the methods, the intervals and the scores.

    References
    ----------
    §11.8; Tashman (2000), "Out-of-sample tests of forecasting
    accuracy: an analysis and review", International Journal of Forecasting 16 (rolling
    origins).
    """
    g = SCHEMA.check("deflation", deflation)
    cov = SCHEMA.check("interval_coverage", interval_coverage)
    u = SCHEMA.check("utilization", utilization)
    r = SCHEMA.check("discount_rate", discount_rate)
    sku_list = tuple(dict.fromkeys(find_sku(s) for s in skus))
    ev = load_market_evidence() if evidence is None else evidence
    if basis is not None:
        allowed = RENT_BASES + PRICE_BASES
        bl = (basis,) if isinstance(basis, str) else tuple(basis)
        for b in bl:
            if b not in allowed:
                raise InputTypeError("basis", " | ".join(allowed), b, key="choice")
        ev = ev[ev["basis"].isin(bl)]
    series = _series(ev, sku_list)
    cat = load_catalogue().set_index("sku")
    z = float(norm.ppf(0.5 + cov / 2))
    vol = _Vol(series)
    rent_all = ev[ev["basis"].isin(RENT_BASES) & (ev["segment"] != "hyperscaler")]
    rows = []
    edges = [(k, lo * _MONTH, hi * _MONTH) for k, (lo, hi) in HORIZONS.items()]
    for (sku, quantity, basis), s in series.groupby(["sku", "quantity", "basis"], sort=True):
        s = s.sort_values("date")
        dates = pd.DatetimeIndex(s["date"])
        days = _days(dates)
        vals = s["value"].to_numpy(dtype=float)
        spec = cat.loc[sku]
        volume = pd.Timestamp(spec["volume_date"])
        c = cash_cost_from_power(spec["system_kw_per_gpu"])
        salvage = SALVAGE_SHARE * float(spec["ref_price"])
        for i in range(len(vals) - 1):
            origin, y0 = dates[i], vals[i]
            gap = days[i + 1:] - days[i]
            bucket = np.full(gap.size, -1)
            for k, lo, hi in edges:
                bucket[(gap >= lo) & (gap < hi)] = k
            targets = np.flatnonzero(bucket >= 0)
            if not targets.size:
                continue
            own = _fit_days(days[:i + 1], vals[:i + 1])
            sigma = own.volatility if own is not None else vol.pooled(origin, sku)
            if sigma is None:
                sigma = vol.pooled(origin, None)
            span = (days[i] - days[0]) / _DAYS
            g_fit = own.g_trend if own is not None and span >= MIN_FIT_SPAN_YEARS else None
            age0 = (origin - volume).days / _DAYS
            h = gap[targets] / _DAYS
            actual = vals[i + 1:][targets]
            fc = {"random walk": np.full(h.size, y0),
                  "straight line": y0 * _book_ratio(age0, h)}
            if quantity == "rent":
                fc["model"] = y0 * (1 - g) ** h
                if g_fit is not None:
                    fc["model (fitted g)"] = y0 * (1 - g_fit) ** h
            else:
                past = rent_all[(rent_all["sku"] == sku) & (rent_all["date"] <= origin)]
                if len(past):
                    last = past[past["date"] == past["date"].max()]
                    rent0 = float(np.exp(np.log(last["value"]).mean()))
                    life = max(PHYSICAL_LIFE_YEARS - max(age0, 0.0), 0.0)
                    gs = [("model", g)] + ([("model (fitted g)", g_fit)] if g_fit is not None
                                           else [])
                    for name, gg in gs:
                        v = economic_value_path(np.concatenate([[0.0], h]), rent0, u, c, gg, r,
                                                salvage=salvage, max_life_years=life)
                        if v[0] > 0 and np.all(v[1:] > 0):
                            fc[name] = y0 * v[1:] / v[0]
                        if name == "model" and np.all(v[1:] > 0):
                            fc["model (level)"] = v[1:]
            band = np.exp(z * (np.nan if sigma is None else sigma) * np.sqrt(h))
            tdates = dates[i + 1:][targets]
            for method, f in fc.items():
                err = np.log(f) - np.log(actual)
                lo, hi = f / band, f * band
                covered = np.where(np.isnan(band), np.nan, (lo <= actual) & (actual <= hi))
                for t in range(h.size):
                    rows.append((sku, quantity, basis, origin, tdates[t], int(bucket[targets][t]),
                                 float(h[t]), method, float(actual[t]), float(f[t]),
                                 float(lo[t]), float(hi[t]), float(err[t]),
                                 float(covered[t]), np.nan if sigma is None else float(sigma)))
    forecasts = pd.DataFrame(rows, columns=[
        "sku", "quantity", "basis", "origin", "target", "horizon_months", "h_years", "method",
        "actual", "forecast", "lo", "hi", "log_error", "covered", "sigma"])
    if forecasts.empty:
        raise NotAvailableError("backtest: the evidence has no pair of observations of one "
                                "SKU and basis 3 to 36 months apart to score")
    summary = _summarise(forecasts)
    settings = {"deflation": g, "coverage": cov, "utilization": u, "discount_rate": r,
                "horizons_months": {k: list(v) for k, v in HORIZONS.items()},
                "book_life_years": BOOK_LIFE_YEARS, "salvage_share": SALVAGE_SHARE,
                "physical_life_years": PHYSICAL_LIFE_YEARS, "skus": list(sku_list)}
    return BacktestResult(forecasts, summary, series, settings)


def _summarise(fc: pd.DataFrame) -> pd.DataFrame:
    def agg(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
        return df.groupby(keys, sort=False).agg(
            n=("log_error", "size"), bias=("log_error", "mean"),
            male=("log_error", lambda e: float(np.mean(np.abs(e)))),
            n_interval=("covered", "count"), coverage=("covered", "mean")).reset_index()

    parts = [agg(fc, ["sku", "quantity", "basis", "horizon_months", "method"]),
             agg(fc, ["sku", "quantity", "horizon_months", "method"]).assign(basis="all"),
             agg(fc, ["quantity", "horizon_months", "method"]).assign(sku="all", basis="all")]
    out = pd.concat(parts, ignore_index=True)[list(SUMMARY_COLUMNS)]
    order = {m: i for i, m in enumerate(METHODS)}
    out["_m"] = out["method"].map(order)
    out["_s"] = (out["sku"] == "all").astype(int)
    out["_b"] = (out["basis"] == "all").astype(int)
    out = out.sort_values(["quantity", "_s", "sku", "_b", "basis", "horizon_months", "_m"],
                          kind="stable").drop(columns=["_m", "_s", "_b"])
    return out.reset_index(drop=True)
