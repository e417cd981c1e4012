"""Deal spreadsheets in the styles a credit officer receives, built at test time with openpyxl,
each with the findings the audit must report (``EXPECTED``).

* ``annual_sln``: annual, periods across columns, ``SLN`` depreciation, plain addresses, a flat
  rent read from an input cell, PMT debt service, DSCR and LTV rows, a fixed recovery rate;
  a sound deal (its coverage holds under market deflation);
* ``quarterly_named``: quarterly, periods down a column (``Q1 2026`` labels), every input a
  defined name, a hand-written ``cost - (cost - salvage) * t / life`` value, rents falling at a
  constant rate each quarter, a fixed LGD; too much debt for deflating rents;
* ``typed_values``: no formulas at all, labels in column B (row numbers in column A),
  calendar years, a straight-line collateral value typed down to its salvage, rents typed at
  -10% a year, a typed DSCR row, a percentage haircut;
* ``declining_dates``: ``DDB``, ``SYD``, ``VDB`` and ``DB`` schedules under year-end dates;
* ``german``: German labels, a sheet name with an apostrophe and accents, ``SLN`` and a
  hand-written book value, a label with a bidirectional override and an emoji;
* ``budget``: an office budget by month with nothing to retrofit;
* ``arranger_quarterly``: a structuring desk's model: quarter-end dates over a period counter,
  ``DDB``/``VDB``/``DB``/``SYD``, a rent escalating from an input, IFERROR'd DSCR, NPV LLCR,
  LTV, recovery and haircut, names, a chart, a comment, merged cells;
* ``column_inputs``: an input block beside a column time axis, hand-written straight lines
  down columns, a cover ratio known only by its shape, labels that look like rents but are not;
* ``foreign_labels``: French, Chinese, Japanese, Arabic, Russian and Hebrew labels, and a value
  row whose every cell is a different ``SLN`` formula;
* ``monthly_hidden``: a monthly model on a hidden sheet named "Monthly", typed D&A, SUM'd
  accumulated depreciation, a ratio labelled only "Ratio", an LGD typed as 45;
* ``base_case``: a bank's one-sheet base case ("Year 1" headings, IPMT/PPMT, a residual as a
  share of cost, utilisation in percent);
* ``unlabelled``: a fleet value, a DSCR and an LTV with no label of their own, beside an
  input block whose labels must not be taken for theirs.

Each expected finding is (kind, sheet, cells) plus the inputs it must name.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import openpyxl
from openpyxl.workbook.defined_name import DefinedName

__all__ = ["BUILDERS", "EXPECTED", "build", "build_all", "MAPPED"]


def _inputs(ws: Any, rows: list[tuple[str, Any]], top: int = 2, col: int = 1) -> dict[str, str]:
    """Write label/value rows; return label -> value cell."""
    out = {}
    for i, (label, value) in enumerate(rows):
        ws.cell(top + i, col, label)
        c = ws.cell(top + i, col + 1, value)
        out[label] = c.coordinate
    return out


def annual_sln(path: Path, debt: float = 6_000_000, years: int = 3) -> Path:
    """(``debt`` and ``years`` make other versions of the same deal: the docs' pictures use a
    more leveraged one.)"""
    wb = openpyxl.Workbook()
    inp = wb.active
    inp.title = "Inputs"
    _inputs(inp, [
        ("Number of GPUs", 1024), ("Cost per GPU ($)", 30000), ("Salvage value per GPU", 1500),
        ("Useful life (years)", 5), ("Rent ($/GPU-hr)", 2.40), ("Utilisation", 0.85),
        ("Opex ($/GPU-hr)", 0.45), ("Debt", debt), ("Interest rate", 0.09),
        ("Tenor (years)", years), ("Recovery rate", 0.55), ("Probability of default", 0.03),
        ("DSCR covenant", 1.20)])
    m = wb.create_sheet("Model")
    m["A1"] = "GPU facility: base case"
    m["A3"] = "Year"
    cols = "CDEFGHIJ"[:years]
    for k, col in enumerate(cols, start=1):
        m[f"{col}3"] = k
    rows = {5: "Rent ($/GPU-hr)", 6: "Revenue", 7: "Opex", 8: "CFADS", 10: "Depreciation",
            11: "Net book value", 13: "Debt service", 14: "Opening balance", 15: "Principal",
            16: "Closing balance", 18: "DSCR", 19: "LTV"}
    for r, label in rows.items():
        m[f"A{r}"] = label
    for k, col in enumerate(cols):
        prev = cols[k - 1] if k else None
        m[f"{col}5"] = "=Inputs!$B$6"
        m[f"{col}6"] = f"=Inputs!$B$2*{col}5*Inputs!$B$7*8760"
        m[f"{col}7"] = "=Inputs!$B$2*Inputs!$B$8*8760"
        m[f"{col}8"] = f"={col}6-{col}7"
        m[f"{col}10"] = "=SLN(Inputs!$B$3,Inputs!$B$4,Inputs!$B$5)*Inputs!$B$2"
        m[f"{col}11"] = (f"=Inputs!$B$3*Inputs!$B$2-{col}10" if prev is None
                         else f"={prev}11-{col}10")
        m[f"{col}13"] = "=PMT(Inputs!$B$10,Inputs!$B$11,-Inputs!$B$9)"
        m[f"{col}14"] = "=Inputs!$B$9" if prev is None else f"={prev}16"
        m[f"{col}15"] = f"={col}13-{col}14*Inputs!$B$10"
        m[f"{col}16"] = f"={col}14-{col}15"
        m[f"{col}18"] = f"={col}8/{col}13"
        m[f"{col}19"] = f"={col}14/{col}11"
        for r in (6, 7, 8, 10, 11, 13, 14, 15, 16):   # formatted as arrangers do
            m[f"{col}{r}"].number_format = "#,##0"
        m[f"{col}5"].number_format = "0.00"
        m[f"{col}18"].number_format = '0.00"x"'
        m[f"{col}19"].number_format = "0.0%"
    m.column_dimensions["A"].width = 18
    wb.save(path)
    return path


def quarterly_named(path: Path) -> Path:
    wb = openpyxl.Workbook()
    a = wb.active
    a.title = "Assumptions"
    a["A1"] = "Assumptions"
    names = [("gpus", "GPUs", 2048), ("capex_per_gpu", "Capex per GPU", 28000),
             ("residual", "Residual value", 2000), ("life_years", "Depreciation life (years)", 4),
             ("rent_start", "Starting rent $/GPU-hr", 2.20),
             ("rent_growth_q", "Rent growth per quarter", -0.02),
             ("utilisation", "Utilization", 0.90), ("opex_hr", "Opex $/GPU-hr", 0.40),
             ("loan", "Loan amount", 40_000_000), ("rate", "Interest rate", 0.10),
             ("tenor_years", "Tenor (years)", 4), ("lgd", "LGD", 0.45), ("pd", "PD", 0.02)]
    for i, (name, label, value) in enumerate(names, start=3):
        a.cell(i, 1, label)
        a.cell(i, 2, value)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Assumptions!$B${i}")
    c = wb.create_sheet("Cash flows")
    heads = ["Quarter", "t (years)", "Rent", "Revenue", "Opex", "CFADS", "Debt service",
             "Balance", "Book value per GPU", "DSCR", "LTV"]
    for j, h in enumerate(heads, start=1):
        c.cell(2, j, h)
    for k in range(16):
        r = 3 + k
        c.cell(r, 1, f"Q{k % 4 + 1} {2026 + k // 4}")
        c.cell(r, 2, 0 if k == 0 else f"=B{r - 1}+0.25")
        c.cell(r, 3, "=rent_start" if k == 0 else f"=C{r - 1}*(1+rent_growth_q)")
        c.cell(r, 4, f"=gpus*C{r}*utilisation*8760/4")
        c.cell(r, 5, "=gpus*opex_hr*8760/4")
        c.cell(r, 6, f"=D{r}-E{r}")
        c.cell(r, 7, "=PMT(rate/4,tenor_years*4,-loan)")
        c.cell(r, 8, f"=loan-(G{r}-loan*rate/4)" if k == 0 else
               f"=H{r - 1}-(G{r}-H{r - 1}*rate/4)")
        c.cell(r, 9, f"=capex_per_gpu-(capex_per_gpu-residual)*B{r}/life_years")
        c.cell(r, 10, f"=F{r}/G{r}")
        c.cell(r, 11, f"=H{r}/(I{r}*gpus)")
    wb.save(path)
    return path


def typed_values(path: Path) -> Path:
    wb = openpyxl.Workbook()
    d = wb.active
    d.title = "Deal"
    d["B2"] = "Facility summary (typed by the arranger)"
    for i, (label, value) in enumerate([("GPU count", 512), ("Unit cost", 25000),
                                        ("Debt", 5_000_000), ("Interest rate (%)", 8),
                                        ("Term", 4), ("Fire-sale haircut", 30),
                                        ("Cash cost per GPU-hour", 0.35)], start=4):
        d.cell(i, 1, i - 3)
        d.cell(i, 2, label)
        d.cell(i, 3, value)
    d["B12"] = "Year"
    rows = {13: ("Collateral value per GPU", [25000, 20000, 15000, 10000, 5000, 5000]),
            14: ("GPU rental price ($/hr)", [2.0, 1.8, 1.62, 1.458, 1.3122, 1.18098]),
            15: ("Utilisation", [0.8] * 6),
            16: ("DSCR", [2.1, 1.9, 1.7, 1.55, 1.4, 1.3])}
    for j in range(6):
        d.cell(12, 3 + j, 2026 + j)
    for r, (label, vals) in rows.items():
        d.cell(r, 1, r - 12)
        d.cell(r, 2, label)
        for j, v in enumerate(vals):
            d.cell(r, 3 + j, v)
    wb.save(path)
    return path


def declining_dates(path: Path) -> Path:
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Schedules"
    s["A2"] = "Period end"
    s["A3"] = "Period"
    for k in range(5):
        cell = s.cell(2, 3 + k, dt.date(2026 + k, 12, 31))
        cell.number_format = "yyyy-mm-dd"
        s.cell(3, 3 + k, k + 1)
    labels = {5: ("DDB depreciation", "=DDB($B$11,$B$12,$B$13,{p})"),
              6: ("SYD depreciation", "=SYD($B$11,$B$12,$B$13,{p})"),
              7: ("VDB depreciation", "=VDB($B$11,$B$12,$B$13,{p}-1,{p})"),
              8: ("DB depreciation", "=DB($B$11,$B$12,$B$13,{p})")}
    for r, (label, f) in labels.items():
        s.cell(r, 1, label)
        for k in range(5):
            col = openpyxl.utils.get_column_letter(3 + k)
            s.cell(r, 3 + k, f.format(p=f"{col}$3"))
    for r, (label, v) in zip((11, 12, 13), (("Equipment cost", 35000), ("Salvage", 3000),
                                            ("Life in years", 5))):
        s.cell(r, 1, label)
        s.cell(r, 2, v)
    wb.save(path)
    return path


def german(path: Path) -> Path:
    wb = openpyxl.Workbook()
    e = wb.active
    e.title = "Eingaben"
    _inputs(e, [("Anzahl GPUs", 256), ("Anschaffungskosten je GPU", 32000), ("Restwert", 2000),
                ("Nutzungsdauer (Jahre)", 4), ("Miete je GPU-Stunde", 2.10),
                ("Auslastung", 0.80), ("\U0001F4A1 Hinweis \u202eeinheit", "EUR"),
                ("Kreditbetrag", 2_000_000), ("Zinssatz", 0.08), ("Laufzeit (Jahre)", 3),
                ("Betriebskosten je GPU-Stunde", 0.40)])
    m = wb.create_sheet("Modèle d'affaires")
    m["A3"] = "Jahr"
    for k in range(4):
        m.cell(3, 3 + k, k + 1)
    m["A5"] = "Abschreibung"
    m["A6"] = "Buchwert je GPU"
    for k in range(4):
        col = openpyxl.utils.get_column_letter(3 + k)
        m[f"{col}5"] = "=SLN(Eingaben!$B$3,Eingaben!$B$4,Eingaben!$B$5)"
        m[f"{col}6"] = (f"=Eingaben!$B$3-(Eingaben!$B$3-Eingaben!$B$4)*{col}$3"
                        f"/Eingaben!$B$5")
    wb.save(path)
    return path


def budget(path: Path) -> Path:
    wb = openpyxl.Workbook()
    b = wb.active
    b.title = "Budget 2026"
    b["A1"] = "Team budget"
    months = ["Jan 26", "Feb 26", "Mar 26", "Apr 26"]
    for j, mth in enumerate(months):
        b.cell(3, 2 + j, mth)
    for i, (label, vals) in enumerate([("Salaries", [51000, 52500, 51800, 53000]),
                                       ("Travel", [1200, 800, 2500, 400]),
                                       ("Software licences", [900, 950, 1010, 880])], start=4):
        b.cell(i, 1, label)
        for j, v in enumerate(vals):
            b.cell(i, 2 + j, v)
    b["A8"] = "Total"
    for j in range(4):
        col = openpyxl.utils.get_column_letter(2 + j)
        b[f"{col}8"] = f"=SUM({col}4:{col}6)"
    wb.save(path)
    return path


def arranger_quarterly(path: Path) -> Path:
    """A structuring desk's model: inputs with a units column and workbook names, quarter-end
    dates across the columns over a period counter, DDB/VDB/DB/SYD rows (lives in years on a
    quarterly sheet), a rent escalating from an input by a power of the period, an IFERROR'd
    DSCR, an NPV-based LLCR, an LTV against a VDB collateral value, a chart and a comment."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.comments import Comment
    wb = openpyxl.Workbook()
    a = wb.active
    a.title = "Assumptions"
    a["B2"] = "Project Atlas - GPU financing"
    a.merge_cells("B2:F2")
    rows = [("Fleet size", "#", 4096), ("Unit cost", "USD", 31500),
            ("Residual value", "USD", 3000), ("Useful life", "years", 6),
            ("Initial rate", "USD/hr", 2.10), ("Annual escalation", "%", 0.03),
            ("Utilisation rate", "%", 0.92), ("Operating cost", "USD/hr", 0.38),
            ("Senior facility", "USD", 90_000_000), ("All-in rate", "%", 0.095),
            ("Tenor", "years", 5), ("Recovery assumption", "%", 0.40),
            ("Liquidation haircut", "%", 0.25), ("Min DSCR covenant", "x", 1.25),
            ("Discount rate", "%", 0.10)]
    for i, (label, unit, v) in enumerate(rows, start=4):
        a.cell(i, 2, label)
        a.cell(i, 3, unit)
        a.cell(i, 4, v)
    wb.defined_names["Fleet"] = DefinedName("Fleet", attr_text="Assumptions!$D$4")
    wb.defined_names["UnitCost"] = DefinedName("UnitCost", attr_text="Assumptions!$D$5")
    cf = wb.create_sheet("CF")
    cf["B3"] = "Period ending"
    cf["B4"] = "Period #"
    cols = [openpyxl.utils.get_column_letter(c) for c in range(5, 25)]
    for k, c in enumerate(cols):
        month = 3 + 3 * k
        y, m = 2026 + (month - 1) // 12, (month - 1) % 12 + 1
        cf[f"{c}3"] = dt.date(y, m, 30 if m in (6, 9) else 31)
        cf[f"{c}3"].number_format = "mmm-yy"
        cf[f"{c}4"] = k + 1
    labels = {6: "Hourly rate", 7: "Revenue", 8: "Operating costs", 9: "CFADS",
              11: "Depreciation (DDB)", 12: "Depreciation (VDB)", 13: "Depreciation (DB)",
              14: "Depreciation (SYD)", 15: "Collateral value", 17: "Interest",
              18: "Principal", 19: "Debt service", 20: "Outstanding", 22: "DSCR", 23: "LLCR",
              24: "Loan-to-value"}
    for r, label in labels.items():
        cf[f"B{r}"] = label
    for k, c in enumerate(cols):
        opening = "Assumptions!$D$12" if k == 0 else f"{cols[k - 1]}20"
        year = f"ROUNDUP({c}4/4,0)"
        cf[f"{c}6"] = f"=Assumptions!$D$8*(1+Assumptions!$D$9)^(({c}4-1)/4)"
        cf[f"{c}7"] = f"=Fleet*{c}6*Assumptions!$D$10*2190"
        cf[f"{c}8"] = "=Fleet*Assumptions!$D$11*2190"
        cf[f"{c}9"] = f"={c}7-{c}8"
        cf[f"{c}11"] = f"=DDB(UnitCost,Assumptions!$D$6,Assumptions!$D$7,{year})*Fleet/4"
        cf[f"{c}12"] = (f"=VDB(UnitCost,Assumptions!$D$6,Assumptions!$D$7*4,{c}4-1,{c}4)"
                        f"*Fleet")
        cf[f"{c}13"] = f"=DB(UnitCost,Assumptions!$D$6,Assumptions!$D$7,{year})*Fleet/4"
        cf[f"{c}14"] = f"=SYD(UnitCost,Assumptions!$D$6,Assumptions!$D$7,{year})*Fleet/4"
        cf[f"{c}15"] = f"=MAX(Fleet*UnitCost-SUM($E$12:{c}12),Fleet*Assumptions!$D$6)"
        cf[f"{c}17"] = f"={opening}*Assumptions!$D$13/4"
        cf[f"{c}19"] = "=PMT(Assumptions!$D$13/4,Assumptions!$D$14*4,-Assumptions!$D$12)"
        cf[f"{c}18"] = f"={c}19-{c}17"
        cf[f"{c}20"] = f"={opening}-{c}18"
        cf[f"{c}22"] = f'=IFERROR({c}9/{c}19,"n/a")'
        cf[f"{c}23"] = f"=NPV(Assumptions!$D$18/4,{c}9:$X$9)/{opening}"
        cf[f"{c}24"] = f"={c}20/{c}15"
    chart = LineChart()
    chart.add_data(Reference(cf, min_col=5, max_col=24, min_row=22), from_rows=True)
    cf.add_chart(chart, "E30")
    cf["B22"].comment = Comment("covenant tested quarterly", "desk")
    wb.save(path)
    return path


