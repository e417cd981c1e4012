"""Loss functions: Basel IRB capital, correlated LGD (closed form and Monte Carlo), fire-sale
haircuts, expected loss and fair spread. No maths here: one pymodel call each; argument help and
defaults come from the model's schema.

Loan-tape use: pd, lgd, ead, coverage and the other number arguments accept a single cell or a
column range; one array formula then returns a column (ranges must have equal lengths).
"""

from __future__ import annotations

from pymodel import haircut, irb, lgd_mc, pricing
from pymodel import lgd as closed_form

from .registry import CAT_LGD, udf

__all__ = ["BASEL_CORR", "IRB_K", "IRB_RW", "VASICEK_PD", "FRYE_JACOBS_LGD", "LGD_CORR",
           "LGD_DOWNTURN", "LGD_CAPITAL", "LGD_MC", "LGD_FIELDS", "FIRESALE_HAIRCUT",
           "EXPECTED_LOSS", "FAIR_SPREAD", "HURDLE_SPREAD", "RAROC", "TAIL_DEPENDENCE"]

_V = "number_or_vector"
_TAPE = {n: _V for n in ("pd", "lgd", "ead", "maturity", "asset_corr", "coverage",
                         "collateral_vol", "horizon_years", "rho_collateral", "theta", "cdr",
                         "elgd", "pair_corr", "nu", "sales_eur_m", "capital", "hurdle",
                         "cost_ratio", "funding_spread", "margin")}


def _kinds(*names: str, **extra: str) -> dict[str, str]:
    return {**{n: _TAPE[n] for n in names}, **extra}


_CLOSED = ("pd", "coverage", "collateral_vol", "horizon_years", "rho_collateral", "asset_corr",
           "theta")


@udf(category=CAT_LGD, kinds=_kinds("pd", "sales_eur_m"))
def BASEL_CORR(pd, segment=None, sales_eur_m=None):
    """Basel IRB asset correlation R (decimal) for pd: corporate (SME-adjusted if sales_eur_m),
    mortgage, qrre or other_retail. A pd column gives a column."""
    return irb.basel_corr(pd, segment=segment, sales_eur_m=sales_eur_m)


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd", "maturity", "asset_corr"))
def IRB_K(pd, lgd, maturity=None, asset_corr=None, scaling=None):
    """Basel IRB capital K per unit EAD (decimal) with maturity adjustment; empty asset_corr =
    Basel corporate correlation; scaling 1 (Basel III) or 1.06 (Basel II)."""
    return irb.irb_capital(pd, lgd, maturity=maturity, asset_corr=asset_corr, scaling=scaling)


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd", "maturity", "asset_corr"))
def IRB_RW(pd, lgd, maturity=None, asset_corr=None, scaling=None):
    """Basel IRB risk weight RW = 12.5 K (decimal: 1.00 = 100%); empty asset_corr = Basel
    corporate correlation; scaling 1 (Basel III) or 1.06 (Basel II)."""
    return irb.irb_risk_weight(pd, lgd, maturity=maturity, asset_corr=asset_corr,
                               scaling=scaling)


@udf(category=CAT_LGD, kinds=_kinds("pd", "asset_corr"))
def VASICEK_PD(pd, asset_corr=None, quantile=None):
    """Vasicek conditional PD (decimal) at the quantile of the systematic factor (default
    0.999); empty asset_corr = Basel corporate correlation."""
    return irb.conditional_pd(pd, asset_corr, quantile=quantile)


@udf(category=CAT_LGD, kinds=_kinds("cdr", "pd", "elgd", "asset_corr"))
def FRYE_JACOBS_LGD(cdr, pd, elgd, asset_corr=None):
    """Frye-Jacobs LGD (decimal) at conditional default rate cdr, for PD pd, expected LGD elgd
    and asset correlation asset_corr (all decimals; empty = Basel corporate)."""
    return irb.frye_jacobs_lgd(cdr, pd, elgd, asset_corr)


@udf(category=CAT_LGD, kinds=_kinds(*_CLOSED))
def LGD_CORR(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr=None,
             theta=None):
    """Expected LGD (decimal) with lognormal collateral correlated with the downturn
    (closed form); coverage = expected collateral / EAD; empty asset_corr = Basel corporate."""
    return closed_form.lgd_corr(pd, coverage, collateral_vol, horizon_years, rho_collateral,
                        asset_corr=asset_corr, theta=theta)


