"""Pricing against capital: the hurdle spread and the RAROC of a facility.

The fair spread of :func:`pymodel.irb.fair_spread`, -ln(1 - PD) LGD, pays for expected loss
only: every facility of a book prices above it, so it cannot say whether a margin pays for the
risk. A lender prices to a return on the capital the loan consumes (risk-adjusted return on
capital, RAROC). Per unit of exposure and per year (decimals):

    income      = margin (1 - cost_ratio) - funding_spread - EL
    RAROC       = income / capital
    hurdle spread s_h: RAROC(s_h) = hurdle, i.e.
                  s_h = (EL + funding_spread + hurdle x capital) / (1 - cost_ratio)

with EL = -ln(1 - PD) LGD (the fair spread, continuous), ``capital`` the capital held per unit
of exposure (Basel IRB K, or the model's own: LGD_CAPITAL, a Monte Carlo unexpected loss),
``cost_ratio`` the operating cost as a share of the margin (a cost-income ratio),
``funding_spread`` the lender's funding cost above the base rate the margin is quoted over, and
``hurdle`` the required return on capital (the cost of equity). The capital is assumed to
earn nothing itself (no credit for the base rate it saves in funding: a conservative RAROC).

Every function is vectorised: numbers or equal-length columns (a loan tape) broadcast together.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import DomainError
from .irb import P as _IRB  # noqa: F401  (declares pd, lgd)
from .irb import broadcast_named
from .schema import NONNEG, SCHEMA, UNIT_OPEN_HI, Param, declare
from .validation import Interval

__all__ = ["hurdle_spread", "raroc", "P"]

#: Parameters of pricing against capital.
P = declare(
    Param("capital", "decimal of EAD", "Capital held per unit of exposure (Basel IRB K, or "
          "the model's own unexpected loss)", NONNEG),
    Param("hurdle", "decimal per year", "Required annual return on capital (cost of equity)",
          Interval(0, 1), default=0.12,
          source="D: a common bank hurdle rate, cost of equity 10-15%"),
    Param("cost_ratio", "decimal", "Operating cost as a share of the margin income "
          "(cost-income ratio of the lending)", UNIT_OPEN_HI, default=0.0,
          source="D: costs ignored unless given"),
    Param("funding_spread", "decimal per year", "Lender's funding cost above the base rate "
          "the margin is quoted over", Interval(-1, 1), default=0.0,
          source="D: funded at the base rate"),
    Param("margin", "decimal per year", "Facility margin over the base rate (annual)",
          Interval(-1, None, lo_closed=False)),
)
D = {n: p.default for n, p in P.items() if p.has_default}


def _finish(x: np.ndarray) -> Any:
    return float(x) if np.ndim(x) == 0 else x


def hurdle_spread(pd: Any, lgd: Any, capital: Any, *, hurdle: Any = D["hurdle"],
                  cost_ratio: Any = D["cost_ratio"],
                  funding_spread: Any = D["funding_spread"]) -> Any:
    """The margin at which the facility earns the hurdle return on its capital.

    Parameters
    ----------
    pd : float or array_like
        One-year PD, decimal in (0, 1).
    lgd : float or array_like
        LGD, decimal in [0, 1].
    capital : float or array_like
        Capital per unit of exposure, decimal >= 0 (IRB K, LGD_CAPITAL ...).
    hurdle : float or array_like, optional
        Required return on capital, decimal per year in [0, 1] (default 0.12).
    cost_ratio : float or array_like, optional
        Operating cost as a share of the margin, decimal in [0, 1) (default 0).
    funding_spread : float or array_like, optional
        Funding cost above the base rate, decimal per year (default 0).

    Returns
    -------
    float or ndarray
        s_h = (-ln(1 - PD) LGD + funding_spread + hurdle x capital) / (1 - cost_ratio),
        decimal per year.

    Examples
    --------
    >>> round(hurdle_spread(0.02, 0.45, 0.08), 6)  # EL 0.009091 + 0.12 x 0.08
    0.018691
    """
    p = SCHEMA.check("pd", pd)
    l_ = SCHEMA.check("lgd", lgd)
    k = SCHEMA.check("capital", capital)
    h = SCHEMA.check("hurdle", hurdle)
    c = SCHEMA.check("cost_ratio", cost_ratio)
    f = SCHEMA.check("funding_spread", funding_spread)
    (p, l_, k, h, c, f), _ = broadcast_named(pd=p, lgd=l_, capital=k, hurdle=h, cost_ratio=c,
                                             funding_spread=f)
    el = -np.log1p(-p) * l_
    return _finish((el + f + h * k) / (1.0 - c))


def raroc(pd: Any, lgd: Any, capital: Any, margin: Any, *, cost_ratio: Any = D["cost_ratio"],
          funding_spread: Any = D["funding_spread"]) -> Any:
    """Risk-adjusted return on capital of a facility at its margin.

    Parameters
    ----------
    pd, lgd, capital : float or array_like
        As :func:`hurdle_spread`; ``capital`` must be > 0.
    margin : float or array_like
        Facility margin over the base rate, decimal per year.
    cost_ratio, funding_spread : float or array_like, optional
        As :func:`hurdle_spread`.

    Returns
    -------
    float or ndarray
        RAROC = (margin (1 - cost_ratio) - funding_spread - (-ln(1 - PD) LGD)) / capital,
        decimal per year (negative when the margin does not cover expected loss and costs).

    Raises
    ------
    DomainError
        A capital of 0 (no capital: the return on it is not defined).
    """
    p = SCHEMA.check("pd", pd)
    l_ = SCHEMA.check("lgd", lgd)
    k = SCHEMA.check("capital", capital)
    m = SCHEMA.check("margin", margin)
    c = SCHEMA.check("cost_ratio", cost_ratio)
    f = SCHEMA.check("funding_spread", funding_spread)
    (p, l_, k, m, c, f), _ = broadcast_named(pd=p, lgd=l_, capital=k, margin=m, cost_ratio=c,
                                             funding_spread=f)
    if np.any(k <= 0.0):
        bad = np.flatnonzero(np.ravel(k) <= 0.0)[0]
        label = "capital" if k.ndim == 0 else f"capital[{bad + 1}]"
        raise DomainError(label, "> 0 (RAROC divides by the capital)", np.ravel(k)[bad])
    el = -np.log1p(-p) * l_
    return _finish((m * (1.0 - c) - f - el) / k)
