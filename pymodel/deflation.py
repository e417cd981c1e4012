"""Rent deflation from observed (date, rent) pairs: one meaning of g, a log-linear fit.

**What g means, everywhere in ComputeCredit.** g is the annual decline of the *trend* of log
rent: ln R(t) = ln R0 + t ln(1 - g) + noise, so R0 (1-g)^t is the median (typical) rent path.
Every deterministic function (GPU_RENT, GPU_RV, the coverage model) follows that path. A
stochastic model with lognormal noise of annual volatility sigma around it has a *mean* rent
that declines more slowly, at g_mean = 1 - (1 - g) e^(sigma^2 / 2); stochastic models take g as
the trend and state the mean explicitly (:func:`mean_deflation`, :func:`trend_deflation`).

**The fit.** OLS of ln R_i on t_i (years of 365.25 days) with one intercept per basis (a spot
rent and a contract rent of the same day are different prices; their levels differ, their trend
is common): slope b, g_trend = 1 - e^b. Observations carry a basis (:data:`BASES`); a fit uses
one basis unless a mixed fit is asked for (``fit_basis="all"``).

Volatility of log rent: the detrended log rent e_i = ln R_i - (a_basis + b t_i) of each basis is
read as a Brownian motion, and

    sigma^2 = sum over bases and dates of (e_i - e_{i-1})^2 / (t_i - t_{i-1}) / (N - 1)

with N the number of date increments (log rents of one basis on one date averaged first; one
degree of freedom used by the slope). sigma is an annual volatility (decimal per square-root
year): the quantity a lognormal rent model ln R(t) ~ N(ln R0 + t ln(1-g), sigma^2 t) needs; it is
not the residual standard deviation (dispersion around the trend, which does not scale with
time).

Public rent observations ship in ``pymodel/data/market_evidence.csv`` (:mod:`pymodel.market`);
:func:`load_h100_rents` returns its H100 rents.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

import numpy as np

from .errors import DomainError, InputTypeError
from .lazy import lazy_module
from .schema import DEFLATION, NONNEG, POS, SCHEMA, Param, declare
from .validation import Interval

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["DeflationFit", "deflation_fit", "load_h100_rents", "to_day_numbers",
           "mean_deflation", "trend_deflation", "MAX_FIT_POINTS", "EXCEL_EPOCH", "BASES",
           "RENT_BASES", "PRICE_BASES", "FIT_COLUMNS", "P"]

#: Most observations one fit accepts.
MAX_FIT_POINTS = 10_000
#: Day 0 of Excel's 1900 date system (serial 1 = 1900-01-01, Lotus leap-year bug included).
_EPOCH = "1899-12-30"


def _epoch() -> "pd.Timestamp":
    """Day 0 of Excel's 1900 date serials (:data:`EXCEL_EPOCH`)."""
    return pd.Timestamp(_EPOCH)


def __getattr__(name: str) -> object:
    # EXCEL_EPOCH is a pandas Timestamp, made when first read (pandas is imported at first use)
    if name == "EXCEL_EPOCH":
        return _epoch()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
DAYS_PER_YEAR = 365.25
#: Rent bases (currency per GPU-hour).
RENT_BASES = ("spot", "on-demand", "1-year contract", "3-year contract", "index")
#: Price bases (currency per GPU).
PRICE_BASES = ("list", "used sale", "refurbished")
#: Every basis an observation may have.
BASES = RENT_BASES + PRICE_BASES
#: The fit_basis value that asks for a fit over several bases (one intercept per basis).
ALL_BASES = "all"
#: The row RENT_DEFLATION_FIT returns, in order.
FIT_COLUMNS = ("g_trend", "volatility", "n_points", "g_mean")