def column_inputs(path: Path) -> Path:
    """One sheet: an input block in columns A:B beside a column time axis (FY2026...) that it
    must not be mistaken for a series; ``cost*(1-age/life)`` and
    ``cost-(cost-salvage)*age/life`` down columns, a typed flat rent column, a cover ratio
    recognised by its shape, "Price per GPU" (a purchase price, not a rent), "Power & hosting
    $/hr" (a cash cost), "Util." and a fixed LGD."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Deal"
    s["A1"] = "Inputs"
    _inputs(s, [("GPU count", 500), ("Price per GPU", 25000), ("Salvage", 2500),
                ("Depreciable life (yrs)", 4), ("Contract rate $/hr", 1.95), ("Util.", 0.8),
                ("Power & hosting $/hr", 0.30), ("Loan", 9_000_000), ("Coupon", 0.11),
                ("Maturity (yrs)", 4), ("LGD", 0.35)])
    for col, head in zip("DEFGHIJKLMN", ("Year", "Age", "Book value / GPU", "NBV (salvage)",
                                         "Rate $/hr", "Revenue", "Costs", "CFADS",
                                         "Debt service", "Cover", "LTV")):
        s[f"{col}1"] = head
    for k in range(4):
        r = 2 + k
        s[f"D{r}"] = f"FY{2026 + k}"
        s[f"E{r}"] = k
        s[f"F{r}"] = f"=$B$3*(1-E{r}/$B$5)"
        s[f"G{r}"] = f"=$B$3-($B$3-$B$4)*E{r}/$B$5"
        s[f"H{r}"] = 1.95
        s[f"I{r}"] = f"=$B$2*H{r}*$B$7*8760"
        s[f"J{r}"] = "=$B$2*$B$8*8760"
        s[f"K{r}"] = f"=I{r}-J{r}"
        s[f"L{r}"] = "=PMT($B$10,$B$11,-$B$9)"
        s[f"M{r}"] = f"=K{r}/L{r}"
        s[f"N{r}"] = f"=$B$9/(G{r}*$B$2)"
    wb.save(path)
    return path


def foreign_labels(path: Path) -> Path:
    """French inputs, row labels in Chinese, Japanese, Arabic, Russian and Hebrew (with a
    bidirectional override), and a value row written ``=cost-SLN(...)*1``, ``*2``, ...: each
    cell a different formula, one schedule."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Modèle"
    _inputs(s, [("Nombre de GPU", 800), ("Coût unitaire", 27000), ("Valeur résiduelle", 2000),
                ("Durée (ans)", 5), ("Loyer horaire", 2.2), ("Taux d'utilisation", 0.85)])
    s["D1"] = "Année"
    for k in range(5):
        c = "EFGHI"[k]
        s[f"{c}1"] = 2026 + k
        s[f"{c}3"] = "=SLN($B$3,$B$4,$B$5)"
        s[f"{c}4"] = f"=$B$3-SLN($B$3,$B$4,$B$5)*{k + 1}"
        s[f"{c}5"] = "=$B$6"
        s[f"{c}6"] = f"={c}5*$B$2*$B$7*8760"
        s[f"{c}7"] = f"={c}6/1000000"
    s["D3"] = "折旧"
    s["D4"] = "簿価"
    s["D5"] = "الإيجار"
    s["D6"] = "Выручка"
    s["D7"] = "סה\"כ \u202e"
    wb.save(path)
    return path


