"""Real-style finance models of the fidelity corpus, each computed a second time in plain Python
(numpy-financial, closed forms and the calendar) for the value of every formula cell:

* a loan amortisation schedule (EDATE month ends, PMT/IPMT/PPMT, DAYS360, SUMIFS, XIRR, IRR,
  XNPV, NPV, TEXT, FORMULATEXT, lookups);
* a small project-finance model whose debt funds interest during construction and its own
  upfront fee (circular; iterative calculation on), then an annuity repayment, DSCR, LLCR and
  the equity IRR;
* an LBO-style sheet with a two-variable data table of IRR by entry and exit multiple and a
  one-variable table of IRR and MOIC by leverage;
* a three-statement model (income statement, balance sheet, cash flow) whose scenario is
  picked with INDEX, CHOOSE, OFFSET, HLOOKUP and INDIRECT(ADDRESS()), with balance checks.
"""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
import numpy_financial as npf

from .cases import Case, bisect_root, days360, serial
from .xlsx import F

__all__ = ["MODELS"]


class _Sheet:
    """Cells of one sheet and the expected value of each formula."""

    def __init__(self, name: str, exp: dict) -> None:
        self.name, self.cells, self.exp = name, {}, exp

    def value(self, ref: str, v) -> None:
        self.cells[ref] = v

    def f(self, ref: str, text: str, want, **kw) -> None:
        self.cells[ref] = F(text, **kw)
        self.exp[(self.name, ref)] = want


def _edate(d: dt.date, months: int) -> dt.date:
    m = d.month - 1 + months
    y, m = d.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


# --------------------------------------------------------------------------------------------

