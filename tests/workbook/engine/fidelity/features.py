"""Feature cases of the fidelity corpus: one workbook per feature of real finance models, with
the value of every formula cell derived without the engine (worked by hand from Excel's
documented rules, numpy-financial, or closed forms; said per case)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import numpy_financial as npf

from .cases import Case, bisect_root, days360, serial
from .xlsx import Err, F, Link, XlTable

__all__ = ["FEATURES"]


def functions_case() -> Case:
    """The function families finance models use, on one sheet."""
    s: dict = {}
    exp: dict = {}

    def put(ref, text, value):
        s[ref] = F(text)
        exp[("Fns", ref)] = value

    # inputs
    vals = [100.0, -250.0, 75.5, 310.0, 0.0]
    for i, v in enumerate(vals, start=1):
        s[f"A{i}"] = v
    regions = ["North", "South", "North", "East", "South"]
    for i, v in enumerate(regions, start=1):
        s[f"B{i}"] = v
    years = [2023, 2023, 2024, 2024, 2025]
    for i, v in enumerate(years, start=1):
        s[f"C{i}"] = v
    flows = [-1000.0, 200.0, 300.0, 400.0, 500.0]
    for i, v in enumerate(flows, start=1):
        s[f"D{i}"] = v
    dates = [dt.date(2024, 1, 15), dt.date(2024, 7, 1), dt.date(2025, 3, 31),
             dt.date(2025, 12, 31), dt.date(2026, 6, 30)]
    for i, d in enumerate(dates, start=1):
        s[f"E{i}"] = serial(d)
    r = 0.07 / 12
    # financial family (numpy-financial; Excel sign conventions are numpy-financial's)
    put("H1", "PMT(0.07/12,360,250000)", float(npf.pmt(r, 360, 250000)))
    put("H2", "IPMT(0.07/12,13,360,250000)", float(npf.ipmt(r, 13, 360, 250000)))
    put("H3", "PPMT(0.07/12,13,360,250000)", float(npf.ppmt(r, 13, 360, 250000)))
    put("H4", "PV(0.05,10,-1000)", float(npf.pv(0.05, 10, -1000)))
    put("H5", "FV(0.05,10,-1000,-5000)", float(npf.fv(0.05, 10, -1000, -5000)))
    put("H6", "NPER(0.01,-500,20000)", float(npf.nper(0.01, -500, 20000)))
    put("H7", "RATE(360,-1663.26,250000)", float(npf.rate(360, -1663.26, 250000, 0)))
    put("H8", "NPV(0.08,D2:D5)+D1", float(npf.npv(0.08, [0] + flows[1:]) + flows[0]))
    put("H9", "IRR(D1:D5)", float(npf.irr(flows)))
    # XNPV/XIRR: the defining sums, the rate by a bracketing root to 1e-15
    t = [(serial(d) - serial(dates[0])) / 365 for d in dates]

    def xnpv(rate):
        return sum(v / (1 + rate) ** tt for v, tt in zip(flows, t))
    put("H10", "XNPV(0.09,D1:D5,E1:E5)", xnpv(0.09))
    put("H11", "XIRR(D1:D5,E1:E5)", bisect_root(xnpv, 0.0, 1.0))
    put("H12", "CUMIPMT(0.07/12,360,250000,1,12,0)",
        float(sum(npf.ipmt(r, k, 360, 250000) for k in range(1, 13))))
    # dates (by hand: calendar rules)
    d0 = dt.date(2024, 1, 31)
    s["G20"] = serial(d0)
    put("H13", "EDATE(G20,1)", serial(dt.date(2024, 2, 29)))
    put("H14", "EOMONTH(G20,13)", serial(dt.date(2025, 2, 28)))
    put("H15", "DAYS360(E1,E3)", days360(dates[0], dates[2]))
    put("H16", "YEARFRAC(E1,E3)", days360(dates[0], dates[2]) / 360)
    put("H17", "NETWORKDAYS(E1,E2)", int(np.busday_count(dates[0], dates[1] +
                                                          dt.timedelta(days=1))))
    put("H18", "YEAR(E4)*100+MONTH(E4)", 202512)
    # lookups and conditional sums
    put("J1", "SUMIFS(A1:A5,B1:B5,\"North\",C1:C5,\">=2024\")", 75.5)
    put("J2", "COUNTIFS(B1:B5,\"South\",A1:A5,\"<0\")", 1)
    put("J3", "AVERAGEIFS(A1:A5,B1:B5,\"<>East\")", (100 - 250 + 75.5 + 0) / 4)
    put("J4", "SUMPRODUCT(A1:A5,C1:C5)", sum(a * c for a, c in zip(vals, years)))
    put("J5", "SUMPRODUCT((B1:B5=\"South\")*A1:A5)", -250.0)
    put("J6", "INDEX(A1:A5,MATCH(\"East\",B1:B5,0))", 310.0)
    put("J7", "MATCH(2024,C1:C5,1)", 4)
    put("J8", "_xlfn.XLOOKUP(\"East\",B1:B5,A1:A5)", 310.0)
    put("J9", "_xlfn.XLOOKUP(\"West\",B1:B5,A1:A5,\"none\")", "none")
    put("J10", "_xlfn.XMATCH(75.5,A1:A5)", 3)
    put("J11", "VLOOKUP(2024,C1:D5,2,FALSE)", 300.0)
    put("J12", "CHOOSE(3,\"a\",\"b\",\"c\")", "c")
    put("J13", "IFERROR(1/A5,\"n/a\")", "n/a")
    put("J14", "_xlfn.IFNA(MATCH(\"West\",B1:B5,0),-1)", -1)
    put("J15", "_xlfn.IFS(A2>0,\"pos\",A2<0,\"neg\",TRUE,\"zero\")", "neg")
    put("J16", "_xlfn.SWITCH(B4,\"North\",1,\"East\",3,0)", 3)
    put("J17", "MAX(A1:A5)-MIN(A1:A5)", 560.0)
    put("J18", "ROUND(A3*1.175,2)", round(75.5 * 1.175 + 1e-12, 2))
    # text (Excel's number formats, worked by hand)
    put("L1", "TEXT(H1,\"#,##0.00\")", f"{abs(npf.pmt(r, 360, 250000)):,.2f}"
        if npf.pmt(r, 360, 250000) > 0 else "-" + f"{abs(npf.pmt(r, 360, 250000)):,.2f}")
    put("L2", "TEXT(0.0725,\"0.00%\")", "7.25%")
    put("L3", "TEXT(E1,\"dd-mmm-yyyy\")", "15-Jan-2024")
    put("L4", "TEXT(-1234567,\"$#,##0.0,,\"\"m\"\";($#,##0.0,,\"\"m\"\")\")", "($1.2m)")
    put("L5", "\"DSCR \"&TEXT(1.2345,\"0.00x\")", "DSCR 1.23x")
    put("L6", "\"Covenant met: \"&(A4>A1)", "Covenant met: TRUE")
    put("L7", "CONCATENATE(\"FY\",C3,\" \",B3)", "FY2024 North")
    put("L8", "\"r=\"&(0.1+0.2)", "r=0.3")
    put("L9", "_xlfn.TEXTJOIN(\", \",TRUE,B1:B3)", "North, South, North")
    return Case("functions", {"Fns": s}, exp,
                "numpy-financial (PMT IPMT PPMT PV FV NPER RATE NPV IRR CUMIPMT), the XNPV sum "
                "and its root (XIRR), calendar rules by hand (EDATE EOMONTH DAYS360 30/360 "
                "YEARFRAC NETWORKDAYS), lookups and formats worked by hand",
                libreoffice=True)


def arrays_case() -> Case:
    """Dynamic arrays and spill references; LET, LAMBDA and names defined with LAMBDA."""
    s: dict = {}
    exp: dict = {}
    data = [("B", 30.0), ("A", 10.0), ("C", 20.0), ("A", 5.0)]
    for i, (k, v) in enumerate(data, start=1):
        s[f"A{i}"], s[f"B{i}"] = k, v

    def spill(ref, text, values):
        top = ref.split(":")[0]
        s[top] = F(text, kind="array", ref=ref, dynamic=True)
        col0, row0 = top[0], int(top[1:])
        for i, row in enumerate(values):
            for j, v in enumerate(row):
                exp[("Arr", f"{chr(ord(col0) + j)}{row0 + i}")] = v

    spill("D1:D4", "_xlfn.SEQUENCE(4,1,10,5)", [[10.0], [15.0], [20.0], [25.0]])
    s["E1"] = F("SUM(_xlfn.ANCHORARRAY(D1))")
    exp[("Arr", "E1")] = 70.0
    spill("F1:F3", "_xlfn._xlws.SORT(_xlfn.UNIQUE(A1:A4))", [["A"], ["B"], ["C"]])
    spill("G1:G2", "_xlfn._xlws.FILTER(B1:B4,A1:A4=\"A\")", [[10.0], [5.0]])
    spill("H1:H4", "_xlfn._xlws.SORT(B1:B4,1,-1)", [[30.0], [20.0], [10.0], [5.0]])
    spill("I1:I4", "_xlfn.MAP(B1:B4,_xlfn.LAMBDA(_xlpm.v,_xlpm.v*2))",
          [[60.0], [20.0], [40.0], [10.0]])
    spill("J1:J4", "_xlfn.SCAN(0,B1:B4,_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlpm.a+_xlpm.b))",
          [[30.0], [40.0], [60.0], [65.0]])
    spill("K1:K4", "_xlfn.BYROW(B1:B4,_xlfn.LAMBDA(_xlpm.r,_xlpm.r+1))",
          [[31.0], [11.0], [21.0], [6.0]])
    s["L1"] = F("_xlfn.REDUCE(1,B1:B4,_xlfn.LAMBDA(_xlpm.a,_xlpm.b,_xlpm.a*_xlpm.b))")
    exp[("Arr", "L1")] = 30.0 * 10 * 20 * 5
    s["L2"] = F("_xlfn.LET(_xlpm.x,SUM(B1:B4),_xlpm.n,COUNT(B1:B4),_xlpm.x/_xlpm.n)")
    exp[("Arr", "L2")] = 65.0 / 4
    s["L3"] = F("_xlfn.LET(_xlpm.f,_xlfn.LAMBDA(_xlpm.y,_xlpm.y*_xlpm.y),_xlpm.f(B2)+1)")
    exp[("Arr", "L3")] = 101.0
    s["L4"] = F("_xlfn.LET(_xlpm.k,3,_xlfn.LET(_xlpm.m,_xlpm.k*2,_xlpm.m+_xlpm.k))")
    exp[("Arr", "L4")] = 9.0
    s["L5"] = F("GROSSUP(B3,0.25)")
    exp[("Arr", "L5")] = 20.0 / 0.75
    s["L6"] = F("_xlfn.XLOOKUP(MAX(B1:B4),B1:B4,A1:A4)")
    exp[("Arr", "L6")] = "B"
    s["L7"] = F("SUM(_xlfn.ANCHORARRAY(I1))/ROWS(_xlfn.ANCHORARRAY(I1))")
    exp[("Arr", "L7")] = 130.0 / 4
    s["L8"] = F("ROWS(_xlfn._xlws.FILTER(B1:B4,A1:A4=\"A\"))+COLUMNS(_xlfn.HSTACK(B1:B4,B1:B4))")
    exp[("Arr", "L8")] = 2.0 + 2.0
    s["L9"] = F("ROWS(_xlfn.UNIQUE(A1:A4))*ROWS({1;2;3})")
    exp[("Arr", "L9")] = 9.0
    # a dynamic array that now spills over fewer cells than Excel saved: the rest is blank
    spill("P1:P3", "_xlfn._xlws.FILTER(B1:B4,B1:B4>15)", [[30.0], [20.0], [None]])
    spill("M1:N1", "_xlfn.BYCOL(_xlfn.HSTACK(B1:B4,B1:B4*2),_xlfn.LAMBDA(_xlpm.c,"
                   "SUM(_xlpm.c)))", [[65.0, 130.0]])
    return Case("arrays", {"Arr": s}, exp, "worked by hand", names={
        "GROSSUP": "_xlfn.LAMBDA(_xlpm.x,_xlpm.t,_xlpm.x/(1-_xlpm.t))"})


def references_case() -> Case:
    """OFFSET, INDIRECT (within the workbook), FORMULATEXT, ranges with the sheet on both
    ends, full-height ranges."""
    s: dict = {"A1": 10.0, "A2": 20.0, "A3": 30.0, "A4": 40.0, "A5": 50.0,
               "B1": 3.0, "B2": "A4", "B3": "Base case"}
    base = {"C1": 1.5, "C2": 2.5, "D7": 7.0}
    exp: dict = {}

    def put(ref, text, value):
        s[ref] = F(text)
        exp[("Refs", ref)] = value

    put("C1", "SUM(OFFSET(A1,0,0,B1,1))", 60.0)
    put("C2", "OFFSET(A1,B1,0)", 40.0)
    put("C3", "SUM(OFFSET(A5,0,0,-B1))", 120.0)
    put("C4", "INDIRECT(B2)", 40.0)
    put("C5", "INDIRECT(\"A\"&(B1+1))", 40.0)
    put("C6", "SUM(INDIRECT(\"'\"&B3&\"'!C1:C2\"))", 4.0)
    put("C7", "INDIRECT(\"R2C1\",FALSE)", 20.0)
    put("C8", "_xlfn.FORMULATEXT(C1)", "=SUM(OFFSET(A1,0,0,B1,1))")
    put("C9", "_xlfn.FORMULATEXT(A1)", Err("#N/A"))
    put("C10", "SUM(Refs!A1:'Refs'!A5)", 150.0)
    put("C11", "OFFSET(A1,-1,0)", Err("#REF!"))
    put("C12", "INDIRECT(\"[Other.xlsx]Sheet1!A1\")", Err("#REF!"))
    put("C13", "SUM(A2:A1048576)", 140.0)
    put("C14", "SUM(OFFSET(C1,0,-2,5,1))", 150.0)
    put("C15", "'Base case'!D7*2", 14.0)
    put("C16", "SUM(OFFSET(INDIRECT(\"A\"&B1),0,0,2,1))", 70.0)
    # defined names as arguments and targets (a workbook with names resolves its references
    # the same way)
    put("C17", "OFFSET(Start,Steps,0)", 40.0)
    put("C18", "SUM(INDIRECT(\"Vals\"))", 150.0)
    put("C19", "INDEX(Vals,Steps)*Rate", 1.5)
    put("C20", "INDIRECT(ADDRESS(Steps,1))", 30.0)
    return Case("references", {"Refs": s, "Base case": base}, exp, "worked by hand",
                exit_code=1, libreoffice=True,
                names={"Start": "Refs!$A$1", "Steps": "Refs!$B$1", "Vals": "Refs!$A$1:$A$5",
                       "Rate": "0.05"})


def iteration_case() -> Case:
    """Iterative calculation as Excel documents it: ``A1=1+A2``, ``A2=1+A1`` with 10
    iterations gives 19 and 20 (Excel's own example); ``B1=B1/2+1`` stops at the first pass
    changing less than 0.001."""
    s = {"A1": F("1+A2"), "A2": F("1+A1"), "A3": F("A1+A2"),
         "B1": F("B1/2+1"), "B2": F("B1*10")}
    x, passes = 0.0, 0
    while True:
        new = x / 2 + 1
        passes += 1
        done = abs(new - x) < 0.001 or passes == 10
        x = new
        if done:
            break
    exp = {("It", "A1"): 19.0, ("It", "A2"): 20.0, ("It", "A3"): 39.0,
           ("It", "B1"): x, ("It", "B2"): x * 10}
    return Case("iteration", {"It": s}, exp,
                "Excel's documented iteration: passes in row order from the saved values "
                "(none: 0), each cell from the latest values, stop after iterateCount or a "
                "pass changing less than iterateDelta", calc={"iterate": "1",
                                                             "iterateCount": "10"})


def loop_case() -> Case:
    """A circular reference in a workbook without iterative calculation: the loop and what
    depends on it keep Excel's saved values; the rest is recomputed; exit 3."""
    s = {"A1": 2.0, "B1": F("B2+A1", value=11.0), "B2": F("B3*2", value=9.0),
         "B3": F("B1-1", value=4.5), "B4": F("B3+1", value=5.5), "C1": F("A1*3")}
    exp = {("Loop", "B1"): 11.0, ("Loop", "B2"): 9.0, ("Loop", "B3"): 4.5,
           ("Loop", "B4"): 5.5, ("Loop", "C1"): 6.0}
    return Case("loop_without_iteration", {"Loop": s}, exp, "saved values kept; C1 by hand",
                exit_code=3, kept={("Loop", c) for c in ("B1", "B2", "B3", "B4")})


def data_tables_case() -> Case:
    """What-if data tables: one variable down a column, one along a row, two variables."""
    s: dict = {"A1": "rate", "B1": 0.06, "A2": "years", "B2": 10.0, "A3": "loan",
               "B3": 100000.0, "A4": "payment", "B4": F("PMT(B1/12,B2*12,-B3)")}
    exp: dict = {("DT", "B4"): float(npf.pmt(0.06 / 12, 120, -100000))}
    # one variable, inputs down column D, formulas in row 6 (E6, F6)
    s["E6"], s["F6"] = F("B4"), F("B4*B2*12")
    exp[("DT", "E6")] = exp[("DT", "B4")]
    exp[("DT", "F6")] = exp[("DT", "B4")] * 120
    rates = [0.04, 0.05, 0.07]
    for i, rt in enumerate(rates):
        s[f"D{7 + i}"] = rt
    s["E7"] = F("", kind="dataTable", ref="E7:F9", attrs={"dt2D": "0", "dtr": "0", "r1": "B1"})
    for i, rt in enumerate(rates):
        p = float(npf.pmt(rt / 12, 120, -100000))
        exp[("DT", f"E{7 + i}")] = p
        exp[("DT", f"F{7 + i}")] = p * 120
    # one variable along row 12 (years), formula in column H
    s["H13"] = F("B4")
    exp[("DT", "H13")] = exp[("DT", "B4")]
    yrs = [5.0, 15.0, 20.0]
    for j, y in enumerate(yrs):
        s[f"{'IJK'[j]}12"] = y
    s["I13"] = F("", kind="dataTable", ref="I13:K13", attrs={"dt2D": "0", "dtr": "1",
                                                             "r1": "B2"})
    for j, y in enumerate(yrs):
        exp[("DT", f"{'IJK'[j]}13")] = float(npf.pmt(0.06 / 12, y * 12, -100000))
    # two variables: rates down column D (D17:D18), loans along row 16, formula in D16
    s["D16"] = F("B4")
    exp[("DT", "D16")] = exp[("DT", "B4")]
    loans = [50000.0, 200000.0]
    for j, ln in enumerate(loans):
        s[f"{'EF'[j]}16"] = ln
    for i, rt in enumerate([0.03, 0.09]):
        s[f"D{17 + i}"] = rt
    s["E17"] = F("", kind="dataTable", ref="E17:F18", attrs={"dt2D": "1", "dtr": "1",
                                                             "r1": "B3", "r2": "B1"})
    for i, rt in enumerate([0.03, 0.09]):
        for j, ln in enumerate(loans):
            exp[("DT", f"{'EF'[j]}{17 + i}")] = float(npf.pmt(rt / 12, 120, -ln))
    s["H20"] = F("MAX(E7:F9)-MIN(E17:F18)")
    exp[("DT", "H20")] = max(exp[("DT", f"{c}{r}")] for c in "EF" for r in (7, 8, 9)) - \
        min(exp[("DT", f"{c}{r}")] for c in "EF" for r in (17, 18))
    # saved as many LBO and loan files are: automatic except data tables (recalc computes them,
    # as F9 does, and says so)
    return Case("data_tables", {"DT": s}, exp, "numpy-financial PMT for every substituted "
                "input", calc={"calcMode": "autoNoTable"},
                note="automatically except data tables")


def links_case() -> Case:
    """Links to another workbook, read from the values Excel cached in the file."""
    link = Link("file:///C:/Deals/Market%20prices.xlsx",
                {"Prices": {"B2": 2.35, "B3": 1.95, "B4": 1.40, "A2": "H100", "A3": "A100",
                            "A4": "V100"}})
    s = {"A1": 1000.0, "B1": F("[1]Prices!B2*A1"), "B2": F("SUM([1]Prices!B2:B4)"),
         "B3": F("VLOOKUP(\"A100\",[1]Prices!A2:B4,2,FALSE)"),
         "B4": F("INDEX([1]Prices!B2:B4,MATCH(\"V100\",[1]Prices!A2:A4,0))*A1")}
    exp = {("Model", "B1"): 2350.0, ("Model", "B2"): 2.35 + 1.95 + 1.40,
           ("Model", "B3"): 1.95, ("Model", "B4"): 1400.0}
    return Case("external_links", {"Model": s}, exp, "the cached link values, by hand",
                links=[link], note="read from the values cached in this file")


def _col(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def excel_markup_case() -> Case:
    """Formulas as Excel saves them: shared formulas (one text for a filled block, moved per
    cell), a range with the sheet on both ends as a drag across sheets writes it
    (``SUM(TBA!$D$10:'TBA'!D10)``, cumulative), totals to the last column and over whole
    columns and rows, mixed absolute references filled both ways, booleans joined into text."""
    tba: dict = {"B2": 0.03, "D10": 1.0}
    calc: dict = {"A12": "x", "A13": "y", "A14": "x"}
    exp: dict = {}
    cols = [_col(c) for c in range(4, 27)]          # D..Z
    index = [1.03 ** k for k in range(len(cols))]
    # the index row: E10:Z10 one shared formula
    tba["E10"] = F("D10*(1+$B$2)", kind="shared", ref="E10:Z10", attrs={"si": "0"})
    for c in cols[2:]:
        tba[f"{c}10"] = F("", kind="shared", attrs={"si": "0"})
    for c, v in zip(cols[1:], index[1:]):
        exp[("TBA", f"{c}10")] = v
    # cumulative escalation: D5:Z5 = SUM(TBA!$D$10:'TBA'!D10), ..., SUM(TBA!$D$10:'TBA'!Z10)
    calc["D5"] = F("SUM(TBA!$D$10:'TBA'!D10)", kind="shared", ref="D5:Z5", attrs={"si": "0"})
    for c in cols[1:]:
        calc[f"{c}5"] = F("", kind="shared", attrs={"si": "0"})
    for k, c in enumerate(cols):
        exp[("Calc", f"{c}5")] = float(sum(index[:k + 1]))
    # row totals to the last column, filled down: C7:C9 = SUM(D7:XFD7) ...
    grid = {(r, j): float((r - 6) * 10 + j) for r in (7, 8, 9) for j in range(5)}
    for (r, j), v in grid.items():
        calc[f"{cols[j]}{r}"] = v
    calc["C7"] = F("SUM(D7:XFD7)", kind="shared", ref="C7:C9", attrs={"si": "1"})
    calc["C8"] = F("", kind="shared", attrs={"si": "1"})
    calc["C9"] = F("", kind="shared", attrs={"si": "1"})
    for r in (7, 8, 9):
        exp[("Calc", f"C{r}")] = sum(v for (rr, _), v in grid.items() if rr == r)
    # whole columns and rows
    calc["D12"], calc["D13"], calc["D14"] = 2.0, 3.0, 5.0
    calc["B12"] = F("SUM(D:D)")
    exp[("Calc", "B12")] = sum(grid[(r, 0)] for r in (7, 8, 9)) + 10.0 + \
        exp[("Calc", "D5")]
    calc["B13"] = F("SUMIF($A:$A,\"x\",$D:$D)")
    exp[("Calc", "B13")] = 7.0
    calc["B14"] = F("COUNTA(7:7)+MAX(Calc!8:8)")
    exp[("Calc", "B14")] = 6.0 + exp[("Calc", "C8")]     # the row total is the largest
    calc["B15"] = F("INDEX($D:$D,MATCH(\"y\",$A:$A,0))")
    exp[("Calc", "B15")] = 3.0
    # mixed references filled across and down: F17:H19 = $E17*F$16
    for j, c in enumerate("FGH"):
        calc[f"{c}16"] = float(j + 1)
    for i, r in enumerate((17, 18, 19)):
        calc[f"E{r}"] = float(10 * (i + 1))
    calc["F17"] = F("$E17*F$16", kind="shared", ref="F17:H19", attrs={"si": "2"})
    for r in (17, 18, 19):
        for j, c in enumerate("FGH"):
            if (c, r) != ("F", 17):
                calc[f"{c}{r}"] = F("", kind="shared", attrs={"si": "2"})
            exp[("Calc", f"{c}{r}")] = 10.0 * (r - 16) * (j + 1)
    # booleans joined into text are TRUE/FALSE, as Excel writes them
    calc["B21"] = F("\"Balanced: \"&(C7=SUM(D7:H7))")
    exp[("Calc", "B21")] = "Balanced: TRUE"
    calc["B22"] = F("CONCATENATE(\"negative \",D7<0)")
    exp[("Calc", "B22")] = "negative FALSE"
    calc["B23"] = F("_xlfn.TEXTJOIN(\"/\",TRUE,D7>0,D8>100,\"x\")")
    exp[("Calc", "B23")] = "TRUE/FALSE/x"
    # double negation turns booleans and numeric text into numbers (each minus applied)
    calc["B24"] = F("SUMPRODUCT(--(D7:H7>11),D8:H8)")
    exp[("Calc", "B24")] = 22.0 + 23.0 + 24.0
    # a formula that needs array evaluation is saved by Excel as a one-cell dynamic array
    # (a plain formula would take the one cell of D9:H9 in its own row: #VALUE!)
    calc["B25"] = F("--TRUE+--\"2\"+SUM(--(D9:H9>=32))", kind="array", ref="B25",
                    dynamic=True)
    exp[("Calc", "B25")] = 1.0 + 2.0 + 3.0
    return Case("excel_markup", {"Calc": calc, "TBA": tba}, exp, "worked by hand (powers of "
                "1.03 summed, row and column sums)", libreoffice=True)


def tables_case() -> Case:
    """An Excel table (a loan schedule with a totals row) and structured references: calculated
    columns reading their own row (``Schedule[[#This Row],[Opening]]``), whole columns, column
    spans, the headers, the totals, the bare table name, and a defined name over a column."""
    rate, n, amount = 0.005, 12, 10000.0
    inputs = {"A1": "monthly rate", "B1": rate, "A2": "payments", "B2": float(n),
              "A3": "amount", "B3": amount}
    loan: dict = {"A1": "Period", "B1": "Opening", "C1": "Interest", "D1": "Payment",
                  "E1": "Closing", "A14": "Total"}
    exp: dict = {}
    pay = float(npf.pmt(rate, n, -amount))
    bal, interest = amount, []
    this = "Schedule[[#This Row],[{}]]"
    for k in range(1, n + 1):
        r = k + 1
        loan[f"A{r}"] = float(k)
        loan[f"B{r}"] = F("Inputs!$B$3") if k == 1 else F(f"E{r - 1}")
        loan[f"C{r}"] = F(this.format("Opening") + "*Inputs!$B$1")
        loan[f"D{r}"] = F("PMT(Inputs!$B$1,Inputs!$B$2,-Inputs!$B$3)")
        loan[f"E{r}"] = F(this.format("Opening") + "+" + this.format("Interest") + "-" +
                          this.format("Payment"))
        i = bal * rate
        exp[("Loan", f"B{r}")], exp[("Loan", f"C{r}")] = bal, i
        exp[("Loan", f"D{r}")], exp[("Loan", f"E{r}")] = pay, bal + i - pay
        interest.append(i)
        bal = bal + i - pay
    loan["C14"] = F("SUM(Schedule[Interest])")
    loan["D14"] = F("SUM(Schedule[Payment])")
    exp[("Loan", "C14")], exp[("Loan", "D14")] = sum(interest), pay * n
    summary: dict = {}

    def put(ref, text, value):
        summary[ref] = F(text)
        exp[("TableSums", ref)] = value

    put("B1", "SUM(Schedule[Interest])", sum(interest))
    put("B2", "ROWS(Schedule)", float(n))
    put("B3", "INDEX(Schedule[Closing],ROWS(Schedule))", bal)
    put("B4", "COUNTA(Schedule[#Headers])", 5.0)
    put("B5", "Schedule[[#Totals],[Payment]]", pay * n)
    put("B6", "SUMPRODUCT(Schedule[Interest],--(Schedule[Period]<=6))", sum(interest[:6]))
    put("B7", "MATCH(MAX(Schedule[Interest]),Schedule[Interest],0)", 1.0)
    put("B8", "SUM(Schedule[[Interest]:[Payment]])", sum(interest) + pay * n)
    put("B9", "ROWS(Schedule[#All])", float(n + 2))
    put("B10", "MAX(Closings)", amount + interest[0] - pay)
    put("B11", "\"Schedule[Interest]\"", "Schedule[Interest]")
    return Case("tables", {"Inputs": inputs, "Loan": loan, "TableSums": summary}, exp,
                "numpy-financial PMT and the schedule rolled forward in Python",
                names={"Closings": "Schedule[Closing]"}, libreoffice=True,
                tables=[XlTable("Loan", "Schedule", "A1:E14",
                                ["Period", "Opening", "Interest", "Payment", "Closing"],
                                totals=True)])


def subtotals_case() -> Case:
    """SUBTOTAL as finance sheets use it: section subtotals and a grand total over the same
    column that never counts a subtotal twice; a hidden row counted by 9 and left out by 109;
    rows hidden by a filter left out by every code. AGGREGATE with its options (subtotals,
    hidden rows, errors left out or not)."""
    import statistics
    c: dict = {"A1": "Item", "B1": "Amount", "A2": "a", "B2": 10.0, "A3": "b", "B3": 20.0,
               "A4": "Section 1", "A5": "c", "B5": 5.0, "A6": "d (hidden row)", "B6": 7.0,
               "A7": "Section 2", "A8": "Section 2, visible", "A9": "Grand total"}
    exp: dict = {}

    def put(ref, text, value):
        c[ref] = F(text)
        exp[("Costs", ref)] = value

    put("B4", "SUBTOTAL(9,B2:B3)", 30.0)
    put("B7", "SUBTOTAL(9,B5:B6)", 12.0)
    put("B8", "SUBTOTAL(109,B5:B6)", 5.0)
    put("B9", "SUBTOTAL(9,B2:B8)", 42.0)
    put("C1", "SUBTOTAL(9,B2:B9)", 42.0)
    put("C2", "SUM(B2:B9)", 10.0 + 20 + 30 + 5 + 7 + 12 + 5 + 42)
    put("C3", "SUBTOTAL(1,B2:B3)", 15.0)
    put("C4", "SUBTOTAL(2,B2:B8)", 4.0)
    put("C5", "SUBTOTAL(4,B2:B8)+SUBTOTAL(5,B2:B8)", 25.0)
    put("C6", "SUBTOTAL(3,A2:A8)", 7.0)
    put("C7", "SUBTOTAL(7,B2:B3)", statistics.stdev([10.0, 20.0]))
    put("C8", "SUBTOTAL(104,B5:B6)", 5.0)
    put("C9", "SUBTOTAL(103,A2:A9)", 7.0)
    # AGGREGATE: options 0-3 leave out the subtotals (B4, B7, B8, B9), 1/3/5/7 the hidden row 6
    put("D1", "_xlfn.AGGREGATE(9,0,B2:B8)", 10.0 + 20 + 5 + 7)
    put("D2", "_xlfn.AGGREGATE(9,5,B2:B8)", 10.0 + 20 + 30 + 5 + 12 + 5)
    put("D3", "_xlfn.AGGREGATE(9,4,B2:B8)", 10.0 + 20 + 30 + 5 + 7 + 12 + 5)
    put("D4", "_xlfn.AGGREGATE(9,1,B2:B8)", 10.0 + 20 + 5)
    put("D5", "_xlfn.AGGREGATE(14,6,B2:B3/(A2:A3=\"b\"),1)", 20.0)   # errors left out
    put("D6", "_xlfn.AGGREGATE(15,0,B2:B6,2)", 7.0)    # 10, 20, 5, 7 without the subtotal
    put("D7", "_xlfn.AGGREGATE(12,3,B2:B8)", 10.0)    # median of 10, 20, 5
    put("D8", "_xlfn.AGGREGATE(16,0,B2:B3,0.25)", 12.5)   # 10 + 0.25 x (20 - 10)
    f: dict = {"A1": "Item", "B1": "Amount", "A2": "w", "B2": 1.0, "A3": "x", "B3": 2.0,
               "A4": "y", "B4": 3.0, "A5": "z", "B5": 4.0}
    for ref, text, value in (("D1", "SUBTOTAL(9,B2:B5)", 8.0), ("D2", "SUM(B2:B5)", 10.0),
                             ("D3", "SUBTOTAL(3,B2:B5)", 3.0),
                             ("D4", "_xlfn.AGGREGATE(9,4,B2:B5)", 10.0),
                             ("D5", "_xlfn.AGGREGATE(9,5,B2:B5)", 8.0)):
        f[ref] = F(text)
        exp[("Filtered", ref)] = value
    return Case("subtotals", {"Costs": c, "Filtered": f}, exp, "worked by hand",
                hidden={"Costs": {6}, "Filtered": {3}}, auto_filter={"Filtered": "A1:B5"},
                libreoffice=True)


def partial_case() -> Case:
    """A cell the engine cannot evaluate keeps Excel's value, and so do its dependents."""
    s = {"A1": 4.0, "B1": F("A1*2"), "B2": F("CUBEVALUE(\"olap\",\"[Measures].[x]\")",
                                              value=123.0),
         "B3": F("B2+1", value=124.0), "B4": F("B1+A1"),
         "C1": 5.0, "C2": 9.0, "C3": 1.0,
         # a dynamic array that would now spill beyond the single cell Excel saved for it
         "D1": F("_xlfn._xlws.FILTER(C1:C3,C1:C3>2)", value=9.0, kind="array", ref="D1",
                 dynamic=True),
         "D2": F("D1*2", value=18.0)}
    exp = {("P", "B1"): 8.0, ("P", "B2"): 123.0, ("P", "B3"): 124.0, ("P", "B4"): 12.0,
           ("P", "D1"): 9.0, ("P", "D2"): 18.0}
    return Case("partial", {"P": s}, exp, "saved values kept, the rest by hand", exit_code=3,
                kept={("P", "B2"), ("P", "B3"), ("P", "D1"), ("P", "D2")})


def today_case() -> Case:
    """TODAY() and NOW() frozen with --today."""
    d = dt.date(2025, 6, 30)
    s = {"A1": F("TODAY()"), "A2": F("EDATE(TODAY(),3)"), "A3": F("NOW()-TODAY()"),
         "A4": F("YEAR(TODAY())"), "A5": F("TEXT(TODAY(),\"yyyy-mm-dd\")")}
    exp = {("D", "A1"): float(serial(d)), ("D", "A2"): float(serial(dt.date(2025, 9, 30))),
           ("D", "A3"): 0.0, ("D", "A4"): 2025, ("D", "A5"): "2025-06-30"}
    return Case("today", {"D": s}, exp, "Excel serial numbers of the frozen date, by hand",
                today=d, note="evaluated as of 2025-06-30 (--today)")


FEATURES = [functions_case, arrays_case, references_case, iteration_case, loop_case,
            data_tables_case, links_case, partial_case, today_case, excel_markup_case,
            tables_case, subtotals_case]

del math