def monthly_hidden(path: Path) -> Path:
    """A monthly model on a hidden sheet named "Monthly" (a sheet name that is not a unit),
    a typed D&A charge, accumulated depreciation by SUM, a carrying amount, a cover ratio
    labelled only "Ratio", "Debt / value", an LGD typed as 45 (a percentage), a sheet-scoped
    name, "No. of GPUs", "Term loan" and "Loan term (years)", rents per GPU-hour."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Inputs"
    _inputs(s, [("No. of GPUs", 300), ("Purchase price", 30000), ("Scrap value", 0),
                ("Life (months)", 48), ("Spot price ($/GPU-h)", 2.5), ("Occupancy", 0.75),
                ("Cash cost ($/GPU-h)", 0.5), ("Term loan", 5_000_000),
                ("Interest rate", 0.08), ("Loan term (years)", 3), ("LGD", 45),
                ("Fire-sale discount", 0.3)], top=1)
    ws = wb.create_sheet("Monthly")
    ws.sheet_state = "hidden"
    ws["A2"] = "Month"
    labels = {3: "Price", 4: "Sales", 5: "Costs", 6: "Net cash", 7: "Payment", 8: "Ratio",
              9: "D&A", 10: "Accumulated depreciation", 11: "Carrying amount",
              12: "Debt o/s", 13: "Debt / value"}
    for r, label in labels.items():
        ws[f"A{r}"] = label
    for k in range(24):
        c = openpyxl.utils.get_column_letter(2 + k)
        p = openpyxl.utils.get_column_letter(1 + k)
        ws[f"{c}2"] = dt.date(2026 + k // 12, k % 12 + 1, 1)
        ws[f"{c}2"].number_format = "mmm-yy"
        ws[f"{c}3"] = "=Inputs!$B$5"
        ws[f"{c}4"] = f"=Inputs!$B$1*{c}3*Inputs!$B$6*730"
        ws[f"{c}5"] = "=Inputs!$B$1*Inputs!$B$7*730"
        ws[f"{c}6"] = f"={c}4-{c}5"
        ws[f"{c}7"] = "=PMT(Inputs!$B$9/12,Inputs!$B$10*12,-Inputs!$B$8)"
        ws[f"{c}8"] = f"={c}6/{c}7"
        ws[f"{c}9"] = 187500
        ws[f"{c}10"] = f"=SUM($B$9:{c}9)"
        ws[f"{c}11"] = f"=Inputs!$B$1*Inputs!$B$2-{c}10"
        ws[f"{c}12"] = "=Inputs!$B$8" if k == 0 else f"={p}12*(1+Inputs!$B$9/12)-{p}7"
        ws[f"{c}13"] = f"={c}12/{c}11"
    ws.defined_names["LocalRate"] = DefinedName("LocalRate", attr_text="Inputs!$B$9",
                                                localSheetId=1)
    wb.save(path)
    return path


def unlabelled(path: Path) -> Path:
    """Inputs in A:B with the periods in E:I of the same rows: the rows of ratios and values
    carry no label of their own (the text in column A names the input in column B, not the
    row), so a fleet value ``gpus * cost * (1 - t / life)``, a DSCR and an LTV are known only
    by their formulas."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Model"
    _inputs(s, [("GPUs", 200), ("Cost", 20000), ("Life", 5), ("Rent", 2.0),
                ("Utilisation", 0.7), ("Opex", 0.3), ("Loan", 2_000_000), ("Rate", 0.07),
                ("Years", 5)], top=1)
    s["D1"] = "Period"
    for label, r in (("Revenue", 2), ("CFADS", 3), ("Debt service", 4), ("Balance", 7)):
        s[f"D{r}"] = label
    for k in range(5):
        c, p = "EFGHI"[k], "DEFGH"[k]
        s[f"{c}1"] = k + 1
        s[f"{c}2"] = "=$B$1*$B$4*$B$5*8760"
        s[f"{c}3"] = f"={c}2-$B$1*$B$6*8760"
        s[f"{c}4"] = "=PMT($B$8,$B$9,-$B$7)"
        s[f"{c}5"] = f"={c}3/{c}4"
        s[f"{c}6"] = f"=$B$1*$B$2*(1-{c}1/$B$3)"
        s[f"{c}7"] = "=$B$7" if k == 0 else f"={p}7-({p}4-{p}7*$B$8)"
        s[f"{c}8"] = f"={c}7/{c}6"
    wb.save(path)
    return path


