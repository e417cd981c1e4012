"""Facility metrics of a whole loan tape under a market scenario, vectorised over facilities:
GPU collateral value by the income approach, economic LTV and the minimum DSCR.

The same formulas as :mod:`pymodel.dscr` (§6), restricted to what a
tape row holds, evaluated for many facilities at once (the scenario grid runs them for every
deflation x utilisation pair):

* GPU value per GPU V = :func:`pymodel.residual.income_value` (rent0, utilisation, cash_cost,
  deflation, discount_rate, salvage, remaining life = physical_life_years - age_years);
  collateral GPU value = gpus V.
* Periods p = 1..n, n = debt_years periods_per_year, D = 1/periods_per_year, t = (p-1) D;
  spot rent R_p = rent0 (1-g)^t; contracted share w_p = contracted_share
  min(max((contract_years - t)/D, 0), 1); revenue = gpus H D [w_p contract_rate + (1 - w_p) u
  R_p]; opex = gpus H D cash_cost; tax = tax_rate max(EBITDA - interest, 0);
  CFADS = EBITDA - tax; DSCR_p = CFADS_p / DS_p where DS_p > 0.
* The debt schedule (:func:`pymodel.debt.debt_schedule`: annuity, linear or bullet) is fixed at
  close and does not move with the scenario, as in :mod:`pymodel.dscr`.

Not covered here (use DSCR_TABLE for one deal): generation step-downs, tenant default, sculpted
debt. Columns are the deal parameters of the schema (same name, meaning, unit and domain as a
deal block); ``debt`` defaults to the facility's EAD, other columns to their declared defaults
(a column without a default, e.g. debt_rate, must be in the tape or the grid's [facility]).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Mapping

import numpy as np

from . import HOURS_PER_YEAR
from .debt import debt_schedule
from .lazy import lazy_module
from .schema import NOT_GIVEN, param
from .errors import DomainError, InputError
from .residual import income_value

pd = lazy_module("pandas")  # imported at first use (slow to load)

__all__ = ["COLUMNS", "HEADER_ALIASES", "RENT_COLUMNS", "Facilities", "prepare_facilities", "facility_metrics"]

#: Deal parameters a tape may carry per facility (the rest need a single deal's block).
COLUMNS = ("gpus", "rent0", "utilization", "deflation", "cash_cost", "contracted_share",
           "contract_rate", "contract_years", "tax_rate", "debt", "debt_rate", "debt_years",
           "amortization", "balloon_share", "payments_per_year", "age_years",
           "physical_life_years", "salvage", "discount_rate")
#: Other headers a tape may use for these columns (normalised header -> column): the shipped
#: portfolio template's Tape headers and British spelling.
HEADER_ALIASES = {"rent_at_close": "rent0", "utilisation": "utilization",
                  "rent_deflation": "deflation", "remaining_life": "physical_life_years"}
#: Columns without which no collateral value or DSCR can be computed from rents.
RENT_COLUMNS = ("gpus", "rent0", "cash_cost")
_AMORT = ("annuity", "linear", "bullet")
_CONTRACT = ("contract_rate", "contract_years")


@dataclass(frozen=True)
class Facilities:
    """Validated facility columns (arrays, one entry per loan) and debt schedules at close."""

    values: dict                 # column -> ndarray (amortization: array of text)
    debt_service: np.ndarray     # (loans, n_max), 0 beyond each facility's tenor
    interest: np.ndarray         # (loans, n_max)
    periods: np.ndarray          # (loans,) int
    ppy: np.ndarray              # (loans,) periods per year

    @property
    def n(self) -> int:
        return int(self.periods.size)

    def take(self, idx: np.ndarray) -> "Facilities":
        """The facilities at positions ``idx`` (a loan chunk)."""
        return replace(self, values={k: v[idx] for k, v in self.values.items()},
                       debt_service=self.debt_service[idx], interest=self.interest[idx],
                       periods=self.periods[idx], ppy=self.ppy[idx])


def prepare_facilities(columns: pd.DataFrame, ead: np.ndarray, loan_ids: Any,
                       defaults: Mapping[str, Any] | None = None) -> Facilities:
    """Validate the facility columns of a tape and build each debt schedule.

    Parameters
    ----------
    columns : DataFrame
        The tape's columns (names as :data:`COLUMNS`, matched after lower-casing; others are
        ignored), one row per facility in tape order.
    ead : ndarray
        EAD per facility (currency): the default of ``debt``.
    loan_ids : sequence
        Loan identifiers (for messages).
    defaults : mapping, optional
        Values for columns the tape does not have (e.g. from a scenario grid file); otherwise
        the parameters' declared defaults.

    Raises
    ------
    InputError
        A missing rent column (``gpus``, ``rent0``, ``cash_cost``), or a value outside its
        domain: the message names the tape row, the loan and the column.
    """
    defaults = dict(defaults or {})
    cols = {str(c).strip().lower(): c for c in columns.columns}
    missing = [c for c in RENT_COLUMNS if c not in cols and c not in defaults]
    if missing:
        raise InputError("tape", "", None, key="missing_column", formatted=", ".join(missing),
                         found=", ".join(map(str, columns.columns)) or "none")
    n = len(ead)
    vals: dict[str, Any] = {}
    for name in COLUMNS:
        spec = param(name)
        default = spec.default if spec.has_default else None
        if name in defaults:
            default = spec.check(defaults[name], label=f"[facility] {name}")
        if name == "debt" and name not in cols and name not in defaults:
            vals[name] = np.asarray(ead, dtype=float)
            continue
        if name not in cols and default is None and name not in _CONTRACT:
            raise InputError("tape", "", None, key="missing_column", formatted=name,
                             found=", ".join(map(str, columns.columns)) or "none")
        raw = columns[cols[name]].tolist() if name in cols else [None] * n
        out = []
        for r, v in enumerate(raw):
            where = f"tape row {r + 1} (loan '{loan_ids[r]}'), column {name}"
            if v is None or (isinstance(v, float) and math.isnan(v)) or (
                    isinstance(v, str) and not v.strip()):
                if default is None and name in _CONTRACT and vals["contracted_share"][r] == 0:
                    out.append(0.0)         # no contract: its rate and term do not matter
                    continue
                if default is None:
                    raise InputError(where + (" (contracted_share > 0)" if name in _CONTRACT
                                              else ""), key="required")
                out.append(default)
            else:
                out.append(spec.check(v, label=where))
        vals[name] = np.asarray(out, dtype=object if spec.kind == "choice" else float)
    for r in range(n):
        where = f"tape row {r + 1} (loan '{loan_ids[r]}'), column amortization"
        if vals["amortization"][r] not in _AMORT:
            raise DomainError(where, "annuity, linear or bullet in a scenario grid (sculpted "
                              "debt needs DSCR_TABLE)", vals["amortization"][r])
    ppy = vals["payments_per_year"].astype(int)
    scheds = []
    for r in range(n):
        try:
            scheds.append(debt_schedule(vals["debt"][r], vals["debt_rate"][r],
                                        vals["debt_years"][r],
                                        amortization=vals["amortization"][r],
                                        payments_per_year=int(ppy[r]),
                                        balloon_share=vals["balloon_share"][r]))
        except InputError as exc:
            raise DomainError(f"tape row {r + 1} (loan '{loan_ids[r]}')", "a valid debt "
                              "schedule", None, formatted=exc.message) from None
    periods = np.array([s.debt_service.size for s in scheds], dtype=int)
    nmax = int(periods.max()) if n else 0
    ds = np.zeros((n, nmax))
    it = np.zeros((n, nmax))
    for r, s in enumerate(scheds):
        ds[r, :s.debt_service.size] = s.debt_service
        it[r, :s.interest.size] = s.interest
    return Facilities(vals, ds, it, periods, ppy.astype(float))


def facility_metrics(fac: Facilities, deflation: Any = NOT_GIVEN, utilization: Any = NOT_GIVEN
                     ) -> dict[str, np.ndarray]:
    """GPU value, collateral value and minimum DSCR of every facility under one scenario.

    Parameters
    ----------
    fac : Facilities
    deflation, utilization : float, optional
        The scenario's annual rent decline g (decimal in (-1, 1)) and spot utilisation (decimal
        in [0, 1]); not given = each facility's own column.

    Returns
    -------
    dict of ndarray
        ``value_per_gpu`` (currency per GPU), ``gpu_value`` (currency, gpus x value),
        ``min_dscr`` (x; NaN where no period has debt service).
    """
    v = fac.values
    g, u = v["deflation"], v["utilization"]
    if deflation is not NOT_GIVEN and deflation is not None:
        g = np.full(fac.n, float(param("deflation").check(deflation)))
    if utilization is not NOT_GIVEN and utilization is not None:
        u = np.full(fac.n, float(param("utilization").check(utilization)))
    life = np.maximum(v["physical_life_years"] - v["age_years"], 0.0)
    value = np.asarray(income_value(v["rent0"], u, v["cash_cost"], g, v["discount_rate"],
                                    salvage=v["salvage"], max_life_years=life), dtype=float)
    value = np.broadcast_to(value, (fac.n,)).copy()
    nmax = fac.debt_service.shape[1]
    p = np.arange(nmax)[None, :]
    dt = 1.0 / fac.ppy[:, None]
    t = p * dt
    rent = v["rent0"][:, None] * np.power(1.0 - g[:, None], t)
    w = v["contracted_share"][:, None] * np.clip((v["contract_years"][:, None] - t) / dt,
                                                 0.0, 1.0)
    hours = v["gpus"][:, None] * HOURS_PER_YEAR * dt
    revenue = hours * (w * v["contract_rate"][:, None] + (1.0 - w) * u[:, None] * rent)
    ebitda = revenue - hours * v["cash_cost"][:, None]
    tax = v["tax_rate"][:, None] * np.maximum(ebitda - fac.interest, 0.0)
    cfads = ebitda - tax
    valid = (p < fac.periods[:, None]) & (fac.debt_service > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = np.where(valid, cfads / np.where(valid, fac.debt_service, 1.0), np.inf)
    mins = dscr.min(axis=1) if nmax else np.full(fac.n, np.inf)
    mins = np.where(np.isinf(mins), np.nan, mins)
    return {"value_per_gpu": value, "gpu_value": v["gpus"] * value, "min_dscr": mins}
