"""The GPU catalogue (shipped as data) and generation step-downs by throughput parity.

The catalogue (``pymodel/data/gpu_catalogue.csv``) holds one row per SKU: vendor, announce and
volume dates, power (GPU kW and per-GPU system kW = system kW / GPUs per system), memory (GB),
dense BF16 and FP8 tensor throughput (TFLOPS), a reference price (currency per GPU), a reference
rent (currency per GPU-hour) with its date and basis, which figures are estimates, and the
sources of every row (§3 and vendor datasheets).

Step-downs (§4.1): customers pay per unit of useful throughput theta, so when a
successor ships in volume at tau the old generation reprices to

    R_old(tau+) = min(R_old(tau-), (1 + pi) R_new(tau) theta_old / theta_new),
    j = 1 - R_old(tau+) / R_old(tau-),

with pi the old generation's premium (pi < 0: discount) per unit of throughput.
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
from importlib import resources
from typing import Any

import numpy as np

from .errors import InputError, InputTypeError, NotAvailableError
from .lazy import lazy_module
from .residual import P as _RV
from .schema import NOT_GIVEN, POS, SCHEMA, Param, declare
from .validation import Interval, check_choice

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["load_catalogue", "sku_table", "sku_names", "find_sku", "gpu_spec", "FIELDS",
           "NUMERIC_FIELDS", "DATE_FIELDS", "parity_step_down", "catalogue_step_downs",
           "to_date", "year_fraction", "DAYS_PER_YEAR", "P"]

#: Days per year for converting date differences to years (Julian year).
DAYS_PER_YEAR = 365.25

NUMERIC_FIELDS = ("gpu_kw", "system_kw_per_gpu", "memory_gb", "bf16_dense_tflops",
                  "fp8_dense_tflops", "ref_price", "ref_rent")
DATE_FIELDS = ("announce_date", "volume_date", "ref_rent_date")
TEXT_FIELDS = ("sku", "vendor", "aliases", "rent_basis", "estimates", "sources")
#: Every field of a catalogue row, in file order (units in :data:`FIELD_UNITS`).
FIELDS = ("sku", "vendor", "aliases", "announce_date", "volume_date", "gpu_kw",
          "system_kw_per_gpu", "memory_gb", "bf16_dense_tflops", "fp8_dense_tflops",
          "ref_price", "ref_rent", "ref_rent_date", "rent_basis", "estimates", "sources")
FIELD_UNITS = {
    "announce_date": "date", "volume_date": "date", "ref_rent_date": "date",
    "gpu_kw": "kW per GPU", "system_kw_per_gpu": "kW per GPU (system kW / GPUs)",
    "memory_gb": "GB", "bf16_dense_tflops": "TFLOPS", "fp8_dense_tflops": "TFLOPS",
    "ref_price": "currency per GPU", "ref_rent": "currency per GPU-hour",
}
METRICS = {"fp8": "fp8_dense_tflops", "bf16": "bf16_dense_tflops"}

#: Parameters of the catalogue look-ups and of throughput parity (§3, §4.1).
P = declare(
    Param("sku", "", "GPU model as text, e.g. H100 SXM, H100, H200, B200, B300, MI300X, A100 "
          "(case, spaces and hyphens ignored; aliases accepted)", default=None, kind="text",
          empty="every SKU"),
    Param("field", "", "Catalogue field as text: announce_date, volume_date, gpu_kw, "
          "system_kw_per_gpu, memory_gb, bf16_dense_tflops, fp8_dense_tflops (TFLOPS), "
          "ref_price (per GPU), ref_rent (per GPU-hour), sources, ...", kind="text"),
    Param("valuation_date", "date", "Valuation date (a date, or ISO text such as 2026-06-30)",
          kind="date"),
    Param("premium", "decimal", "Old-generation rent premium per unit of throughput over "
          "parity (negative = discount)", Interval(-1, None, lo_closed=False), default=0.11,
          source="D: SDH100RT/SDB200RT 2.60/5.30 vs H100/B200 FP8 ratio, docs/model.md §4.1"),
    Param("metric", "", "Throughput measure for parity: dense FP8 or BF16 TFLOPS",
          default="fp8", source="D: inference runs in FP8", kind="choice",
          choices=tuple(METRICS)),
    Param("deflation_basis", "", "What g covers: total (the SKU's rent trend, generations "
          "included: a step only where a successor reprices below it) or within_generation "
          "(g between launches: each launch steps)",
          default="total", source="D: the default g is a total trend (Epoch price-performance "
          "across generations; fitted rents of one SKU)", kind="choice",
          choices=("total", "within_generation")),
    Param("same_vendor", "", "Only successors of the same vendor step the old SKU down",
          default=True, source="D: customers rarely switch vendor", kind="bool"),
    Param("rent_old", "currency per GPU-hour", "Old SKU's market rent just before the "
          "successor ships, R_old(tau-)", POS),
    Param("rent_new", "currency per GPU-hour", "Successor's market rent when it ships, "
          "R_new(tau)", POS),
    Param("throughput_old", "TFLOPS", "Useful throughput theta of the old SKU (same metric as "
          "the successor's)", POS),
    Param("throughput_new", "TFLOPS", "Useful throughput theta of the successor", POS),
)
D = {n: p.default for n, p in P.items() if p.has_default}


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


@functools.lru_cache(maxsize=1)
def _catalogue() -> pd.DataFrame:
    path = resources.files("pymodel") / "data" / "gpu_catalogue.csv"
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype={f: str for f in TEXT_FIELDS + DATE_FIELDS})
    if tuple(df.columns) != FIELDS:
        raise RuntimeError(f"gpu_catalogue.csv columns {tuple(df.columns)} != {FIELDS}")
    for f in DATE_FIELDS:
        df[f] = pd.to_datetime(df[f], format="%Y-%m-%d")
    for f in NUMERIC_FIELDS:
        df[f] = df[f].astype(float)
    return df


def load_catalogue() -> pd.DataFrame:
    """The GPU catalogue as a DataFrame (a copy): one row per SKU, columns :data:`FIELDS`.

    Dates are ``datetime64``; power in kW, memory in GB, throughput in dense TFLOPS, price in
    currency per GPU, rent in currency per GPU-hour; a missing figure (A100 has no FP8) is NaN.
    """
    return _catalogue().copy()


def sku_table() -> pd.DataFrame:
    """The catalogue for display: columns :data:`FIELDS`, dates as :class:`datetime.date`,
    missing figures NaN (what GPU_SKUS spills)."""
    df = load_catalogue()
    for f in DATE_FIELDS:
        df[f] = [d.date() for d in df[f]]
    return df


def sku_names() -> list[str]:
    """The catalogue's SKU names, in file order."""
    return _catalogue()["sku"].tolist()


