"""Portfolio functions: the loss distribution of a loan tape with common GPU-price and BTC
factors (PORTFOLIO_LOSS), each loan's contribution (PORTFOLIO_CONTRIB) and the field list.
No maths here: one pymodel call each; argument help and defaults come from the model's
schema.
"""

from __future__ import annotations

from pymodel import portfolio

from .registry import CAT_LGD, udf

__all__ = ["PORTFOLIO_LOSS", "PORTFOLIO_CONTRIB", "PORTFOLIO_FIELDS"]

_KINDS = {"settings": "pairs_or_blank"}


@udf(category=CAT_LGD, kinds=_KINDS)
def PORTFOLIO_LOSS(tape, settings=None):
    """Portfolio loss with common GPU-price, BTC and credit factors: spills label/value rows
    (EL, 99% and 99.9% loss, ES, capital, sum of single-loan capital, diversification factor,
    standard errors, concentration). Seeded."""
    return portfolio.portfolio_loss_block(tape, settings)


@udf(category=CAT_LGD, kinds=_KINDS)
def PORTFOLIO_CONTRIB(tape, settings=None):
    """Per-loan table (header + one row per loan, tape order): expected and downturn LGD, EL,
    single-loan capital and Euler contribution to ES (adds up to the portfolio ES). Seeded."""
    return portfolio.contribution_table(tape, settings)


@udf(category=CAT_LGD)
def PORTFOLIO_FIELDS():
    """Lists the PORTFOLIO_LOSS tape columns and settings with default, unit and description
    (spills a table)."""
    return portfolio.fields_table()
