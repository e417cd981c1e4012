"""Parameter defaults, units, domains and sources: the single table behind every signature.

Each :class:`Param` declares a parameter once: its default (``None`` = required), unit, domain
(an :class:`~pymodel.validation.Interval`), a one-line description and the source of the default
(tags as in the model reference: P primary, S secondary, V vendor, D derived/design choice).
Public functions take their defaults from :data:`DEFAULTS`; the add-in's argument help and the
field tables are derived from :data:`PARAMS`.

Sections: residual value (GPU_*), coverage (DSCR), loss (LGD). Keep one entry per name; a name
shared by several models (``deflation``, ``discount_rate``) means the same thing everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .validation import Interval

__all__ = ["Param", "PARAMS", "DEFAULTS", "param", "describe"]

POS = Interval(0, None, lo_closed=False)        # > 0
NONNEG = Interval(0, None)                      # >= 0
UNIT = Interval(0, 1)                           # [0, 1]
OPEN_UNIT = Interval(0, 1, False, False)        # (0, 1)
DEFLATION = Interval(-1, 1, False, False)       # (-1, 1)
RATE = Interval(-1, None, lo_closed=False)      # > -1 (annual effective rate)
CORR = Interval(-1, 1)                          # [-1, 1]


@dataclass(frozen=True)
class Param:
    """One model parameter: default, unit, domain, description and source."""

    name: str
    default: Any
    unit: str
    domain: Interval | None
    doc: str
    source: str = "D"
    choices: tuple[str, ...] = field(default=())

    def help(self) -> str:
        """Short argument help: description, unit, domain and default (for Excel)."""
        parts = [self.doc.rstrip(".") + "."]
        if self.unit:
            parts.append(f"Unit: {self.unit}.")
        if self.choices:
            parts.append("One of " + " | ".join(self.choices) + ".")
        elif self.domain is not None:
            parts.append("Must be " + self.domain.describe() + ".")
        if self.default is not None:
            d = self.default
            if isinstance(d, (list, tuple)):
                d = "none" if not d else "; ".join(str(v) for v in d)
            parts.append(f"Default {d}.")
        return " ".join(parts)


_PARAMS: list[Param] = [
    # ---- residual value (issue: foundation) ---------------------------------------------
    Param("rent0", None, "currency per GPU-hour", POS,
          "Market rent of the GPU at the valuation date", "S: H100 1-year contract 2.35-2.65 (2026)"),
    Param("years", None, "years from the valuation date", NONNEG, "Time t at which to read the rent"),
    Param("deflation", 0.30, "decimal per year", DEFLATION,
          "Annual fractional decline g of market rent (0.30 = -30% a year; negative = rising)",
          "P: Epoch AI, hardware 30% cheaper each year at fixed performance"),
    Param("utilization", 0.85, "decimal", UNIT, "Share of hours the GPU is rented (spot utilisation u)",
          "D: model reference 10"),
    Param("cash_cost", None, "currency per GPU-hour", NONNEG,
          "Cash operating cost c: power, colocation, maintenance"),
    Param("discount_rate", 0.10, "annual effective decimal", RATE,
          "Discount rate r (annual effective)", "P/S: facility rates 0.07-0.15"),
    Param("salvage", 0.0, "currency per GPU", NONNEG, "Salvage value at the end of life"),
    Param("max_life_years", 8.0, "years", NONNEG, "Remaining physical life cap",
          "V: amcompute, useful life can reach 8 years"),
    Param("step_years", (), "years from the valuation date", NONNEG,
          "Years tau_k of generation step-downs (list)", "S: successor volume dates"),
    Param("step_downs", (), "decimal", Interval(0, 1, hi_closed=False),
          "Rent markdowns j_k at each step year (list)", "D/V: 0-0.30"),
    Param("cost", None, "currency per GPU", POS, "Purchase cost of the GPU"),
    Param("age_years", 0.0, "years", NONNEG, "Age of the GPU at the valuation date"),
    Param("life_years", 6.0, "years", POS, "Straight-line book (depreciation) life",
          "S: CoreWeave, Microsoft, Alphabet 6 years"),
    Param("book_life_years", 6.0, "years", POS, "Straight-line book (depreciation) life",
          "S: CoreWeave, Microsoft, Alphabet 6 years"),
    Param("horizon_years", 6.0, "years", POS, "Last year of the curve"),
    Param("periods_per_year", 1, "periods per year", Interval(1, 12), "Curve points per year"),
    Param("times", None, "years from the valuation date", NONNEG,
          "Future times t at which to value the GPU"),
    Param("premium", 0.11, "decimal", Interval(-1, None, lo_closed=False),
          "Old-generation rent premium per unit of throughput over parity (negative = discount)",
          "D: SDH100RT/SDB200RT 2.60/5.30 vs H100/B200 FP8 ratio, model reference 4.1"),
    Param("market_price", None, "currency per GPU", POS,
          "Observed price of one GPU (secondary market or appraisal)",
          "S: used H100 15,000-28,000 in 2026 (computeforecast.com); pymodel/data/market_evidence.csv"),
    Param("rents", None, "currency per GPU-hour", POS, "Observed market rents (one per date)",
          "S: public H100 rent observations, model reference 2.1"),
    # ---- loss: correlated LGD, IRB capital, fire-sale haircuts (issue 4) --------------------
    Param("pd", None, "decimal (one-year probability)", OPEN_UNIT,
          "Probability of default PD over one year"),
    Param("lgd", None, "decimal of EAD", UNIT, "Loss given default LGD"),
    Param("ead", None, "currency", NONNEG, "Exposure at default EAD"),
    Param("maturity", 2.5, "years", Interval(1, 5), "Effective maturity M (Basel floor 1, cap 5)",
          "P: Basel II para 318-320"),
    Param("asset_corr", None, "decimal", Interval(0, 1, hi_closed=False),
          "Obligor asset correlation R; empty = Basel corporate correlation of pd",
          "P: Basel II para 272"),
    Param("segment", "corporate", "", None, "Basel exposure class for the asset correlation",
          "P: Basel II paras 272, 328-330",
          choices=("corporate", "mortgage", "qrre", "other_retail")),
    Param("sales_eur_m", None, "EUR million a year", POS,
          "Annual turnover for the SME adjustment (clipped to [5, 50]); empty = none",
          "P: Basel II para 273"),
    Param("scaling", 1.0, "factor", Interval(1, 1.06),
          "Scaling factor on K and RW: 1 (Basel III) or 1.06 (Basel II)", "P: Basel II para 44"),
    Param("quantile", 0.999, "decimal", OPEN_UNIT,
          "Confidence level of the systematic factor", "P: Basel II para 272"),
    Param("cdr", None, "decimal", OPEN_UNIT, "Conditional default rate cDR"),
    Param("elgd", None, "decimal", Interval(0, 1, lo_closed=False), "Expected (long-run) LGD"),
    Param("rho", None, "decimal", CORR, "Correlation"),
    Param("coverage", None, "decimal of EAD", NONNEG,
          "Expected collateral value at the horizon divided by EAD (after haircuts, discounted)"),
    Param("collateral_vol", None, "decimal per sqrt(year)", NONNEG,
          "Annual volatility of the log collateral value"),
    Param("rho_collateral", 0.5, "decimal", CORR,
          "Correlation of collateral with the systematic factor (> 0 = wrong-way)",
          "D: model reference 10"),
    Param("theta", 0.0, "decimal", CORR,
          "Correlation of collateral with the obligor's idiosyncratic risk (0 = none)",
          "D: no published estimate"),
    Param("nu", 4.0, "degrees of freedom", POS, "Student-t degrees of freedom",
          "D: model reference 8.8, 11.4"),
    Param("units", None, "units (GPUs)", POS, "Number of units Q to sell"),
    Param("daily_volume", None, "units a trading day", POS,
          "Units the secondary market trades a day V"),
    Param("annual_vol", None, "decimal per sqrt(year)", NONNEG,
          "Annual volatility of the unit price"),
    Param("days_to_sell", 20.0, "business days", POS,
          "Time to sell the units (liquidation horizon)",
          "P: Basel II para 167, 20-day holding period for secured lending"),
    Param("impact_coef", 1.0, "factor", NONNEG, "Square-root impact coefficient Y",
          "P: Maitrier et al. 2025, Y of order 1"),
    Param("impact_cap", 0.9, "decimal", Interval(0, 1, hi_closed=False),
          "Cap on the market-impact haircut", "D"),
    Param("cost_per_unit", 0.0, "currency per unit", NONNEG,
          "De-installation, transport, refurbishment and broker cost per unit"),
    Param("unit_value", None, "currency per unit", POS,
          "Orderly value of one unit (needed when cost_per_unit > 0)"),
    Param("confidence", 0.99, "decimal", OPEN_UNIT,
          "Confidence level of the volatility haircut", "P: Basel II para 156, 99%"),
]

PARAMS: dict[str, Param] = {}
for _p in _PARAMS:
    if _p.name in PARAMS:
        raise RuntimeError(f"duplicate parameter {_p.name}")
    PARAMS[_p.name] = _p

#: name -> default value (``None`` = required).
DEFAULTS: dict[str, Any] = {p.name: p.default for p in PARAMS.values()}


def param(name: str) -> Param:
    """The declared :class:`Param` of ``name``."""
    return PARAMS[name]


def describe(name: str) -> str:
    """Argument help text for ``name`` (used by the add-in metadata)."""
    return PARAMS[name].help()