def loan_case() -> Case:
    exp: dict = {}
    L, S, M = _Sheet("Loan", exp), _Sheet("Schedule", exp), _Sheet("Summary", exp)
    principal, rate, years, per_year = 250000.0, 0.065, 5, 12
    first = dt.date(2024, 1, 31)
    n = years * per_year
    r = rate / per_year
    for ref, v in (("A1", "Principal"), ("B1", principal), ("A2", "Annual rate"), ("B2", rate),
                   ("A3", "Years"), ("B3", years), ("A4", "Payments per year"),
                   ("B4", per_year), ("A5", "First payment"), ("B5", serial(first))):
        L.value(ref, v)
    pmt = float(npf.pmt(r, n, -principal))
    L.f("B6", "B3*B4", float(n))
    L.f("B7", "PMT(B2/B4,B6,-B1)", pmt)
    L.f("B8", "RATE(B6,-B7,B1)*B4", float(npf.rate(n, -pmt, principal, 0)) * per_year)
    L.f("B9", "NPER(B2/B4,-B7,B1)", float(npf.nper(r, -pmt, principal)))
    L.f("B10", "PV(B2/B4,B6,-B7)", float(npf.pv(r, n, -pmt)))
    L.f("B11", "-FV(B2/B4,B4,-B7,B1)", -float(npf.fv(r, per_year, -pmt, principal)))
    for c, h in zip("ABCDEFGHIJK", ("Period", "Date", "Opening", "Interest", "Principal",
                                    "Closing", "Payment", "Check", "Year", "Days", "Cum. int.")):
        S.value(f"{c}1", h)
    bal = principal
    dates, pays, cum = [], [], 0.0
    prev = _edate(first, -1)
    S.f("M1", "-Loan!B1", -principal)
    S.f("N1", "EDATE(Loan!B5,-1)", float(serial(prev)))
    for k in range(1, n + 1):
        row = k + 1
        d = _edate(first, k - 1)
        ip = float(npf.ipmt(r, k, n, -principal))
        pp = float(npf.ppmt(r, k, n, -principal))
        S.f(f"A{row}", "ROW()-1", float(k))
        S.f(f"B{row}", f"EDATE(Loan!$B$5,A{row}-1)", float(serial(d)))
        S.f(f"C{row}", "Loan!$B$1" if k == 1 else f"F{row - 1}", bal)
        S.f(f"D{row}", f"IPMT(Loan!$B$2/Loan!$B$4,A{row},Loan!$B$6,-Loan!$B$1)", ip)
        S.f(f"E{row}", f"PPMT(Loan!$B$2/Loan!$B$4,A{row},Loan!$B$6,-Loan!$B$1)", pp)
        S.f(f"F{row}", f"C{row}-E{row}", bal - pp)
        S.f(f"G{row}", f"D{row}+E{row}", ip + pp)
        S.f(f"H{row}", f"ROUND(C{row}*Loan!$B$2/Loan!$B$4-D{row},6)=0",
            bool(round(bal * r - ip, 6) == 0))
        S.f(f"I{row}", f"YEAR(B{row})", float(d.year))
        S.f(f"J{row}", (f"DAYS360(EDATE(Loan!$B$5,-1),B{row})" if k == 1 else
                        f"DAYS360(B{row - 1},B{row})"), float(days360(prev, d)))
        cum += ip
        S.f(f"K{row}", f"SUM($D$2:D{row})", cum)
        S.f(f"M{row}", f"G{row}", ip + pp)
        S.f(f"N{row}", f"B{row}", float(serial(d)))
        bal -= pp
        dates.append(d)
        pays.append(ip + pp)
        prev = d
    last = n + 1
    ints = [float(npf.ipmt(r, k, n, -principal)) for k in range(1, n + 1)]
    prins = [float(npf.ppmt(r, k, n, -principal)) for k in range(1, n + 1)]
    flows = [-principal] + pays
    fdates = [_edate(first, -1)] + dates
    t = [(serial(d) - serial(fdates[0])) / 365 for d in fdates]

    def xnpv(rt):
        return sum(v / (1 + rt) ** tt for v, tt in zip(flows, t))
    balances = np.cumsum([principal] + [-p for p in prins])
    M.f("B1", f"SUM(Schedule!D2:D{last})", sum(ints))
    M.f("B2", f"SUMPRODUCT(Schedule!E2:E{last})", sum(prins))
    M.f("B3", f"SUMIFS(Schedule!D2:D{last},Schedule!I2:I{last},2025)",
        sum(i for i, d in zip(ints, dates) if d.year == 2025))
    M.f("B4", f"COUNTIFS(Schedule!I2:I{last},2026,Schedule!D2:D{last},\">500\")",
        float(sum(1 for i, d in zip(ints, dates) if d.year == 2026 and i > 500)))
    M.f("B5", f"INDEX(Schedule!F2:F{last},MATCH(24,Schedule!A2:A{last},0))",
        float(balances[24]))
    M.f("B6", f"_xlfn.XLOOKUP(DATE(2025,6,30),Schedule!B2:B{last},Schedule!F2:F{last})",
        float(balances[dates.index(dt.date(2025, 6, 30)) + 1]))
    M.f("B7", f"XIRR(Schedule!M1:M{last},Schedule!N1:N{last})", bisect_root(xnpv, 0.0, 1.0))
    M.f("B8", f"IRR(Schedule!M1:M{last})*12", float(npf.irr(flows)) * 12)
    M.f("B9", f"XNPV(0.07,Schedule!M1:M{last},Schedule!N1:N{last})", xnpv(0.07))
    M.f("B10", f"NPV(0.07/12,Schedule!G2:G{last})-Loan!B1",
        float(npf.npv(0.07 / 12, [0.0] + pays)) - principal)
    M.f("B11", "TEXT(Loan!B7,\"$#,##0.00\")", f"${pmt:,.2f}")
    M.f("B12", f"\"Last payment: \"&TEXT(MAX(Schedule!B2:B{last}),\"d mmm yyyy\")",
        f"Last payment: {dates[-1].day} {dates[-1]:%b %Y}")
    M.f("B13", "_xlfn.FORMULATEXT(Loan!B7)", "=PMT(B2/B4,B6,-B1)")
    M.f("B14", "IFERROR(Loan!B1/0,\"n/a\")", "n/a")
    M.f("B15", "CHOOSE(MATCH(Loan!B4,{1,4,12},0),\"annual\",\"quarterly\",\"monthly\")",
        "monthly")
    M.f("B16", "NETWORKDAYS(Loan!B5,EDATE(Loan!B5,2))",
        float(np.busday_count(first, _edate(first, 2) + dt.timedelta(days=1))))
    M.f("B17", "EOMONTH(Loan!B5,59)", float(serial(_edate(dt.date(2024, 1, 31), 59))))
    M.f("B18", f"YEARFRAC(Loan!B5,MAX(Schedule!B2:B{last}))",
        days360(first, dates[-1], yearfrac=True) / 360)
    M.f("B19", f"AND(Schedule!H2:H{last})", True)
    M.f("B20", f"ROUND(Schedule!F{last},6)", 0.0)
    return Case("loan_schedule", {"Loan": L.cells, "Schedule": S.cells, "Summary": M.cells},
                exp, "numpy-financial (PMT IPMT PPMT RATE NPER PV FV NPV IRR), the XNPV sum "
                     "and its root by bisection (XIRR), the calendar (EDATE, EOMONTH, DAYS360 "
                     "US, 30/360 YEARFRAC, NETWORKDAYS by numpy.busday_count)",
                libreoffice=True)


