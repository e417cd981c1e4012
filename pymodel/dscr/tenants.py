"""Contracts and tenants of a deal: the tenant block, contracted cash per tenant, concentration.

GPU facilities are underwritten "customer contracts first, hardware second" (§7): the
coverage of a deal depends on who rents the fleet, for how long, at what price and how likely
each customer is to pay. A **tenant block** is a range with a header row and one contract a row
(:data:`TENANT_COLUMNS`; headers in any order, case-insensitive, the short header or the
parameter's name):

=============== ============================ ======================================================
header          parameter                    meaning
=============== ============================ ======================================================
name            tenant_name                  the tenant (rows of one name: successive contracts
                                             of that tenant on the same capacity)
share           tenant_share                 share of the fleet's GPUs let to the tenant
rate            contract_rate                contract rent per contracted GPU-hour (take-or-pay)
start, end      contract_start, contract_end years from close
renewal_prob    renewal_prob                 probability that a surviving tenant renews at expiry
renewal_share   renewal_share                renewal rent as a share of the spot rent at expiry
pd              tenant_pd                    one-year PD of the tenant
rating          tenant_rating                agency rating (investment grade: BBB-/Baa3 or better)
wrong_way_corr  wrong_way_corr               correlation of the tenant's default with the GPU
                                             market (positive: it defaults when rents are low)
backstop        backstop_share               share of the contract a guarantor (a hyperscaler
                                             backstop) takes over if the tenant defaults
backstop_pd     backstop_pd                  one-year PD of the guarantor
=============== ============================ ======================================================

The deal block's own fields ``contracted_share``, ``contract_rate``, ``contract_years`` and
``tenant_pd`` are the one-tenant case (a tenant named "contract" from close to
``contract_years``): a deal typed that way gives the same cash flows as before.

Cash flows (per period p of length D starting at t; shares of the fleet's GPU-hours):

* f_k = share of the period inside the contract window [start_k, end_k); r_k inside the
  renewal window [end_k, end_k + (end_k - start_k)) (one renewal, of the original length);
* survival S_k(t) = (1 - pd_k)^t of the tenant, G_k(t) = (1 - backstop_pd_k)^t of the guarantor;
* paying share s_k f_k S_k at rate_k; backstop share s_k f_k (1 - S_k) b_k G_k at rate_k;
  renewed share s_k r_k q_k S_k at renewal_share_k R(end_k) (q_k the renewal probability,
  R(end_k) the spot rent at expiry, fixed for the renewal);
* everything else is spot at u R_p: the fleet not let, contracts expired and not renewed, and
  the capacity of defaulted tenants (s_k f_k (1 - S_k)(1 - b_k G_k) + s_k r_k q_k (1 - S_k)),
  re-let at the spot rent expected *given* the default. With a wrong-way correlation w_k of the
  tenant's default with the GPU market and lognormal rents of volatility sigma (``rent_vol``),
  E[R_t | default by t] / E[R_t] = Phi(Phi^-1(P_k) - w_k sigma sqrt(t)) / P_k, P_k = 1 - S_k(t)
  (a Gaussian copula between the tenant's default and the rent's shock); the factor scales the
  rent of the deal's path (w_k = 0 leaves it unchanged, whatever the path stands for);
* Revenue_p = gpus H D [sum_k (paying_k + backstop_k) rate_k + sum_k renewed_k rs_k R(end_k)
  + (1 - sum_k (paying_k + backstop_k + renewed_k)) u R_p - sum_k defaulted_k (1 - m_k) u R_p].

The **stressed view** replaces survival by a named default: the tenants listed in
``default_tenants`` (all tenants when it is empty) stop paying at ``tenant_default_year``; their
guarantor pays its backstop share to the end of the contract, nothing is renewed, and the rest
of their capacity goes to spot.

Concentration (:func:`concentration`) is measured on the contracted value of each tenant
(share x rate x GPU-hours over the remaining term, the "total contract value" of public
filings): the largest tenant's share and the Herfindahl index sum_k v_k^2 of the value shares.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
from scipy.special import ndtr, ndtri

from ..errors import DomainError, InputError, InputTypeError
from ..fields import FieldSet
from ..flexibility import P as _FLEX  # noqa: F401  (declares rent_vol, the log-rent volatility)
from ..schema import CORR, NONNEG, UNIT, UNIT_OPEN_HI, Param, declare, param
from ..validation import Interval

if TYPE_CHECKING:  # pragma: no cover
    from .deal import Deal

__all__ = ["Tenants", "TENANT_COLUMNS", "TENANT_FIELDS", "HEADERS", "parse_tenants",
           "legacy_tenants", "investment_grade", "IG_RATINGS", "RATINGS", "Flows",
           "contract_flows", "window_fraction", "wrong_way_factor", "LEGACY_NAME",
           "MAX_TENANTS", "MAX_CONTRACT_YEARS", "P"]

#: Name of the one tenant of a deal typed with the deal block's own contract fields.
LEGACY_NAME = "contract"
#: Most contract rows of a tenant block.
MAX_TENANTS = 200
#: Latest contract end, years from close.
MAX_CONTRACT_YEARS = 100.0

#: Agency ratings (S&P/Fitch and Moody's scales), best first; investment grade down to BBB-/Baa3.
_SP = ("AAA", "AA+", "AA", "AA-", "A+", "A", "A-", "BBB+", "BBB", "BBB-", "BB+", "BB", "BB-",
       "B+", "B", "B-", "CCC+", "CCC", "CCC-", "CC", "C", "RD", "SD", "D")
_MOODYS = ("Aaa", "Aa1", "Aa2", "Aa3", "A1", "A2", "A3", "Baa1", "Baa2", "Baa3", "Ba1", "Ba2",
           "Ba3", "B1", "B2", "B3", "Caa1", "Caa2", "Caa3", "Ca", "C")
IG_RATINGS = frozenset(_SP[:10]) | frozenset(_MOODYS[:10])
#: Every rating text accepted (plus NR, not rated), matched case-sensitively after trimming
#: (Moody's "Ba1" and S&P "BB+" differ in case).
RATINGS = frozenset(_SP) | frozenset(_MOODYS) | {"NR"}

#: Parameters of the tenant block and of the tenant options of a deal.
P = declare(
    Param("contract_rate", "currency per GPU-hour", "Contract rent, paid for every "
          "contracted GPU-hour (take-or-pay)", NONNEG),
    Param("tenant_pd", "decimal per year", "Annual default probability of the contract "
          "tenant; expected contracted revenue is weighted by survival, the lost share re-let "
          "at spot", UNIT_OPEN_HI, default=None, empty="no tenant risk"),
    Param("tenants", "", "Tenant block: a range with a header row (name, share, rate, start, "
          "end; optional renewal_prob, renewal_share, pd, rating, wrong_way_corr, backstop, "
          "backstop_pd) and one contract a row", default=None, kind="range",
          empty="the deal's own contract fields (one tenant, or none)"),
    Param("tenant_name", "", "Name of the tenant; rows with the same name are successive "
          "contracts of that tenant on the same capacity (they must not overlap)",
          kind="text"),
    Param("tenant_share", "decimal of capacity", "Share of the fleet's GPUs let to the tenant "
          "under the contract", Interval(0, 1, lo_closed=False)),
    Param("contract_start", "years from close", "Start of the contract (0 = running at close)",
          Interval(0, MAX_CONTRACT_YEARS), default=0.0, source="D: running at close"),
    Param("contract_end", "years from close", "End of the contract (expiry)",
          Interval(0, MAX_CONTRACT_YEARS, lo_closed=False)),
    Param("renewal_prob", "decimal", "Probability that the tenant, still paying at expiry, "
          "renews for one more term of the same length", UNIT, default=0.0,
          source="D: no renewal (the capacity returns to spot at expiry)"),
    Param("renewal_share", "decimal of spot rent", "Rent of a renewal as a share of the spot "
          "rent at expiry (fixed for the renewal)", NONNEG, default=1.0,
          source="D: renews at the market rent (§6.5)"),
    Param("tenant_rating", "", "Agency rating of the tenant (S&P/Fitch AAA..D or Moody's "
          "Aaa..C; NR); investment grade is BBB-/Baa3 or better", default=None, kind="text",
          empty="unrated (counted as not investment grade)"),
    Param("wrong_way_corr", "decimal", "Correlation of the tenant's default with the GPU rent "
          "market (positive: it defaults when rents are low, so its capacity re-lets at a "
          "lower rent)", CORR, default=0.0, source="D: independent of the GPU market"),
    Param("backstop_share", "decimal", "Share of the tenant's contract payments a guarantor "
          "(e.g. a hyperscaler backstop) takes over if the tenant defaults", UNIT, default=0.0,
          source="D: no guarantor"),
    Param("backstop_pd", "decimal per year", "One-year default probability of the guarantor",
          UNIT_OPEN_HI, default=0.0, source="D: guarantor risk ignored (hyperscaler, AA)"),
    Param("default_tenants", "", "Stress: names of the tenants that default at "
          "tenant_default_year (separated by ; or ,)", default=None, kind="text",
          empty="every tenant (with tenant_default_year)"),
)

#: ``rent_vol`` when neither the deal nor the call gives one: the volatility fitted on the H100
#: 1-year contract rents of the shipped market evidence (0.49 with RENT_DEFLATION_FIT), rounded.
RENT_VOL_DEFAULT = 0.50

#: Short header -> parameter (the parameter's own name is accepted as a header too).
HEADERS = {"name": "tenant_name", "share": "tenant_share", "rate": "contract_rate",
           "start": "contract_start", "end": "contract_end", "renewal_prob": "renewal_prob",
           "renewal_share": "renewal_share", "pd": "tenant_pd", "rating": "tenant_rating",
           "wrong_way_corr": "wrong_way_corr", "backstop": "backstop_share",
           "backstop_pd": "backstop_pd"}
_SHORT = {v: k for k, v in HEADERS.items()}
#: The columns of a tenant block, in the order the listing shows them.
TENANT_COLUMNS = tuple(HEADERS)

#: The tenant block's columns as a field table (parsing of one row, and the DEAL_FIELDS
#: listing); not registered as a deal block (a tenant block is a table, not field | value).
TENANT_FIELDS = FieldSet("tenants", [param(HEADERS[h]) for h in TENANT_COLUMNS])

_NUMERIC = ("share", "rate", "start", "end", "renewal_prob", "renewal_share", "pd",
            "wrong_way_corr", "backstop", "backstop_pd")


@dataclass(frozen=True, eq=False)
class Tenants:
    """Validated contracts, one entry per row (arrays of length K; times in years from close).

    ``legacy`` is True for the one tenant built from the deal block's own contract fields.
    """

    name: tuple
    share: np.ndarray
    rate: np.ndarray
    start: np.ndarray
    end: np.ndarray
    renewal_prob: np.ndarray
    renewal_share: np.ndarray
    pd: np.ndarray
    rating: tuple
    wrong_way_corr: np.ndarray
    backstop: np.ndarray
    backstop_pd: np.ndarray
    legacy: bool = False

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tenants):
            return NotImplemented
        return all(np.array_equal(getattr(self, f), getattr(other, f)) if
                   isinstance(getattr(self, f), np.ndarray) else
                   getattr(self, f) == getattr(other, f)
                   for f in self.__dataclass_fields__)

    __hash__ = None  # type: ignore[assignment]

    @property
    def k(self) -> int:
        """Number of contract rows."""
        return len(self.name)

    def names(self) -> list[str]:
        """Distinct tenant names, in the order of first appearance."""
        return list(dict.fromkeys(self.name))

    def investment_grade(self) -> np.ndarray:
        """Per row: True if the tenant's rating is investment grade."""
        return np.array([investment_grade(r) for r in self.rating], dtype=bool)

    def rows(self, names: Sequence[str]) -> np.ndarray:
        """Per row: True if the row's tenant is one of ``names``."""
        wanted = set(names)
        return np.array([n in wanted for n in self.name], dtype=bool)


