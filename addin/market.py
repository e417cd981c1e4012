"""Market calibration functions: market-implied deflation and the shipped market evidence.

Each body makes one :mod:`pymodel` call; the adapter (:func:`addin.registry.udf`) converts the
cells, maps empty optional cells to the defaults and turns errors into clean cell text. Argument
help, units and defaults come from the model's schema.
"""

from __future__ import annotations

from pymodel import implied, market
from pymodel.errors import NotAvailableError

from .registry import CAT_RV, udf

__all__ = ["GPU_IMPLIED_DEFLATION", "GPU_MARKET_EVIDENCE"]

_TAPE = {n: "number_or_vector" for n in ("market_price", "rent0", "utilization", "cash_cost",
                                         "discount_rate", "salvage", "max_life_years")}


@udf(category=CAT_RV, kinds={**_TAPE, "step_years": "vector", "step_downs": "vector"})
def GPU_IMPLIED_DEFLATION(market_price, rent0, utilization, cash_cost, discount_rate,
                          salvage=None, max_life_years=None, step_years=None, step_downs=None):
    """Annual rent deflation (decimal) at which GPU_RV equals the observed market price: what
    the secondary market prices in. #N/A with the reason when no deflation in (-1, 1) fits.
    Column ranges give a column (a tape)."""
    res = implied.implied_deflation_table(market_price, rent0, utilization, cash_cost,
                                          discount_rate, salvage=salvage,
                                          max_life_years=max_life_years,
                                          step_years=step_years, step_downs=step_downs)
    if res.shape == ():
        if not res.solved[0]:
            raise NotAvailableError(res.reason[0])
        return float(res.deflation[0])
    return [[float(g)] if ok else [f"#N/A {why}"]
            for g, ok, why in zip(res.deflation, res.solved, res.reason)]


@udf(category=CAT_RV, kinds={"basis": "text"})
def GPU_MARKET_EVIDENCE(sku=None, basis=None):
    """The shipped public market evidence (rents per GPU-hour, used and list prices per GPU) with
    date, basis, segment, range, estimate flag, source and URL. Spills with a header row."""
    ev = market.load_market_evidence(sku, basis)
    if ev.empty:
        raise NotAvailableError(f"no shipped market evidence for sku {sku!r} and basis "
                                f"{basis!r}")
    ranges = {c: ev[c].astype(object).where(ev[c].notna(), None) for c in ("low", "high")}
    return ev.assign(date=ev["date"].dt.date, **ranges)
