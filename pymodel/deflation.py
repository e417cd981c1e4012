"""Rent deflation from observed (date, rent) pairs: log-linear regression.

Fit ln R_i = a + b t_i by ordinary least squares (t in years of 365.25 days). The annual
fractional decline is g = 1 - e^b (so R(t) = R0 (1-g)^t, the project convention).

Volatility of log rent (our definition, documented in :func:`deflation_fit`): the detrended
log rent e_i = ln R_i - (a + b t_i) is read as a Brownian motion, and

    sigma^2 = 1/(m - 2) * sum_i (e_i - e_{i-1})^2 / (t_i - t_{i-1})

over the m distinct dates (log rents observed on the same date are averaged first). sigma is an
annual volatility (decimal per square-root year), the quantity a lognormal rent model
ln R(t) ~ N(ln R0 - delta t, sigma^2 t) needs; it is not the residual standard deviation, which
measures dispersion around the trend in log points and does not scale with time.

Public H100 observations (model reference 2.1) ship as ``pymodel/data/h100_rents.csv``; they mix
spot, on-demand and contract rents and several dates are approximate (column
``date_precision``).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any, Iterable

import numpy as np
import pandas as pd

from .errors import DomainError, InputTypeError
from .schema import POS, SCHEMA, Param, declare

__all__ = ["DeflationFit", "deflation_fit", "load_h100_rents", "to_day_numbers",
           "MAX_FIT_POINTS", "EXCEL_EPOCH", "P"]

#: Most observations one fit accepts.
MAX_FIT_POINTS = 10_000
#: Day 0 of Excel's 1900 date system (serial 1 = 1900-01-01, Lotus leap-year bug included).
EXCEL_EPOCH = pd.Timestamp("1899-12-30")
DAYS_PER_YEAR = 365.25

#: Parameters of the deflation fit (model reference, sections 2.1-2.3).
P = declare(
    Param("dates", "date", "Observation dates: a row or column of Excel dates (serial numbers "
          "or date cells) or ISO text; at least 3 distinct dates", kind="range"),
    Param("rents", "currency per GPU-hour", "Observed market rents, one per date (at most "
          "10000)", POS),
    Param("basis", "", "Basis of the observations, what the figures are: spot, on-demand, "
          "1-year contract, 3-year contract, index (rents); list, used sale, refurbished "
          "(prices)", default=None, kind="range", empty="every basis"),
)


@dataclass(frozen=True)
class DeflationFit:
    """Result of :func:`deflation_fit`.

    Attributes
    ----------
    deflation : float
        Annual fractional rent decline g = 1 - e^b, decimal per year (negative: rising).
    volatility : float
        Annual volatility of detrended log rent, decimal per square-root year.
    n_points : int
        Number of observations used.
    log_slope : float
        b, the fitted slope of ln R per year.
    residual_std : float
        Standard deviation of the regression residuals (ddof 2), log points.
    start, end : datetime.date
        First and last observation date.
    """

    deflation: float
    volatility: float
    n_points: int
    log_slope: float
    residual_std: float
    start: _dt.date
    end: _dt.date

    def row(self) -> list[float]:
        """[g, volatility, n_points], as RENT_DEFLATION_FIT shows it."""
        return [self.deflation, self.volatility, float(self.n_points)]


def _day_number(name: str, v: Any) -> float:
    if isinstance(v, (bool, np.bool_)) or v is None:
        raise InputTypeError(name, "a date or a day number", v, key="domain")
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise DomainError(name, "a finite day number", f, key="domain")
        return f
    if isinstance(v, (str, _dt.date, np.datetime64, pd.Timestamp)) and not (
            isinstance(v, str) and not v.strip()):
        try:
            ts = pd.Timestamp(v)
        except (ValueError, TypeError):
            ts = pd.NaT
        if not pd.isna(ts):
            ts = ts.tz_localize(None) if ts.tzinfo else ts
            return (ts - EXCEL_EPOCH) / pd.Timedelta(days=1)
    raise InputTypeError(name, "a date or a day number", v, key="domain")


def to_day_numbers(name: str, dates: Iterable[Any]) -> np.ndarray:
    """Dates as day numbers on Excel's 1900 serial scale (only differences matter).

    Numbers are taken as day numbers (Excel date serials); ``datetime``/``date``, numpy
    ``datetime64``, pandas ``Timestamp`` and ISO text become days since 1899-12-30, so a mix
    of Excel serials and date objects is consistent. A single row or column (or a flat
    sequence) is expected; trailing empty cells (``None`` or blank text) are dropped.
    """
    if isinstance(dates, np.ndarray) and np.issubdtype(dates.dtype, np.datetime64):
        return ((dates - np.datetime64(EXCEL_EPOCH.to_datetime64()))
                / np.timedelta64(1, "D")).astype(float).ravel()
    if isinstance(dates, (str, bytes, _dt.date)) or np.ndim(dates) == 0:
        dates = [dates]
    if isinstance(dates, pd.Series):
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


def deflation_fit(dates: Any, rents: Any) -> DeflationFit:
    """Annual rent deflation and log-rent volatility from observed (date, rent) pairs.

    Parameters
    ----------
    dates : sequence of date-like or numbers
        Observation dates: ``datetime``/``date``, ``datetime64``, ``Timestamp``, ISO text, or
        numbers taken as day numbers (Excel date serials). At least 3 distinct dates.
    rents : sequence of float
        Observed rents, currency per GPU-hour, > 0; same length as ``dates``
        (at most :data:`MAX_FIT_POINTS`).

    Returns
    -------
    DeflationFit
        ``deflation`` g (decimal per year), ``volatility`` (decimal per sqrt-year),
        ``n_points``, plus the slope, residual standard deviation and date range.

    Raises
    ------
    InputTypeError
        Text or blanks in the inputs, mismatched lengths, too many points.
    DomainError
        A rent <= 0, fewer than 3 distinct dates, or a fitted g outside (-1, 1) (rents more
        than doubling a year).

    Notes
    -----
    OLS of y_i = ln R_i on t_i (years, 365.25 days): slope b, g = 1 - e^b. Residuals
    e_i = y_i - a - b t_i, averaged over observations sharing a date; with m distinct dates
    in order,

    .. math:: \\sigma^2 = \\frac{1}{m-2} \\sum_{i=2}^{m} \\frac{(e_i - e_{i-1})^2}{t_i - t_{i-1}}

    the quadratic-variation estimator of a Brownian log rent around its trend (one degree of
    freedom used by the slope).

    References
    ----------
    Model reference, sections 2.1-2.3 (H100 observations; g conventions).

    Examples
    --------
    >>> fit = deflation_fit(["2024-01-01", "2025-01-01", "2026-01-01"], [4.0, 2.8, 1.96])
    >>> round(fit.deflation, 3), fit.n_points
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
    distinct = np.unique(days)
    if distinct.size < 3:
        raise DomainError("dates", value=None, key="too_few", limit="3 distinct",
                         n=int(distinct.size))
    t = (days - days.min()) / DAYS_PER_YEAR
    y = np.log(r)
    tm, ym = t.mean(), y.mean()
    slope = float(((t - tm) * (y - ym)).sum() / ((t - tm) ** 2).sum())
    resid = y - (ym + slope * (t - tm))
    n, m = r.size, distinct.size
    resid_std = float(np.sqrt((resid ** 2).sum() / (n - 2))) if n > 2 else 0.0
    # volatility from increments of the date-averaged residuals
    idx = np.searchsorted(distinct, days)
    e = np.bincount(idx, weights=resid) / np.bincount(idx)
    dt = np.diff(distinct) / DAYS_PER_YEAR
    vol = float(np.sqrt((np.diff(e) ** 2 / dt).sum() / (m - 2)))
    g = float(-np.expm1(slope))
    if not -1.0 < g < 1.0:
        raise DomainError("fitted deflation", "in (-1, 1) (rents at most doubling a year)", g)
    start = (EXCEL_EPOCH + pd.Timedelta(days=float(days.min()))).date()
    end = (EXCEL_EPOCH + pd.Timedelta(days=float(days.max()))).date()
    return DeflationFit(g, vol, int(n), slope, resid_std, start, end)


def load_h100_rents(basis: str | Iterable[str] | None = None) -> pd.DataFrame:
    """The shipped public H100 rent observations (model reference 2.1), with sources.

    Parameters
    ----------
    basis : str or iterable of str, optional
        Keep only these bases (e.g. ``"1-year contract"``, ``"spot"``, ``"on-demand"``,
        ``"index"``); default all rows.

    Returns
    -------
    pandas.DataFrame
        Columns ``date`` (datetime64), ``rent`` (USD per GPU-hour), ``basis``,
        ``date_precision``, ``what``, ``source``.
    """
    path = resources.files("pymodel") / "data" / "h100_rents.csv"
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, parse_dates=["date"])
    if basis is not None:
        keep = [basis] if isinstance(basis, str) else list(basis)
        df = df[df["basis"].isin(keep)].reset_index(drop=True)
    return df