def investment_grade(tenant_rating: str | None) -> bool:
    """True for BBB-/Baa3 or better; unrated (None, "NR") is not investment grade."""
    return tenant_rating in IG_RATINGS


def _empty() -> Tenants:
    z = np.zeros(0)
    return Tenants((), z, z, z, z, z, z, z, (), z, z, z, legacy=True)


def legacy_tenants(contracted_share: float, contract_rate: float | None,
                   contract_years: float | None, tenant_pd: float | None) -> Tenants:
    """The one tenant of a deal typed with its own contract fields (none if nothing is
    contracted)."""
    if contracted_share == 0.0:
        return _empty()
    one = lambda v: np.array([float(v)])  # noqa: E731
    return Tenants((LEGACY_NAME,), one(contracted_share), one(contract_rate or 0.0), one(0.0),
                   one(contract_years or 0.0), one(0.0), one(1.0), one(tenant_pd or 0.0),
                   (None,), one(0.0), one(0.0), one(0.0), legacy=True)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _header_key(raw: Any, col: int) -> str:
    """The short header a header cell names (error with the nearest valid one otherwise)."""
    if not isinstance(raw, str) or not raw.strip():
        raise InputTypeError("tenants", value=raw, key="unknown_field",
                             hint=f" in header column {col} (the first row of the tenant "
                                  f"block names the columns: {', '.join(TENANT_COLUMNS)})")
    key = raw.strip().lower()
    if key in HEADERS:
        return key
    if key in _SHORT:
        return _SHORT[key]
    near = difflib.get_close_matches(key, list(HEADERS) + list(_SHORT), n=1, cutoff=0.5)
    hint = (f"; did you mean '{_SHORT.get(near[0], near[0])}'?" if near else
            f"; the columns are {', '.join(TENANT_COLUMNS)}")
    raise InputTypeError("tenants", value=raw, key="unknown_field", hint=hint,
                         formatted=f"'{raw.strip()}'")