def base_case(path: Path) -> Path:
    """A bank's one-sheet base case: inputs in B:C under a title, "Year 1".."Year 5" headings,
    a rent typed falling 10% a year, utilisation as 88 (percent), interest and principal by
    IPMT/PPMT summed into debt service, a fleet book value with the residual as a share of
    cost, an LTV on the repaid balance, "Total GPUs deployed" and "GPU acquisition cost"."""
    wb = openpyxl.Workbook()
    s = wb.active
    s.title = "Base Case"
    s["B2"] = "Key assumptions"
    _inputs(s, [("Total GPUs deployed", 1500), ("GPU acquisition cost ($)", 27500),
                ("Residual value (% of cost)", 0.10), ("Depreciation period (years)", 5),
                ("Blended rental rate ($/hr)", 2.05), ("Average utilization (%)", 88),
                ("Cash opex ($/hr)", 0.35), ("Facility amount", 30_000_000),
                ("Margin + base", 0.105), ("Facility tenor", 5), ("Recovery in default", 0.5)],
            top=3, col=2)
    r0 = 16
    s.cell(r0, 2, "($)")
    for k in range(5):
        c = "DEFGH"[k]
        s[f"{c}{r0}"] = f"Year {k + 1}"
        s[f"{c}{r0 + 1}"] = round(2.05 * 0.9 ** k, 6)
        s[f"{c}{r0 + 2}"] = f"=$C$3*{c}{r0 + 1}*$C$8/100*8760"
        s[f"{c}{r0 + 3}"] = "=$C$3*$C$9*8760"
        s[f"{c}{r0 + 4}"] = f"={c}{r0 + 2}-{c}{r0 + 3}"
        s[f"{c}{r0 + 5}"] = f"=-IPMT($C$11,{k + 1},$C$12,$C$10)"
        s[f"{c}{r0 + 6}"] = f"=-PPMT($C$11,{k + 1},$C$12,$C$10)"
        s[f"{c}{r0 + 7}"] = f"={c}{r0 + 5}+{c}{r0 + 6}"
        s[f"{c}{r0 + 8}"] = f"={c}{r0 + 4}/{c}{r0 + 7}"
        s[f"{c}{r0 + 9}"] = f"=$C$3*($C$4-($C$4-$C$4*$C$5)*{k + 1}/$C$6)"
        s[f"{c}{r0 + 10}"] = f"=($C$10-SUM($D${r0 + 6}:{c}{r0 + 6}))/{c}{r0 + 9}"
    for i, label in enumerate(["Rental rate", "Revenue", "Opex", "CFADS", "Interest",
                               "Principal", "Total debt service",
                               "Debt Service Coverage Ratio (x)", "Fleet book value",
                               "Loan to Value (%)"], start=r0 + 1):
        s.cell(i, 2, label)
    wb.save(path)
    return path


