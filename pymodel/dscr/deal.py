"""The deal: its field table (``deal_inputs``), the validated :class:`Deal` and the sample deal.

The size and price of the deal are required (the fleet, its rent, cost and cash cost, the debt
and its rate and tenor, the contract rent and term when part of the fleet is contracted); the
rest are conventions and market assumptions with a documented default and source. A block
missing a required field is an error naming it: ``deal_inputs: 'debt' is required
(currency)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..debt import P as _DEBT  # noqa: F401  (declares the loan's parameters)
from ..debt import _period_count
from ..residual import P as _RV  # noqa: F401  (declares the GPU's parameters)
from ..errors import DomainError, InputTypeError
from ..fields import Field, field_set
from ..schema import NONNEG, POS, UNIT, UNIT_OPEN_HI, Param, declare, param
from ..validation import Interval

__all__ = ["DEAL_FIELDS", "Deal", "parse_deal", "sample_deal", "deal_fields", "P"]

#: Parameters of a deal that the residual-value and debt models do not declare.
P = declare(
    Param("gpus", "GPUs", "Number of GPUs in the fleet", Interval(1, None), kind="int"),
    Param("contracted_share", "decimal", "Share of the fleet let on take-or-pay contracts at "
          "close", UNIT, default=0.0, source="D: none (all spot)"),
    Param("contract_rate", "currency per GPU-hour", "Contract rent, paid for every "
          "contracted GPU-hour (take-or-pay)", NONNEG),
    Param("contract_years", "years", "Remaining contract term from close", NONNEG),
    Param("tax_rate", "decimal", "Tax rate on EBITDA less interest (no depreciation shield)",
          UNIT_OPEN_HI, default=0.21, source="P: US federal corporate rate"),
    Param("tenant_pd", "decimal per year", "Annual default probability of the contract "
          "tenant; expected contracted revenue is weighted by survival, the lost share re-let "
          "at spot", UNIT_OPEN_HI, default=None, empty="no tenant risk"),
    Param("tenant_default_year", "years from close", "Stress: the tenant defaults at this "
          "year and its share falls to spot", NONNEG, default=None, empty="no default"),
    Param("physical_life_years", "years", "Physical life of a GPU from new (the remaining "
          "life at close is physical_life_years - age_years)", POS, default=8.0,
          source="V: amcompute, useful life can reach 8 years"),
)


def _contracted(v: dict[str, Any]) -> bool:
    return v["contracted_share"] > 0


_WHEN = "contracted_share > 0"

#: The ``deal_inputs`` field table.
DEAL_FIELDS = field_set("deal_inputs", [
    param("gpus"), param("rent0"), param("deflation"), param("utilization"),
    param("contracted_share"),
    Field(param("contract_rate"), when=_WHEN, needed=_contracted),
    Field(param("contract_years"), when=_WHEN, needed=_contracted),
    param("cash_cost"), param("tax_rate"), param("tenant_pd"), param("tenant_default_year"),
    param("step_years"), param("step_downs"), param("debt"), param("debt_rate"),
    param("debt_years"), param("amortization"), param("balloon_share"),
    param("payments_per_year"), param("gpu_cost"), param("age_years"),
    param("book_life_years"), param("physical_life_years"), param("salvage"),
    param("discount_rate"),
], doc="Two-column range of deal field names and values (see DEAL_FIELDS): the deal's size "
       "and price are required, conventions take documented defaults",
   renamed={"balloon": "balloon_share", "periods_per_year": "payments_per_year"})


@dataclass(frozen=True)
class Deal:
    """A validated deal: one attribute per field of :data:`DEAL_FIELDS` (same units).

    ``contract_rate`` and ``contract_years`` are None when nothing is contracted and they were
    not given.
    """

    gpus: int
    rent0: float
    deflation: float
    utilization: float
    contracted_share: float
    contract_rate: float | None
    contract_years: float | None
    cash_cost: float
    tax_rate: float
    tenant_pd: float | None
    tenant_default_year: float | None
    step_years: tuple
    step_downs: tuple
    debt: float
    debt_rate: float
    debt_years: float
    amortization: str
    balloon_share: float
    payments_per_year: int
    gpu_cost: float
    age_years: float
    book_life_years: float
    physical_life_years: float
    salvage: float
    discount_rate: float

    def __post_init__(self):
        """Checks across fields (each field was validated on its own when parsed)."""
        if self.payments_per_year not in param("payments_per_year").choices:
            param("payments_per_year").check(self.payments_per_year)  # raises, with the reason
        _period_count(self.debt_years, self.payments_per_year, name="debt_years")
        if len(self.step_years) != len(self.step_downs):
            raise InputTypeError("step_downs", value=None, key="length_mismatch",
                                 other="step_years", n_other=len(self.step_years),
                                 n=len(self.step_downs))
        if self.salvage > self.gpu_cost:
            raise DomainError("salvage", f"<= gpu_cost ({self.gpu_cost:g})", self.salvage)

    @property
    def n(self) -> int:
        """Number of debt periods."""
        return int(round(self.debt_years * self.payments_per_year))

    @property
    def dt(self) -> float:
        """Period length D in years."""
        return 1.0 / self.payments_per_year

    @property
    def starts(self) -> np.ndarray:
        """Start of each period, years from close."""
        return np.arange(self.n) * self.dt

    @property
    def remaining_life(self) -> float:
        """Remaining physical life at close, years (>= 0)."""
        return max(self.physical_life_years - self.age_years, 0.0)

    @property
    def rate_per_period(self) -> float:
        """Debt interest rate per period, debt_rate / payments_per_year (decimal)."""
        return self.debt_rate / self.payments_per_year

    def steps(self, ordered: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Step-down years and markdowns as arrays (in the order given, or by year)."""
        tau = np.asarray(self.step_years, dtype=float)
        j = np.asarray(self.step_downs, dtype=float)
        if ordered:
            order = np.argsort(tau, kind="stable")
            tau, j = tau[order], j[order]
        return tau, j

    def replace(self, **changes: Any) -> "Deal":
        """A copy with some fields changed (cross-field checks run again)."""
        return dataclasses.replace(self, **changes)