# --------------------------------------------------------------------------------------------

def project_finance_case() -> Case:
    """Debt funds 70% of capex, interest during construction (on the opening balance and half
    the quarter's drawdown) and a 2% upfront fee on the total debt: circular. The fixed point is
    the solution of a linear system (numpy.linalg.solve), not an iteration."""
    exp: dict = {}
    P = _Sheet("PF", exp)
    g, rate, fee, tenor, cfads1, growth = 0.7, 0.08, 0.02, 15, 18.0, 0.02
    capex = [30.0, 40.0, 20.0, 10.0]
    for ref, v in (("A1", "Gearing"), ("B1", g), ("A2", "Interest rate"), ("B2", rate),
                   ("A3", "Upfront fee"), ("B3", fee), ("A4", "Tenor (years)"), ("B4", tenor),
                   ("A5", "CFADS year 1"), ("B5", cfads1), ("A6", "CFADS growth"),
                   ("B6", growth)):
        P.value(ref, v)
    q = rate / 4
    # unknowns: draw_0..3, idc_0..3, fee
    A = np.zeros((9, 9))
    b = np.zeros(9)
    for i in range(4):
        # idc_i - q*(sum_{j<i} draw_j + draw_i/2) = 0
        A[i, 4 + i] = 1
        for j in range(i):
            A[i, j] -= q
        A[i, i] -= q / 2
        # draw_i - g*(idc_i + fee*[i==0]) = g*capex_i
        A[4 + i, i] = 1
        A[4 + i, 4 + i] = -g
        if i == 0:
            A[4 + i, 8] = -g
        b[4 + i] = g * capex[i]
    A[8, 8] = 1
    A[8, :4] = -fee
    x = np.linalg.solve(A, b)
    draw, idc, fee_amt = x[:4], x[4:8], x[8]
    debt = float(draw.sum())
    cols = "CDEF"
    opening = 0.0
    for i, c in enumerate(cols):
        P.value(f"{c}9", f"Q{i + 1}")
        P.value(f"{c}10", capex[i])
        P.f(f"{c}11", "0" if i == 0 else f"{cols[i - 1]}14", opening)
        P.f(f"{c}12", f"$B$2/4*({c}11+{c}13/2)", float(idc[i]))
        P.f(f"{c}13", f"$B$1*({c}10+{c}12+{c}15)", float(draw[i]))
        P.f(f"{c}14", f"{c}11+{c}13", opening + float(draw[i]))
        P.f(f"{c}15", "$B$3*$B$16" if i == 0 else "0", float(fee_amt) if i == 0 else 0.0)
        opening += float(draw[i])
    funding = sum(capex) + float(idc.sum()) + float(fee_amt)
    P.f("B16", "SUM(C13:F13)", debt)
    P.f("B17", "SUM(C10:F10)+SUM(C12:F12)+SUM(C15:F15)", funding)
    P.f("B18", "B17-B16", funding - debt)
    ds = float(npf.pmt(rate, tenor, -debt))
    bal = debt
    cf, dscr, eq = [], [], [-(funding - debt)]
    P.f("J20", "-B18", -(funding - debt))
    for k in range(1, tenor + 1):
        row = 20 + k
        c = cfads1 * (1 + growth) ** (k - 1)
        interest = bal * rate
        P.value(f"A{row}", float(k))
        P.f(f"B{row}", f"$B$5*(1+$B$6)^(A{row}-1)", c)
        P.f(f"C{row}", "PMT($B$2,$B$4,-$B$16)", ds)
        P.f(f"D{row}", f"B{row}/C{row}", c / ds)
        P.f(f"E{row}", "$B$16" if k == 1 else f"H{row - 1}", bal)
        P.f(f"F{row}", f"E{row}*$B$2", interest)
        P.f(f"G{row}", f"C{row}-F{row}", ds - interest)
        P.f(f"H{row}", f"E{row}-G{row}", bal - (ds - interest))
        P.f(f"I{row}", f"B{row}-C{row}", c - ds)
        P.f(f"J{row}", f"I{row}", c - ds)
        bal -= ds - interest
        cf.append(c)
        dscr.append(c / ds)
        eq.append(c - ds)
    end = 20 + tenor
    P.f("B37", f"MIN(D21:D{end})", min(dscr))
    P.f("B38", f"AVERAGE(D21:D{end})", sum(dscr) / len(dscr))
    P.f("B39", f"NPV($B$2,B21:B{end})/B16", float(npf.npv(rate, [0.0] + cf)) / debt)
    P.f("B40", f"IRR(J20:J{end})", float(npf.irr(eq)))
    P.f("B41", f"ROUND(H{end},6)", round(bal, 6) + 0.0)
    P.f("B42", "ABS(B17-B16-B18)<0.000001", True)
    P.f("B43", "\"Debt \"&TEXT(B16,\"0.0\")&\"m, min DSCR \"&TEXT(B37,\"0.00x\")",
        f"Debt {debt:.1f}m, min DSCR {min(dscr):.2f}x")
    return Case("project_finance", {"PF": P.cells}, exp,
                "the construction fixed point by numpy.linalg.solve (a linear system), then "
                "numpy-financial (PMT NPV IRR)",
                calc={"iterate": "1", "iterateCount": "1000", "iterateDelta": "1E-11"},
                note="iterative calculation")


