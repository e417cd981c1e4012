"""Market evidence shipped as data: GPU rents, used-GPU prices and list prices, with sources.

``pymodel/data/market_evidence.csv`` holds one observation a row. Columns:

``date``
    Observation date, ISO ``YYYY-MM-DD`` (a nominal day when the source gives a month, quarter
    or year: see ``date_precision``).
``sku``
    Catalogue SKU family (:func:`pymodel.catalogue.sku_names`), e.g. ``H100 SXM``.
``variant``
    The board as the source names it (memory, SXM or PCIe, instance type); ``unspecified``
    when the source does not say.
``basis``
    What the number is (:data:`BASES`): rents ``spot``, ``on-demand``, ``1-year contract``,
    ``3-year contract``, ``index``; prices ``list`` (new units, list or street), ``used sale``,
    ``refurbished``. Bases are never mixed in one series (a spot rent and a 1-year contract
    rent are different prices of different products).
``segment``
    Who quotes it (:data:`SEGMENTS`): ``hyperscaler``, ``neocloud``, ``marketplace`` (peer or
    community hosts), ``mixed`` (a cross-provider median or an index), ``secondary`` (resale
    market), ``channel`` (new units through OEMs and resellers).
``value``, ``low``, ``high``
    The figure in ``unit``; ``low``/``high`` the published range when the source gives one
    (then ``value`` is its midpoint and ``estimate`` is true).
``unit``
    ``USD per GPU-hour`` for rent bases, ``USD per GPU`` for price bases.
``estimate``
    ``true`` when the value is not a quote read as published: a range midpoint, an "about",
    "above" or "as high as" figure, a vendor model output, a per-GPU share of a system price.
``date_precision``
    ``day``, ``month``, ``quarter`` or ``year``: how precisely the source dates the figure.
``what``, ``source``, ``url``
    What the figure is, the source (tag P primary, S secondary, V vendor as in the model
    reference) and where to find it.

:func:`load_market_evidence` reads and validates the file (or any file in the same layout) and
filters it; :func:`market_series` returns one (SKU, basis) series ready for a fit. Validation
errors name the row (file line) and column.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
import os
from importlib import resources
from typing import Any, Iterable

import numpy as np

from .catalogue import find_sku, sku_names
from .deflation import BASES, PRICE_BASES, RENT_BASES
from .deflation import P as _FIT  # noqa: F401  (declares basis)
from .errors import DomainError, InputTypeError
from .lazy import lazy_module
from .schema import POS, SCHEMA, Param, declare

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["BASES", "RENT_BASES", "PRICE_BASES", "SEGMENTS", "PRECISIONS", "COLUMNS", "UNITS",
           "load_market_evidence", "validate_market_evidence", "market_series", "basis_unit",
           "observed_prices", "MARKET_WINDOW_YEARS",
           "MARKET_EVIDENCE_FILE"]

#: Who quotes the figure.
SEGMENTS = ("hyperscaler", "neocloud", "marketplace", "mixed", "secondary", "channel")
#: How precisely the source dates the figure.
PRECISIONS = ("day", "month", "quarter", "year")
#: Unit text by kind of basis.
UNITS = {"rent": "USD per GPU-hour", "price": "USD per GPU"}
#: Columns of the evidence file, in order.
COLUMNS = ("date", "sku", "variant", "basis", "segment", "value", "low", "high", "unit",
           "estimate", "date_precision", "what", "source", "url")
#: File name of the shipped evidence (in ``pymodel/data``).
MARKET_EVIDENCE_FILE = "market_evidence.csv"

_TEXT = ("sku", "variant", "basis", "segment", "unit", "date_precision", "what", "source", "url")

#: Parameters of the evidence look-ups (``basis`` and ``sku`` are declared by the rent fit and
#: the catalogue).
P = declare(
    Param("market_segment", "", "Who quotes the figure: hyperscaler, neocloud, marketplace, "
          "mixed, secondary or channel (the evidence's segment column)", default=None,
          kind="range", empty="every segment"),
    Param("exclude_segments", "", "Market segments left out of a series when no "
          "market_segment is given", default=("hyperscaler",), kind="range",
          source="D: hyperscaler list rents are a separate, sticky price"),
    Param("estimates", "", "Keep observations flagged as estimates (range midpoints, "
          "'about' figures, model outputs)", default=True, kind="bool",
          source="D: keep them, flagged"),
    Param("path", "", "A CSV file in the layout of the shipped market evidence", default=None,
          kind="text", empty="the shipped pymodel/data/market_evidence.csv"),
    Param("read_dates", "date", "Dates at which to read the shipped market prices",
          kind="range"),
    Param("window_years", "years", "Half-width of the window of quote dates around each date "
          "read", POS, default=0.5, source="D: quotes are sparse; half a year either side"),
    Param("evidence", "", "A market evidence table (as load_market_evidence returns)",
          default=None, kind="range", empty="the shipped market evidence"),
)


def basis_unit(basis: str) -> str:
    """The unit of a basis: ``USD per GPU-hour`` for rents, ``USD per GPU`` for prices."""
    return UNITS["rent"] if basis in RENT_BASES else UNITS["price"]


def _where(i: int, column: str) -> str:
    return f"market evidence line {i + 2} ({column})"   # +1 header, +1 one-based


def _choice_check(df: pd.DataFrame, column: str, allowed: tuple[str, ...]) -> None:
    bad = ~df[column].isin(allowed)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputTypeError(_where(i, column), " | ".join(allowed), df[column].iloc[i],
                             key="choice")


def _parse_date(i: int, text: str) -> pd.Timestamp:
    try:
        return pd.Timestamp(_dt.date.fromisoformat(text.strip()))
    except (ValueError, AttributeError):
        raise InputTypeError(_where(i, "date"), "an ISO date YYYY-MM-DD", text,
                             key="domain") from None


def _parse_number(i: int, column: str, text: str, *, required: bool) -> float:
    text = text.strip()
    if not text:
        if required:
            raise InputTypeError(_where(i, column), value=None, key="required")
        return math.nan
    try:
        x = float(text)
    except ValueError:
        raise InputTypeError(_where(i, column), value=text, key="not_number") from None
    if not math.isfinite(x) or x <= 0:
        raise DomainError(_where(i, column), "> 0 and finite", x)
    return x


def validate_market_evidence(raw: pd.DataFrame) -> pd.DataFrame:
    """Check an evidence table read as text and return it typed.

    Parameters
    ----------
    raw : pandas.DataFrame
        Columns :data:`COLUMNS`, every cell as text (empty text for an empty cell).

    Returns
    -------
    pandas.DataFrame
        ``date`` as ``datetime64``; ``value``, ``low``, ``high`` as float (NaN: no range);
        ``estimate`` as bool; ``sku`` in its catalogue spelling; the other columns as text.

    Raises
    ------
    InputTypeError
        Missing or extra columns, a date that is not ISO, an unknown SKU, basis, segment or
        precision, a unit that does not match the basis, text where a number is needed, an
        empty source or URL, an ``estimate`` other than true/false.
    DomainError
        A value, low or high that is not a positive finite number, or a value outside its
        published range.
    """
    if tuple(raw.columns) != COLUMNS:
        raise InputTypeError("market evidence columns", ", ".join(COLUMNS),
                             ", ".join(map(str, raw.columns)), key="domain")
    df = raw.copy()
    for c in COLUMNS:
        df[c] = df[c].fillna("").astype(str)
    for c in _TEXT:
        df[c] = df[c].str.strip()
    if df.empty:
        raise InputTypeError("market evidence", value=None, key="too_few", limit=1, n=0)
    skus = {s.lower(): s for s in sku_names()}
    canon = []
    for i, s in enumerate(df["sku"]):
        try:
            canon.append(find_sku(s))
        except InputTypeError:
            raise InputTypeError(_where(i, "sku"), " | ".join(skus.values()), s,
                                 key="choice") from None
    df["sku"] = canon
    _choice_check(df, "basis", BASES)
    _choice_check(df, "segment", SEGMENTS)
    _choice_check(df, "date_precision", PRECISIONS)
    dates, values, lows, highs, est = [], [], [], [], []
    for i, row in enumerate(df.itertuples(index=False)):
        dates.append(_parse_date(i, row.date))
        v = _parse_number(i, "value", row.value, required=True)
        lo = _parse_number(i, "low", row.low, required=False)
        hi = _parse_number(i, "high", row.high, required=False)
        if math.isnan(lo) != math.isnan(hi):
            raise InputTypeError(_where(i, "low" if math.isnan(lo) else "high"), value=None,
                                 key="required")
        if not math.isnan(lo) and not lo <= v <= hi:
            raise DomainError(_where(i, "value"), f"in [low, high] = [{lo:g}, {hi:g}]", v)
        unit = basis_unit(row.basis)
        if row.unit != unit:
            raise InputTypeError(_where(i, "unit"), f"'{unit}' for basis {row.basis}",
                                 row.unit, key="domain")
        flag = row.estimate.strip().lower()
        if flag not in ("true", "false"):
            raise InputTypeError(_where(i, "estimate"), "true | false", row.estimate,
                                 key="choice")
        if not math.isnan(lo) and flag != "true":
            raise InputTypeError(_where(i, "estimate"),
                                 "true when a range is given (value = its midpoint)",
                                 row.estimate, key="domain")
        for c in ("source", "url", "what"):
            if not getattr(row, c):
                raise InputTypeError(_where(i, c), value=None, key="required")
        values.append(v)
        lows.append(lo)
        highs.append(hi)
        est.append(flag == "true")
    df["date"] = pd.to_datetime(pd.Series(dates, index=df.index))
    df["value"] = np.asarray(values, dtype=float)
    df["low"] = np.asarray(lows, dtype=float)
    df["high"] = np.asarray(highs, dtype=float)
    df["estimate"] = np.asarray(est, dtype=bool)
    return df


def _as_tuple(name: str, value: str | Iterable[str] | None,
              allowed: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    items = (value,) if isinstance(value, str) else tuple(value)
    out = []
    for v in items:
        if not isinstance(v, str):
            raise InputTypeError(name, value=v, key="not_text")
        if allowed is not None:
            match = [a for a in allowed if a.lower() == v.strip().lower()]
            if not match:
                raise InputTypeError(name, " | ".join(allowed), v, key="choice")
            out.append(match[0])
        else:
            out.append(v)
    return tuple(out)


@functools.lru_cache(maxsize=1)
def _shipped() -> pd.DataFrame:
    ref = resources.files("pymodel") / "data" / MARKET_EVIDENCE_FILE
    with ref.open("r", encoding="utf-8") as fh:
        return validate_market_evidence(pd.read_csv(fh, dtype=str, keep_default_na=False))


def load_market_evidence(sku: str | Iterable[str] | None = None,
                         basis: str | Iterable[str] | None = None, *,
                         market_segment: str | Iterable[str] | None = None,
                         estimates: bool = True,
                         path: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """The shipped market evidence (or a file in the same layout), validated and filtered.

    Parameters
    ----------
    sku : str or iterable of str, optional
        Keep these SKUs (catalogue names or aliases, e.g. ``"H100"``). Default: all.
    basis : str or iterable of str, optional
        Keep these bases (:data:`BASES`). Default: all.
    market_segment : str or iterable of str, optional
        Keep these segments (:data:`SEGMENTS`). Default: all.
    estimates : bool, optional
        False drops rows flagged ``estimate``. Default True (keep them).
    path : path-like, optional
        Read this CSV instead of the shipped ``pymodel/data/market_evidence.csv``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COLUMNS` (typed as in :func:`validate_market_evidence`), sorted by SKU,
        date and basis, index reset.

    Examples
    --------
    >>> ev = load_market_evidence("H100", "1-year contract")
    >>> sorted(set(ev["basis"]))
    ['1-year contract']
    """
    if path is None:
        df = _shipped().copy()
    else:
        df = validate_market_evidence(pd.read_csv(os.fspath(path), dtype=str,
                                                  keep_default_na=False))
    skus = _as_tuple("sku", sku, None)
    if skus is not None:
        wanted = {find_sku(s) for s in skus}
        df = df[df["sku"].isin(wanted)]
    bases = _as_tuple("basis", basis, BASES)
    if bases is not None:
        df = df[df["basis"].isin(bases)]
    segs = _as_tuple("market_segment", market_segment, SEGMENTS)
    if segs is not None:
        df = df[df["segment"].isin(segs)]
    if not estimates:
        df = df[~df["estimate"]]
    return df.sort_values(["sku", "date", "basis", "segment"], kind="stable").reset_index(
        drop=True)


def market_series(sku: str, basis: str, *,
                  market_segment: str | Iterable[str] | None = None,
                  exclude_segments: Iterable[str] = ("hyperscaler",),
                  evidence: pd.DataFrame | None = None) -> pd.DataFrame:
    """One observation series: a single SKU and a single basis, in date order.

    Parameters
    ----------
    sku : str
        Catalogue SKU or alias.
    basis : str
        One basis of :data:`BASES` (a series never mixes bases).
    market_segment : str or iterable of str, optional
        Keep only these segments. Default: every segment not in ``exclude_segments``.
    exclude_segments : iterable of str, optional
        Segments left out when ``market_segment`` is not given. Default ``("hyperscaler",)``:
        hyperscaler list rents are a separate, sticky price several times the neocloud rent.
    evidence : pandas.DataFrame, optional
        A table from :func:`load_market_evidence` (default: the shipped evidence).

    Returns
    -------
    pandas.DataFrame
        Columns ``date``, ``value``, ``estimate``, ``segment``, ``source`` (date order).
    """
    (b,) = _as_tuple("basis", basis, BASES)
    ev = load_market_evidence() if evidence is None else evidence
    df = ev[(ev["sku"] == find_sku(sku)) & (ev["basis"] == b)]
    if market_segment is not None:
        df = df[df["segment"].isin(_as_tuple("market_segment", market_segment, SEGMENTS))]
    else:
        df = df[~df["segment"].isin(_as_tuple("exclude_segments", tuple(exclude_segments),
                                              SEGMENTS) or ())]
    return df.sort_values("date", kind="stable")[
        ["date", "value", "estimate", "segment", "source"]].reset_index(drop=True)


#: Half-width of the window of observation dates around a curve date, years.
MARKET_WINDOW_YEARS = P["window_years"].default


def observed_prices(sku: str, read_dates: Any, *, window_years: float = MARKET_WINDOW_YEARS,
                    evidence: pd.DataFrame | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Median shipped secondary-market price of ``sku`` around each date, and how many quotes.

    Parameters
    ----------
    sku : str
        Catalogue SKU or alias.
    read_dates : sequence of date-like
        The dates to read (e.g. the valuation date plus each year of a value curve).
    window_years : float, optional
        Quotes of used sales and refurbished units dated within this many years either side
        count, years, > 0. Default 0.5.
    evidence : pandas.DataFrame, optional
        A table from :func:`load_market_evidence` (default: the shipped evidence).

    Returns
    -------
    median : numpy.ndarray
        Median price per GPU (currency per GPU) of the quotes in each window; NaN where none.
    count : numpy.ndarray
        Number of quotes in each window (int).
    """
    ev = load_market_evidence() if evidence is None else evidence
    window_years = SCHEMA.check("window_years", window_years)
    rows = ev[(ev["sku"] == find_sku(sku)) & ev["basis"].isin(("used sale", "refurbished"))]
    when = pd.to_datetime(pd.Series(list(read_dates)))
    obs_days = rows["date"].to_numpy(dtype="datetime64[D]").astype(float)
    vals = rows["value"].to_numpy(dtype=float)
    med = np.full(len(when), np.nan)
    cnt = np.zeros(len(when), dtype=int)
    half = window_years * 365.25
    for i, d in enumerate(when.to_numpy(dtype="datetime64[D]").astype(float)):
        near = np.abs(obs_days - d) <= half
        cnt[i] = int(near.sum())
        if cnt[i]:
            med[i] = float(np.median(vals[near]))
    return med, cnt

