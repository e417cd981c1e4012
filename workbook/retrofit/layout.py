"""The ComputeCredit sheet: what goes in which cell.

:func:`plan_sheet` lays out, from a resolved mapping:

* the deal block (``cc_deal_inputs``: every field of ``DEAL_FIELDS``; mapped fields read the
  deal's cells, the others show the model's documented default and its source), the DSCR
  covenant, and the loss inputs;
* key results (their minimum DSCR against the model's, flat and deflated; the breakeven
  deflation; LLCR; their LTV against the economic LTV; their LGD against the correlated LGD);
* a Checks block (TRUE where the deal is sound and the model is consistent);
* comparison tables, period by period, of their straight-line value against the economic value
  (``GPU_RV_CURVE``), their DSCR against the flat-rent and deflated DSCR (``DSCR_COMPARE``,
  ``DSCR_TABLE``), their LTV against the economic LTV, and their fixed LGD against ``LGD_CORR``,
  with the differences and three charts;
* the model's own tables (``GPU_RV_CURVE``, ``DSCR_COMPARE``, ``DSCR_TABLE``) as array formulas,
  sized from the model's results for this deal (the maturity row and the ratio column that can
  be ``#N/A`` are left out of the ranges).

Every formula references the deal's own cells (through the deal block) or cells of this sheet;
nothing is pasted as a value except the model's documented defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..audit import formula as fx
from ..engine.sheetxml import coord
from .resolve import Mapped, Resolution

__all__ = ["Plan", "Cell", "Array", "Chart", "plan_sheet", "SHEET_NAME", "STYLES"]

SHEET_NAME = "ComputeCredit"
BLUE, GREY, YELLOW, HEAD = "1F4E79", "595959", "FFF2CC", "DDEBF7"

#: Number formats by kind of value.
FORMATS = {"int": "#,##0", "money": "#,##0", "price": "0.00", "pct": "0.0%", "x": '0.00"x"',
           "years": "0.00", "plain": "General", "rate": "0.00%", "dec": "0.0000"}


def _styles() -> dict[str, Any]:
    from ..engine.edit import Style
    out = {"text": Style(), "title": Style(bold=True, size=14, color=BLUE),
           "section": Style(bold=True, size=12, color=BLUE),
           "head": Style(bold=True, fill=HEAD), "note": Style(italic=True, color=GREY),
           "check": Style(bold=True), "label": Style()}
    for k, code in FORMATS.items():
        out[k] = Style(number_format=code)
        out["in_" + k] = Style(bold=True, color=BLUE, fill=YELLOW, number_format=code)
        out["def_" + k] = Style(color=GREY, number_format=code)
        out["key_" + k] = Style(bold=True, number_format=code)
    return out


STYLES = _styles()


@dataclass
class Cell:
    value: Any = None
    formula: str | None = None
    style: str = "text"


@dataclass
class Array:
    row: int
    col: int
    rows: int
    cols: int
    formula: str
    styles: list[str]
    header_style: str = "head"


@dataclass
class Chart:
    title: str
    x_title: str
    y_title: str
    y_format: str
    series: list[tuple[str, str, str]]     # name, categories range, values range
    anchor: tuple[int, int, int, int]      # from col, from row, to col, to row (0-based)


@dataclass
class Plan:
    cells: dict[tuple[int, int], Cell] = field(default_factory=dict)
    arrays: list[Array] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    names: list[tuple[str, str]] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    checks: list[tuple[str, str]] = field(default_factory=list)   # label, cell

    def put(self, r: int, c: int, value: Any = None, formula: str | None = None,
            style: str = "text") -> str:
        self.cells[(r, c)] = Cell(value, formula, style)
        return ref(r, c)


def ref(r: int, c: int) -> str:
    """An absolute reference on this sheet."""
    a = coord(r, c)
    letters = a.rstrip("0123456789")
    return f"${letters}${a[len(letters):]}"


def rng(r1: int, c1: int, r2: int, c2: int, sheet: bool = False) -> str:
    text = f"{ref(r1, c1)}:{ref(r2, c2)}"
    return f"{fx.quote_sheet(SHEET_NAME)}!{text}" if sheet else text


def _fmt_of(unit: str) -> str:
    u = unit.lower()
    if u in ("gpus",) or "per year" in u and "payments" in u:
        return "int"
    if "gpu-hour" in u:
        return "price"
    if u.startswith("currency"):
        return "money"
    if u.startswith("decimal") or "decimal" in u:
        return "pct"
    if u.startswith("year") or u == "years from close":
        return "years"
    if "times" in u:
        return "x"
    return "plain"


def _ifnum(a: str, b: str, expr: str) -> str:
    return f'IF(AND(ISNUMBER({a}),ISNUMBER({b})),{expr},"")'


# --------------------------------------------------------------------------------------------

@dataclass
class Context:
    """What the layout needs besides the mapping: the model's results for this deal (from
    Python, to size the arrays) and facts about their straight-line rows."""
    source_name: str
    curve: list[list[Any]]           # GPU_RV_CURVE result
    curve_ppy: int
    curve_years: float
    table: list[list[Any]]           # DSCR_TABLE result (header, periods, maturity)
    compare: list[list[Any]]         # DSCR_COMPARE result
    value_freq: int = 1              # periods a year of their value path
    value_start: float = 0.0         # years from close of their first value
    value_fleet: bool = False        # their values are for the fleet (not per GPU)
    rent_freq: int = 1               # periods a year of their rent row
    name_taken: set[str] = field(default_factory=set)


def plan_sheet(res: Resolution, ctx: Context) -> Plan:
    from pymodel.dscr.deal import DEAL_FIELDS
    from pymodel.schema import SCHEMA
    p = Plan()
    p.widths = {1: 46, 2: 16, 3: 22, 4: 44, 5: 3, 6: 44, 7: 16, 8: 18}
    p.put(1, 1, f"ComputeCredit beside {ctx.source_name}: the model next to the deal's "
                f"straight-line assumptions", style="title")
    p.put(2, 1, "Column B of the deal block reads the deal's own cells (column D says which); "
                "nothing on the deal's sheets was changed. Recalculate with the add-in, or "
                "without Excel: computecredit recalc FILE.", style="note")
    p.put(3, 1, "Blue on yellow: read from the deal. Grey: the model's documented default "
                "(type over it, or map it). Every other number is a formula.", style="note")

    # -- the deal block ----------------------------------------------------------------------
    row = 5
    p.put(row - 1, 1, "Deal inputs (deal_inputs: read by DSCR_TABLE and the other coverage "
                      "functions)", style="section")
    for k, h in enumerate(["field", "value", "unit", "from the deal"]):
        p.put(row, 1 + k, h, style="head")
    cell_of: dict[str, str] = {}
    numeric_mapped: list[str] = []
    first = row + 1
    for f in DEAL_FIELDS.fields.values():
        row += 1
        par = f.param
        p.put(row, 1, f.name)
        p.put(row, 3, par.unit or "-", style="note")
        kind = _fmt_of(par.unit)
        m = res.deal.get(f.name)
        if m is not None:
            _mapped_cell(p, row, 2, m, "in_" + kind)
            p.put(row, 4, m.source, style="note")
            if par.kind in ("float", "int") and m.formula is not None:
                numeric_mapped.append(ref(row, 2))
        else:
            d = par.default if par.has_default else None
            if isinstance(d, tuple):
                d = "; ".join(f"{x:g}" for x in d) if d else None
            p.put(row, 2, d, style="def_" + kind)
            src = par.source or (par.empty and f"empty: {par.empty}") or ""
            if f.when:
                src = f"needed when {f.when}"
            p.put(row, 4, f"default: {src}" if src else "", style="note")
        cell_of[f.name] = ref(row, 2)
    last = row
    deal_name = _free_name("cc_deal_inputs", ctx.name_taken)
    p.names.append((deal_name, rng(first, 1, last, 2, sheet=True)))
    row += 2
    p.put(row, 1, "DSCR covenant (target)")
    if res.target is not None:
        _mapped_cell(p, row, 2, res.target, "in_x")
        p.put(row, 4, res.target.source, style="note")
        covenant_label = "their covenant"
    else:
        p.put(row, 2, 1.0, style="def_x")
        p.put(row, 4, "default: payment default (1.00x); map target to their covenant",
              style="note")
        covenant_label = "1.00x"
    p.put(row, 3, "times (x)", style="note")
    target = ref(row, 2)
    row += 1
    p.put(row, 1, "Remaining physical life at close")
    p.put(row, 2, None, f"MAX({cell_of['physical_life_years']}-{cell_of['age_years']},0)",
          style="years")
    p.put(row, 3, "years", style="note")
    p.put(row, 4, "physical_life_years - age_years (caps the economic life)", style="note")
    remaining = ref(row, 2)

    # -- loss inputs ---------------------------------------------------------------------------
    loss_cells: dict[str, str] = {}
    if res.has_loss:
        row += 2
        p.put(row, 1, "Loss inputs (LGD_CORR)", style="section")
        row += 1
        for k, h in enumerate(["field", "value", "unit", "from the deal"]):
            p.put(row, 1 + k, h, style="head")
        for name in ("pd", "ead", "gpu_haircut", "collateral_vol", "horizon_years",
                     "rho_collateral", "asset_corr", "theta", "lgd"):
            row += 1
            par = SCHEMA[name]
            kind = _fmt_of(par.unit)
            m = res.loss.get(name)
            label = "lgd (their fixed LGD)" if name == "lgd" else name
            p.put(row, 1, label)
            p.put(row, 3, par.unit, style="note")
            if m is not None and not m.default:
                _mapped_cell(p, row, 2, m, "in_" + kind)
                p.put(row, 4, m.source, style="note")
            elif m is not None:
                p.put(row, 2, m.literal, style="def_" + kind)
                p.put(row, 4, m.source, style="note")
            elif name == "ead":
                p.put(row, 2, None, cell_of["debt"], style="money")
                p.put(row, 4, "the debt drawn at close (deal block)", style="note")
            elif name == "gpu_haircut":
                p.put(row, 2, 0.0, style="def_pct")
                p.put(row, 4, f"default: {par.source}", style="note")
            elif name in ("asset_corr", "theta"):
                d = par.default if par.has_default else None
                p.put(row, 2, d, style="def_" + kind)
                p.put(row, 4, f"default: {par.empty or par.source}", style="note")
            else:
                p.put(row, 2, None, style="def_" + kind)
                p.put(row, 4, "their sheet has no fixed LGD or recovery", style="note")
            loss_cells[name] = ref(row, 2)

    # -- checks (column A/B: computecredit recalc reads them) ---------------------------------
    row += 2
    p.put(row, 1, "Checks", style="section")
    p.put(row, 2, "TRUE?", style="head")
    row += 1
    p.put(row, 1, "Each must be TRUE: the first three say the deal holds when rents deflate; "
                  "the others that the model is consistent.", style="note")
    check_rows_at = row + 1
    left_end = row

    # the right-hand blocks are written once the tables below exist: remember the rows
    section_top = max(left_end + 16, 30)

    # -- model tables (placed at the bottom, referenced by the comparisons) ------------------
    n = len(ctx.table) - 2                   # periods (header first, maturity last)
    curve_rows = len(ctx.curve)
    # sections: collateral, coverage, loss, model detail
    coll_top = section_top
    m_value = res.theirs.get("their_book_value")
    n_value = max(len(m_value.cells) if m_value else 0, 0)
    coll_rows = n_value if m_value else curve_rows - 1
    cov_top = coll_top + coll_rows + 5
    cov_top = max(cov_top, coll_top + 22)
    loss_top = cov_top + max(n + 4, 36)
    detail_top = loss_top + (10 if res.has_loss else 0)
    curve_top = detail_top + 2
    compare_top = curve_top
    table_top = curve_top + max(curve_rows, n + 1) + 3

    # GPU_RV_CURVE: year, market rent, economic value, book value, gap (the ratio column is
    # left out: it is #N/A where the book value reaches zero)
    p.put(detail_top, 1, "Model detail: the ComputeCredit tables the comparisons read",
          style="section")
    curve_formula = (f"GPU_RV_CURVE({cell_of['gpu_cost']},{cell_of['rent0']},"
                     f"{cell_of['utilization']},{cell_of['cash_cost']},{cell_of['deflation']},"
                     f"{cell_of['discount_rate']},{_num(ctx.curve_years)},{ctx.curve_ppy},"
                     f"{cell_of['book_life_years']},{cell_of['age_years']},"
                     f"{cell_of['salvage']},{remaining},{cell_of['step_years']},"
                     f"{cell_of['step_downs']})")
    p.put(curve_top - 1, 1, "GPU_RV_CURVE: economic value per GPU against the straight line "
                            "(their cost, life and salvage)", style="note")
    p.arrays.append(Array(curve_top, 1, curve_rows, 5, curve_formula,
                          ["years", "price", "money", "money", "money"]))
    curve_year = lambda i: ref(curve_top + 1 + i, 1)  # noqa: E731
    curve_econ = lambda i: ref(curve_top + 1 + i, 3)  # noqa: E731
    curve_book = lambda i: ref(curve_top + 1 + i, 4)  # noqa: E731
    p.names.append((_free_name("cc_value_curve", ctx.name_taken),
                    rng(curve_top, 1, curve_top + curve_rows - 1, 5, sheet=True)))

    cmp_col = 8
    p.put(compare_top - 1, cmp_col, "DSCR_COMPARE: the flat-rent view of their sheet, and the "
                                    "deflated view", style="note")
    p.arrays.append(Array(compare_top, cmp_col, n + 1, 6, f"DSCR_COMPARE({deal_name})",
                          ["int", "years", "x", "pct", "x", "pct"]))
    ch = ctx.compare[0]
    flat = lambda k: ref(compare_top + k, cmp_col + ch.index("dscr_flat"))  # noqa: E731
    book_ltv = lambda k: ref(compare_top + k, cmp_col + ch.index("book_ltv_flat"))  # noqa
    p.put(table_top - 1, 1, "DSCR_TABLE: the deal period by period with deflating spot rents "
                            "(debt schedule fixed at close)", style="note")
    th = ctx.table[0]
    fmts = {"period": "int", "year": "years", "spot_rent": "price", "dscr": "x", "llcr": "x",
            "plcr": "x", "economic_ltv": "pct", "book_ltv": "pct"}
    p.arrays.append(Array(table_top, 1, n + 1, len(th), f"DSCR_TABLE({deal_name})",
                          [fmts.get(h, "money") for h in th]))
    p.names.append((_free_name("cc_dscr_table", ctx.name_taken),
                    rng(table_top, 1, table_top + n, len(th), sheet=True)))
    tcol = lambda h: 1 + th.index(h)  # noqa: E731
    dscr = lambda k: ref(table_top + k, tcol("dscr"))  # noqa: E731
    econ_ltv = lambda k: ref(table_top + k, tcol("economic_ltv"))  # noqa: E731
    year = lambda k: ref(table_top + k, tcol("year"))  # noqa: E731
    dscr_col = rng(table_top + 1, tcol("dscr"), table_top + n, tcol("dscr"))
    flat_col = rng(compare_top + 1, cmp_col + ch.index("dscr_flat"), compare_top + n,
                   cmp_col + ch.index("dscr_flat"))
    defl_col = rng(compare_top + 1, cmp_col + ch.index("dscr_deflated"), compare_top + n,
                   cmp_col + ch.index("dscr_deflated"))
    ltv_col = rng(table_top + 1, tcol("economic_ltv"), table_top + n, tcol("economic_ltv"))
    for c in range(1, len(th) + 1):
        p.widths.setdefault(c, 14)

    # -- collateral comparison ---------------------------------------------------------------
    p.put(coll_top, 1, "Collateral value: their straight line against the economic value",
          style="section")
    scale = cell_of["gpus"] if ctx.value_fleet else "1"
    basis = "for the fleet" if ctx.value_fleet else "per GPU"
    p.put(coll_top + 1, 1, f"Values {basis}. The economic value (GPU_RV_CURVE) falls with "
                           f"market rents; the straight line with the calendar.", style="note")
    heads = ["period", "year", f"their value ({basis})", f"economic value ({basis})",
             "economic - theirs", "economic / theirs", f"straight line, their inputs "
                                                      f"({basis})"]
    hr = coll_top + 2
    for k, h in enumerate(heads):
        p.put(hr, 1 + k, h, style="head")
    rows_v = coll_rows
    for i in range(rows_v):
        r = hr + 1 + i
        t = ctx.value_start + i / ctx.value_freq
        ci = min(int(round(t * ctx.curve_ppy)), curve_rows - 2)
        p.put(r, 1, i + 1, style="int")
        p.put(r, 2, None, curve_year(ci), style="years")
        econ = f"{curve_econ(ci)}*{scale}" if scale != "1" else curve_econ(ci)
        p.put(r, 4, None, econ, style="money")
        p.put(r, 7, None, f"{curve_book(ci)}*{scale}" if scale != "1" else curve_book(ci),
              style="money")
        if m_value is not None:
            theirs = _their(m_value.cells[i])
            p.put(r, 3, None, theirs, style="money")
            p.put(r, 5, None, _ifnum(ref(r, 3), ref(r, 4), f"{ref(r, 4)}-{ref(r, 3)}"),
                  style="money")
            p.put(r, 6, None, f'IF(AND(ISNUMBER({ref(r, 3)}),ISNUMBER({ref(r, 4)})),'
                              f'IF({ref(r, 3)}<>0,{ref(r, 4)}/{ref(r, 3)},""),"")',
                  style="pct")
    coll_first, coll_last = hr + 1, hr + rows_v
    series = []
    if m_value is not None:
        series.append(("their straight line", rng(coll_first, 2, coll_last, 2, True),
                       rng(coll_first, 3, coll_last, 3, True)))
    else:
        series.append(("straight line (their inputs)", rng(coll_first, 2, coll_last, 2, True),
                       rng(coll_first, 7, coll_last, 7, True)))
    series.append(("economic value (ComputeCredit)", rng(coll_first, 2, coll_last, 2, True),
                   rng(coll_first, 4, coll_last, 4, True)))
    p.charts.append(Chart("Collateral value: straight line vs economic", "years from close",
                          f"value {basis}", "#,##0", series,
                          (8, coll_top - 1, 16, coll_top + 21)))

    # -- coverage and leverage comparison -----------------------------------------------------
    p.put(cov_top, 1, "Coverage and leverage: their DSCR and LTV against the model's",
          style="section")
    p.put(cov_top + 1, 1, "Flat rents: the model run the way their sheet runs (DSCR_COMPARE); "
                          "deflated: spot rents fall with the market and step down with each "
                          "GPU generation (DSCR_TABLE).", style="note")
    m_dscr, m_ltv = res.theirs.get("their_dscr"), res.theirs.get("their_ltv")
    m_rent = res.theirs.get("their_rent")
    heads = ["period", "year", "their DSCR", "DSCR, flat rents", "DSCR, deflated",
             "deflated - theirs", f"covenant ({covenant_label})", "their LTV",
             "economic LTV", "economic - theirs", "book LTV (model)", "their rent",
             "spot rent (model)"]
    hr = cov_top + 2
    for k, h in enumerate(heads):
        p.put(hr, 1 + k, h, style="head")
    for k in range(1, n + 1):
        r = hr + k
        p.put(r, 1, None, ref(table_top + k, tcol("period")), style="int")
        p.put(r, 2, None, year(k), style="years")
        if m_dscr is not None and k <= len(m_dscr.cells):
            p.put(r, 3, None, _their(m_dscr.cells[k - 1]), style="x")
        p.put(r, 4, None, flat(k), style="x")
        p.put(r, 5, None, dscr(k), style="x")
        if m_dscr is not None and k <= len(m_dscr.cells):
            p.put(r, 6, None, _ifnum(ref(r, 3), ref(r, 5), f"{ref(r, 5)}-{ref(r, 3)}"),
                  style="x")
        p.put(r, 7, None, target, style="x")
        if m_ltv is not None and k <= len(m_ltv.cells):
            p.put(r, 8, None, _their(m_ltv.cells[k - 1]), style="pct")
            p.put(r, 10, None, _ifnum(ref(r, 8), ref(r, 9), f"{ref(r, 9)}-{ref(r, 8)}"),
                  style="pct")
        p.put(r, 9, None, econ_ltv(k), style="pct")
        p.put(r, 11, None, book_ltv(k), style="pct")
        if m_rent is not None and k <= len(m_rent.cells):
            p.put(r, 12, None, _their(m_rent.cells[k - 1]), style="price")
        p.put(r, 13, None, ref(table_top + k, tcol("spot_rent")), style="price")
    c1, c2 = hr + 1, hr + n
    cats = rng(c1, 2, c2, 2, True)
    series = []
    if m_dscr is not None:
        series.append(("their DSCR", cats, rng(c1, 3, c2, 3, True)))
    series += [("flat rents (ComputeCredit)", cats, rng(c1, 4, c2, 4, True)),
               ("deflated (ComputeCredit)", cats, rng(c1, 5, c2, 5, True)),
               (f"covenant ({covenant_label})", cats, rng(c1, 7, c2, 7, True))]
    p.charts.append(Chart("DSCR: their sheet vs deflating rents", "years from close",
                          "DSCR (x)", '0.00"x"', series, (14, cov_top - 1, 22, cov_top + 19)))
    series = []
    if m_ltv is not None:
        series.append(("their LTV", cats, rng(c1, 8, c2, 8, True)))
    series += [("economic LTV (ComputeCredit)", cats, rng(c1, 9, c2, 9, True)),
               ("book LTV (straight line)", cats, rng(c1, 11, c2, 11, True))]
    p.charts.append(Chart("LTV: against the economic value of the GPUs", "years from close",
                          "LTV", "0%", series, (14, cov_top + 20, 22, cov_top + 40)))

    # -- loss ------------------------------------------------------------------------------------
    lgd_cells: dict[str, str] = {}
    if res.has_loss:
        p.put(loss_top, 1, "Loss: their fixed LGD against the correlated LGD", style="section")
        r = loss_top + 1

        def line(label: str, formula: str, kind: str, unit: str) -> str:
            nonlocal r
            r += 1
            p.put(r, 1, label)
            p.put(r, 3, unit, style="note")
            return p.put(r, 2, None, formula, style=kind)

        idx = f"MIN(ROUND({loss_cells['horizon_years']}*{ctx.curve_ppy},0)+1,{curve_rows - 1})"
        econ_range = rng(curve_top + 1, 3, curve_top + curve_rows - 1, 3)
        value = line("Economic value per GPU at the workout horizon",
                     f"INDEX({econ_range},{idx})", "money", "currency per GPU")
        cov = line("Collateral after haircut / EAD (coverage)",
                   f"{cell_of['gpus']}*{value}*(1-{loss_cells['gpu_haircut']})/"
                   f"{loss_cells['ead']}", "dec", "decimal of EAD")
        rho = loss_cells["rho_collateral"]
        lgd_cells = {"value": value, "coverage": cov,
                     "corr": line("LGD, correlated collateral (LGD_CORR)",
                                  _lgd("LGD_CORR", loss_cells, cov, rho), "pct", "decimal"),
                     "indep": line("LGD if the collateral were independent (rho = 0)",
                                   _lgd("LGD_CORR", loss_cells, cov, "0"), "pct", "decimal"),
                     "downturn": line("Downturn LGD at 99.9% (LGD_DOWNTURN)",
                                      _lgd("LGD_DOWNTURN", loss_cells, cov, rho), "pct",
                                      "decimal")}
        if res.loss.get("lgd") is not None:
            lgd_cells["theirs"] = loss_cells["lgd"]
            line("Correlated LGD - their fixed LGD",
                 f"{lgd_cells['corr']}-{loss_cells['lgd']}", "pct", "decimal")

    # -- key results (right of the deal block) -------------------------------------------------
    kr = 5
    p.put(kr - 1, 6, "Key results", style="section")
    for k, h in enumerate(["result", "value", "unit"]):
        p.put(kr, 6 + k, h, style="head")
    be1 = None
    be_cov = None
    results: list[tuple[str, str, str, str]] = []
    if m_dscr is not None:
        results.append(("Their minimum DSCR", f"MIN({_their_range(m_dscr)})", "key_x", "x"))
    results.append(("Minimum DSCR, model with flat rents", f"MIN({flat_col})", "key_x", "x"))
    results.append(("Minimum DSCR, model with deflating rents", f"DSCR_MIN({deal_name})",
                    "key_x", "x"))
    results.append(("LLCR at close, deflating rents", f"LLCR({deal_name})", "key_x", "x"))
    results.append(("Deflation assumed (deal block)", cell_of["deflation"], "key_pct",
                    "decimal per year"))
    results.append(("Breakeven deflation (DSCR 1.00x)",
                    f'IFNA(DSCR_BREAKEVEN({deal_name},1),"never binds")', "key_pct",
                    "decimal per year"))
    if res.target is not None:
        results.append((f"Breakeven deflation at their covenant",
                        f'IFNA(DSCR_BREAKEVEN({deal_name},{target}),"never binds")', "key_pct",
                        "decimal per year"))
    if m_rent is not None and len(m_rent.cells) >= 2:
        a, b = _their(m_rent.cells[0]), _their(m_rent.cells[-1])
        per = (len(m_rent.cells) - 1) / max(ctx.rent_freq, 1)
        results.append(("Their rent change a year",
                        f'IF(AND(ISNUMBER({a}),ISNUMBER({b}),{a}>0,{b}>0),'
                        f'({b}/{a})^(1/{_num(per)})-1,"")', "key_pct", "decimal per year"))
    if m_ltv is not None:
        results.append(("Their maximum LTV", f"MAX({_their_range(m_ltv)})", "key_pct",
                        "decimal"))
    results.append(("Maximum economic LTV", f"MAX({ltv_col})", "key_pct", "decimal"))
    results.append(("Economic value per GPU at close", curve_econ(0), "key_money",
                    "currency per GPU"))
    if m_value is not None:
        v0 = _their(m_value.cells[0])
        per = f"{v0}/{cell_of['gpus']}" if ctx.value_fleet else v0
        results.append(("Their first straight-line value per GPU", per, "key_money",
                        "currency per GPU"))
    if res.has_loss:
        if "theirs" in lgd_cells:
            results.append(("Their LGD (fixed)", lgd_cells["theirs"], "key_pct", "decimal"))
        results.append(("LGD, correlated collateral", lgd_cells["corr"], "key_pct",
                        "decimal"))
    for label, formula, style, unit in results:
        kr += 1
        p.put(kr, 6, label)
        cellref = p.put(kr, 7, None, formula, style=style)
        p.put(kr, 8, unit, style="note")
        if label.startswith("Breakeven deflation (DSCR 1.00x)"):
            be1 = cellref
        if label.startswith("Breakeven deflation at their"):
            be_cov = cellref
    kr += 1
    all_row = kr

    # -- checks ------------------------------------------------------------------------------
    checks: list[tuple[str, str]] = []
    if numeric_mapped:
        checks.append(("Every mapped input reads a number from the deal",
                       "AND(" + ",".join(f"ISNUMBER({c})" for c in numeric_mapped) + ")"))
    checks.append((f"Deflated DSCR at or above {covenant_label} in every period",
                   f"DSCR_MIN({deal_name})>={target}"))
    be = be_cov or be1
    checks.append(("Breakeven deflation above the deflation assumed",
                   f"IF(ISNUMBER({be}),{be}>={cell_of['deflation']},TRUE)"))
    checks.append(("Economic LTV below 100% in every period", f"MAX({ltv_col})<1"))
    checks.append(("DSCR_MIN equals the smallest DSCR of DSCR_TABLE",
                   f"ABS(DSCR_MIN({deal_name})-MIN({dscr_col}))<=0.000000001"))
    checks.append(("Rents not rising: the deflated DSCR never exceeds the flat-rent DSCR",
                   f"OR({cell_of['deflation']}<0,SUMPRODUCT(--({defl_col}>{flat_col}"
                   f"+0.000000001))=0)"))
    if res.has_loss:
        checks.append(("Correlated LGD at or above the independent LGD",
                       f"OR({loss_cells['rho_collateral']}<0,{lgd_cells['corr']}>="
                       f"{lgd_cells['indep']}-0.000000001)"))
    r = check_rows_at
    for label, formula in checks:
        p.put(r, 1, label)
        p.put(r, 2, None, formula, style="check")
        p.checks.append((label, ref(r, 2)))
        r += 1
    p.put(r, 1, "All checks TRUE", style="check")
    all_ref = p.put(r, 2, None, f"AND({rng(check_rows_at, 2, r - 1, 2)})", style="check")
    p.names.append((_free_name("cc_all_checks", ctx.name_taken),
                    f"{fx.quote_sheet(SHEET_NAME)}!{all_ref}"))
    p.put(all_row, 6, "All checks TRUE")
    p.put(all_row, 7, None, all_ref, style="check")
    return p


def _lgd(fn: str, cells: dict[str, str], coverage: str, rho: str) -> str:
    """An LGD call on the loss block (an empty asset_corr cell means the Basel correlation)."""
    return (f"{fn}({cells['pd']},{coverage},{cells['collateral_vol']},{cells['horizon_years']},"
            f"{rho},{cells['asset_corr']},{cells['theta']})")


def _mapped_cell(p: Plan, r: int, c: int, m: Mapped, style: str) -> None:
    if m.formula is not None:
        p.put(r, c, None, m.formula, style=style)
    else:
        p.put(r, c, m.literal, style=style)


def _their(key: tuple[str, int, int]) -> str:
    sheet, r, c = key
    return f"{fx.quote_sheet(sheet)}!{ref(r, c)}"


def _their_range(m: Mapped) -> str:
    (s, r1, c1), (_, r2, c2) = m.cells[0], m.cells[-1]
    return f"{fx.quote_sheet(s)}!{ref(r1, c1)}:{ref(r2, c2)}"


def _num(x: float) -> str:
    return f"{x:g}" if not float(x).is_integer() else str(int(x))


def _free_name(base: str, taken: set[str]) -> str:
    name, k = base, 2
    while name.lower() in taken:
        name = f"{base}_{k}"
        k += 1
    taken.add(name.lower())
    return name


def curve_span(res: Resolution, value_freq: int, value_start: float, n_value: int
               ) -> tuple[float, int]:
    """(curve_years, points_per_year) covering their value path, the loan and the workout."""
    ppy = value_freq if value_freq in (1, 2, 4, 12) else 1
    horizon = float(res.values["debt_years"])
    if n_value:
        horizon = max(horizon, value_start + (n_value - 1) / value_freq)
    if res.has_loss:
        h = res.loss["horizon_years"].value
        if isinstance(h, float):
            horizon = max(horizon, h)
    horizon = max(horizon, 1.0 / ppy)
    years = math.ceil(horizon * ppy - 1e-9) / ppy
    return years, ppy