def _relabel(err: InputError, where: str) -> InputError:
    """The same error, its message prefixed with the row it comes from."""
    text = err.message
    if text.startswith("tenants: "):
        text = text[len("tenants: "):]
    for long, short in _SHORT.items():  # messages name the column as the block's header does
        text = re.sub(rf"\b{long}\b", short, text)
    text = f"{where}: {text}"
    err.args = (text,)
    err.message = text
    return err


def parse_tenants(tenants: Any) -> Tenants | None:
    """Parse and validate a tenant block.

    Parameters
    ----------
    tenants : sequence of rows, or None
        A header row (see the module docstring) and one contract a row. Empty rows are
        skipped; ``None`` or an empty block means no tenant block.

    Returns
    -------
    Tenants or None

    Raises
    ------
    InputTypeError
        Unknown or repeated headers, a missing ``name``/``share``/``rate``/``end`` column or
        value, text where a number is needed, a rating that is not an agency rating.
    DomainError
        A value outside its domain (share in (0, 1], ...), an end not after the start, two
        contracts of one tenant that overlap in time, or shares of the contracts running at
        one time adding up to more than 1 (more than the whole fleet).
    """
    if tenants is None:
        return None
    if isinstance(tenants, Tenants):
        return tenants
    rows = [list(r) if isinstance(r, (list, tuple, np.ndarray)) else [r] for r in tenants]
    rows = [r for r in rows if not all(_blank(v) for v in r)]
    if not rows:
        return None
    header = rows[0]
    keys: list[str | None] = []
    for j, raw in enumerate(header, start=1):
        if _blank(raw):
            keys.append(None)  # an unused column (a note beside the block)
            continue
        key = _header_key(raw, j)
        if key in keys:
            raise InputTypeError("tenants", value=raw, key="duplicate_field",
                                 formatted=f"'{raw.strip()}' (header)")
        keys.append(key)
    for needed in ("name", "share", "rate", "end"):
        if needed not in keys:
            raise InputTypeError("tenants", value=needed, key="required_field",
                                 formatted=f"column '{needed}'",
                                 what="the header row must name it")
    body = rows[1:]
    if not body:
        raise InputTypeError("tenants", value=None, key="too_few", limit=1, n=0)
    if len(body) > MAX_TENANTS:
        raise InputTypeError("tenants", value=None, key="too_many", limit=MAX_TENANTS,
                             n=len(body))
    parsed = []
    for i, row in enumerate(body, start=1):
        row = list(row) + [None] * (len(keys) - len(row))
        pairs = [(HEADERS[k], v) for k, v in zip(keys, row) if k is not None]
        name = dict(pairs).get("tenant_name")
        where = f"tenants row {i}" + (f" ({name.strip()})" if isinstance(name, str)
                                      and name.strip() else "")
        try:
            values = TENANT_FIELDS.parse(pairs)
        except InputError as err:
            raise _relabel(err, where) from None
        rating = values["tenant_rating"]
        if rating is not None and rating not in RATINGS:
            raise InputTypeError(f"{where}: rating", "AAA..D (S&P, Fitch), Aaa..C (Moody's) "
                                 "or NR", rating, key="choice")
        if not values["contract_end"] > values["contract_start"]:
            raise DomainError(f"{where}: end", f"> start ({values['contract_start']:g})",
                              values["contract_end"])
        values["_where"] = where
        parsed.append(values)
    _check_overlaps(parsed)
    _check_total_share(parsed)
    col = lambda p: np.array([v[p] if v[p] is not None else 0.0  # noqa: E731
                              for v in parsed], dtype=float)
    return Tenants(
        tuple(v["tenant_name"] for v in parsed), col("tenant_share"), col("contract_rate"),
        col("contract_start"), col("contract_end"), col("renewal_prob"), col("renewal_share"),
        col("tenant_pd"), tuple(v["tenant_rating"] for v in parsed), col("wrong_way_corr"),
        col("backstop_share"), col("backstop_pd"))