#: Parameters of the deflation fit (§2.1-2.3).
P = declare(
    Param("dates", "date", "Observation dates, oldest first: a row or column of Excel dates "
          "(serial numbers or date cells) or ISO text; at least 3 distinct dates",
          kind="range"),
    Param("rents", "currency per GPU-hour", "Observed market rents, one per date (at most "
          "10000)", POS),
    Param("basis", "", "Basis of the observations, what the figures are: spot, on-demand, "
          "1-year contract, 3-year contract, index (rents); list, used sale, refurbished "
          "(prices)", default=None, kind="range", empty="every basis"),
    Param("fit_basis", "", "The basis to fit when the observations mix bases (one of the "
          "bases), or all for one trend over every basis with a level per basis",
          default=None, kind="text", empty="the observations' one basis (mixing refused)"),
    Param("volatility", "decimal per sqrt(year)", "Annual volatility sigma of log rent around "
          "its trend", NONNEG),
    Param("g_trend", "decimal per year", "Annual decline g of the trend (median) rent path",
          DEFLATION),
    Param("g_mean", "decimal per year", "Annual decline of the mean rent of a lognormal rent "
          "around its trend", Interval(None, 1, hi_closed=False)),
)


@dataclass(frozen=True)
class DeflationFit:
    """Result of :func:`deflation_fit`.

    Attributes
    ----------
    g_trend : float
        Annual decline of the trend (median) rent path, g = 1 - e^b, decimal per year
        (negative: rising). The g every deterministic function takes.
    volatility : float
        Annual volatility of detrended log rent, decimal per square-root year.
    n_points : int
        Number of observations used.
    g_mean : float
        Annual decline of the mean rent, 1 - (1 - g_trend) e^(volatility^2 / 2), decimal per
        year (below g_trend; may fall below -1 for very volatile series).
    log_slope : float
        b, the fitted slope of ln R per year.
    residual_std : float
        Standard deviation of the regression residuals, log points.
    start, end : datetime.date
        First and last observation date used.
    bases : tuple of str
        The bases fitted (one unless a mixed fit was asked for; empty when unlabelled).
    """

    g_trend: float
    volatility: float
    n_points: int
    g_mean: float
    log_slope: float
    residual_std: float
    start: _dt.date
    end: _dt.date
    bases: tuple[str, ...] = ()

    def row(self) -> list[float]:
        """[g_trend, volatility, n_points, g_mean], as RENT_DEFLATION_FIT shows it."""
        return [self.g_trend, self.volatility, float(self.n_points), self.g_mean]


def mean_deflation(g_trend, volatility):
    """Annual decline of the mean rent when log rent is normal around a trend declining at g.

    Parameters
    ----------
    g_trend : float or array_like
        Decline of the trend (median) path, decimal per year in (-1, 1).
    volatility : float or array_like
        Annual volatility of log rent, decimal per sqrt-year, >= 0.

    Returns
    -------
    float or ndarray
        g_mean = 1 - (1 - g_trend) e^(volatility^2 / 2), decimal per year.

    Notes
    -----
    With ln R(t) ~ N(ln R0 + t ln(1-g), sigma^2 t), E[R(t)] = R0 ((1-g) e^(sigma^2/2))^t.

    Examples
    --------
    >>> round(mean_deflation(0.28, 0.62), 4)
    0.1274
    """
    g = np.asarray(SCHEMA.check("g_trend", g_trend), dtype=float)
    v = np.asarray(SCHEMA.check("volatility", volatility), dtype=float)
    with np.errstate(over="ignore"):
        out = 1.0 - (1.0 - g) * np.exp(v * v / 2.0)
    return float(out) if out.ndim == 0 else out


def trend_deflation(g_mean, volatility):
    """The trend decline g whose lognormal mean rent declines at ``g_mean`` (inverse of
    :func:`mean_deflation`): g = 1 - (1 - g_mean) e^(-volatility^2 / 2).

    Parameters
    ----------
    g_mean : float or array_like
        Decline of the mean rent, decimal per year, < 1.
    volatility : float or array_like
        Annual volatility of log rent, decimal per sqrt-year, >= 0.

    Returns
    -------
    float or ndarray
        g_trend, decimal per year.

    Examples
    --------
    >>> round(trend_deflation(mean_deflation(0.3, 0.4), 0.4), 12)
    0.3
    """
    gm = np.asarray(SCHEMA.check("g_mean", g_mean), dtype=float)
    v = np.asarray(SCHEMA.check("volatility", volatility), dtype=float)
    out = 1.0 - (1.0 - gm) * np.exp(-v * v / 2.0)
    return float(out) if out.ndim == 0 else out


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?$")


