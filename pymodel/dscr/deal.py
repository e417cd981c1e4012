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
from . import tenants as _tenants
from .tenants import RENT_VOL_DEFAULT, Tenants, legacy_tenants, parse_tenants
from .waterfall import P as _WATERFALL  # noqa: F401  (declares the waterfall's parameters)
from ..fields import Field, field_set
from ..schema import NONNEG, POS, UNIT, UNIT_OPEN_HI, Param, declare, param
from ..validation import Interval

__all__ = ["DEAL_FIELDS", "Deal", "parse_deal", "sample_deal", "deal_fields", "P"]

#: Parameters of a deal that the residual-value and debt models do not declare.
P = declare(
    Param("gpus", "GPUs", "Number of GPUs in the fleet", Interval(1, None), kind="int"),
    Param("contracted_share", "decimal", "Share of the fleet let on take-or-pay contracts at "
          "close", UNIT, default=0.0, source="D: none (all spot)"),
    Param("contract_years", "years", "Remaining contract term from close", NONNEG),
    Param("tax_rate", "decimal", "Tax rate on EBITDA less interest (no depreciation shield)",
          UNIT_OPEN_HI, default=0.21, source="P: US federal corporate rate"),
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
    # tenants (the tenant block itself is the separate `tenants` argument), waterfall
    param("default_tenants"), param("rent_vol"), param("contract_discount_rate"),
    param("dsra_months"), param("dsra_funding"), param("lockup_dscr"), param("sweep_share"),
    param("sweep_dscr_levels"), param("sweep_dscr_shares"), param("sweep_ltv_levels"),
    param("sweep_ltv_shares"), param("prepay_ltv"), param("ltv_basis"),
], doc="Two-column range of deal field names and values (see DEAL_FIELDS): the deal's size "
       "and price are required, conventions take documented defaults",
   renamed={"balloon": "balloon_share", "periods_per_year": "payments_per_year"})