def _check_overlaps(rows: list[dict]) -> None:
    """Rows of one tenant are successive contracts on the same capacity: no overlap."""
    by_name: dict[str, list[dict]] = {}
    for v in rows:
        by_name.setdefault(v["tenant_name"], []).append(v)
    for same in by_name.values():
        same = sorted(same, key=lambda v: v["contract_start"])
        for prev, nxt in zip(same, same[1:]):
            if nxt["contract_start"] < prev["contract_end"]:
                raise DomainError(
                    f"{nxt['_where']}: start",
                    f">= {prev['contract_end']:g}, the end of the same tenant's contract in "
                    f"{prev['_where'].split(' (')[0]} (rows of one tenant are successive "
                    "contracts on the same capacity: they must not overlap)",
                    nxt["contract_start"])


def _check_total_share(rows: list[dict]) -> None:
    """At any time the contracts running let at most the whole fleet."""
    for t in sorted({v["contract_start"] for v in rows}):
        running = [v for v in rows if v["contract_start"] <= t < v["contract_end"]]
        total = sum(v["tenant_share"] for v in running)
        if total > 1.0 + 1e-9:
            parts = " + ".join(f"{v['tenant_name']} {v['tenant_share']:g}" for v in running)
            raise DomainError("tenants: share", f"<= 1 in total for the contracts running at "
                              f"one time (at year {t:g}: {parts})", total)