def _day_number(name: str, v: Any) -> float:
    if isinstance(v, (bool, np.bool_)) or v is None:
        raise InputTypeError(name, "a date or a day number", v, key="domain")
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise DomainError(name, "a finite day number", f, key="domain")
        return f
    if isinstance(v, str):
        # ISO 8601 text only (2024-01-31): "01/02/2024" is 1 February in Europe and 2 January
        # in the US, and a guess would be a silent wrong number
        text = v.strip()
        if _ISO_DATE.match(text):
            try:
                d = _dt.datetime.fromisoformat(text)
            except ValueError:
                d = None
            if d is not None:
                ts = pd.Timestamp(d.replace(tzinfo=None))
                return (ts - _epoch()) / pd.Timedelta(days=1)
        raise InputTypeError(name, "a date or a day number", v, key="domain")
    if isinstance(v, (_dt.date, np.datetime64)):  # a pandas Timestamp is a datetime
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError):
            ts = pd.NaT
        if not pd.isna(ts):
            ts = ts.tz_localize(None) if ts.tzinfo else ts
            return (ts - _epoch()) / pd.Timedelta(days=1)
    raise InputTypeError(name, "a date or a day number", v, key="domain")


def to_day_numbers(name: str, dates: Iterable[Any]) -> np.ndarray:
    """Dates as day numbers on Excel's 1900 serial scale (only differences matter).

    Numbers are taken as day numbers (Excel date serials); ``datetime``/``date``, numpy
    ``datetime64``, pandas ``Timestamp`` and ISO text become days since 1899-12-30, so a mix
    of Excel serials and date objects is consistent. A single row or column (or a flat
    sequence) is expected; trailing empty cells (``None`` or blank text) are dropped.
    """
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.datetime64):
        return ((dates - np.datetime64(_EPOCH, "ns"))
                / np.timedelta64(1, "D")).astype(float).ravel()
    if isinstance(dates, (str, bytes, _dt.date)) or np.ndim(dates) == 0:
        dates = [dates]
    if pd.loaded() and isinstance(dates, pd.Series):
        dates = dates.tolist()
    grid = np.asarray(dates, dtype=object)
    if grid.ndim == 2 and min(grid.shape) > 1:
        raise InputTypeError(name, value=None, key="not_vector", rows=grid.shape[0],
                             cols=grid.shape[1])
    values = list(np.ravel(grid))
    while values and (values[-1] is None or (isinstance(values[-1], str)
                                             and not values[-1].strip())):
        values.pop()   # trailing empty cells: a range selected a little too long
    return np.array([_day_number(f"{name}[{i + 1}]" if len(values) > 1 else name, v)
                     for i, v in enumerate(values)], dtype=float)


def _labels(basis: Any, n: int) -> list[str] | None:
    """Basis labels, one per observation (a single text applies to all); None if not given."""
    if basis is None:
        return None
    single = isinstance(basis, str)
    if single:
        items = [basis] * n
    else:
        grid = np.asarray(basis, dtype=object)
        if grid.ndim == 2 and min(grid.shape) > 1:
            raise InputTypeError("basis", value=None, key="not_vector", rows=grid.shape[0],
                                 cols=grid.shape[1])
        items = list(np.ravel(grid))
        if all(b is None or (isinstance(b, str) and not b.strip()) for b in items):
            return None          # an empty range: not labelled
        while len(items) > n and (items[-1] is None or (isinstance(items[-1], str)
                                                       and not items[-1].strip())):
            items.pop()
        single = len(items) == 1
        if single:
            items = items * n
        if len(items) != n:
            raise InputTypeError("basis", value=None, key="length_mismatch", other="dates",
                                 n_other=n, n=len(items))
    out = []
    for i, b in enumerate(items):
        name = "basis" if isinstance(basis, str) or single else f"basis[{i + 1}]"
        if not isinstance(b, str) or not b.strip():
            raise InputTypeError(name, " | ".join(BASES), b, key="choice")
        match = [x for x in BASES if x == b.strip().lower()]
        if not match:
            raise InputTypeError(name, " | ".join(BASES), b, key="choice")
        out.append(match[0])
    return out


