"""Generate the deal workbook templates (the script is the source; the .xlsx are committed).

Run from the repository root::

    python workbook/build.py            # writes workbook/*.xlsx
    python workbook/build.py --out DIR  # somewhere else (tests, benchmarks)

Every template has an Inputs sheet (one labelled cell per input, with unit and source; blue on
yellow), model sheets made only of ComputeCredit functions and plain Excel formulas, native
Excel charts, a Checks sheet of TRUE/FALSE formulas and a Summary sheet that
``computecredit recalc`` prints. Tables that our functions return are entered as array (CSE)
formulas over a fixed range, sized here by calling the same function on the shipped inputs, so
they work in every Excel version and in the headless engine.

Output is deterministic: fixed document properties and zip timestamps.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import openpyxl  # noqa: E402
from openpyxl.chart import BarChart, LineChart, Reference  # noqa: E402
from openpyxl.chart.series import SeriesLabel  # noqa: E402
from openpyxl.styles import Font, PatternFill  # noqa: E402
from openpyxl.utils import get_column_letter  # noqa: E402
from openpyxl.workbook.defined_name import DefinedName  # noqa: E402
from openpyxl.worksheet.formula import ArrayFormula  # noqa: E402

from addin import udfs  # noqa: E402,F401  (registers the Excel functions)
from addin.registry import REGISTRY, is_cell_reference  # noqa: E402

__all__ = ["build_neocloud", "build_miner", "build_portfolio", "build_all", "canonical_dump",
           "TEMPLATES"]

FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
TITLE = Font(bold=True, size=14)
HEAD = Font(bold=True)
NOTE = Font(italic=True, color="595959")
INPUT_FONT = Font(color="1F4E79", bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TABLE_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")

PCT, PCT2 = "0.0%", "0.00%"
MONEY, MONEY2 = "#,##0", "#,##0.00"
TIMES = '0.00"x"'
YEARS = '0.00'

# --------------------------------------------------------------------------------------------
# helpers


def _call(name: str, *args: Any) -> Any:
    """Call one of our Excel functions as Excel would (used only to size array ranges)."""
    out = REGISTRY[name].func(*args)
    if isinstance(out, str) and out.startswith("#"):
        raise RuntimeError(f"{name} fails on the shipped inputs: {out}")
    return out


class Book:
    """An openpyxl workbook plus defined names for the input cells."""

    def __init__(self, title: str, subject: str):
        self.wb = openpyxl.Workbook()
        self.wb.remove(self.wb.active)
        p = self.wb.properties
        p.title, p.subject, p.creator = title, subject, "ComputeCredit workbook/build.py"
        p.created = p.modified = FIXED_TIME
        p.lastModifiedBy = "ComputeCredit"
        self.values: dict[str, Any] = {}  # input name -> Python value (for sizing tables)

    def sheet(self, title: str, widths: dict[str, float] | None = None) -> Any:
        ws = self.wb.create_sheet(title)
        for col, w in (widths or {}).items():
            ws.column_dimensions[col].width = w
        return ws

    def name(self, name: str, ws: Any, ref: str) -> str:
        if is_cell_reference(name) or name.upper() in REGISTRY:
            raise ValueError(f"defined name {name} would clash with a cell or a function")
        sheet = ws.title if re.match(r"^\w+$", ws.title) else f"'{ws.title}'"
        self.wb.defined_names[name] = DefinedName(name, attr_text=f"{sheet}!{_abs(ref)}")
        return name

    def save(self, path: Path) -> Path:
        buf = io.BytesIO()
        self.wb.save(buf)
        _deterministic_zip(buf.getvalue(), path)
        return path


def _abs(ref: str) -> str:
    return ":".join(re.sub(r"^([A-Z]+)(\d+)$", r"$\1$\2", p) for p in ref.split(":"))


def _deterministic_zip(data: bytes, path: Path) -> None:
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        parts = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, blob in parts:
            if name == "docProps/core.xml":
                blob = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", blob)
                blob = re.sub(rb"(<dcterms:created[^>]*>)[^<]*(</dcterms:created>)",
                              rb"\g<1>" + stamp.encode() + rb"\g<2>", blob)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, blob)
    tmp.replace(path)


def _title(ws: Any, text: str, note: str | None = None) -> None:
    ws["A1"] = text
    ws["A1"].font = TITLE
    if note:
        ws["A2"] = note
        ws["A2"].font = NOTE


def _header(ws: Any, row: int, labels: list[str], col: int = 1) -> None:
    for k, label in enumerate(labels):
        c = ws.cell(row, col + k, label)
        c.font = HEAD
        c.fill = TABLE_HEAD_FILL


class InputBlock:
    """Rows of field | value | unit | source on the Inputs sheet; each value gets a name."""

    def __init__(self, book: Book, ws: Any, row: int):
        self.book, self.ws, self.row = book, ws, row

    def section(self, text: str, note: str | None = None) -> None:
        self.row += 1
        self.ws.cell(self.row, 1, text).font = Font(bold=True, size=12)
        if note:
            self.ws.cell(self.row, 3, note).font = NOTE
        self.row += 1
        _header(self.ws, self.row, ["field", "value", "unit", "source / note"])
        self.row += 1

    def add(self, field: str, value: Any, unit: str, source: str, fmt: str | None = None,
            name: str | None = None, py: Any = None) -> str:
        """Write one input; ``value`` may be a formula (then ``py`` is its Python value)."""
        r = self.row
        ws = self.ws
        ws.cell(r, 1, field)
        c = ws.cell(r, 2, value)
        if not (isinstance(value, str) and value.startswith("=")):
            c.font, c.fill = INPUT_FONT, INPUT_FILL
        if fmt:
            c.number_format = fmt
        ws.cell(r, 3, unit)
        ws.cell(r, 4, source)
        nm = self.book.name(name or field, ws, f"B{r}")
        self.book.values[nm] = py if py is not None else value
        self.row += 1
        return nm


def _array(ws: Any, top_left: str, formula: str, table: list[list[Any]],
           fmt: dict[int, str] | None = None) -> tuple[int, int, int, int]:
    """Enter ``formula`` as an array formula over exactly the size of ``table``; return
    (first row, first col, last row, last col)."""
    col0 = openpyxl.utils.cell.column_index_from_string(re.match(r"[A-Z]+", top_left).group())
    row0 = int(re.search(r"\d+", top_left).group())
    nrow, ncol = len(table), len(table[0])
    ref = f"{top_left}:{get_column_letter(col0 + ncol - 1)}{row0 + nrow - 1}"
    ws[top_left] = ArrayFormula(ref, formula)
    for j in range(ncol):
        ws.cell(row0, col0 + j).font = HEAD
        ws.cell(row0, col0 + j).fill = TABLE_HEAD_FILL
        for i in range(1, nrow):
            if fmt and j in fmt:
                ws.cell(row0 + i, col0 + j).number_format = fmt[j]
    return row0, col0, row0 + nrow - 1, col0 + ncol - 1


def _line_chart(title: str, x_title: str, y_title: str, fmt: str | None = None) -> LineChart:
    ch = LineChart()
    ch.title, ch.height, ch.width = title, 8, 16
    ch.x_axis.title, ch.y_axis.title = x_title, y_title
    if fmt:
        ch.y_axis.numFmt = fmt
    ch.x_axis.delete = False
    ch.y_axis.delete = False
    return ch


def _summary(book: Book, rows: list[tuple[str, str, str, str | None]], title: str) -> Any:
    """The Summary sheet: label | value | unit; recalc prints it."""
    ws = book.wb["Summary"]
    _title(ws, title, "Key outputs. Every value is a formula pointing at the model sheets; "
                      "computecredit recalc prints this sheet.")
    _header(ws, 3, ["output", "value", "unit"])
    for k, (label, formula, unit, fmt) in enumerate(rows, start=4):
        ws.cell(k, 1, label)
        c = ws.cell(k, 2, formula)
        if fmt:
            c.number_format = fmt
        ws.cell(k, 3, unit)
    ws.column_dimensions["A"].width = 52
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 26
    return ws


def _checks(book: Book, rows: list[tuple[str, str]]) -> None:
    ws = book.wb["Checks"]
    _title(ws, "Checks", "Each cell must be TRUE. computecredit recalc lists every FALSE and "
                         "exits non-zero.")
    _header(ws, 3, ["check", "TRUE?"])
    for k, (label, formula) in enumerate(rows, start=4):
        ws.cell(k, 1, label)
        ws.cell(k, 2, formula)
    last = 3 + len(rows)
    ws.cell(last + 2, 1, "all checks TRUE").font = HEAD
    ws.cell(last + 2, 2, f"=AND(B4:B{last})").font = HEAD
    ws.column_dimensions["A"].width = 90
    ws.column_dimensions["B"].width = 10
    book.name("all_checks", ws, f"B{last + 2}")


# --------------------------------------------------------------------------------------------
# neocloud_facility.xlsx

NEO = {
    "h100_gpus": 1536, "h100_cost": 28000.0, "h100_rent0": 2.00, "h100_cash_cost": 0.32,
    "b200_gpus": 512, "b200_cost": 42000.0, "b200_rent0": 3.40, "b200_cash_cost": 0.44,
    "ig_share": 0.20, "ig_tenant_pd": 0.002, "subig_share": 0.10, "subig_tenant_pd": 0.04,
}


def _deal_rows(v: dict[str, float]) -> list[tuple[str, Any, str, str, str | None, Any]]:
    """The deal_inputs block: (field, value or formula, unit, source, format, python value)."""
    gpus = v["h100_gpus"] + v["b200_gpus"]
    wavg = lambda a, b: (v["h100_gpus"] * v[a] + v["b200_gpus"] * v[b]) / gpus  # noqa: E731
    share = v["ig_share"] + v["subig_share"]
    tpd = (v["ig_share"] * v["ig_tenant_pd"] + v["subig_share"] * v["subig_tenant_pd"]) / share
    return [
        ("gpus", "=h100_gpus+b200_gpus", "GPUs", "fleet above", "#,##0", gpus),
        ("rent0", "=(h100_gpus*h100_rent0+b200_gpus*b200_rent0)/(h100_gpus+b200_gpus)",
         "currency per GPU-hour", "fleet-weighted spot rent at close", MONEY2,
         wavg("h100_rent0", "b200_rent0")),
        ("deflation", 0.20, "decimal per year", "annual spot-rent decline; README: 20-40% a "
         "year observed; cf. RENT_DEFLATION_FIT", PCT, 0.20),
        ("utilization", 0.85, "decimal", "spot utilisation of uncontracted GPUs (borrower "
         "KPI pack)", PCT, 0.85),
        ("contracted_share", "=ig_share+subig_share", "decimal", "IG + sub-IG take-or-pay "
         "capacity", PCT, share),
        ("contract_rate", 2.60, "currency per GPU-hour", "blended contract price (customer "
         "contracts)", MONEY2, 2.60),
        ("contract_years", 4.0, "years", "remaining contract term (customer contracts)", YEARS,
         4.0),
        ("cash_cost", "=(h100_gpus*h100_cash_cost+b200_gpus*b200_cash_cost)/(h100_gpus+"
         "b200_gpus)", "currency per GPU-hour", "fleet-weighted power, colocation, "
         "maintenance", MONEY2, wavg("h100_cash_cost", "b200_cash_cost")),
        ("tax_rate", 0.21, "decimal", "US federal corporate rate", PCT, 0.21),
        ("tenant_pd", "=(ig_share*ig_tenant_pd+subig_share*subig_tenant_pd)/(ig_share+"
         "subig_share)", "decimal per year", "share-weighted tenant default probability", PCT2,
         tpd),
        ("step_years", 2.0, "years from close", "next NVIDIA generation in volume (Rubin, "
         "catalogue volume date)", YEARS, 2.0),
        ("step_downs", 0.10, "decimal", "rent markdown when it ships (throughput parity with "
         "premium)", PCT, 0.10),
        ("debt", 35_000_000.0, "currency", "facility commitment, assumed fully drawn at "
         "close (term sheet)", MONEY, 35e6),
        ("debt_rate", 0.105, "nominal annual decimal", "base rate + margin (term sheet)", PCT2,
         0.105),
        ("debt_years", 4.0, "years", "tenor (term sheet)", YEARS, 4.0),
        ("amortization", "annuity", "-", "annuity | linear | bullet | sculpted (term sheet)",
         None, "annuity"),
        ("balloon", 0.20, "decimal of debt", "balloon at maturity (term sheet)", PCT, 0.20),
        ("periods_per_year", 4, "periods per year", "quarterly payments (term sheet)", "0", 4),
        ("gpu_cost", "=(h100_gpus*h100_cost+b200_gpus*b200_cost)/(h100_gpus+b200_gpus)",
         "currency per GPU", "fleet-weighted purchase price", MONEY,
         wavg("h100_cost", "b200_cost")),
        ("age_years", 0.0, "years", "GPUs new at close", YEARS, 0.0),
        ("book_life_years", 6.0, "years", "straight-line depreciation life (borrower "
         "accounts)", YEARS, 6.0),
        ("physical_life_years", 7.0, "years", "physical life of a data-centre GPU "
         "(assumption)", YEARS, 7.0),
        ("salvage", 1500.0, "currency per GPU", "scrap/parts value at end of life", MONEY,
         1500.0),
        ("discount_rate", 0.12, "annual effective decimal", "collateral discount rate "
         "(cost of equity of a GPU buyer)", PCT, 0.12),
    ]


def _deal_block(book: Book, blk: InputBlock, rows: list[tuple]) -> str:
    first = blk.row
    for field, value, unit, source, fmt, py in rows:
        blk.add(field, value, unit, source, fmt, name=f"deal_{field}", py=py)
    book.name("deal_inputs", blk.ws, f"A{first}:B{blk.row - 1}")
    return "deal_inputs"


def _deal_pairs(book: Book, rows: list[tuple]) -> list[list[Any]]:
    return [[f, book.values[f"deal_{f}"]] for f, *_ in rows]


def build_neocloud(path: Path) -> Path:
    book = Book("Neo-cloud GPU facility", "GPU-backed delayed-draw term loan to a neo-cloud")
    book.sheet("Summary")
    ws_in = book.sheet("Inputs", {"A": 26, "B": 16, "C": 26, "D": 80})
    ws_rv = book.sheet("Collateral", {"A": 12})
    ws_cov = book.sheet("Coverage", {"A": 34, "B": 14})
    ws_loss = book.sheet("Loss", {"A": 46, "B": 16, "C": 22})
    book.sheet("Checks")

    _title(ws_in, "Neo-cloud GPU facility: inputs",
           "Blue-on-yellow cells are inputs; white cells in column B are formulas. Field names "
           "of the deal block are read by DSCR_TABLE and friends: do not rename them.")
    blk = InputBlock(book, ws_in, 3)
    blk.section("Fleet and contracts")
    v = NEO
    blk.add("h100_gpus", v["h100_gpus"], "GPUs", "borrower fleet register", "#,##0")
    blk.add("h100_cost", v["h100_cost"], "currency per GPU", "purchase invoices; catalogue "
            "reference price 30,000 (GPU_SPEC)", MONEY)
    blk.add("h100_rent0", v["h100_rent0"], "currency per GPU-hour", "market spot rent at "
            "close; SDH100RT index about 2.60 mid-2026 (catalogue)", MONEY2)
    blk.add("h100_cash_cost", v["h100_cash_cost"], "currency per GPU-hour", "power 1.275 kW "
            "per GPU x price, colocation, maintenance", MONEY2)
    blk.add("b200_gpus", v["b200_gpus"], "GPUs", "borrower fleet register", "#,##0")
    blk.add("b200_cost", v["b200_cost"], "currency per GPU", "purchase invoices; catalogue "
            "reference price 35,000 plus networking", MONEY)
    blk.add("b200_rent0", v["b200_rent0"], "currency per GPU-hour", "contracted-market rent "
            "at close (SDB200RT about 5.30 spot, catalogue)", MONEY2)
    blk.add("b200_cash_cost", v["b200_cash_cost"], "currency per GPU-hour", "power 1.79 kW per "
            "GPU x price, colocation, maintenance", MONEY2)
    blk.add("ig_share", v["ig_share"], "decimal of capacity", "take-or-pay contracts with "
            "investment-grade tenants", PCT)
    blk.add("ig_tenant_pd", v["ig_tenant_pd"], "decimal per year", "one-year PD of a BBB "
            "tenant (rating-agency default studies, approx.)", PCT2)
    blk.add("subig_share", v["subig_share"], "decimal of capacity", "take-or-pay contracts "
            "with sub-investment-grade (AI start-up) tenants", PCT)
    blk.add("subig_tenant_pd", v["subig_tenant_pd"], "decimal per year", "one-year PD of a "
            "B tenant (rating-agency default studies, approx.)", PCT2)
    blk.section("Deal (deal_inputs)", "read as one range by the coverage functions")
    rows = _deal_rows(v)
    deal = _deal_block(book, blk, rows)
    blk.section("Credit, covenants and collateral")
    blk.add("borrower_pd", 0.03, "decimal per year", "internal rating B+ (one-year PD)", PCT2)
    blk.add("margin", 0.065, "decimal per year", "facility margin over the base rate (term "
            "sheet)", PCT2)
    blk.add("dscr_covenant", 1.20, "x", "minimum DSCR covenant (term sheet)", TIMES)
    blk.add("ltv_covenant", 0.80, "decimal", "maximum LTV covenant (term sheet)", PCT)
    blk.add("maturity_years", "=deal_debt_years", "years", "effective maturity for IRB "
            "capital", YEARS, py=4.0)
    blk.add("collateral_vol", 0.45, "decimal per sqrt(year)", "volatility of GPU values "
            "(log-rent volatility, cf. RENT_DEFLATION_FIT)", PCT)
    blk.add("workout_years", 1.0, "years", "time from default to the sale of the GPUs",
            YEARS)
    blk.add("rho_collateral", 0.50, "decimal", "correlation of GPU values with the "
            "systematic factor (downturns hit rents)", "0.00")
    blk.add("theta", 0.0, "decimal", "loading of GPU values on the borrower's own shock",
            "0.00")
    blk.add("daily_volume", 300.0, "GPUs a day", "secondary-market depth for used H100/B200 "
            "(broker estimate)", "#,##0")
    blk.add("days_to_sell", 60.0, "business days", "liquidation horizon of the receiver",
            "#,##0")
    blk.add("cost_per_unit", 1500.0, "currency per GPU", "de-installation, transport, "
            "refurbishment and broker fee", MONEY)

    # ---------------- Collateral: economic against book value per GPU
    _title(ws_rv, "Collateral: economic value against straight-line book value, per GPU",
           "GPU_RV_CURVE: income-approach value of one GPU at each year (rent deflation and "
           "generation step-downs) next to the book value that deal sheets use.")
    common = ("deal_utilization", "{cash}", "deal_deflation", "deal_discount_rate",
              "deal_debt_years", "1",
              "deal_book_life_years", "deal_age_years", "deal_salvage",
              "deal_physical_life_years-deal_age_years", "deal_step_years", "deal_step_downs")
    py_common = lambda cash: [0.85, cash, 0.20, 0.12, 4.0, 1, 6.0, 0.0, 1500.0, 7.0, 2.0,  # noqa
                              0.10]
    curves = {}
    for sku, col in (("h100", "A"), ("b200", "H")):
        ws_rv[f"{col}4"] = f"{sku.upper()} (cost, rent at close from Inputs)"
        ws_rv[f"{col}4"].font = HEAD
        args = ", ".join([f"{sku}_cost", f"{sku}_rent0"] +
                         [a.format(cash=f"{sku}_cash_cost") for a in common])
        table = _call("GPU_RV_CURVE", v[f"{sku}_cost"], v[f"{sku}_rent0"],
                      *py_common(v[f"{sku}_cash_cost"]))
        curves[sku] = _array(ws_rv, f"{col}5", f"=GPU_RV_CURVE({args})", table,
                             {1: MONEY2, 2: MONEY, 3: MONEY, 4: MONEY, 5: PCT})
    r0, _, r1, _ = curves["h100"]
    ws_rv["A15"], ws_rv["A15"].font = "Fleet at close", HEAD
    fleet = [
        ("H100 economic value per GPU (GPU_RV)", "=GPU_RV(h100_rent0, deal_utilization, "
         "h100_cash_cost, deal_deflation, deal_discount_rate, deal_salvage, "
         "deal_physical_life_years-deal_age_years, deal_step_years, deal_step_downs)", MONEY,
         "rv_h100"),
        ("B200 economic value per GPU (GPU_RV)", "=GPU_RV(b200_rent0, deal_utilization, "
         "b200_cash_cost, deal_deflation, deal_discount_rate, deal_salvage, "
         "deal_physical_life_years-deal_age_years, deal_step_years, deal_step_downs)", MONEY,
         "rv_b200"),
        ("Fleet economic value", "=h100_gpus*rv_h100+b200_gpus*rv_b200", MONEY,
         "fleet_econ_value"),
        ("Fleet book value", "=h100_gpus*GPU_BOOK_VALUE(h100_cost, deal_age_years, "
         "deal_book_life_years, deal_salvage)+b200_gpus*GPU_BOOK_VALUE(b200_cost, "
         "deal_age_years, deal_book_life_years, deal_salvage)", MONEY, "fleet_book_value"),
        ("Economic / book", "=fleet_econ_value/fleet_book_value", PCT, "fleet_econ_to_book"),
        ("Economic LTV at close", "=deal_debt/fleet_econ_value", PCT, "ltv_econ_close"),
        ("Book LTV at close", "=deal_debt/fleet_book_value", PCT, "ltv_book_close"),
    ]
    for k, (label, formula, fmt, nm) in enumerate(fleet, start=16):
        ws_rv[f"A{k}"] = label
        ws_rv[f"E{k}"] = formula
        ws_rv[f"E{k}"].number_format = fmt
        book.name(nm, ws_rv, f"E{k}")
    ch = _line_chart("Economic vs book value per GPU", "year", "currency per GPU", "#,##0")
    for sku, (a, c0, b, _) in curves.items():
        for j, what in ((2, "economic"), (3, "book")):
            ch.add_data(Reference(ws_rv, min_col=c0 + j, min_row=a + 1, max_row=b),
                        titles_from_data=False)
            ch.series[-1].tx = SeriesLabel(v=f"{sku.upper()} {what}")
    ch.set_categories(Reference(ws_rv, min_col=1, min_row=r0 + 1, max_row=r1))
    ws_rv.add_chart(ch, "A25")

    # ---------------- Coverage: DSCR and LTV paths against covenants
    _title(ws_cov, "Coverage: deflated DSCR and LTV paths against covenants",
           "DSCR_TABLE: the debt schedule is fixed at close; spot rents deflate and step down "
           "when the next generation ships; contracted capacity rolls onto spot at expiry.")
    metrics = [
        ("Minimum DSCR", "=DSCR_MIN(deal_inputs)", TIMES, "min_dscr"),
        ("LLCR at close", "=LLCR(deal_inputs)", TIMES, "llcr_close"),
        ("Breakeven deflation (DSCR 1.00x)", "=DSCR_BREAKEVEN(deal_inputs, 1)", PCT,
         "be_deflation"),
        ("Breakeven deflation at the covenant", "=DSCR_BREAKEVEN(deal_inputs, dscr_covenant)",
         PCT, "be_deflation_cov"),
        ("Breakeven spot rent at close (1.00x)", "=RENT_BREAKEVEN(deal_inputs, 1)", MONEY2,
         "be_rent"),
        ("Breakeven spot utilisation (1.00x)", "=UTILIZATION_BREAKEVEN(deal_inputs, 1)", PCT,
         "be_util"),
        ("Debt capacity at the covenant DSCR", "=DEBT_CAPACITY(deal_inputs, dscr_covenant)",
         MONEY, "capacity_at_covenant"),
    ]
    for k, (label, formula, fmt, nm) in enumerate(metrics, start=4):
        ws_cov[f"A{k}"] = label
        ws_cov[f"B{k}"] = formula
        ws_cov[f"B{k}"].number_format = fmt
        book.name(nm, ws_cov, f"B{k}")
    pairs = _deal_pairs(book, rows)
    table = _call("DSCR_TABLE", pairs)
    top = 13
    ws_cov[f"A{top - 1}"] = "Per period (DSCR_TABLE; the last row is the balloon at maturity)"
    ws_cov[f"A{top - 1}"].font = HEAD
    money_cols = {j: MONEY for j in range(3, 10)}
    fmts = {2: MONEY2, **money_cols, 10: TIMES, 11: TIMES, 12: MONEY, 13: MONEY, 14: PCT,
            15: PCT, 16: TIMES}
    t0, c0, t1, c1 = _array(ws_cov, f"A{top}", f"=DSCR_TABLE({deal})", table, fmts)
    header = table[0]
    col = {h: c0 + j for j, h in enumerate(header)}
    last_period = t1 - 1  # the last row is "maturity"
    cov_c, ltvc_c = c1 + 1, c1 + 2
    ws_cov.cell(t0, cov_c, "dscr_covenant").font = HEAD
    ws_cov.cell(t0, ltvc_c, "ltv_covenant").font = HEAD
    for r in range(t0 + 1, last_period + 1):
        ws_cov.cell(r, cov_c, "=dscr_covenant").number_format = TIMES
        ws_cov.cell(r, ltvc_c, "=ltv_covenant").number_format = PCT
    L = get_column_letter
    book.name("tab_dscr", ws_cov, f"{L(col['dscr'])}{t0 + 1}:{L(col['dscr'])}{last_period}")
    book.name("tab_closing", ws_cov, f"{L(col['closing_balance'])}{last_period}")
    book.name("tab_principal", ws_cov,
              f"{L(col['principal'])}{t0 + 1}:{L(col['principal'])}{last_period}")
    book.name("tab_econ_ltv", ws_cov,
              f"{L(col['economic_ltv'])}{t0 + 1}:{L(col['economic_ltv'])}{last_period}")
    book.name("tab_book_ltv", ws_cov,
              f"{L(col['book_ltv'])}{t0 + 1}:{L(col['book_ltv'])}{last_period}")
    book.name("tab_econ_value", ws_cov, f"{L(col['economic_value_per_gpu'])}{t0 + 1}:"
                                        f"{L(col['economic_value_per_gpu'])}{last_period}")
    book.name("tab_book_value", ws_cov, f"{L(col['book_value_per_gpu'])}{t0 + 1}:"
                                        f"{L(col['book_value_per_gpu'])}{last_period}")
    cats = Reference(ws_cov, min_col=col["year"], min_row=t0 + 1, max_row=last_period)
    ch = _line_chart("DSCR against covenant", "year", "DSCR (x)", "0.00")
    for c in (col["dscr"], cov_c):
        ch.add_data(Reference(ws_cov, min_col=c, min_row=t0, max_row=last_period),
                    titles_from_data=True)
    ch.set_categories(cats)
    ws_cov.add_chart(ch, f"A{t1 + 3}")
    ch = _line_chart("LTV: economic vs book against covenant", "year", "LTV", "0%")
    for c in (col["economic_ltv"], col["book_ltv"], ltvc_c):
        ch.add_data(Reference(ws_cov, min_col=c, min_row=t0, max_row=last_period),
                    titles_from_data=True)
    ch.set_categories(cats)
    ws_cov.add_chart(ch, f"H{t1 + 3}")
    cmp_top = t1 + 21
    ws_cov[f"A{cmp_top - 1}"] = ("What straight-line sheets show: flat rents and book "
                                 "collateral (DSCR_COMPARE)")
    ws_cov[f"A{cmp_top - 1}"].font = HEAD
    cmp_table = _call("DSCR_COMPARE", pairs)
    k0, kc0, k1, _ = _array(ws_cov, f"A{cmp_top}", f"=DSCR_COMPARE({deal})", cmp_table,
                            {1: YEARS, 2: TIMES, 3: PCT, 4: TIMES, 5: PCT})
    chead = {h: kc0 + j for j, h in enumerate(cmp_table[0])}
    book.name("cmp_flat", ws_cov, f"{L(chead['dscr_flat'])}{k0 + 1}:{L(chead['dscr_flat'])}{k1}")
    book.name("cmp_deflated", ws_cov,
              f"{L(chead['dscr_deflated'])}{k0 + 1}:{L(chead['dscr_deflated'])}{k1}")
    ch = _line_chart("DSCR: flat-rent sheet vs deflated", "year", "DSCR (x)", "0.00")
    for c in (chead["dscr_flat"], chead["dscr_deflated"]):
        ch.add_data(Reference(ws_cov, min_col=c, min_row=k0, max_row=k1), titles_from_data=True)
    ch.set_categories(Reference(ws_cov, min_col=chead["year"], min_row=k0 + 1, max_row=k1))
    ws_cov.add_chart(ch, f"H{cmp_top}")

    # ---------------- Loss: fire sale, correlated LGD, capital, EL, spread
    _title(ws_loss, "Loss: fire-sale haircut, correlated and downturn LGD, capital, pricing",
           "Defaults come in downturns, when GPU rents fall: the LGD below lets the collateral "
           "fall with the borrower (correlated lognormal, closed form).")
    ws_loss["A4"], ws_loss["A4"].font = "Fire-sale haircut on the whole fleet", HEAD
    hc = _call("FIRESALE_HAIRCUT", 2048, 300.0, 0.45, 60.0, 1, 1500.0, 20000.0)
    h0, _, h1, _ = _array(ws_loss, "A5", "=FIRESALE_HAIRCUT(deal_gpus, daily_volume, "
                          "collateral_vol, days_to_sell, 1, cost_per_unit, "
                          "fleet_econ_value/deal_gpus)", hc, {1: PCT})
    ws_loss.cell(h0, 1).font = Font()  # label/value rows: no header
    book.name("haircut_total", ws_loss, f"B{h0}")
    r = h1 + 2
    loss_rows = [
        ("Exposure at default (commitment)", "=deal_debt", MONEY, "ead"),
        ("Collateral after fire-sale haircut", "=fleet_econ_value*(1-haircut_total)", MONEY,
         "net_collateral"),
        ("Coverage (net collateral / EAD)", "=net_collateral/ead", "0.00", "coverage"),
        ("Expected LGD, correlated collateral (LGD_CORR)", "=LGD_CORR(borrower_pd, coverage, "
         "collateral_vol, workout_years, rho_collateral, , theta)", PCT, "expected_lgd"),
        ("Expected LGD if collateral were independent (rho = 0)", "=LGD_CORR(borrower_pd, "
         "coverage, collateral_vol, workout_years, 0, , theta)", PCT, "independent_lgd"),
        ("Downturn LGD at 99.9% (LGD_DOWNTURN)", "=LGD_DOWNTURN(borrower_pd, coverage, "
         "collateral_vol, workout_years, rho_collateral, , theta)", PCT, "downturn_lgd"),
        ("Capital per unit EAD, collateral model (LGD_CAPITAL)", "=LGD_CAPITAL(borrower_pd, "
         "coverage, collateral_vol, workout_years, rho_collateral, , theta)", PCT2,
         "cap_collateral"),
        ("Basel IRB capital K with downturn LGD (IRB_K)", "=IRB_K(borrower_pd, downturn_lgd, "
         "maturity_years)", PCT2, "k_irb"),
        ("Basel IRB risk weight (IRB_RW)", "=IRB_RW(borrower_pd, downturn_lgd, "
         "maturity_years)", PCT, "rw_irb"),
        ("Capital (K x EAD)", "=k_irb*ead", MONEY, "capital"),
        ("Expected loss per year (EXPECTED_LOSS)", "=EXPECTED_LOSS(borrower_pd, expected_lgd, "
         "ead)", MONEY, "el_per_year"),
        ("Fair spread for expected loss (FAIR_SPREAD)", "=FAIR_SPREAD(borrower_pd, "
         "expected_lgd)", PCT2, "spread_fair"),
        ("Facility margin", "=margin", PCT2, "margin_ref"),
        ("Margin less fair spread", "=margin-spread_fair", PCT2, "excess_spread"),
        ("Return on capital of the excess spread", "=excess_spread*ead/capital", PCT,
         "return_on_capital"),
    ]
    for k, (label, formula, fmt, nm) in enumerate(loss_rows, start=r):
        ws_loss[f"A{k}"] = label
        ws_loss[f"B{k}"] = formula
        ws_loss[f"B{k}"].number_format = fmt
        book.name(nm, ws_loss, f"B{k}")
    r = r + len(loss_rows) + 2
    ws_loss[f"A{r}"], ws_loss[f"A{r}"].font = ("LGD distribution over the systematic factor "
                                               "(LGD_DOWNTURN at each quantile)"), HEAD
    _header(ws_loss, r + 1, ["systematic quantile", "LGD", "LGD, rho = 0"])
    q_rows = [0.50, 0.75, 0.90, 0.95, 0.99, 0.999]
    for k, q in enumerate(q_rows, start=r + 2):
        ws_loss[f"A{k}"] = q
        ws_loss[f"A{k}"].number_format = "0.0%"
        ws_loss[f"B{k}"] = (f"=LGD_DOWNTURN(borrower_pd, coverage, collateral_vol, "
                            f"workout_years, rho_collateral, , theta, A{k})")
        ws_loss[f"C{k}"] = (f"=LGD_DOWNTURN(borrower_pd, coverage, collateral_vol, "
                            f"workout_years, 0, , theta, A{k})")
        ws_loss[f"B{k}"].number_format = ws_loss[f"C{k}"].number_format = PCT
    qa, qb = r + 2, r + 1 + len(q_rows)
    book.name("lgd_by_quantile", ws_loss, f"B{qa}:B{qb}")
    ch = BarChart()
    ch.title, ch.height, ch.width = "LGD by systematic quantile (downturn severity)", 8, 16
    ch.x_axis.title, ch.y_axis.title = "quantile of the systematic factor", "LGD"
    ch.y_axis.numFmt = "0%"
    ch.x_axis.delete = ch.y_axis.delete = False
    ch.add_data(Reference(ws_loss, min_col=2, max_col=3, min_row=r + 1, max_row=qb),
                titles_from_data=True)
    ch.set_categories(Reference(ws_loss, min_col=1, min_row=qa, max_row=qb))
    ws_loss.add_chart(ch, "E4")

    # ---------------- Summary and Checks
    _summary(book, [
        ("Fleet economic value at close", "=fleet_econ_value", "currency", MONEY),
        ("Fleet book value at close", "=fleet_book_value", "currency", MONEY),
        ("Economic LTV at close", "=ltv_econ_close", "decimal", PCT),
        ("Maximum economic LTV over the loan", "=MAX(tab_econ_ltv)", "decimal", PCT),
        ("Maximum book LTV over the loan", "=MAX(tab_book_ltv)", "decimal", PCT),
        ("LTV covenant", "=ltv_covenant", "decimal", PCT),
        ("Minimum DSCR", "=min_dscr", "x", TIMES),
        ("DSCR covenant", "=dscr_covenant", "x", TIMES),
        ("LLCR at close", "=llcr_close", "x", TIMES),
        ("Breakeven deflation (1.00x)", "=be_deflation", "decimal per year", PCT),
        ("Breakeven deflation at the covenant", "=be_deflation_cov", "decimal per year", PCT),
        ("Debt capacity at the covenant DSCR", "=capacity_at_covenant", "currency", MONEY),
        ("Fire-sale haircut", "=haircut_total", "decimal", PCT),
        ("Expected LGD (correlated)", "=expected_lgd", "decimal", PCT),
        ("Expected LGD if independent", "=independent_lgd", "decimal", PCT),
        ("Downturn LGD (99.9%)", "=downturn_lgd", "decimal", PCT),
        ("IRB risk weight", "=rw_irb", "decimal", PCT),
        ("Capital", "=capital", "currency", MONEY),
        ("Expected loss per year", "=el_per_year", "currency", MONEY),
        ("Fair spread", "=spread_fair", "decimal per year", PCT2),
        ("Facility margin", "=margin", "decimal per year", PCT2),
        ("All checks TRUE", "=all_checks", "TRUE/FALSE", None),
    ], "Neo-cloud GPU facility: summary")
    _checks(book, [
        ("H100 economic value <= book value at the horizon (base case)",
         f"=Collateral!C{r1}<=Collateral!D{r1}"),
        ("B200 economic value <= book value at the horizon (base case)",
         f"=Collateral!J{curves['b200'][2]}<=Collateral!K{curves['b200'][2]}"),
        ("Balances end at the balloon: closing balance of the last period = balloon x debt",
         "=ABS(tab_closing-deal_balloon*deal_debt)<=0.000001*deal_debt"),
        ("Principal repaid over the loan = debt less balloon",
         "=ABS(SUM(tab_principal)-deal_debt*(1-deal_balloon))<=0.000001*deal_debt"),
        ("DSCR_MIN equals the minimum of the DSCR column", "=ABS(min_dscr-MIN(tab_dscr))"
         "<=0.000000001"),
        ("Deflated DSCR never above the flat-rent DSCR", "=SUMPRODUCT(--(cmp_deflated>"
         "cmp_flat+0.000000001))=0"),
        ("Expected LGD within [0, 1]", "=AND(expected_lgd>=0, expected_lgd<=1)"),
        ("Downturn LGD within [0, 1] and >= expected LGD",
         "=AND(downturn_lgd<=1, downturn_lgd>=expected_lgd)"),
        ("Correlation raises LGD: correlated >= independent", "=expected_lgd>=independent_lgd"),
        ("LGD rises with the systematic quantile", f"=SUMPRODUCT(--(Loss!B{qa + 1}:B{qb}<"
         f"Loss!B{qa}:B{qb - 1}))=0"),
        ("Fire-sale haircut within [0, 1]", "=AND(haircut_total>=0, haircut_total<=1)"),
        ("Risk weight = 12.5 x K", "=ABS(rw_irb-12.5*k_irb)<=0.000000001"),
        ("Economic value per GPU in DSCR_TABLE at close = GPU_RV of the blended fleet",
         "=ABS(INDEX(tab_econ_value,1)-GPU_RV(deal_rent0, deal_utilization, deal_cash_cost, "
         "deal_deflation, deal_discount_rate, deal_salvage, deal_physical_life_years-"
         "deal_age_years, deal_step_years, deal_step_downs))<=0.000001*INDEX(tab_econ_value,1)"),
    ])
    return book.save(path)


# --------------------------------------------------------------------------------------------
# miner_convertible.xlsx

MINER_DEAL = [
    ("gpus", 4096, "GPUs", "H100 fleet hosted for an AI tenant (fleet register)", "#,##0"),
    ("rent0", 2.00, "currency per GPU-hour", "H100 spot rent at close (SDH100RT about 2.60 "
     "mid-2026, catalogue; used fleet discount)", MONEY2),
    ("deflation", 0.25, "decimal per year", "annual spot-rent decline (20-40% a year "
     "observed)", PCT),
    ("utilization", 0.85, "decimal", "spot utilisation of capacity outside the lease", PCT),
    ("contracted_share", 0.80, "decimal", "capacity under the hosting lease", PCT),
    ("contract_rate", 2.10, "currency per GPU-hour", "hosting lease rate (lease agreement)",
     MONEY2),
    ("contract_years", 5.0, "years", "hosting lease term", YEARS),
    ("cash_cost", 0.30, "currency per GPU-hour", "power at the miner's own sites, "
     "maintenance", MONEY2),
    ("tax_rate", 0.21, "decimal", "US federal corporate rate", PCT),
    ("tenant_pd", 0.005, "decimal per year", "hosting tenant PD (hyperscaler-backed, A-)",
     PCT2),
    ("debt", "=notes_principal", "currency", "convertible notes outstanding", MONEY),
    ("debt_rate", "=notes_coupon", "nominal annual decimal", "coupon of the notes", PCT2),
    ("debt_years", "=notes_years", "years", "years to the notes' maturity or put", YEARS),
    ("amortization", "bullet", "-", "convertible notes pay coupons only", None),
    ("periods_per_year", 1, "periods per year", "annual view", "0"),
    ("gpu_cost", 27000.0, "currency per GPU", "purchase invoices", MONEY),
    ("age_years", 0.5, "years", "GPUs six months old at close", YEARS),
    ("book_life_years", 6.0, "years", "straight-line depreciation life", YEARS),
    ("physical_life_years", 7.0, "years", "physical life of a data-centre GPU", YEARS),
    ("salvage", 1000.0, "currency per GPU", "scrap/parts value", MONEY),
    ("discount_rate", 0.14, "annual effective decimal", "collateral discount rate", PCT),
]
MINER_PY = {"gpus": 4096, "rent0": 2.0, "deflation": 0.25, "utilization": 0.85,
            "contracted_share": 0.8, "contract_rate": 2.1, "contract_years": 5.0,
            "cash_cost": 0.30, "tax_rate": 0.21, "tenant_pd": 0.005, "debt": 400e6,
            "debt_rate": 0.03, "debt_years": 5.0, "amortization": "bullet",
            "periods_per_year": 1, "gpu_cost": 27000.0, "age_years": 0.5,
            "book_life_years": 6.0, "physical_life_years": 7.0, "salvage": 1000.0,
            "discount_rate": 0.14}

# LGD_MC field -> formula (names on the Inputs sheet); variants override some fields
MC_FIELDS = [
    ("ead", "=notes_principal"), ("pd", "=borrower_pd"), ("horizon_years", "=workout_years"),
    ("gpu_value", "=gpu_value_at_horizon"), ("gpu_vol", "=gpu_vol"),
    ("gpu_vol_stress", "=gpu_vol_stress"), ("gpu_corr_calm", "=gpu_corr_calm"),
    ("gpu_corr_stress", "=gpu_corr_stress"), ("btc_value", "=btc_treasury"),
    ("btc_vol", "=btc_vol"), ("btc_vol_stress", "=btc_vol_stress"),
    ("btc_corr_calm", "=btc_corr_calm"), ("btc_corr_stress", "=btc_corr_stress"),
    ("gpu_btc_corr_calm", "=gpu_btc_corr_calm"), ("gpu_btc_corr_stress", "=gpu_btc_corr_stress"),
    ("receivables_value", "=lease_receivables"), ("receivables_vol", "=receivables_vol"),
    ("receivables_corr", "=receivables_corr"), ("p_stress", "=p_stress"),
    ("copula", "gaussian"), ("nu", "=t_nu"), ("gpu_haircut", "=gpu_haircut"),
    ("btc_haircut", "=btc_haircut"), ("workout_years", "=workout_years"),
    ("discount_rate", "=deal_discount_rate"), ("n_paths", "=mc_paths"), ("seed", "=mc_seed"),
]
MC_VARIANTS = [
    ("Calm only, Gaussian", {"p_stress": 0.0}),
    ("Calm/stress mix, Gaussian", {}),
    ("Calm/stress mix, t copula", {"copula": "t"}),
    ("Stress only, t copula", {"p_stress": 1.0, "copula": "t"}),
]


def build_miner(path: Path) -> Path:
    book = Book("Miner convertible notes", "Crypto miner turned AI host: convertible notes, BTC "
                "treasury, GPU fleet and hosting lease")
    book.sheet("Summary")
    ws_in = book.sheet("Inputs", {"A": 26, "B": 16, "C": 26, "D": 80})
    ws_col = book.sheet("Collateral", {"A": 12})
    ws_cov = book.sheet("Coverage", {"A": 12})
    ws_loss = book.sheet("Loss", {"A": 22, "B": 14, "D": 22, "E": 14, "G": 22, "H": 14,
                                  "J": 22, "K": 14})
    ws_lev = book.sheet("Leverage", {"A": 34, "B": 14, "C": 14, "D": 14, "E": 14})
    book.sheet("Checks")
    _title(ws_in, "Miner convertible notes: inputs",
           "Blue-on-yellow cells are inputs. Field names of the deal and Monte Carlo blocks "
           "are read by DSCR_TABLE and LGD_MC: do not rename them.")
    blk = InputBlock(book, ws_in, 3)
    blk.section("Company and notes")
    blk.add("notes_principal", 400e6, "currency", "convertible senior notes outstanding "
            "(indenture)", MONEY)
    blk.add("notes_coupon", 0.03, "nominal annual decimal", "coupon (indenture)", PCT2)
    blk.add("notes_years", 5.0, "years", "years to maturity (indenture)", YEARS)
    blk.add("cash", 60e6, "currency", "unrestricted cash (last balance sheet)", MONEY)
    blk.add("borrower_pd", 0.06, "decimal per year", "internal rating B- (one-year PD)", PCT2)
    blk.add("mining_ebitda", 90e6, "currency per year", "mining EBITDA at today's BTC price "
            "(last twelve months)", MONEY)
    blk.add("mining_elasticity", 1.6, "x", "% change of mining EBITDA per % change of the "
            "BTC price (operating leverage)", "0.00")
    blk.section("BTC treasury")
    blk.add("btc_units", 3000.0, "BTC", "treasury holdings (last filing)", "#,##0")
    blk.add("btc_price", 90000.0, "currency per BTC", "spot price at close", MONEY)
    blk.add("btc_treasury", "=btc_units*btc_price", "currency", "treasury value", MONEY,
            py=270e6)
    blk.add("btc_vol", 0.55, "decimal per sqrt(year)", "BTC volatility, calm regime", PCT)
    blk.add("btc_vol_stress", 0.90, "decimal per sqrt(year)", "BTC volatility, stress "
            "regime (2022 drawdown)", PCT)
    blk.add("btc_haircut", 0.05, "decimal", "slippage selling the treasury in a workout", PCT)
    blk.section("GPU fleet and hosting lease (deal_inputs)",
                "read as one range by DSCR_TABLE")
    first = blk.row
    for field, value, unit, source, fmt in MINER_DEAL:
        blk.add(field, value, unit, source, fmt, name=f"deal_{field}", py=MINER_PY[field])
    book.name("deal_inputs", ws_in, f"A{first}:B{blk.row - 1}")
    blk.section("Collateral model (Monte Carlo LGD)")
    blk.add("workout_years", 1.0, "years", "default to sale of the collateral", YEARS)
    blk.add("gpu_vol", 0.45, "decimal per sqrt(year)", "GPU value volatility, calm", PCT)
    blk.add("gpu_vol_stress", 0.70, "decimal per sqrt(year)", "GPU value volatility, stress",
            PCT)
    blk.add("gpu_corr_calm", 0.40, "decimal", "GPU values with the systematic factor, calm",
            "0.00")
    blk.add("gpu_corr_stress", 0.70, "decimal", "GPU values with the systematic factor, "
            "stress", "0.00")
    blk.add("btc_corr_calm", 0.30, "decimal", "BTC with the systematic factor, calm", "0.00")
    blk.add("btc_corr_stress", 0.75, "decimal", "BTC with the systematic factor, stress",
            "0.00")
    blk.add("gpu_btc_corr_calm", 0.20, "decimal", "GPU values with BTC, calm", "0.00")
    blk.add("gpu_btc_corr_stress", 0.70, "decimal", "GPU values with BTC, stress (they fall "
            "together)", "0.00")
    blk.add("p_stress", 0.20, "decimal", "probability that a default happens in the stress "
            "regime", PCT)
    blk.add("t_nu", 4.0, "degrees of freedom", "Student-t copula tail parameter", "0")
    blk.add("gpu_haircut", 0.30, "decimal", "fire-sale haircut on the GPUs (cf. "
            "FIRESALE_HAIRCUT)", PCT)
    blk.add("lease_receivables", "=0.5*deal_gpus*8760*deal_contracted_share*"
            "deal_contract_rate", "currency", "six months of hosting-lease receivables "
            "(pledged)", MONEY, py=0.5 * 4096 * 8760 * 0.8 * 2.1)
    blk.add("receivables_vol", 0.20, "decimal per sqrt(year)", "receivables value "
            "volatility", PCT)
    blk.add("receivables_corr", 0.30, "decimal", "receivables with the systematic factor",
            "0.00")
    blk.add("mc_paths", 20000, "paths", "Monte Carlo paths per variant (deterministic)", "#,##0")
    blk.add("mc_seed", 1, "integer", "seed: change it to see the Monte Carlo noise", "0")

    # ---------------- Collateral
    _title(ws_col, "Collateral: GPU fleet and BTC treasury",
           "GPU_RV_CURVE per GPU; fleet value at the workout horizon feeds the Monte Carlo "
           "LGD.")
    args = ("deal_gpu_cost, deal_rent0, deal_utilization, deal_cash_cost, deal_deflation, "
            "deal_discount_rate, deal_debt_years, 1, deal_book_life_years, deal_age_years, "
            "deal_salvage, deal_physical_life_years-deal_age_years")
    table = _call("GPU_RV_CURVE", 27000.0, 2.0, 0.85, 0.30, 0.25, 0.14, 5.0, 1, 6.0, 0.5,
                  1000.0, 7.0)
    c0, _, c1, _ = _array(ws_col, "A5", f"=GPU_RV_CURVE({args})", table,
                          {1: MONEY2, 2: MONEY, 3: MONEY, 4: MONEY, 5: PCT})
    rows = [
        ("GPU value per GPU at the workout horizon", f"=C{c0 + 2}", MONEY, "gpu_value_per_gpu"),
        ("Fleet value at the horizon (gpu_value)", "=deal_gpus*gpu_value_per_gpu", MONEY,
         "gpu_value_at_horizon"),
        ("BTC treasury", "=btc_treasury", MONEY, "btc_value_now"),
        ("Total collateral / notes", "=(gpu_value_at_horizon+btc_treasury+lease_receivables)"
         "/notes_principal", PCT, "collateral_cover"),
    ]
    for k, (label, formula, fmt, nm) in enumerate(rows, start=c1 + 3):
        ws_col[f"A{k}"] = label
        ws_col[f"E{k}"] = formula
        ws_col[f"E{k}"].number_format = fmt
        book.name(nm, ws_col, f"E{k}")
    ch = _line_chart("GPU economic vs book value per GPU", "year", "currency per GPU",
                     "#,##0")
    for j in (2, 3):
        ch.add_data(Reference(ws_col, min_col=1 + j, min_row=c0, max_row=c1),
                    titles_from_data=True)
    ch.set_categories(Reference(ws_col, min_col=1, min_row=c0 + 1, max_row=c1))
    ws_col.add_chart(ch, "H4")
    book.name("curve_econ_end", ws_col, f"C{c1}")
    book.name("curve_book_end", ws_col, f"D{c1}")

    # ---------------- Coverage of the coupon by hosting cash flows
    _title(ws_cov, "Coverage: hosting cash flows against the notes' coupon",
           "DSCR_TABLE of the GPU business alone (mining excluded); the notes are a bullet: "
           "the whole principal is refinancing or conversion risk at maturity.")
    pairs = [[f, MINER_PY[f]] for f, *_ in MINER_DEAL]
    table = _call("DSCR_TABLE", pairs)
    t0, tc0, t1, tc1 = _array(ws_cov, "A5", "=DSCR_TABLE(deal_inputs)", table,
                              {2: MONEY2, **{j: MONEY for j in range(3, 10)}, 10: TIMES,
                               11: TIMES, 12: MONEY, 13: MONEY, 14: PCT, 15: PCT, 16: TIMES})
    head = {h: tc0 + j for j, h in enumerate(table[0])}
    L = get_column_letter
    book.name("miner_dscr", ws_cov, f"{L(head['dscr'])}{t0 + 1}:{L(head['dscr'])}{t1 - 1}")
    book.name("miner_closing", ws_cov, f"{L(head['closing_balance'])}{t1 - 1}")
    ch = _line_chart("Coupon cover by hosting CFADS", "year", "DSCR (x)", "0.00")
    ch.add_data(Reference(ws_cov, min_col=head["dscr"], min_row=t0, max_row=t1 - 1),
                titles_from_data=True)
    ch.set_categories(Reference(ws_cov, min_col=head["year"], min_row=t0 + 1, max_row=t1 - 1))
    ws_cov.add_chart(ch, f"A{t1 + 3}")

    # ---------------- Loss: four Monte Carlo variants
    _title(ws_loss, "Loss: multi-collateral LGD, calm vs stress, Gaussian vs t copula",
           "LGD_MC with GPUs, the BTC treasury and the lease receivables. In a stress regime "
           "correlations converge and the t copula adds tail dependence.")
    py_in = {"ead": 400e6, "pd": 0.06, "horizon_years": 1.0, "gpu_value": 4096 * 15000.0,
             "btc_value": 270e6, "receivables_value": 0.5 * 4096 * 8760 * 0.8 * 2.1,
             "copula": "gaussian", "n_paths": 20000, "seed": 1}
    results = []
    for k, (label, override) in enumerate(MC_VARIANTS):
        col = 1 + 3 * k
        a, b = L(col), L(col + 1)
        ws_loss.cell(4, col, label).font = HEAD
        _header(ws_loss, 5, ["field", "value"], col)
        for i, (field, formula) in enumerate(MC_FIELDS, start=6):
            ws_loss.cell(i, col, field)
            ws_loss.cell(i, col + 1, override.get(field, formula))
        last = 5 + len(MC_FIELDS)
        book.name(f"mc_inputs_{k + 1}", ws_loss, f"{a}6:{b}{last}")
        sizing = [[f, py_in.get(f, 0.3 if "corr" in f else 0.5)] for f, _ in MC_FIELDS]
        sizing = [[f, override.get(f, v)] for f, v in sizing]
        out = _call("LGD_MC", sizing)
        r0, _, r1, _ = _array(ws_loss, f"{a}{last + 2}", f"=LGD_MC(mc_inputs_{k + 1})", out,
                              {1: "0.0000"})
        for j in range(2):
            ws_loss.cell(r0, col + j).font = Font()
            ws_loss.cell(r0, col + j).fill = PatternFill()
        labels = [row[0] for row in out]
        results.append({lab: f"{b}{r0 + i}" for i, lab in enumerate(labels)})
    top = 5 + len(MC_FIELDS) + 2 + len(results[0]) + 2
    ws_loss.cell(top, 1, "Comparison").font = HEAD
    _header(ws_loss, top + 1, ["variant", "expected LGD", "downturn LGD", "99.9% loss / EAD",
                               "std error"])
    for k, (label, _) in enumerate(MC_VARIANTS):
        r = top + 2 + k
        ws_loss.cell(r, 1, label)
        ws_loss.cell(r, 2, f"={results[k]['expected_lgd']}").number_format = PCT
        ws_loss.cell(r, 3, f"={results[k]['downturn_lgd']}").number_format = PCT
        ws_loss.cell(r, 4, f"={results[k]['loss_q999']}/notes_principal").number_format = PCT
        ws_loss.cell(r, 5, f"={results[k]['std_error']}").number_format = "0.0000"
    ca, cb = top + 2, top + 1 + len(MC_VARIANTS)
    book.name("cmp_expected", ws_loss, f"B{ca}:B{cb}")
    book.name("cmp_downturn", ws_loss, f"C{ca}:C{cb}")
    book.name("cmp_q999", ws_loss, f"D{ca}:D{cb}")
    book.name("cmp_stderr", ws_loss, f"E{ca}:E{cb}")
    ch = BarChart()
    ch.title, ch.height, ch.width = "LGD: calm vs stress, Gaussian vs t copula", 8, 18
    ch.y_axis.title, ch.y_axis.numFmt = "LGD / loss over EAD", "0%"
    ch.x_axis.delete = ch.y_axis.delete = False
    ch.add_data(Reference(ws_loss, min_col=2, max_col=4, min_row=top + 1, max_row=cb),
                titles_from_data=True)
    ch.set_categories(Reference(ws_loss, min_col=1, min_row=ca, max_row=cb))
    ws_loss.add_chart(ch, f"A{cb + 3}")
    share_checks = []
    for k in range(len(MC_VARIANTS)):
        res = results[k]
        share_checks.append(f"ABS(Loss!{res['recovery_share_gpu']}+Loss!"
                            f"{res['recovery_share_btc']}+Loss!"
                            f"{res['recovery_share_receivables']}-1)<=0.000001")
    td = cb + 22
    ws_loss.cell(td, 1, "Tail dependence of the t copula (TAIL_DEPENDENCE): probability "
                        "that one collateral crashes given the other does").font = HEAD
    _header(ws_loss, td + 1, ["rho \\ nu", "4", "10", "30", "100"])
    nus = [4, 10, 30, 100]
    for j, nu in enumerate(nus, start=2):
        ws_loss.cell(td + 1, j, nu)
    for i, rho in enumerate([0.3, 0.5, 0.7], start=td + 2):
        ws_loss.cell(i, 1, rho)
        for j in range(2, 2 + len(nus)):
            ws_loss.cell(i, j, f"=TAIL_DEPENDENCE($A{i}, {L(j)}${td + 1})").number_format = PCT
    book.name("tail_dep", ws_loss, f"B{td + 2}:E{td + 4}")
    book.name("tail_dep_first", ws_loss, f"B{td + 2}:D{td + 4}")
    book.name("tail_dep_next", ws_loss, f"C{td + 2}:E{td + 4}")

    # ---------------- Leverage grid: BTC and GPU rents falling together
    _title(ws_lev, "Net leverage when BTC and GPU rents fall together",
           "Net debt = notes - cash - BTC treasury; EBITDA = hosting EBITDA (spot part "
           "shocked) + mining EBITDA (BTC shock x elasticity). Plain Excel formulas.")
    ws_lev["A4"] = "BTC price change (rows) \\ GPU spot rent change (columns)"
    ws_lev["A4"].font = HEAD
    gpu_shocks, btc_shocks = [0.0, -0.2, -0.4, -0.6], [0.0, -0.25, -0.5, -0.75]
    for j, g in enumerate(gpu_shocks, start=2):
        c = ws_lev.cell(5, j, g)
        c.number_format, c.font = PCT, HEAD
    for i, bshock in enumerate(btc_shocks, start=6):
        c = ws_lev.cell(i, 1, bshock)
        c.number_format, c.font = PCT, HEAD
        for j in range(2, 2 + len(gpu_shocks)):
            g = f"{L(j)}$5"
            b = f"$A{i}"
            gpu_ebitda = (f"deal_gpus*8760*(deal_contracted_share*deal_contract_rate+"
                          f"(1-deal_contracted_share)*deal_utilization*deal_rent0*(1+{g})-"
                          f"deal_cash_cost)")
            ebitda = f"({gpu_ebitda}+mining_ebitda*(1+mining_elasticity*{b}))"
            net_debt = f"(notes_principal-cash-btc_treasury*(1+{b}))"
            ws_lev.cell(i, j, f"=IF({ebitda}>0,{net_debt}/{ebitda},99)").number_format = TIMES
    book.name("lev_base", ws_lev, "B6")
    book.name("lev_joint", ws_lev, "D8")
    book.name("lev_worst", ws_lev, "E9")
    book.name("lev_grid", ws_lev, "B6:E9")
    ws_lev["A11"] = "99 stands for EBITDA <= 0 (leverage not meaningful)"
    ws_lev["A11"].font = NOTE
    ch = _line_chart("Net leverage vs BTC price change, per GPU rent change",
                     "BTC price change", "net debt / EBITDA (x)", "0.0")
    for j, g in zip(range(2, 6), gpu_shocks):
        ch.add_data(Reference(ws_lev, min_col=j, min_row=6, max_row=9), titles_from_data=False)
        ch.series[-1].tx = SeriesLabel(v=f"GPU rents {g:+.0%}" if g else "GPU rents flat")
    ch.set_categories(Reference(ws_lev, min_col=1, min_row=6, max_row=9))
    ws_lev.add_chart(ch, "G4")

    _summary(book, [
        ("Notes outstanding", "=notes_principal", "currency", MONEY),
        ("BTC treasury", "=btc_treasury", "currency", MONEY),
        ("GPU fleet value at the workout horizon", "=gpu_value_at_horizon", "currency", MONEY),
        ("Collateral / notes", "=collateral_cover", "decimal", PCT),
        ("Minimum coupon cover (hosting CFADS)", "=MIN(miner_dscr)", "x", TIMES),
        ("Expected LGD, calm Gaussian", "=INDEX(cmp_expected,1)", "decimal", PCT),
        ("Expected LGD, calm/stress Gaussian", "=INDEX(cmp_expected,2)", "decimal", PCT),
        ("Expected LGD, calm/stress t copula", "=INDEX(cmp_expected,3)", "decimal", PCT),
        ("Expected LGD, stress t copula", "=INDEX(cmp_expected,4)", "decimal", PCT),
        ("99.9% loss / EAD, calm/stress Gaussian", "=INDEX(cmp_q999,2)", "decimal", PCT),
        ("99.9% loss / EAD, calm/stress t copula", "=INDEX(cmp_q999,3)", "decimal", PCT),
        ("Net leverage today", "=lev_base", "x", TIMES),
        ("Net leverage, BTC -50% and GPU rents -40%", "=lev_joint", "x", TIMES),
        ("All checks TRUE", "=all_checks", "TRUE/FALSE", None),
    ], "Miner convertible notes: summary")
    _checks(book, [
        ("Every Monte Carlo expected LGD within [0, 1]",
         "=AND(MIN(cmp_expected)>=0, MAX(cmp_expected)<=1)"),
        ("Every downturn LGD within [0, 1] and >= the expected LGD",
         "=AND(MAX(cmp_downturn)<=1, SUMPRODUCT(--(cmp_downturn<cmp_expected))=0)"),
        ("Correlation convergence: stress-only t copula LGD >= calm Gaussian LGD",
         "=INDEX(cmp_expected,4)>=INDEX(cmp_expected,1)"),
        ("Tail dependence: t copula 99.9% loss >= Gaussian 99.9% loss (same regimes)",
         "=INDEX(cmp_q999,3)>=INDEX(cmp_q999,2)"),
        ("Recovery shares add up to 1 in every variant", "=AND(" + ", ".join(share_checks)
         + ")"),
        ("Monte Carlo standard errors below 1 percentage point", "=MAX(cmp_stderr)<0.01"),
        ("Tail dependence falls as nu rises", "=SUMPRODUCT(--(tail_dep_next>tail_dep_first))"
         "=0"),
        ("Bullet notes: balance at maturity = principal", "=ABS(miner_closing-"
         "notes_principal)<=0.000001*notes_principal"),
        ("GPU economic value <= book value at the horizon (base case)",
         "=curve_econ_end<=curve_book_end"),
        ("Net leverage rises when BTC and GPU rents fall together", "=lev_joint>lev_base"),
    ])
    return book.save(path)


# --------------------------------------------------------------------------------------------
# portfolio.xlsx: a loan tape, one array formula per output column

SKUS = {  # sku: (cost per GPU, rent0 per GPU-hour, cash cost per GPU-hour) - illustrative
    "H100 SXM": (28000.0, 2.10, 0.32), "H200 SXM": (31000.0, 2.60, 0.33),
    "B200": (40000.0, 3.60, 0.44), "A100 SXM": (12000.0, 1.00, 0.22),
    "MI300X": (15000.0, 1.90, 0.33),
}
BORROWERS = ("neo-cloud", "miner turned AI host", "enterprise AI lab")
PD_GRID = (0.005, 0.01, 0.02, 0.03, 0.05, 0.08)


def tape(n: int, seed: int = 2026) -> list[dict[str, Any]]:
    """A synthetic, deterministic loan tape of ``n`` GPU-backed facilities."""
    import numpy as np
    rng = np.random.default_rng(seed)
    rows = []
    skus = list(SKUS)
    for i in range(n):
        sku = skus[int(rng.integers(len(skus)))]
        cost, rent, cash = SKUS[sku]
        gpus = int(rng.choice([256, 512, 1024, 2048, 4096, 8192]))
        rows.append({
            "id": f"F{i + 1:04d}",
            "borrower": BORROWERS[int(rng.integers(len(BORROWERS)))],
            "sku": sku,
            "gpus": gpus,
            "ead": round(float(gpus * cost * rng.uniform(0.35, 0.75)), -3),
            "pd": float(PD_GRID[int(rng.integers(len(PD_GRID)))]),
            "rent0": round(rent * float(rng.uniform(0.85, 1.15)), 2),
            "utilization": round(float(rng.uniform(0.70, 0.95)), 2),
            "cash_cost": cash,
            "deflation": round(float(rng.uniform(0.15, 0.35)), 2),
            "collateral_vol": round(float(rng.uniform(0.35, 0.60)), 2),
            "rho_collateral": round(float(rng.uniform(0.30, 0.70)), 2),
            "maturity": float(rng.choice([2.0, 3.0, 4.0, 5.0])),
            "margin": round(float(rng.uniform(0.04, 0.09)), 4),
        })
    return rows


TAPE_INPUTS = [  # key, header, unit, format
    ("id", "facility", "-", None), ("borrower", "borrower type", "-", None),
    ("sku", "GPU", "-", None), ("gpus", "GPUs", "GPUs", "#,##0"),
    ("ead", "EAD", "currency", MONEY), ("pd", "PD (one-year)", "decimal", PCT2),
    ("rent0", "rent at close", "per GPU-hour", MONEY2),
    ("utilization", "utilisation", "decimal", PCT), ("cash_cost", "cash cost",
                                                     "per GPU-hour", MONEY2),
    ("deflation", "rent deflation", "decimal per year", PCT),
    ("collateral_vol", "collateral vol", "decimal per sqrt(year)", PCT),
    ("rho_collateral", "collateral corr", "decimal", "0.00"),
    ("maturity", "maturity", "years", "0.0"), ("margin", "margin", "decimal per year", PCT2),
]


def build_portfolio(path: Path, n: int = 60) -> Path:
    book = Book(f"GPU loan portfolio ({n} facilities)", "Loan tape of GPU-backed facilities: "
                "one array formula per output column")
    book.sheet("Summary")
    ws_in = book.sheet("Inputs", {"A": 26, "B": 16, "C": 26, "D": 70})
    ws = book.sheet("Tape")
    book.sheet("Checks")
    _title(ws_in, "Portfolio: common inputs", "The facility-level inputs are on the Tape "
                                              "sheet (blue-on-yellow columns).")
    blk = InputBlock(book, ws_in, 3)
    blk.section("Common assumptions")
    blk.add("discount_rate", 0.12, "annual effective decimal", "collateral discount rate",
            PCT)
    blk.add("salvage", 1000.0, "currency per GPU", "scrap/parts value", MONEY)
    blk.add("physical_life", 6.0, "years", "remaining physical life of the GPUs", YEARS)
    blk.add("workout_haircut", 0.25, "decimal", "haircut on economic value in a workout "
            "(cf. FIRESALE_HAIRCUT)", PCT)
    blk.add("workout_years", 1.0, "years", "default to sale of the GPUs", YEARS)
    blk.add("ltv_limit", 0.80, "decimal", "economic LTV limit of the credit policy", PCT)
    _title(ws, f"Loan tape: {n} GPU-backed facilities",
           "Inputs in blue; each output column (grey header) is ONE array formula over the "
           "whole tape (Ctrl+Shift+Enter).")
    rows = tape(n)
    hr, r0 = 4, 5
    r1 = r0 + n - 1
    L = get_column_letter
    col = {}
    for j, (key, header, unit, fmt) in enumerate(TAPE_INPUTS, start=1):
        col[key] = L(j)
        ws.cell(hr - 1, j, unit).font = NOTE
        c = ws.cell(hr, j, header)
        c.font, c.fill = HEAD, INPUT_FILL
        for i, row in enumerate(rows):
            cell = ws.cell(r0 + i, j, row[key])
            cell.font = INPUT_FONT
            if fmt:
                cell.number_format = fmt
    rng = {k: f"{c}{r0}:{c}{r1}" for k, c in col.items()}
    nxt = len(TAPE_INPUTS) + 1
    # collateral value per GPU: one GPU_RV array formula over the tape (inputs differ by row)
    cv = L(nxt)
    ws.cell(hr - 1, nxt, "per GPU").font = NOTE
    ws.cell(hr, nxt, "economic value (GPU_RV)").font = HEAD
    rng["value"] = f"{cv}{r0}:{cv}{r1}"
    ws[f"{cv}{r0}"] = ArrayFormula(rng["value"], f"=GPU_RV({rng['rent0']}, {rng['utilization']}, "
                                   f"{rng['cash_cost']}, {rng['deflation']}, discount_rate, "
                                   f"salvage, physical_life)")
    for r in range(r0, r1 + 1):
        ws[f"{cv}{r}"].number_format = MONEY
    outputs = [  # key, header, unit, array formula, format
        ("econ_ltv", "economic LTV", "decimal",
         f"={rng['ead']}/({rng['gpus']}*{rng['value']})", PCT),
        ("coverage", "coverage after haircut", "x",
         f"={rng['gpus']}*{rng['value']}*(1-workout_haircut)/{rng['ead']}", "0.00"),
        ("asset_corr", "asset correlation (BASEL_CORR)", "decimal",
         f"=BASEL_CORR({rng['pd']})", "0.000"),
        ("pd_downturn", "PD at 99.9% (VASICEK_PD)", "decimal",
         f"=VASICEK_PD({rng['pd']}, {{asset_corr}})", PCT2),
        ("lgd", "LGD (LGD_CORR)", "decimal",
         f"=LGD_CORR({rng['pd']}, {{coverage}}, {rng['collateral_vol']}, workout_years, "
         f"{rng['rho_collateral']})", PCT),
        ("lgd_downturn", "downturn LGD (LGD_DOWNTURN)", "decimal",
         f"=LGD_DOWNTURN({rng['pd']}, {{coverage}}, {rng['collateral_vol']}, workout_years, "
         f"{rng['rho_collateral']})", PCT),
        ("el", "EL (EXPECTED_LOSS)", "currency per year",
         f"=EXPECTED_LOSS({rng['pd']}, {{lgd}}, {rng['ead']})", MONEY),
        ("k", "capital K (IRB_K)", "decimal",
         f"=IRB_K({rng['pd']}, {{lgd_downturn}}, {rng['maturity']})", PCT2),
        ("capital", "capital", "currency", f"={{k}}*{rng['ead']}", MONEY),
        ("spread", "fair spread (FAIR_SPREAD)", "decimal per year",
         f"=FAIR_SPREAD({rng['pd']}, {{lgd}})", PCT2),
        ("excess", "margin less fair spread", "decimal per year",
         f"={rng['margin']}-{{spread}}", PCT2),
    ]
    for k, (key, header, unit, formula, fmt) in enumerate(outputs, start=nxt + 1):
        c = L(k)
        col[key] = c
        ws.cell(hr - 1, k, unit).font = NOTE
        cell = ws.cell(hr, k, header)
        cell.font, cell.fill = HEAD, TABLE_HEAD_FILL
        formula = formula.format(**rng)
        ws[f"{c}{r0}"] = ArrayFormula(f"{c}{r0}:{c}{r1}", formula)
        for r in range(r0, r1 + 1):
            ws[f"{c}{r}"].number_format = fmt
        rng[key] = f"{c}{r0}:{c}{r1}"
        book.name(f"tape_{key}", ws, rng[key])
    for key in ("ead", "pd", "gpus", "margin"):
        book.name(f"tape_{key}", ws, rng[key])
    book.name("tape_value", ws, rng["value"])
    book.name("tape_borrower", ws, rng["borrower"])
    for w, c in zip([9, 20, 10, 8, 13], "ABCDE"):
        ws.column_dimensions[c].width = w
    for k in range(nxt, nxt + len(outputs) + 1):
        ws.column_dimensions[L(k)].width = 14
    ws.freeze_panes = f"D{r0}"
    show = min(n, 60)
    ch = BarChart()
    ch.title, ch.height, ch.width = "Economic LTV by facility", 8, 24
    ch.y_axis.title, ch.y_axis.numFmt = "economic LTV", "0%"
    ch.x_axis.title = "facility"
    ch.x_axis.delete = ch.y_axis.delete = False
    c_ltv = openpyxl.utils.cell.column_index_from_string(col["econ_ltv"])
    ch.add_data(Reference(ws, min_col=c_ltv, min_row=hr, max_row=hr + show),
                titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=r0, max_row=r0 + show - 1))
    ws.add_chart(ch, f"B{r1 + 3}")
    ch = BarChart()
    ch.title, ch.height, ch.width = "Expected and downturn LGD by facility", 8, 24
    ch.y_axis.title, ch.y_axis.numFmt = "LGD", "0%"
    ch.x_axis.delete = ch.y_axis.delete = False
    for key in ("lgd", "lgd_downturn"):
        cc = openpyxl.utils.cell.column_index_from_string(col[key])
        ch.add_data(Reference(ws, min_col=cc, min_row=hr, max_row=hr + show),
                    titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=r0, max_row=r0 + show - 1))
    ws.add_chart(ch, f"N{r1 + 3}")
    _summary(book, [
        ("Facilities", f"=ROWS(tape_ead)", "count", "0"),
        ("Total EAD", "=SUM(tape_ead)", "currency", MONEY),
        ("Total collateral economic value", "=SUMPRODUCT(tape_gpus, tape_value)", "currency",
         MONEY),
        ("Portfolio economic LTV", "=SUM(tape_ead)/SUMPRODUCT(tape_gpus, tape_value)",
         "decimal", PCT),
        ("Facilities above the LTV limit", "=COUNTIF(tape_econ_ltv, \">\"&ltv_limit)", "count",
         "0"),
        ("EAD-weighted PD", "=SUMPRODUCT(tape_pd, tape_ead)/SUM(tape_ead)", "decimal", PCT2),
        ("EAD-weighted LGD", "=SUMPRODUCT(tape_lgd, tape_ead)/SUM(tape_ead)", "decimal", PCT),
        ("EAD-weighted downturn LGD", "=SUMPRODUCT(tape_lgd_downturn, tape_ead)/SUM(tape_ead)",
         "decimal", PCT),
        ("Expected loss per year", "=SUM(tape_el)", "currency", MONEY),
        ("Capital", "=SUM(tape_capital)", "currency", MONEY),
        ("Facilities priced below their fair spread", "=COUNTIF(tape_excess, \"<0\")", "count",
         "0"),
        ("All checks TRUE", "=all_checks", "TRUE/FALSE", None),
    ], f"GPU loan portfolio ({n} facilities): summary")
    _checks(book, [
        (f"The tape has {n} facilities and every output column as many rows",
         f"=AND(ROWS(tape_ead)={n}, COUNT(tape_lgd)={n}, COUNT(tape_el)={n}, "
         f"COUNT(tape_capital)={n}, COUNT(tape_spread)={n}, COUNT(tape_econ_ltv)={n}, "
         f"COUNT(tape_pd_downturn)={n})"),
        ("Every LGD within [0, 1]", "=AND(MIN(tape_lgd)>=0, MAX(tape_lgd)<=1)"),
        ("Downturn LGD >= expected LGD for every facility",
         "=SUMPRODUCT(--(tape_lgd_downturn<tape_lgd))=0"),
        ("Downturn PD >= PD for every facility", "=SUMPRODUCT(--(tape_pd_downturn<tape_pd))=0"),
        ("EL = PD x LGD x EAD, summed", "=ABS(SUM(tape_el)-SUMPRODUCT(tape_pd, tape_lgd, "
         "tape_ead))<=0.000001*SUM(tape_el)"),
        ("Capital >= 0 for every facility", "=MIN(tape_capital)>=0"),
        ("Fair spread >= 0 for every facility", "=MIN(tape_spread)>=0"),
        ("Economic LTV > 0 for every facility", "=MIN(tape_econ_ltv)>0"),
    ])
    return book.save(path)


TEMPLATES = {
    "neocloud_facility.xlsx": build_neocloud,
    "miner_convertible.xlsx": build_miner,
    "portfolio.xlsx": build_portfolio,
}


def build_all(out_dir: Path) -> list[Path]:
    return [fn(out_dir / name) for name, fn in TEMPLATES.items()]


def canonical_dump(path: Path) -> dict[str, Any]:
    """What a template is, independent of zip bytes: every cell's formula or value, array
    ranges, number formats, merged cells, defined names and charts per sheet."""
    wb = openpyxl.load_workbook(path)
    out: dict[str, Any] = {"sheets": wb.sheetnames,
                           "names": sorted((n, d.attr_text) for n, d in wb.defined_names.items())}
    for ws in wb.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                v = c.value
                if isinstance(v, ArrayFormula):
                    v = ("array", v.ref, v.text)
                if v is not None or c.number_format != "General":
                    cells[c.coordinate] = (v, c.number_format)
        out[ws.title] = {"cells": cells, "merged": sorted(map(str, ws.merged_cells.ranges)),
                         "charts": [type(ch).__name__ for ch in ws._charts]}
    with zipfile.ZipFile(path) as z:
        out["chart_parts"] = sorted(n for n in z.namelist() if n.startswith("xl/charts/"))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent),
                    help="output folder (default: workbook/)")
    ap.add_argument("--only", help="build one template, e.g. neocloud_facility.xlsx")
    args = ap.parse_args(argv)
    out = Path(args.out)
    for name, fn in TEMPLATES.items():
        if args.only and args.only != name:
            continue
        print(fn(out / name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