@functools.lru_cache(maxsize=1)
def _alias_index() -> dict[str, str]:
    index = {}
    for _, row in _catalogue().iterrows():
        for name in [row["sku"]] + str(row["aliases"]).split(";"):
            if name.strip():
                index[_norm(name)] = row["sku"]
    return index


def find_sku(sku: Any) -> str:
    """Canonical SKU name for ``sku`` (case, spaces and hyphens ignored; aliases accepted).

    Raises
    ------
    InputTypeError
        If ``sku`` is not text or names no catalogue SKU (the message lists the SKUs).
    """
    if not isinstance(sku, str):
        raise InputTypeError("sku", value=sku, key="not_text")  # the schema's kind "text"
    found = _alias_index().get(_norm(sku))
    if found is None:
        raise InputTypeError("sku", " | ".join(sku_names()), sku, key="choice")
    return found


def gpu_spec(sku: str, field: str) -> float | str | _dt.date:
    """One figure of the catalogue.

    Parameters
    ----------
    sku : str
        SKU name or alias, e.g. ``"H100 SXM"``, ``"h100"``, ``"B200"``.
    field : str
        One of :data:`FIELDS` (case-insensitive).

    Returns
    -------
    float, str or datetime.date
        Numbers in the units of :data:`FIELD_UNITS`; dates as :class:`datetime.date`.

    Raises
    ------
    InputTypeError
        Unknown SKU or field.
    NotAvailableError
        The catalogue has no figure (e.g. FP8 throughput of the A100).
    """
    name = find_sku(sku)
    f = check_choice("field", field, FIELDS)
    value = _catalogue().set_index("sku").loc[name, f] if f != "sku" else name
    if f in NUMERIC_FIELDS:
        if not np.isfinite(value):
            raise NotAvailableError(f"{f} is not available for {name} in the catalogue")
        return float(value)
    if f in DATE_FIELDS:
        return pd.Timestamp(value).date()
    return str(value)