def _date_text(day: float) -> str:
    return (_epoch() + pd.Timedelta(days=float(day))).date().isoformat()


def deflation_fit(dates: Any, rents: Any, basis: Any = None, *,
                  fit_basis: str | None = None) -> DeflationFit:
    """Trend deflation, volatility and mean deflation of observed rents, one basis at a time.

    Parameters
    ----------
    dates : sequence of date-like or numbers
        Observation dates, oldest first (equal dates allowed): ``datetime``/``date``,
        ``datetime64``, ``Timestamp``, ISO text, or numbers taken as day numbers (Excel date
        serials). At least 3 distinct dates in the basis fitted.
    rents : sequence of float
        Observed rents, currency per GPU-hour, > 0; same length as ``dates`` (at most
        :data:`MAX_FIT_POINTS`).
    basis : str or sequence of str, optional
        The basis of the observations (:data:`BASES`): one text for all, or one per
        observation. Default: not labelled (the observations are taken as one basis).
    fit_basis : str, optional
        Fit only the observations of this basis, or ``"all"``: one trend over every basis,
        with one level per basis. Default: the observations' one basis; a mix of bases is
        refused.

    Returns
    -------
    DeflationFit
        ``g_trend`` (decimal per year), ``volatility`` (decimal per sqrt-year),
        ``n_points``, ``g_mean`` (decimal per year), the slope, the residual standard
        deviation, the date range and the bases fitted.

    Raises
    ------
    InputTypeError
        Text or blanks in the inputs, mismatched lengths, too many points, dates out of
        order, an unknown basis, bases mixed without ``fit_basis``, ``fit_basis`` without
        labels.
    DomainError
        A rent <= 0, fewer than 3 distinct dates, or a fitted g outside (-1, 1) (rents more
        than doubling a year).

    Notes
    -----
    OLS of y_i = ln R_i = a_basis(i) + b t_i (t in years of 365.25 days): b = sum (t - t_bar_k)
    (y - y_bar_k) / sum (t - t_bar_k)^2 over the bases k, g_trend = 1 - e^b. Residuals averaged
    over observations of one basis on one date; with the dates of each basis in order,

    .. math:: \\sigma^2 = \\frac{1}{N - 1} \\sum_k \\sum_{i} \\frac{(e_{k,i} - e_{k,i-1})^2}
              {t_{k,i} - t_{k,i-1}}

    (N increments in all; one degree of freedom used by the slope): the quadratic-variation
    estimator of a Brownian log rent around its trend. g_mean = 1 - (1 - g_trend)
    e^(sigma^2/2), the decline of the mean of that lognormal rent.

    References
    ----------
    §2.1-2.3 and the deflation section of docs/model.md.

    Examples
    --------
    >>> fit = deflation_fit(["2024-01-01", "2025-01-01", "2026-01-01"], [4.0, 2.8, 1.96])
    >>> round(fit.g_trend, 3), fit.n_points
    (0.3, 3)
    """
    days = to_day_numbers("dates", dates)
    r = np.atleast_1d(np.asarray(SCHEMA.check("rents", rents), dtype=float)).ravel()
    if days.size != r.size:
        raise InputTypeError("rents", value=None, key="length_mismatch", other="dates",
                             n_other=days.size, n=r.size)
    if r.size > MAX_FIT_POINTS:
        raise InputTypeError("rents", value=None, key="too_many", limit=MAX_FIT_POINTS,
                             n=r.size)
    back = np.flatnonzero(np.diff(days) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise InputTypeError(f"dates[{i + 1}]", f"on or after dates[{i}] ({_date_text(days[i - 1])}"
                             "): dates oldest first", None, key="order",
                             formatted=_date_text(days[i]))
    labels = _labels(basis, r.size)
    fb = None
    if fit_basis is not None:
        choices = BASES + (ALL_BASES,)
        if not isinstance(fit_basis, str) or fit_basis.strip().lower() not in choices:
            raise InputTypeError("fit_basis", " | ".join(choices), fit_basis, key="choice")
        fb = fit_basis.strip().lower()
        if labels is None and fb != ALL_BASES:
            raise InputTypeError("fit_basis", "given with basis labels (one per date)", fb,
                                 key="domain")
    keys = labels if labels is not None else [""] * r.size
    present = list(dict.fromkeys(keys))
    if fb is None and len(present) > 1:
        counts = ", ".join(f"{b} ({keys.count(b)})" for b in present)
        raise InputTypeError("basis", "one basis (or fit_basis: one of them, or all)", None,
                             formatted=f"a mix of {counts}")
    if fb not in (None, ALL_BASES):
        keep = np.array([k == fb for k in keys])
        if not keep.any():
            raise InputTypeError("fit_basis", "a basis of the observations ("
                                 + ", ".join(present) + ")", fb, key="domain")
        days, r = days[keep], r[keep]
        keys = [fb] * int(keep.sum())
        present = [fb]
    group = np.array([present.index(k) for k in keys])
    distinct = np.unique(days)
    if distinct.size < 3:
        raise DomainError("dates", value=None, key="too_few", limit="3 distinct",
                          n=int(distinct.size))
    t = (days - days.min()) / DAYS_PER_YEAR
    y = np.log(r)
    ng = len(present)
    cnt = np.bincount(group, minlength=ng)
    tm = np.bincount(group, weights=t, minlength=ng)[group] / cnt[group]
    ym = np.bincount(group, weights=y, minlength=ng)[group] / cnt[group]
    sxx = float(((t - tm) ** 2).sum())
    if sxx <= 0:
        raise DomainError("dates", value=None, key="too_few", limit="2 distinct in one basis",
                          n=1)
    slope = float(((t - tm) * (y - ym)).sum() / sxx)
    resid = y - (ym + slope * (t - tm))
    n = r.size
    dof = n - ng - 1
    resid_std = float(np.sqrt((resid ** 2).sum() / dof)) if dof > 0 else 0.0
    # volatility: increments of the residuals averaged per (basis, date)
    qv, incs = 0.0, 0
    for k in range(ng):
        mk = group == k
        dk, ek = days[mk], resid[mk]
        ud = np.unique(dk)
        idx = np.searchsorted(ud, dk)
        e = np.bincount(idx, weights=ek) / np.bincount(idx)
        qv += float((np.diff(e) ** 2 / (np.diff(ud) / DAYS_PER_YEAR)).sum())
        incs += ud.size - 1
    if incs < 2:
        raise DomainError("dates", value=None, key="too_few",
                          limit="3 distinct in one basis", n=int(incs + 1))
    vol = float(np.sqrt(qv / (incs - 1)))
    g = float(-np.expm1(slope))
    if not -1.0 < g < 1.0:
        raise DomainError("fitted deflation", "in (-1, 1) (rents at most doubling a year)", g)
    with np.errstate(over="ignore"):
        g_mean = float(1.0 - (1.0 - g) * math.exp(min(vol * vol / 2.0, 700.0)))
    start = (_epoch() + pd.Timedelta(days=float(days.min()))).date()
    end = (_epoch() + pd.Timedelta(days=float(days.max()))).date()
    return DeflationFit(g, vol, int(n), g_mean, slope, resid_std, start, end,
                        tuple(b for b in present if b))


def load_h100_rents(basis: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The shipped public H100 rent observations (from the market evidence), with sources.

    Parameters
    ----------
    basis : str or iterable of str, optional
        Keep only these rent bases (e.g. ``"1-year contract"``, ``"spot"``, ``"on-demand"``,
        ``"index"``); default every rent basis.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (datetime64), ``rent`` (USD per GPU-hour), ``basis``, ``segment``,
        ``date_precision``, ``estimate``, ``what``, ``source``, ``url``; hyperscaler list rents
        left out (a separate, sticky price); date order.
    """
    from .market import load_market_evidence
    ev = load_market_evidence("H100 SXM", RENT_BASES if basis is None else basis)
    ev = ev[ev["segment"] != "hyperscaler"].sort_values("date", kind="stable")
    return ev.rename(columns={"value": "rent", "segment": "segment"})[
        ["date", "rent", "basis", "segment", "date_precision", "estimate", "what", "source",
         "url"]].reset_index(drop=True)