# --------------------------------------------------------------------------------------------
# kernels: contracted shares per tenant and period
# --------------------------------------------------------------------------------------------

def window_fraction(t: np.ndarray, dt: float, a: np.ndarray, e: np.ndarray) -> np.ndarray:
    """Share of each period [t, t + dt) inside each window [a_k, e_k): shape (K, n)."""
    t = t[None, :]
    lo = np.maximum(a[:, None] - t, 0.0)
    hi = np.minimum(e[:, None] - t, dt)
    return np.clip((hi - lo) / dt, 0.0, 1.0)


def wrong_way_factor(p_default: np.ndarray, corr: np.ndarray, vol: float,
                     t: np.ndarray) -> np.ndarray:
    """E[R_t | default by t] / E[R_t] for lognormal rents (Gaussian copula), shape (K, n).

    m = Phi(Phi^-1(P) - w sigma sqrt(t)) / P with P the probability of default by t; 1 where
    P = 0 or w = 0.
    """
    m = np.ones_like(p_default)
    live = (p_default > 0.0) & (corr[:, None] != 0.0) & (t[None, :] > 0.0)
    if np.any(live):
        pk = np.where(live, p_default, 0.5)
        shift = (corr[:, None] * vol) * np.sqrt(np.broadcast_to(t[None, :], pk.shape))
        with np.errstate(divide="ignore", invalid="ignore"):
            m = np.where(live, ndtr(ndtri(pk) - shift) / pk, 1.0)
    return m