BUILDERS: dict[str, Callable[[Path], Path]] = {
    "annual_sln": annual_sln, "quarterly_named": quarterly_named, "typed_values": typed_values,
    "declining_dates": declining_dates, "german": german, "budget": budget,
    "arranger_quarterly": arranger_quarterly, "column_inputs": column_inputs,
    "foreign_labels": foreign_labels, "monthly_hidden": monthly_hidden,
    "unlabelled": unlabelled, "base_case": base_case,
}

#: Findings each file must give: (kind, sheet, cells, {input role: cell}).
EXPECTED: dict[str, list[tuple[str, str, str, dict[str, str]]]] = {
    "annual_sln": [
        ("sln_call", "Model", "C10:E10", {"cost": "Inputs!$B$3", "salvage": "Inputs!$B$4",
                                          "life": "Inputs!$B$5"}),
        ("straight_line_value", "Model", "C11:E11", {}),
        ("rent_flat", "Model", "C5:E5", {}),
        ("revenue_flat", "Model", "C6:E6", {"utilisation": "Inputs!B7"}),
        ("dscr", "Model", "C18:E18", {}),
        ("ltv", "Model", "C19:E19", {}),
        ("fixed_recovery", "Inputs", "B12", {}),
    ],
    "quarterly_named": [
        ("straight_line_value", "Cash flows", "I3:I18", {"cost": "capex_per_gpu",
                                                         "salvage": "residual",
                                                         "life": "life_years"}),
        ("rent_constant_growth", "Cash flows", "C3:C18", {}),
        ("revenue_constant_growth", "Cash flows", "D3:D18", {"utilisation": "utilisation"}),
        ("dscr", "Cash flows", "J3:J18", {}),
        ("ltv", "Cash flows", "K3:K18", {}),
        ("fixed_lgd", "Assumptions", "B14", {}),
    ],
    "typed_values": [
        ("straight_line_value", "Deal", "C13:H13", {}),
        ("rent_constant_growth", "Deal", "C14:H14", {}),
        ("utilisation_fixed", "Deal", "C15:H15", {}),
        ("dscr", "Deal", "C16:H16", {}),
        ("fixed_haircut", "Deal", "C9", {}),
    ],
    "declining_dates": [
        ("ddb_call", "Schedules", "C5:G5", {"cost": "Schedules!B11", "salvage": "$B$12",
                                            "life": "Schedules!$B$13"}),
        ("syd_call", "Schedules", "C6:G6", {}),
        ("vdb_call", "Schedules", "C7:G7", {}),
        ("db_call", "Schedules", "C8:G8", {}),
    ],
    "german": [
        ("sln_call", "Modèle d'affaires", "C5:F5", {"cost": "Eingaben!$B$3"}),
        ("straight_line_value", "Modèle d'affaires", "C6:F6", {"cost": "Eingaben!$B$3",
                                                               "salvage": "Eingaben!$B$4",
                                                               "life": "Eingaben!$B$5"}),
    ],
    "budget": [],
    "arranger_quarterly": [
        ("ddb_call", "CF", "E11:X11", {"cost": "UnitCost", "salvage": "Assumptions!$D$6",
                                       "life": "Assumptions!$D$7"}),
        ("vdb_call", "CF", "E12:X12", {"cost": "UnitCost"}),
        ("db_call", "CF", "E13:X13", {"life": "Assumptions!$D$7"}),
        ("syd_call", "CF", "E14:X14", {"salvage": "Assumptions!$D$6"}),
        ("rent_constant_growth", "CF", "E6:X6", {"rent": "Assumptions!$D$8",
                                                 "utilisation": "Assumptions!D10"}),
        ("revenue_constant_growth", "CF", "E7:X7", {"gpus": "Fleet"}),
        ("utilisation_fixed", "Assumptions", "D10", {}),
        ("dscr", "CF", "E22:X22", {"numerator": "CF!E9", "denominator": "CF!E19"}),
        ("llcr", "CF", "E23:X23", {"numerator": "CF!E9:X9",
                                   "denominator": "Assumptions!D12"}),
        ("ltv", "CF", "E24:X24", {"numerator": "CF!E20", "denominator": "CF!E15"}),
        ("fixed_recovery", "Assumptions", "D15", {}),
        ("fixed_haircut", "Assumptions", "D16", {}),
    ],
    "column_inputs": [
        ("straight_line_value", "Deal", "F2:F5", {"cost": "$B$3", "life": "$B$5"}),
        ("straight_line_value", "Deal", "G2:G5", {"cost": "$B$3", "salvage": "$B$4",
                                                  "life": "$B$5"}),
        ("rent_flat", "Deal", "H2:H5", {}),
        ("revenue_flat", "Deal", "I2:I5", {"utilisation": "Deal!B7"}),
        ("utilisation_fixed", "Deal", "B7", {}),
        ("dscr", "Deal", "M2:M5", {"numerator": "Deal!K2", "denominator": "Deal!L2"}),
        ("ltv", "Deal", "N2:N5", {}),
        ("fixed_lgd", "Deal", "B12", {}),
    ],
    "foreign_labels": [
        ("sln_call", "Modèle", "E3:I3", {"cost": "$B$3", "salvage": "$B$4", "life": "$B$5"}),
        ("sln_call", "Modèle", "E4:I4", {"cost": "$B$3"}),
        ("utilisation_fixed", "Modèle", "B7", {}),
    ],
    "base_case": [
        ("straight_line_value", "Base Case", "D25:H25", {}),
        ("rent_constant_growth", "Base Case", "D17:H17", {}),
        ("revenue_constant_growth", "Base Case", "D18:H18", {"gpus": "'Base Case'!C3"}),
        ("utilisation_fixed", "Base Case", "C8", {}),
        ("dscr", "Base Case", "D24:H24", {"denominator": "'Base Case'!D23"}),
        ("ltv", "Base Case", "D26:H26", {"denominator": "'Base Case'!D25"}),
        ("fixed_recovery", "Base Case", "C13", {}),
    ],
    "unlabelled": [
        ("straight_line_value", "Model", "E6:I6", {"cost": "Model!B2", "life": "Model!B3",
                                                   "gpus": "Model!B1"}),
        ("revenue_flat", "Model", "E2:I2", {"rent": "Model!B4", "utilisation": "Model!B5"}),
        ("utilisation_fixed", "Model", "B5", {}),
        ("dscr", "Model", "E5:I5", {"numerator": "Model!E3", "denominator": "Model!E4"}),
        ("ltv", "Model", "E8:I8", {"numerator": "Model!E7", "denominator": "Model!E6"}),
    ],
    "monthly_hidden": [
        ("straight_line_charge", "Monthly", "B9:Y9", {}),
        ("straight_line_accumulated", "Monthly", "B10:Y10", {}),
        ("straight_line_value", "Monthly", "B11:Y11", {}),
        ("rent_flat", "Monthly", "B3:Y3", {"rent": "Inputs!$B$5"}),
        ("revenue_flat", "Monthly", "B4:Y4", {"gpus": "Inputs!$B$1"}),
        ("utilisation_fixed", "Inputs", "B6", {}),
        ("dscr", "Monthly", "B8:Y8", {}),
        ("ltv", "Monthly", "B13:Y13", {}),
        ("fixed_lgd", "Inputs", "B11", {}),
        ("fixed_haircut", "Inputs", "B12", {}),
    ],
}