@udf(category=CAT_LGD, kinds=_kinds(*_CLOSED))
def LGD_DOWNTURN(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr=None,
                 theta=None, quantile=None):
    """Downturn LGD (decimal): expected LGD given default at the quantile (default 0.999) of
    the systematic factor, lognormal correlated collateral (closed form)."""
    return closed_form.lgd_downturn(pd, coverage, collateral_vol, horizon_years, rho_collateral,
                            asset_corr=asset_corr, theta=theta, quantile=quantile)


@udf(category=CAT_LGD, kinds=_kinds(*_CLOSED))
def LGD_CAPITAL(pd, coverage, collateral_vol, horizon_years, rho_collateral, asset_corr=None,
                theta=None, quantile=None):
    """Capital per unit EAD (decimal): loss at the systematic quantile (default 0.999) less
    EL, lognormal correlated collateral (closed form, no maturity adjustment)."""
    return closed_form.lgd_capital(pd, coverage, collateral_vol, horizon_years, rho_collateral,
                           asset_corr=asset_corr, theta=theta, quantile=quantile)


@udf(category=CAT_LGD)
def LGD_MC(lgd_inputs):
    """Monte Carlo LGD with GPU, BTC and receivables collateral, copula and regimes: spills
    label/value rows, expected_lgd first (decimals; losses in the EAD currency). Seeded."""
    return [[k, v] for k, v in lgd_mc.simulate_lgd(lgd_inputs).items()]


@udf(category=CAT_LGD)
def LGD_FIELDS():
    """Lists the LGD_MC input fields: required, or their default; unit, description and
    source; renamed fields last (spills a table)."""
    return lgd_mc.FIELDS.table()


@udf(category=CAT_LGD)
def FIRESALE_HAIRCUT(units, daily_volume, annual_vol, days_to_sell=None, impact_coef=None,
                     cost_per_unit=None, unit_value=None, confidence=None, value_decline=None):
    """Fire-sale haircut (decimal of orderly value): label/value rows of total, expected (drift,
    impact, cost: use it for LGD coverage, the volatility term is a 99% VaR), drift,
    volatility, impact, cost."""
    parts = haircut.firesale_components(
        units, daily_volume, annual_vol, days_to_sell=days_to_sell, impact_coef=impact_coef,
        cost_per_unit=cost_per_unit, unit_value=unit_value, confidence=confidence,
        value_decline=value_decline)
    return [[k, parts[k]] for k in haircut.COMPONENTS]


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd", "ead"))
def EXPECTED_LOSS(pd, lgd, ead):
    """Expected loss PD x LGD x EAD (currency of ead); columns give a column."""
    return irb.expected_loss(pd, lgd, ead)


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd"))
def FAIR_SPREAD(pd, lgd):
    """Fair annual credit spread -ln(1 - PD) x LGD (decimal per year) that pays for expected
    loss; columns give a column."""
    return irb.fair_spread(pd, lgd)


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd", "capital", "hurdle", "cost_ratio",
                                    "funding_spread"))
def HURDLE_SPREAD(pd, lgd, capital, hurdle=None, cost_ratio=None, funding_spread=None):
    """Spread (decimal per year) that pays expected loss, costs and the hurdle return on
    capital: (-ln(1-PD) LGD + funding_spread + hurdle x capital) / (1 - cost_ratio). Columns
    give a column."""
    return pricing.hurdle_spread(pd, lgd, capital, hurdle=hurdle, cost_ratio=cost_ratio,
                                 funding_spread=funding_spread)


@udf(category=CAT_LGD, kinds=_kinds("pd", "lgd", "capital", "margin", "cost_ratio",
                                    "funding_spread"))
def RAROC(pd, lgd, capital, margin, cost_ratio=None, funding_spread=None):
    """Risk-adjusted return on capital (decimal per year) at the facility margin:
    (margin (1 - cost_ratio) - funding_spread - expected loss) / capital. Columns give a
    column."""
    return pricing.raroc(pd, lgd, capital, margin, cost_ratio=cost_ratio,
                         funding_spread=funding_spread)


@udf(category=CAT_LGD, kinds=_kinds("pair_corr", "nu"))
def TAIL_DEPENDENCE(pair_corr, nu=None):
    """Tail-dependence coefficient (decimal) of the Student-t copula with correlation pair_corr
    and nu degrees of freedom (default 4; 0 for the Gaussian copula)."""
    return closed_form.tail_dependence(pair_corr, nu)