# --------------------------------------------------------------------------------------------
# dates
# --------------------------------------------------------------------------------------------

def to_date(name: str, value: Any) -> pd.Timestamp:
    """A date from a datetime/date/numpy datetime64/pandas Timestamp or ISO text.

    Raises :class:`InputTypeError` naming ``name`` for anything else.
    """
    if isinstance(value, (str, _dt.date, np.datetime64)) \
            and not (isinstance(value, str) and not value.strip()):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            ts = pd.NaT
        if not pd.isna(ts):
            return ts.tz_localize(None) if ts.tzinfo else ts
    raise InputTypeError(name, "a date", value, key="domain",
                         formatted=f"{value!r}" if not isinstance(value, str) else
                         f"text '{value}'")


def year_fraction(start: pd.Timestamp, end: pd.Timestamp) -> float:
    """(end - start) in years of 365.25 days."""
    return (end - start) / pd.Timedelta(days=1) / DAYS_PER_YEAR


# --------------------------------------------------------------------------------------------
# throughput parity
# --------------------------------------------------------------------------------------------

def parity_step_down(rent_old, rent_new, throughput_old, throughput_new, *,
                     premium=D["premium"]):
    """Generation step-down j of an old SKU when a new SKU ships (throughput parity).

    Parameters
    ----------
    rent_old : float or array_like
        Old SKU's market rent just before the successor ships, R_old(tau-), currency per
        GPU-hour, > 0.
    rent_new : float or array_like
        Successor's rent at tau, R_new(tau), currency per GPU-hour, > 0.
    throughput_old, throughput_new : float or array_like
        Useful throughput theta of each SKU (same metric, e.g. dense FP8 TFLOPS), > 0.
    premium : float or array_like, optional
        Old-generation premium pi per unit of throughput, decimal, > -1 (negative: a
        discount). Default 0.11 (H100 vs B200 indices mid-2026, §4.1 [D]).

    Returns
    -------
    float or ndarray
        j in [0, 1): the fractional markdown of the old SKU's rent at tau.

    Notes
    -----
    .. math::

        j = \\max\\left(0, 1 - \\frac{(1+\\pi) R_{new} \\theta_{old} / \\theta_{new}}
                                    {R_{old}}\\right)

    References
    ----------
    §4.1 (calibration SDH100RT/SDB200RT ~ 0.49 vs FP8 ratio ~ 0.44).

    Examples
    --------
    >>> round(parity_step_down(2.60, 5.30, 1979, 4500, premium=0.0), 4)
    0.1035
    """
    r_old = np.asarray(SCHEMA.check("rent_old", rent_old), dtype=float)
    r_new = np.asarray(SCHEMA.check("rent_new", rent_new), dtype=float)
    th_old = np.asarray(SCHEMA.check("throughput_old", throughput_old))
    th_new = np.asarray(SCHEMA.check("throughput_new", throughput_new))
    pi = np.asarray(SCHEMA.check("premium", premium), dtype=float)
    try:
        parity = (1.0 + pi) * r_new * th_old / th_new
        j = np.maximum(0.0, 1.0 - parity / r_old)
    except ValueError:
        raise InputTypeError("rent_new", value=None, key="length_mismatch", other="rent_old",
                             n_other=r_old.size, n=r_new.size) from None
    return float(j) if j.ndim == 0 else j


