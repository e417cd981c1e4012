"""The description format of a template: blocks, sheets, charts, and number formats by unit.

Plain data (frozen dataclasses); :mod:`workbook.templates.layout` places and writes them. The
package docstring (:mod:`workbook.templates`) is the short guide to this format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence, Union

__all__ = ["Input", "Inputs", "Output", "Outputs", "Table", "Grid", "Column", "Tape",
           "InputTable", "Note",
           "Series", "Chart", "Beside", "Stack", "Check", "Sheet", "Template", "Block",
           "UNIT_FORMATS", "FUNCTION_UNITS", "CORR", "number_format"]

# --------------------------------------------------------------------------------------------
# number formats: one per unit (a block may override one cell's format with ``fmt``)

PCT, PCT2 = "0.0%", "0.00%"
MONEY, MONEY2 = "#,##0", "#,##0.00"
COUNT = "#,##0"
TIMES = '0.00"x"'
YEARS = "0.00"
#: Format for correlations and loadings (unit "decimal", shown as 0.50 rather than 50.0%).
CORR = "0.00"

#: Excel number format of every unit a template may use; None = General (text, flags).
UNIT_FORMATS: dict[str, str | None] = {
    "currency": MONEY, "currency per GPU": MONEY, "currency per year": MONEY,
    "currency per period": MONEY, "currency per BTC": MONEY, "currency per share": MONEY2,
    "currency per GPU-hour": MONEY2,
    "decimal": PCT, "decimal of capacity": PCT, "decimal of debt": PCT,
    "decimal of spot rent": PCT, "decimal of contract value": PCT, "decimal of EAD": PCT,
    "decimal per sqrt(year)": PCT, "annual effective decimal": PCT,
    "decimal per year": PCT2, "nominal annual decimal": PCT2,
    "x": TIMES, "times (x)": TIMES,
    "years": YEARS, "years from close": YEARS, "years from the valuation date": YEARS,
    "months of debt service": "0",
    "GPUs": COUNT, "GPUs a day": COUNT, "BTC": COUNT, "paths": COUNT, "business days": COUNT,
    "count": "0", "integer": "0", "degrees of freedom": "0", "periods per year": "0",
    "payments per year": "0",
    "TRUE/FALSE": None, "-": None,
}

#: Units of the columns (or, for label | value results, the rows) that our table functions
#: return, so that ``Table("=DSCR_TABLE(deal_inputs)")`` formats itself.
FUNCTION_UNITS: dict[str, dict[str, str]] = {
    "GPU_RV_CURVE": {"year": "years", "market rent": "currency per GPU-hour",
                     "economic value": "currency per GPU", "book value": "currency per GPU",
                     "gap": "currency per GPU", "economic/book": "decimal",
                     "market price": "currency per GPU", "market quotes": "count"},
    "DSCR_TABLE": {"period": "count", "year": "years", "spot_rent": "currency per GPU-hour",
                   **{k: "currency per period" for k in ("revenue", "opex", "cfads",
                                                         "interest", "principal",
                                                         "debt_service")},
                   "closing_balance": "currency", "dscr": "x", "llcr": "x",
                   "economic_value_per_gpu": "currency per GPU",
                   "book_value_per_gpu": "currency per GPU", "economic_ltv": "decimal",
                   "book_ltv": "decimal", "plcr": "x",
                   **{k: "currency per period" for k in (
                       "tax", "shortfall", "dsra_movement", "prepayment", "sweep",
                       "trap_movement", "distributions")},
                   "dsra_balance": "currency", "trapped_cash": "currency",
                   "dscr_after_reserves": "x", "lockup": "count", "ltv_tested": "decimal"},
    "TENANT_CASHFLOWS": {"period": "count", "year": "years", "spot": "currency per period",
                         "revenue": "currency per period"},
    "TENANT_CONCENTRATION": {"tenants": "count", "contracted_share_at_close": "decimal",
                             "contract_value": "currency", "largest_tenant": "-",
                             "largest_tenant_share": "decimal", "herfindahl": "decimal",
                             "investment_grade_share": "decimal",
                             "backstopped_share": "decimal",
                             "weighted_average_term_years": "years",
                             "last_contract_end_years": "years",
                             "debt_repaid_within_contract_term": "decimal",
                             "contract_term_tested_years": "years"},
    "TENANT_STRESS": {"scenario": "-", "contract_value_share": "decimal",
                      "investment_grade": "count", "min_dscr": "x",
                      "min_dscr_after_reserves": "x", "llcr": "x", "balloon": "currency",
                      "debt_repaid_within_contract_term": "decimal"},
    "LTV_TABLE": {"period": "count", "year": "years", "balance": "currency",
                  "contract_value": "currency", "gpu_value": "currency",
                  "collateral_value": "currency", "collateral_ltv": "decimal",
                  "economic_value": "currency", "economic_ltv": "decimal",
                  "book_value": "currency", "book_ltv": "decimal"},
    "REFI_RISK": {"refinance_probability": "decimal", "expected_shortfall_if_not": "currency",
                  "expected_shortfall": "currency", "balloon": "currency",
                  "collateral_at_maturity_median": "currency",
                  "ltv_at_maturity_median": "decimal", "ltv_at_maturity_p95": "decimal",
                  "ltv_at_maturity_p05": "decimal", "max_ltv": "decimal",
                  "rent_vol": "decimal per sqrt(year)", "maturity_years": "years"},
    "DSCR_COMPARE": {"period": "count", "year": "years", "dscr_flat": "x",
                     "book_ltv_flat": "decimal", "dscr_deflated": "x",
                     "economic_ltv_deflated": "decimal"},
    "FIRESALE_HAIRCUT": {k: "decimal" for k in ("total", "expected", "drift", "volatility",
                                                 "impact", "cost")},
    "PORTFOLIO_LOSS": {**{k: "currency" for k in (
        "expected_loss", "loss_q99", "loss_q999", "expected_shortfall", "capital",
        "sum_single_capital", "fine_grained_loss_q999", "expected_loss_std_error",
        "loss_q999_std_error", "expected_shortfall_std_error", "total_ead")},
        "diversification_factor": "x", "es_level": "decimal", "n_loans": "count",
        "n_borrowers": "count", **{k: "decimal" for k in (
            "hhi_borrower", "hhi_sku", "hhi_tenant", "largest_borrower_es_share",
            "largest_sku_es_share", "largest_tenant_es_share")},
        "loss_paths": "paths", "loan_paths": "paths"},
    "PORTFOLIO_CONTRIB": {"loan_id": "-", "borrower": "-", "tenant": "-", "sku": "-",
                          "ead": "currency", "pd": "decimal", "asset_corr": "decimal",
                          "expected_lgd": "decimal", "downturn_lgd": "decimal",
                          "expected_loss": "currency", "single_capital": "currency",
                          "es_contribution": "currency", "es_capital": "currency",
                          "es_share": "decimal"},
    "LGD_MC": {"expected_lgd": "decimal", "downturn_lgd": "decimal", "expected_loss": "currency",
               "loss_q999": "currency", "std_error": "decimal",
               "recovery_share_gpu": "decimal", "recovery_share_btc": "decimal",
               "recovery_share_receivables": "decimal", "capital": "currency",
               "downturn_std_error": "decimal", "n_paths": "paths"},
}


def number_format(unit: str | None, fmt: str | None = None, where: str = "") -> str | None:
    """The format of a cell of ``unit`` (``fmt`` wins); an unknown unit is a build error."""
    if fmt is not None:
        return fmt
    if unit is None:
        return None
    if unit not in UNIT_FORMATS:
        raise ValueError(f"{where}: unit {unit!r} has no number format; add it to "
                         "UNIT_FORMATS in workbook/templates/blocks.py or give fmt=")
    return UNIT_FORMATS[unit]


# --------------------------------------------------------------------------------------------
# blocks


@dataclass(frozen=True)
class Input:
    """One input row: field | value | unit | source. ``value`` is a constant (blue on yellow)
    or a formula ``"=..."`` (white); ``None`` leaves the cell empty (the function's default)."""
    name: str
    value: Any
    unit: str
    source: str
    fmt: str | None = None


@dataclass(frozen=True)
class Inputs:
    """A section of inputs. Each value is a defined name ``prefix + name`` (unless
    ``row_names`` is False); ``name`` names the two-column field | value range (a deal block
    read by DSCR_TABLE or LGD_MC). ``compact``: only the field and value columns."""
    rows: Sequence[Input]
    title: str | None = None
    note: str | None = None
    name: str | None = None
    prefix: str = ""
    row_names: bool = True
    compact: bool = False
    names: dict[str, str] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Output:
    """One labelled formula: label | value | unit; ``name`` (optional) names the value cell."""
    label: str
    formula: str
    unit: str
    name: str | None = None
    fmt: str | None = None


@dataclass(frozen=True)
class Outputs:
    """Rows of label | value | unit. ``span`` columns hold the label (it overflows to the
    right), so the value sits ``span`` columns right of the label."""
    rows: Sequence[Output]
    title: str | None = None
    span: int = 1
    header: Sequence[str] | None = None
    label_width: float | None = 46
    names: dict[str, str] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Column:
    """An extra column of a :class:`Table`, or a column of a :class:`Tape`: ``formula`` per
    row (Table, over the ``rows`` selector of the table's rows) or ONE array formula over the
    whole column (Tape); a Tape input column has no formula and takes ``key`` from each
    record."""
    key: str
    header: str | None = None
    unit: str | None = None
    formula: str | None = None
    rows: str = "[:]"
    fmt: str | None = None


@dataclass(frozen=True)
class Table:
    """One of our table functions entered as ONE array formula over exactly the size of its
    result: the range is sized by evaluating ``formula`` on the template's own inputs.
    ``keyed``: the result is label | value rows (no header row). ``units`` by column header
    (or by row label when keyed) default to FUNCTION_UNITS of the function called."""
    formula: str
    title: str | None = None
    keyed: bool = False
    units: dict[str, str] = field(default_factory=dict)
    extra: Sequence[Column] = ()
    name: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Grid:
    """A header row of ``columns``, a first column of ``rows`` and a body of plain formulas.
    ``body`` is one formula for every cell, a list of one per column, or a list of lists (one
    per row, one per column); in it ``{row}`` and ``{col}`` stand for the row's and the
    column's header cell. ``unit`` and ``fmt``: one for the body or one per column. Selectors
    name columns by ``str(column)``; ``"rows"`` is the column of row headers."""
    rows: Sequence[Any]
    columns: Sequence[Any]
    body: Union[str, Sequence[str], Sequence[Sequence[str]]]
    title: str | None = None
    corner: str | None = None
    unit: Union[str, Sequence[str | None], None] = None
    row_unit: str | None = None
    column_unit: str | None = None
    fmt: Union[str, Sequence[str | None], None] = None
    name: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    id: str | None = None


@dataclass(frozen=True)
class Tape:
    """A loan tape: one row per record; input columns hold the records' values, each output
    column is ONE array formula over the whole column. Every column is the defined name
    ``prefix + key``; a units row sits above the header."""
    records: Sequence[dict[str, Any]]
    inputs: Sequence[Column]
    outputs: Sequence[Column]
    prefix: str = ""
    freeze_columns: int = 0
    widths: Sequence[float] = ()
    output_width: float = 14
    id: str | None = None
    #: Defined name of the whole tape with its header row (what PORTFOLIO_LOSS reads).
    table_name: str | None = None


@dataclass(frozen=True)
class InputTable:
    """A table the user types: a units row, a header row of ``columns`` (their ``key`` is the
    header text a function reads, ``unit`` the units row and the number format) and ``rows``
    of values (constants in blue on yellow, ``"=..."`` formulas, ``None`` empty). ``name``
    names the whole table, header row included (a tenant block read by DSCR_TABLE)."""
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]
    title: str | None = None
    note: str | None = None
    name: str | None = None
    names: dict[str, str] = field(default_factory=dict)
    widths: Sequence[float] = ()
    id: str | None = None