# --------------------------------------------------------------------------------------------

def _lbo(entry: float, exit_: float, lev: float, ebitda0=100.0, growth=0.05, rate=0.08,
         tax=0.25, da=0.10, capex=0.12, years=5) -> dict:
    ev = ebitda0 * entry
    debt0 = ebitda0 * lev
    eq = ev - debt0
    debt = debt0
    rows = []
    for k in range(1, years + 1):
        e = ebitda0 * (1 + growth) ** k
        d = e * da
        i = debt * rate
        t = max(0.0, (e - d - i) * tax)
        cx = e * capex
        fcf = e - i - t - cx
        close = max(0.0, debt - fcf)
        rows.append((e, d, debt, i, t, cx, fcf, close))
        debt = close
    exit_ev = rows[-1][0] * exit_
    exit_eq = exit_ev - debt
    moic = exit_eq / eq
    return {"ev": ev, "debt0": debt0, "eq": eq, "rows": rows, "exit_ev": exit_ev,
            "exit_eq": exit_eq, "moic": moic, "irr": moic ** (1 / years) - 1}


def lbo_case() -> Case:
    exp: dict = {}
    S = _Sheet("LBO", exp)
    base = dict(entry=8.0, exit_=9.0, lev=5.0)
    m = _lbo(**base)
    for ref, v in (("A1", "EBITDA"), ("B1", 100.0), ("A2", "Growth"), ("B2", 0.05),
                   ("A3", "Entry multiple"), ("B3", 8.0), ("A4", "Exit multiple"), ("B4", 9.0),
                   ("A5", "Leverage"), ("B5", 5.0), ("A6", "Interest"), ("B6", 0.08),
                   ("A7", "Tax"), ("B7", 0.25), ("A8", "D&A % EBITDA"), ("B8", 0.10),
                   ("A9", "Capex % EBITDA"), ("B9", 0.12), ("A10", "Years"), ("B10", 5.0)):
        S.value(ref, v)
    S.f("B12", "B1*B3", m["ev"])
    S.f("B13", "B1*B5", m["debt0"])
    S.f("B14", "B12-B13", m["eq"])
    for k, c in enumerate("CDEFG", start=1):
        e, d, op, i, t, cx, fcf, close = m["rows"][k - 1]
        prev = "CDEFG"[k - 2] if k > 1 else None
        S.value(f"{c}15", float(k))
        S.f(f"{c}16", f"$B$1*(1+$B$2)^{c}15", e)
        S.f(f"{c}17", f"{c}16*$B$8", d)
        S.f(f"{c}18", "$B$13" if k == 1 else f"{prev}23", op)
        S.f(f"{c}19", f"{c}18*$B$6", i)
        S.f(f"{c}20", f"MAX(0,({c}16-{c}17-{c}19)*$B$7)", t)
        S.f(f"{c}21", f"{c}16*$B$9", cx)
        S.f(f"{c}22", f"{c}16-{c}19-{c}20-{c}21", fcf)
        S.f(f"{c}23", f"MAX(0,{c}18-{c}22)", close)
    S.f("B25", "G16*B4", m["exit_ev"])
    S.f("B26", "G23", m["rows"][-1][7])
    S.f("B27", "B25-B26", m["exit_eq"])
    S.f("B28", "B27/B14", m["moic"])
    S.f("B29", "B28^(1/B10)-1", m["irr"])
    S.f("C32", "-B14", -m["eq"])
    for c in "DEFG":
        S.value(f"{c}32", 0.0)
    S.f("H32", "B27", m["exit_eq"])
    S.f("B30", "IRR(C32:H32)", float(npf.irr([-m["eq"], 0, 0, 0, 0, m["exit_eq"]])))
    # two variables: entry multiples down J6:J8, exit multiples along K5:M5, IRR in J5
    S.f("J5", "B29", m["irr"])
    entries, exits = [7.0, 8.0, 9.0], [8.0, 9.0, 10.0]
    for i, e in enumerate(entries):
        S.value(f"J{6 + i}", e)
    for j, x in enumerate(exits):
        S.value(f"{'KLM'[j]}5", x)
    S.cells["K6"] = F("", kind="dataTable", ref="K6:M8",
                      attrs={"dt2D": "1", "dtr": "1", "r1": "B4", "r2": "B3"})
    grid = {}
    for i, e in enumerate(entries):
        for j, x in enumerate(exits):
            grid[f"{'KLM'[j]}{6 + i}"] = _lbo(e, x, 5.0)["irr"]
            exp[("LBO", f"{'KLM'[j]}{6 + i}")] = grid[f"{'KLM'[j]}{6 + i}"]
    # one variable: leverage down O6:O8, IRR and MOIC in P5:Q5
    S.f("P5", "B29", m["irr"])
    S.f("Q5", "B28", m["moic"])
    for i, lev in enumerate([4.0, 5.0, 6.0]):
        S.value(f"O{6 + i}", lev)
        exp[("LBO", f"P{6 + i}")] = _lbo(8.0, 9.0, lev)["irr"]
        exp[("LBO", f"Q{6 + i}")] = _lbo(8.0, 9.0, lev)["moic"]
    S.cells["P6"] = F("", kind="dataTable", ref="P6:Q8",
                      attrs={"dt2D": "0", "dtr": "0", "r1": "B5"})
    S.f("B34", "MAX(K6:M8)", max(grid.values()))
    S.f("B35", "INDEX(K6:M8,MATCH(9,J6:J8,0),MATCH(8,K5:M5,0))", grid["K8"])
    return Case("lbo_data_tables", {"LBO": S.cells}, exp,
                "the model recomputed in Python for each entry/exit multiple and leverage; "
                "IRR by numpy-financial", libreoffice=True,
                note="data table")