#: Mapped fields the draft must find, per file (field -> the map's value).
MAPPED: dict[str, dict[str, Any]] = {
    "annual_sln": {"gpus": "Inputs!B2", "gpu_cost": "Inputs!$B$3", "salvage": "Inputs!$B$4",
                   "book_life_years": "Inputs!$B$5", "rent0": "Inputs!B6",
                   "utilization": "Inputs!B7", "cash_cost": "Inputs!B8", "debt": "Inputs!B9",
                   "debt_rate": "Inputs!B10", "debt_years": "Inputs!B11",
                   "target": "Inputs!B14", "pd": "Inputs!B13", "lgd": "=1-Inputs!B12",
                   "payments_per_year": 1, "amortization": "annuity", "tax_rate": 0.0,
                   "their_dscr": "Model!C18:E18", "their_ltv": "Model!C19:E19",
                   "their_book_value": "Model!C11:E11"},
    "quarterly_named": {"gpus": "gpus", "gpu_cost": "capex_per_gpu", "salvage": "residual",
                        "book_life_years": "life_years", "utilization": "utilisation",
                        "debt": "loan", "debt_rate": "rate", "debt_years": "tenor_years",
                        "payments_per_year": 4, "their_dscr": "'Cash flows'!J3:J18",
                        "their_book_value": "'Cash flows'!I3:I18",
                        "deflation": "=-rent_growth_q" },
    "arranger_quarterly": {"gpus": "Fleet", "gpu_cost": "UnitCost",
                           "salvage": "Assumptions!D6", "book_life_years": "Assumptions!D7",
                           "rent0": "Assumptions!D8", "utilization": "Assumptions!D10",
                           "cash_cost": "Assumptions!D11", "debt": "Assumptions!D12",
                           "debt_rate": "Assumptions!D13", "debt_years": "Assumptions!D14",
                           "target": "Assumptions!D17", "discount_rate": "Assumptions!D18",
                           "payments_per_year": 4, "amortization": "annuity",
                           "lgd": "=1-Assumptions!D15", "gpu_haircut": "Assumptions!D16",
                           "their_dscr": "CF!E22:X22", "their_llcr": "CF!E23:X23",
                           "their_ltv": "CF!E24:X24", "their_rent": "CF!E6:X6"},
    "column_inputs": {"gpus": "Deal!B2", "gpu_cost": "Deal!B3", "salvage": "Deal!B4",
                      "book_life_years": "Deal!B5", "utilization": "Deal!B7",
                      "cash_cost": "Deal!B8", "debt": "Deal!B9", "debt_rate": "Deal!B10",
                      "debt_years": "Deal!B11", "lgd": "Deal!B12", "payments_per_year": 1,
                      "their_dscr": "Deal!M2:M5", "their_ltv": "Deal!N2:N5",
                      "their_rent": "Deal!H2:H5"},
    "base_case": {"gpus": "'Base Case'!C3", "gpu_cost": "'Base Case'!C4",
                  "salvage": "='Base Case'!C4*'Base Case'!C5", "rent0": "'Base Case'!C7",
                  "utilization": "='Base Case'!C8/100", "cash_cost": "'Base Case'!C9",
                  "book_life_years": "'Base Case'!C6", "debt": "'Base Case'!C10",
                  "debt_years": "'Base Case'!C12", "lgd": "=1-'Base Case'!C13",
                  "their_dscr": "'Base Case'!D24:H24", "their_ltv": "'Base Case'!D26:H26"},
    "monthly_hidden": {"gpus": "Inputs!B1", "gpu_cost": "Inputs!B2", "salvage": "Inputs!B3",
                       "book_life_years": "=Inputs!B4/12", "rent0": "Inputs!B5",
                       "utilization": "Inputs!B6", "cash_cost": "Inputs!B7",
                       "debt": "Inputs!B8", "debt_rate": "Inputs!B9", "debt_years": "Inputs!B10",
                       "lgd": "=Inputs!B11/100", "gpu_haircut": "Inputs!B12",
                       "payments_per_year": 12, "their_dscr": "Monthly!B8:Y8",
                       "their_ltv": "Monthly!B13:Y13", "their_book_value": "Monthly!B11:Y11"},
}


def build(name: str, folder: Path) -> Path:
    return BUILDERS[name](Path(folder) / f"{name}.xlsx")


def build_all(folder: Path) -> dict[str, Path]:
    return {name: build(name, folder) for name in BUILDERS}
