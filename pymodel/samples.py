"""The shipped sample deal: an H100 fleet (``pymodel/data/sample_h100.csv``).

The sample is data (field, value, unit, source), parsed through a :class:`~pymodel.fields.FieldSet`
of declared parameters (:mod:`pymodel.schema`), so the workbooks can reuse both the file and
:func:`load_sample_h100`. :func:`sample_report` runs the main job: the residual value curve next
to straight-line book value.
"""

from __future__ import annotations

import csv
from importlib import resources
from typing import Any


from .catalogue import find_sku, to_date
from .lazy import lazy_module
from .dscr.deal import P as _DEAL  # noqa: F401  (declares gpus)
from .fields import FieldSet
from .residual import economic_life, income_value, value_curve
from .schema import Param, declare, param

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["SAMPLE_FIELDS", "load_sample_h100", "sample_report"]

declare(Param("fleet", "", "Name of the fleet", default=None, kind="text", empty="unnamed"))

#: The fields of the sample file.
SAMPLE_FIELDS = FieldSet("sample", [param(n) for n in (
    "fleet", "sku", "gpus", "valuation_date", "gpu_cost", "rent0", "utilization", "cash_cost",
    "deflation", "discount_rate", "salvage", "age_years", "book_life_years", "max_life_years",
    "curve_years", "points_per_year", "step_years", "step_downs")])


def load_sample_h100() -> dict[str, Any]:
    """The sample H100 fleet inputs as a dict of typed values (units as in SAMPLE_FIELDS:
    currency per GPU, per GPU-hour, decimals, years; steps as tuples)."""
    path = resources.files("pymodel") / "data" / "sample_h100.csv"
    with path.open("r", encoding="utf-8", newline="") as fh:
        rows = [(r["field"], r["value"]) for r in csv.DictReader(fh)]
    numeric = {s.name for s in SAMPLE_FIELDS if s.kind in ("float", "int")}
    pairs = [(k, float(v) if k in numeric else v) for k, v in rows]
    values = SAMPLE_FIELDS.parse(pairs)
    values["sku"] = find_sku(values["sku"])
    values["valuation_date"] = to_date("valuation_date", values["valuation_date"]).date()
    return values


def sample_report(inputs: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """The main job: residual value curve of the sample fleet next to its book value.

    Parameters
    ----------
    inputs : dict, optional
        Inputs as from :func:`load_sample_h100` (default: the shipped sample).
    **overrides
        Replace single inputs, e.g. ``curve_years=8``.

    Returns
    -------
    dict
        ``inputs``; ``curve`` (per GPU, :func:`pymodel.residual.value_curve`);
        ``economic_life`` (years); ``value_per_gpu`` (currency); ``fleet_curve`` (the curve's
        value columns times the number of GPUs, currency for the fleet).
    """
    x = dict(load_sample_h100() if inputs is None else inputs)
    x.update(overrides)
    common = dict(salvage=x["salvage"], max_life_years=x["max_life_years"],
                  step_years=x["step_years"], step_downs=x["step_downs"])
    curve = value_curve(x["gpu_cost"], x["rent0"], x["utilization"], x["cash_cost"],
                        x["deflation"], x["discount_rate"], curve_years=x["curve_years"],
                        points_per_year=x["points_per_year"],
                        book_life_years=x["book_life_years"], age_years=x["age_years"],
                        **common)
    life = economic_life(x["rent0"], x["utilization"], x["cash_cost"], x["deflation"],
                         max_life_years=x["max_life_years"], step_years=x["step_years"],
                         step_downs=x["step_downs"])
    value = income_value(x["rent0"], x["utilization"], x["cash_cost"], x["deflation"],
                         x["discount_rate"], **common)
    fleet = curve[["year"]].copy()
    for col in ("economic value", "book value", "gap"):
        fleet[col] = curve[col] * x["gpus"]
    return {"inputs": x, "curve": curve, "economic_life": life, "value_per_gpu": value,
            "fleet_curve": pd.DataFrame(fleet)}