# --------------------------------------------------------------------------------------------

def three_statement_case() -> Case:
    exp: dict = {}
    A, M, C = _Sheet("Assumptions", exp), _Sheet("Model", exp), _Sheet("Checks", exp)
    scen = ["Base", "Upside", "Downside"]
    table = {"Revenue growth": [0.05, 0.09, -0.02], "Gross margin": [0.40, 0.43, 0.36],
             "Opex % revenue": [0.22, 0.21, 0.24], "Capex % revenue": [0.06, 0.07, 0.04],
             "Tax rate": [0.25, 0.25, 0.21]}
    for j, h in enumerate(scen):
        A.value(f"{'BCD'[j]}1", h)
    for i, (k, vals) in enumerate(table.items(), start=2):
        A.value(f"A{i}", k)
        for j, v in enumerate(vals):
            A.value(f"{'BCD'[j]}{i}", v)
    choice = "Upside"
    ci = scen.index(choice)
    A.value("F1", "Scenario")
    A.value("G1", choice)
    A.f("G2", "MATCH(G1,B1:D1,0)", float(ci + 1))
    pick = {k: v[ci] for k, v in table.items()}
    A.f("H2", "INDEX(B2:D2,$G$2)", pick["Revenue growth"])
    A.f("H3", "CHOOSE($G$2,B3,C3,D3)", pick["Gross margin"])
    A.f("H4", "OFFSET(A4,0,$G$2)", pick["Opex % revenue"])
    A.f("H5", "HLOOKUP($G$1,$B$1:$D$5,5,FALSE)", pick["Capex % revenue"])
    A.f("H6", "INDIRECT(ADDRESS(6,1+$G$2))", pick["Tax rate"])
    for ref, v in (("A7", "Receivable days"), ("H7", 45.0), ("A8", "Payable days"),
                   ("H8", 30.0), ("A9", "Asset life"), ("H9", 10.0), ("A10", "Interest"),
                   ("H10", 0.06)):
        A.value(ref, v)
    g, gm, opx, cpx, tax = (pick[k] for k in table)
    # base year (values) and five forecast years
    base = {"rev": 1000.0, "cash": 100.0, "ppe": 500.0, "ar": 120.0, "ap": 80.0,
            "debt": 300.0}
    for ref, v in (("B3", 2024.0), ("B4", base["rev"]), ("B15", base["cash"]),
                   ("B16", base["ppe"]), ("B17", base["ar"]), ("B20", base["ap"]),
                   ("B22", base["debt"])):
        M.value(ref, v)
    labels = {3: "Year", 4: "Revenue", 5: "COGS", 6: "Gross profit", 7: "Opex", 8: "EBITDA",
              9: "D&A", 10: "EBIT", 11: "Interest", 12: "EBT", 13: "Tax", 14: "Net income",
              15: "Cash", 16: "PP&E", 17: "Receivables", 18: "Total assets", 20: "Payables",
              22: "Debt", 23: "Equity", 24: "Total liabilities and equity", 25: "CF: net income",
              26: "CF: D&A", 27: "CF: working capital", 28: "CF: capex", 29: "CF: debt",
              30: "Net cash flow"}
    for r, t in labels.items():
        M.value(f"A{r}", t)
    M.f("B18", "B15+B16+B17", base["cash"] + base["ppe"] + base["ar"])
    eq0 = base["cash"] + base["ppe"] + base["ar"] - base["ap"] - base["debt"]
    M.f("B23", "B18-B20-B22", eq0)
    M.f("B24", "B20+B22+B23", base["ap"] + base["debt"] + eq0)
    prev = {"year": 2024.0, "rev": base["rev"], "cash": base["cash"], "ppe": base["ppe"],
            "ar": base["ar"], "ap": base["ap"], "debt": base["debt"], "eq": eq0}
    years = []
    for c in "CDEFG":
        p = chr(ord(c) - 1)
        y = {}
        y["year"] = prev["year"] + 1
        y["rev"] = prev["rev"] * (1 + g)
        y["cogs"] = -y["rev"] * (1 - gm)
        y["gp"] = y["rev"] + y["cogs"]
        y["opex"] = -y["rev"] * opx
        y["ebitda"] = y["gp"] + y["opex"]
        y["da"] = -prev["ppe"] / 10.0
        y["ebit"] = y["ebitda"] + y["da"]
        y["int"] = -prev["debt"] * 0.06
        y["ebt"] = y["ebit"] + y["int"]
        y["tax"] = -max(0.0, y["ebt"]) * tax
        y["ni"] = y["ebt"] + y["tax"]
        y["ar"] = y["rev"] * 45.0 / 365
        y["ap"] = -y["cogs"] * 30.0 / 365
        y["cf_ni"] = y["ni"]
        y["cf_da"] = -y["da"]
        y["cf_nwc"] = -(y["ar"] - prev["ar"]) + (y["ap"] - prev["ap"])
        y["cf_capex"] = -y["rev"] * cpx
        y["cf_debt"] = -min(prev["debt"], 50.0)
        y["ncf"] = y["cf_ni"] + y["cf_da"] + y["cf_nwc"] + y["cf_capex"] + y["cf_debt"]
        y["cash"] = prev["cash"] + y["ncf"]
        y["ppe"] = prev["ppe"] - y["cf_capex"] + y["da"]
        y["ta"] = y["cash"] + y["ppe"] + y["ar"]
        y["debt"] = prev["debt"] + y["cf_debt"]
        y["eq"] = prev["eq"] + y["ni"]
        y["tle"] = y["ap"] + y["debt"] + y["eq"]
        for row, text, key in (
                (3, f"{p}3+1", "year"), (4, f"{p}4*(1+Assumptions!$H$2)", "rev"),
                (5, f"-{c}4*(1-Assumptions!$H$3)", "cogs"), (6, f"{c}4+{c}5", "gp"),
                (7, f"-{c}4*Assumptions!$H$4", "opex"), (8, f"{c}6+{c}7", "ebitda"),
                (9, f"-{p}16/Assumptions!$H$9", "da"), (10, f"{c}8+{c}9", "ebit"),
                (11, f"-{p}22*Assumptions!$H$10", "int"), (12, f"{c}10+{c}11", "ebt"),
                (13, f"-MAX(0,{c}12)*Assumptions!$H$6", "tax"), (14, f"{c}12+{c}13", "ni"),
                (15, f"{p}15+{c}30", "cash"), (16, f"{p}16-{c}28+{c}9", "ppe"),
                (17, f"{c}4*Assumptions!$H$7/365", "ar"), (18, f"{c}15+{c}16+{c}17", "ta"),
                (20, f"-{c}5*Assumptions!$H$8/365", "ap"), (22, f"{p}22+{c}29", "debt"),
                (23, f"{p}23+{c}14", "eq"), (24, f"{c}20+{c}22+{c}23", "tle"),
                (25, f"{c}14", "cf_ni"), (26, f"-{c}9", "cf_da"),
                (27, f"-({c}17-{p}17)+({c}20-{p}20)", "cf_nwc"),
                (28, f"-{c}4*Assumptions!$H$5", "cf_capex"), (29, f"-MIN({p}22,50)", "cf_debt"),
                (30, f"SUM({c}25:{c}29)", "ncf")):
            M.f(f"{c}{row}", text, y[key])
        years.append(y)
        prev = y
    M.f("I4", "SUMIFS(C4:G4,C3:G3,\">=2027\")",
        sum(y["rev"] for y in years if y["year"] >= 2027))
    M.f("I5", "AVERAGE(C8:G8)/AVERAGE(C4:G4)",
        np.mean([y["ebitda"] for y in years]) / np.mean([y["rev"] for y in years]))
    M.f("I6", "\"Revenue \"&G3&\": \"&TEXT(G4,\"#,##0\")",
        f"Revenue {int(years[-1]['year'])}: {years[-1]['rev']:,.0f}")
    M.f("I7", "_xlfn.SWITCH(Assumptions!G1,\"Base\",\"B\",\"Upside\",\"U\",\"D\")", "U")
    M.f("I8", "_xlfn.IFS(G14>C14,\"growing\",TRUE,\"flat\")",
        "growing" if years[-1]["ni"] > years[0]["ni"] else "flat")
    M.f("I9", "SUMPRODUCT((C3:G3>=2026)*(C14:G14))",
        sum(y["ni"] for y in years if y["year"] >= 2026))
    for i, c in enumerate("BCDEFG", start=1):
        t = (base["cash"] + base["ppe"] + base["ar"]) if c == "B" else years[i - 2]["ta"]
        le = (base["ap"] + base["debt"] + eq0) if c == "B" else years[i - 2]["tle"]
        C.value(f"A{i}", f"Balance sheet balances, column {c}")
        C.f(f"B{i}", f"ROUND(Model!{c}18-Model!{c}24,6)=0", bool(round(t - le, 6) == 0))
    C.f("B8", "AND(B1:B6)", True)
    C.f("B9", "COUNTIF(B1:B6,TRUE)", 6.0)
    return Case("three_statement", {"Assumptions": A.cells, "Model": M.cells,
                                    "Checks": C.cells}, exp,
                "the three statements recomputed in Python (the scenario's assumptions picked "
                "by hand)", libreoffice=True)


MODELS = [loan_case, project_finance_case, lbo_case, three_statement_case]