@dataclass(frozen=True)
class Deal:
    """A validated deal: one attribute per field of :data:`DEAL_FIELDS` (same units).

    ``contract_rate`` and ``contract_years`` are None when nothing is contracted and they were
    not given. ``tenants`` holds the contracts: the tenant block when one is given, else the one
    tenant of the deal's own contract fields (none when nothing is contracted).
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
    default_tenants: str | None = None
    rent_vol: float | None = None
    contract_discount_rate: float | None = None
    dsra_months: float = 0.0
    dsra_funding: str = "close"
    lockup_dscr: float | None = None
    sweep_share: float = 0.0
    sweep_dscr_levels: tuple = ()
    sweep_dscr_shares: tuple = ()
    sweep_ltv_levels: tuple = ()
    sweep_ltv_shares: tuple = ()
    prepay_ltv: float | None = None
    ltv_basis: str = "collateral"
    tenants: Tenants | None = None

    def __post_init__(self):
        """Checks across fields (each field was validated on its own when parsed)."""
        if self.tenants is None:
            object.__setattr__(self, "tenants", legacy_tenants(
                self.contracted_share, self.contract_rate, self.contract_years,
                self.tenant_pd))
        elif not self.tenants.legacy:
            for f in ("contracted_share", "contract_rate", "contract_years", "tenant_pd"):
                v = getattr(self, f)
                if v is not None and v != 0.0:
                    raise InputTypeError(f"deal_inputs: {f}", value=v, key="conflict",
                                         other="tenants", what="contracts")
        for levels, shares in (("sweep_dscr_levels", "sweep_dscr_shares"),
                               ("sweep_ltv_levels", "sweep_ltv_shares")):
            a, b = getattr(self, levels), getattr(self, shares)
            if len(a) != len(b):
                raise InputTypeError(shares, value=None, key="length_mismatch", other=levels,
                                     n_other=len(a), n=len(b))
        if self.dsra_months > 0.0 and self.debt == 0.0:
            raise DomainError("dsra_months", "0 when the deal has no debt (a reserve target is "
                              "months of debt service)", self.dsra_months)
        if self.default_tenants is not None:
            if self.tenant_default_year is None:
                raise InputTypeError("default_tenants", value=self.default_tenants,
                                     key="needs", other="tenant_default_year")
            self.defaulted_rows()  # every name is a tenant
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

    @property
    def rent_vol_or_default(self) -> float:
        """``rent_vol``, or the documented default when the deal gives none."""
        return RENT_VOL_DEFAULT if self.rent_vol is None else self.rent_vol

    @property
    def contract_rate_or_default(self) -> float:
        """``contract_discount_rate``, or the deal's ``discount_rate`` when empty."""
        return self.discount_rate if self.contract_discount_rate is None else \
            self.contract_discount_rate

    @property
    def has_sweep(self) -> bool:
        """True if any cash sweep may apply."""
        return self.sweep_share > 0.0 or any(s > 0.0 for s in self.sweep_dscr_shares) or \
            any(s > 0.0 for s in self.sweep_ltv_shares)

    @property
    def cash_flow_driven(self) -> bool:
        """True if prepayments (sweep, LTV test) make the debt service depend on the cash
        flows: the waterfall then runs on every stressed path."""
        return self.has_sweep or self.prepay_ltv is not None

    @property
    def has_waterfall(self) -> bool:
        """True if the deal has a reserve, a lock-up, a sweep or an LTV test."""
        return self.dsra_months > 0.0 or self.lockup_dscr is not None or \
            self.cash_flow_driven

    @property
    def needs_ltv_value(self) -> bool:
        """True if the waterfall tests an LTV (prepayment or LTV sweep steps)."""
        return self.prepay_ltv is not None or any(s > 0.0 for s in self.sweep_ltv_shares)

    def defaulted_rows(self) -> np.ndarray:
        """Per tenant row: True if the stress names its tenant (every tenant when
        ``default_tenants`` is empty)."""
        ten = self.tenants
        if self.default_tenants is None:
            return np.ones(ten.k, dtype=bool)
        names = [x.strip() for x in self.default_tenants.replace(",", ";").split(";")
                 if x.strip()]
        known = ten.names()
        lower = {n.lower(): n for n in known}
        picked = []
        for x in names:
            if x.lower() not in lower:
                raise InputTypeError("default_tenants", ", ".join(known) or "none",
                                     x, key="unknown_tenant")
            picked.append(lower[x.lower()])
        return ten.rows(picked)

    def replace(self, **changes: Any) -> "Deal":
        """A copy with some fields changed (cross-field checks run again)."""
        return dataclasses.replace(self, **changes)


def parse_deal(deal_inputs: Any, tenants: Any = None) -> Deal:
    """Parse a deal block into a :class:`Deal` (the one validation of a deal).

    Parameters
    ----------
    deal_inputs : Deal, mapping, or iterable of (field, value) pairs
        The deal's input block. Field names are matched case-insensitively; required fields
        must be given (see :func:`deal_fields`), optional ones take their defaults.
    tenants : sequence of rows, optional
        The tenant block (header row, one contract a row; :mod:`pymodel.dscr.tenants`). Empty:
        the deal's own contract fields are its one tenant.

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
    parsed = parse_tenants(tenants)
    if isinstance(deal_inputs, Deal):
        return deal_inputs if parsed is None else deal_inputs.replace(tenants=parsed)
    values = DEAL_FIELDS.parse([] if deal_inputs is None else deal_inputs)
    return Deal(**values, tenants=parsed)


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
    must give it), unit, description, source; then the renamed fields; then the columns of the
    tenant block (``tenants: name`` ...), the separate range the coverage functions take next
    to the deal."""
    rows = DEAL_FIELDS.table()
    for head, row in zip(_tenants.TENANT_COLUMNS, _tenants.TENANT_FIELDS.table()[1:]):
        rows.append([f"tenants: {head}"] + row[1:])
    return rows