def parse_deal(deal_inputs: Any) -> Deal:
    """Parse a deal block into a :class:`Deal` (the one validation of a deal).

    Parameters
    ----------
    deal_inputs : Deal, mapping, or iterable of (field, value) pairs
        The deal's input block. Field names are matched case-insensitively; required fields
        must be given (see :func:`deal_fields`), optional ones take their defaults.

    Returns
    -------
    Deal

    Raises
    ------
    InputTypeError
        Unknown or duplicated field names (the message names the nearest valid field), a
        missing required field (``deal_inputs: 'debt' is required (currency)``), text where a
        number is needed, step lists of different lengths.
    DomainError
        A value outside its domain, ``payments_per_year`` not in 1, 2, 4, 12, a tenor that is
        not a whole number of periods, a salvage value above the GPU cost.
    """
    if isinstance(deal_inputs, Deal):
        return deal_inputs
    values = DEAL_FIELDS.parse([] if deal_inputs is None else deal_inputs)
    return Deal(**values)


def sample_deal() -> dict[str, Any]:
    """A sample H100 neo-cloud facility, as a deal block would hold it (field -> value).

    The fleet is the shipped sample (:func:`pymodel.samples.load_sample_h100`,
    ``pymodel/data/sample_h100.csv``): 1,024 H100 SXM bought one year ago at 30,000 each,
    rent 2.35 per GPU-hour (1-year contract level, Mar 2026), utilisation 0.85, cash cost 0.50,
    25% a year deflation (a total trend: generations included, so no step-downs; Epoch AI
    price-performance, H100 contract rents and used-H100 prices), salvage 900, discount rate
    0.10, physical life 8 years. The
    deal terms are illustrative [D]: half the fleet on a 4-year take-or-pay contract at 2.20
    (longer terms price below the 1-year rent, §2.1; CoreWeave clusters are
    rented for about 4 years, 6.2); 16,000,000 of quarterly 4-year annuity debt (about 52% of
    cost) at 11% (CoreWeave DDTL 2.0 effective rate, §7) with a 10% balloon; tax 21%.

    Returns
    -------
    dict
        Field name -> value (step lists as text, as typed in a cell).
    """
    from ..samples import load_sample_h100
    f = load_sample_h100()
    steps = "; ".join(f"{v:g}" for v in f["step_years"])
    downs = "; ".join(f"{v:g}" for v in f["step_downs"])
    return {
        "gpus": f["gpus"], "rent0": f["rent0"], "deflation": f["deflation"],
        "utilization": f["utilization"], "contracted_share": 0.50, "contract_rate": 2.20,
        "contract_years": 4.0, "cash_cost": f["cash_cost"], "tax_rate": 0.21,
        "step_years": steps, "step_downs": downs, "debt": 16_000_000.0, "debt_rate": 0.11,
        "debt_years": 4.0, "amortization": "annuity", "balloon_share": 0.10,
        "payments_per_year": 4, "gpu_cost": f["gpu_cost"], "age_years": f["age_years"],
        "book_life_years": f["book_life_years"],
        "physical_life_years": f["age_years"] + f["max_life_years"], "salvage": f["salvage"],
        "discount_rate": f["discount_rate"],
    }


def deal_fields() -> list[list[Any]]:
    """The ``deal_inputs`` field list: header, then field, default ("required" where the deal
    must give it), unit, description, source; then the renamed fields."""
    return DEAL_FIELDS.table()
