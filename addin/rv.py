"""Residual value functions: GPU rent path, economic life, income value, book value, the value
curve, catalogue look-ups and the rent deflation fit.

Each body makes one :mod:`pymodel` call; the adapter (:func:`addin.registry.udf`) converts the
cells, maps empty optional cells to the defaults and turns errors into clean cell text. Argument
help, units and defaults come from the model's schema.
Dates for RENT_DEFLATION_FIT may arrive as Excel serial numbers or as datetime objects:
:func:`pymodel.deflation.deflation_fit` accepts both (and ISO text).
"""

from __future__ import annotations

from pymodel import catalogue, deflation, residual

from .registry import CAT_RV, udf

__all__ = ["GPU_RENT", "GPU_ECON_LIFE", "GPU_RV", "GPU_RV_AT", "GPU_BOOK_VALUE", "GPU_RV_CURVE",
           "GPU_SPEC", "GPU_SKUS", "RENT_DEFLATION_FIT"]

_STEPS = {"step_years": "vector", "step_downs": "vector"}


@udf(category=CAT_RV, kinds={"t_years": "number_or_vector", **_STEPS})
def GPU_RENT(rent0, t_years, deflation, step_years=None, step_downs=None):
    """Market rent at year t, currency per GPU-hour: rent0*(1-deflation)^t, times (1-step_down)
    for each step year <= t. Spills a column when t_years is a range."""
    return residual.rent_path(rent0, t_years, deflation, step_years=step_years,
                              step_downs=step_downs)


@udf(category=CAT_RV, kinds=_STEPS)
def GPU_ECON_LIFE(rent0, utilization, cash_cost, deflation, max_life_years=None,
                  step_years=None, step_downs=None):
    """Economic life in years: first time utilization*rent <= cash_cost (0 if already so),
    capped at the remaining physical life max_life_years."""
    return residual.economic_life(rent0, utilization, cash_cost, deflation,
                                  max_life_years=max_life_years, step_years=step_years,
                                  step_downs=step_downs)


_RV_TAPE = {n: "number_or_vector" for n in ("rent0", "utilization", "cash_cost", "deflation",
                                             "discount_rate", "salvage", "max_life_years")}


@udf(category=CAT_RV, kinds={**_RV_TAPE, **_STEPS, "rent_vol": "number_or_vector",
                             "avoidable_share": "number_or_vector"})
def GPU_RV(rent0, utilization, cash_cost, deflation, discount_rate, salvage=None,
           max_life_years=None, step_years=None, step_downs=None, operating_flexibility=None,
           rent_vol=None, avoidable_share=None):
    """Income value per GPU today (currency): 8760 h x (utilization*rent - cash_cost),
    discounted over the economic life, plus salvage. Exact. TRUE in operating_flexibility
    adds the option to idle (an upper bound). Column ranges give a column (a tape)."""
    return residual.income_value(rent0, utilization, cash_cost, deflation, discount_rate,
                                 salvage=salvage, max_life_years=max_life_years,
                                 step_years=step_years, step_downs=step_downs,
                                 operating_flexibility=operating_flexibility,
                                 rent_vol=rent_vol, avoidable_share=avoidable_share)


@udf(category=CAT_RV, kinds={**_RV_TAPE, **_STEPS, "t_years": "number_or_vector"})
def GPU_RV_AT(t_years, rent0, utilization, cash_cost, deflation, discount_rate, salvage=None,
              max_life_years=None, step_years=None, step_downs=None):
    """Income value per GPU at future time t (currency): the rent rolled to t, later
    step-downs shifted, life shortened by t: e.g. the collateral at default plus workout.
    Columns give a column (a tape)."""
    out = residual.economic_value_path(t_years, rent0, utilization, cash_cost, deflation,
                                       discount_rate, salvage=salvage,
                                       max_life_years=max_life_years, step_years=step_years,
                                       step_downs=step_downs)
    tape = any(isinstance(v, list) for v in (t_years, rent0, utilization, cash_cost, deflation,
                                             discount_rate, salvage, max_life_years))
    return out if tape else float(out[0])   # one cell for one GPU


@udf(category=CAT_RV)
def GPU_BOOK_VALUE(gpu_cost, age_years, book_life_years, salvage=None):
    """Straight-line book value per GPU (currency): gpu_cost - (gpu_cost - salvage) x
    min(age_years / book_life_years, 1)."""
    return residual.book_value(gpu_cost, age_years, book_life_years, salvage=salvage)


@udf(category=CAT_RV, kinds=_STEPS)
def GPU_RV_CURVE(gpu_cost, rent0, utilization, cash_cost, deflation, discount_rate,
                 curve_years=None, points_per_year=None, book_life_years=None,
                 age_years=None, salvage=None, max_life_years=None, step_years=None,
                 step_downs=None, market_sku=None, curve_date=None):
    """Table by year t: market rent, economic value, book value at age+t, gap = book -
    economic, economic/book; with market_sku and curve_date also the shipped used-GPU market
    price near each date and its quote count. Spills."""
    return residual.value_curve(gpu_cost, rent0, utilization, cash_cost, deflation,
                                discount_rate, curve_years=curve_years,
                                points_per_year=points_per_year,
                                book_life_years=book_life_years, age_years=age_years,
                                salvage=salvage, max_life_years=max_life_years,
                                step_years=step_years, step_downs=step_downs,
                                market_sku=market_sku, curve_date=curve_date)


@udf(category=CAT_RV)
def GPU_SPEC(sku, field):
    """One figure of the GPU catalogue: power in kW, memory in GB, dense throughput in TFLOPS,
    price per GPU, rent per GPU-hour, dates as ISO text, sources. #N/A if not published."""
    return catalogue.gpu_spec(sku, field)


@udf(category=CAT_RV)
def GPU_SKUS():
    """The GPU catalogue with a header row: SKU, dates, power (kW), memory (GB), dense BF16 and
    FP8 TFLOPS, reference price and rent, estimates and sources. Spills."""
    return catalogue.sku_table()


@udf(category=CAT_RV, kinds={"rents": "vector"})
def RENT_DEFLATION_FIT(dates, rents, basis=None, fit_basis=None):
    """One row: g_trend (decline of the trend/median rent path, the g GPU_RV takes), volatility
    of log rent (per sqrt-year), points, g_mean (decline of the mean rent). Dates oldest first;
    one basis unless fit_basis says which (or all)."""
    return [deflation.deflation_fit(dates, rents, basis, fit_basis=fit_basis).row()]