@dataclass(frozen=True)
class Flows:
    """Shares of the fleet's GPU-hours per tenant row and period (arrays (K, n), or None when
    the deal has nothing of the kind).

    Attributes
    ----------
    paying : ndarray
        Paid by the tenant at its contract rate.
    backstop : ndarray or None
        Paid by the guarantor at the contract rate.
    renewed : ndarray or None
        Paid by the tenant on renewal, at renewal_share x the spot rent at expiry.
    relet : ndarray or None
        Capacity of a defaulted tenant re-let at spot (kept when a wrong-way correlation makes
        its rent differ from the spot rent).
    relet_factor : ndarray or None
        Spot rent given the default over the unconditional spot rent (wrong-way factor).
    """

    paying: np.ndarray
    backstop: np.ndarray | None = None
    renewed: np.ndarray | None = None
    relet: np.ndarray | None = None
    relet_factor: np.ndarray | None = None

    def contracted(self) -> np.ndarray:
        """Share under contract (paying, backstop or renewed) per row and period."""
        out = self.paying
        if self.backstop is not None:
            out = out + self.backstop
        if self.renewed is not None:
            out = out + self.renewed
        return out

    def revenue_share(self, rate: np.ndarray, renewal_rent: np.ndarray | None = None
                      ) -> np.ndarray:
        """Contracted rent per fleet GPU-hour, per row and period (currency per GPU-hour);
        ``renewal_rent`` the rent of each row's renewal (K,)."""
        paid = self.paying if self.backstop is None else self.paying + self.backstop
        out = paid * rate[:, None]
        if self.renewed is not None:
            out = out + self.renewed * renewal_rent[:, None]
        return out

    def relet_loss(self) -> np.ndarray | None:
        """Share of the spot rent lost because defaulted capacity re-lets below it (n,)."""
        if self.relet is None:
            return None
        return (self.relet * (1.0 - self.relet_factor)).sum(axis=0)


def contract_flows(deal: "Deal", t: np.ndarray, *, stressed: bool = True,
                   default_year: float | None = None,
                   defaulted: np.ndarray | None = None) -> Flows:
    """Contracted shares of a deal's tenants at the period starts ``t`` (kernel, no
    validation). They do not depend on the spot rent (a renewal's rent does: see
    :meth:`Flows.revenue_share`).

    Parameters
    ----------
    deal : Deal
    t : ndarray
        Period starts, years from close (length n).
    stressed : bool
        Apply the deal's named-default stress (``tenant_default_year``, ``default_tenants``).
    default_year, defaulted : optional
        Override the stress: year and per-row mask of the tenants that default.
    """
    ten = deal.tenants
    dt = deal.dt
    a, e, s = ten.start, ten.end, ten.share
    if default_year is None and stressed and deal.tenant_default_year is not None:
        default_year = deal.tenant_default_year
        defaulted = deal.defaulted_rows()
    named = default_year is not None and defaulted is not None and bool(np.any(defaulted))
    e_pay = np.where(defaulted, np.minimum(e, default_year), e) if named else e
    f = window_fraction(t, dt, a, e_pay)
    surv = np.power(1.0 - ten.pd[:, None], t[None, :])
    paying = s[:, None] * f * surv
    backstop = renewed = relet = factor = None
    wrong_way = bool(np.any(ten.wrong_way_corr != 0.0))
    bg = None
    if np.any(ten.backstop > 0.0):
        bg = ten.backstop[:, None] * np.power(1.0 - ten.backstop_pd[:, None], t[None, :])
        backstop = s[:, None] * f * (1.0 - surv) * bg
        if named:  # the named defaults: the guarantor pays from the default year
            after = window_fraction(t, dt, np.maximum(a, default_year), e)
            after = np.where(defaulted[:, None], after, 0.0)
            backstop = backstop + s[:, None] * after * bg
    if wrong_way:
        relet = s[:, None] * f * (1.0 - surv) * (1.0 if bg is None else 1.0 - bg)
    if np.any(ten.renewal_prob > 0.0):
        r = window_fraction(t, dt, e, e + (e - a))
        if named:
            r = np.where(defaulted[:, None], 0.0, r)
        renewed = s[:, None] * r * ten.renewal_prob[:, None] * surv
        if wrong_way:
            relet = relet + s[:, None] * r * ten.renewal_prob[:, None] * (1.0 - surv)
    if wrong_way:
        factor = wrong_way_factor(1.0 - surv, ten.wrong_way_corr, deal.rent_vol_or_default, t)
    return Flows(paying, backstop, renewed, relet, factor)