@dataclass(frozen=True)
class Note:
    """One line of italic text."""
    text: str


@dataclass(frozen=True)
class Series:
    """A chart series: the ``select`` part of block ``block``. Its name is ``title``, or the
    header cell of the selected column."""
    block: str
    select: str
    title: str | None = None


@dataclass(frozen=True)
class Chart:
    """A native Excel chart (``kind`` "line" or "bar") over blocks of the same workbook."""
    title: str
    series: Sequence[Series]
    categories: Series
    kind: str = "line"
    x_title: str | None = None
    y_title: str | None = None
    y_format: str | None = None
    width: float = 16
    height: float = 8


@dataclass(frozen=True)
class Beside:
    """Blocks side by side, tops aligned, ``gap`` empty columns between them."""
    blocks: Sequence[Any]
    gap: int = 1


@dataclass(frozen=True)
class Stack:
    """Blocks one below the other, ``gap`` empty rows between them (as on a sheet)."""
    blocks: Sequence[Any]
    gap: int = 1


Block = Union[Inputs, Outputs, Table, Grid, Tape, InputTable, Note, Chart, Beside, Stack]


@dataclass(frozen=True)
class Check:
    """One row of the Checks sheet: a formula that must be TRUE."""
    label: str
    formula: str


@dataclass(frozen=True)
class Sheet:
    """A model sheet: a title and note in rows 1-2, then ``blocks`` from row ``top`` down."""
    name: str
    title: str
    blocks: Sequence[Any]
    note: str | None = None
    top: int = 4


@dataclass(frozen=True)
class Template:
    """A workbook: Summary sheet (``summary`` rows, printed by ``computecredit recalc``),
    ``sheets``, then the Checks sheet (``checks`` and the named cell ``all_checks``)."""
    title: str
    subject: str
    summary_title: str
    sheets: Sequence[Sheet]
    summary: Sequence[Output]
    checks: Sequence[Check]