def catalogue_step_downs(sku: str, valuation_date: Any, *,
                         deflation: Any = NOT_GIVEN, premium=D["premium"],
                         metric: str = D["metric"], rent0: Any = NOT_GIVEN,
                         same_vendor: bool = D["same_vendor"],
                         deflation_basis: str = D["deflation_basis"]
                         ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Step-downs (step_years, step_downs) of ``sku`` from its catalogue successors: only what
    the deflation trend does not already contain.

    Parameters
    ----------
    sku : str
        The old SKU (name or alias).
    valuation_date : date-like
        Valuation date (datetime, date, datetime64, Timestamp or ISO text).
    deflation : float, optional
        Annual rent decline g used to roll every rent to tau, decimal in (-1, 1). Default: the
        shipped default (a total trend); required when ``deflation_basis`` is
        ``within_generation``.
    premium : float, optional
        Old-generation premium pi per unit of throughput, decimal, > -1. Default 0.11.
    metric : {"fp8", "bf16"}, optional
        Throughput measure (dense TFLOPS). If a pair lacks FP8 (A100), BF16 is used for it.
    rent0 : float, optional
        The old SKU's rent at the valuation date, currency per GPU-hour; not given: its
        catalogue reference rent rolled to the valuation date at ``deflation``.
    same_vendor : bool, optional
        Only successors of the same vendor (default True).
    deflation_basis : {"total", "within_generation"}, optional
        What g covers. ``total`` (default): g is the trend of the SKU's rent across
        generations. A successor already shipping when the old SKU's reference rent was quoted
        is priced into that rent and into the trend: no step. A later successor (not yet in
        the record) steps the old SKU down only by the excess of its parity repricing over the
        trend. ``within_generation``: g is the decline between launches (smaller, and must be
        given), and every successor after the valuation date reprices the old SKU to parity.

    Returns
    -------
    tuple of (tuple of float, tuple of float)
        Years tau_k after the valuation date (successor volume dates later than the valuation
        date, in date order) and step-downs j_k, ready for :func:`pymodel.residual.rent_path`.
        Successors with no more throughput than ``sku`` are skipped.

    Notes
    -----
    Every catalogue rent is quoted at its ``ref_rent_date`` and rolled at the common rate g:
    R_new(tau) = ref_rent_new (1-g)^(volume_date_new - ref_rent_date_new). The old rent
    before the k-th successor is on its trend and includes the earlier step-downs:
    R_old(tau_k-) = rent0 (1-g)^tau_k prod_{i<k} (1 - j_i); j_k by :func:`parity_step_down`
    (zero when the trend already has the old SKU at or below parity). With a total g the
    successors whose volume date is on or before the old SKU's ``ref_rent_date`` are skipped:
    the observed rent already carries them (the H100's mid-2026 rent is priced against the
    B200), so none of the record's launches steps any SKU down; only a successor not yet
    trading (today the catalogue's Rubin, whose rent is an estimate) can. Combining a total g
    with every launch's full repricing counts obsolescence twice.
    """
    name = find_sku(sku)
    val = to_date("valuation_date", valuation_date)
    basis = SCHEMA.check("deflation_basis", deflation_basis)
    if deflation is NOT_GIVEN:
        if basis == "within_generation":
            raise InputError("deflation (needed when deflation_basis is within_generation: "
                             "the default g is a total trend)", key="required")
        deflation = _RV["deflation"].default
    g = SCHEMA.check("deflation", deflation)
    pi = SCHEMA.check("premium", premium)
    col = METRICS[SCHEMA.check("metric", metric)]
    cat = _catalogue()
    old = cat.set_index("sku").loc[name]
    if rent0 is NOT_GIVEN:
        r0 = old["ref_rent"] * (1 - g) ** year_fraction(old["ref_rent_date"], val)
    else:
        r0 = SCHEMA.check("rent0", rent0)
    later = cat[(cat["volume_date"] > val) & (cat["sku"] != name)]
    if same_vendor:
        later = later[later["vendor"] == old["vendor"]]
    later = later.sort_values("volume_date", kind="stable")
    years, downs = [], []
    factor = 1.0
    if basis == "total":   # launches already in the market record are in the trend
        later = later[later["volume_date"] > old["ref_rent_date"]]
    for _, new in later.iterrows():
        c = col if np.isfinite(old[col]) and np.isfinite(new[col]) else METRICS["bf16"]
        if not (np.isfinite(old[c]) and np.isfinite(new[c])) or new[c] <= old[c] \
                or not np.isfinite(new["ref_rent"]):
            continue
        tau = year_fraction(val, new["volume_date"])
        r_old = r0 * (1 - g) ** tau * factor
        r_new = new["ref_rent"] * (1 - g) ** year_fraction(new["ref_rent_date"],
                                                            new["volume_date"])
        j = parity_step_down(r_old, r_new, old[c], new[c], premium=pi)
        years.append(float(tau))
        downs.append(float(j))
        factor *= 1.0 - j
    return tuple(years), tuple(downs)
