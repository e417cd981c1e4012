"""Find the straight-line assumptions of a deal spreadsheet (the audit's analysis).

:func:`analyse` reads a :class:`~workbook.engine.cellmap.CellMap` and returns an
:class:`Audit`: findings with their sheet and cells, the inputs they use, what ComputeCredit
replaces them with and which of the sheet's own cells would feed it, plus a proposed mapping of
the model's deal fields to the sheet's cells (:mod:`workbook.audit.mapping`).

What is looked for (every rule works on any layout: time in rows or columns, annual, quarterly
or monthly, labels in any column, inputs as cells or defined names, typed or computed):

* depreciation: calls of ``SLN``/``DB``/``DDB``/``VDB``/``SYD`` (with their cost, salvage and
  life); rows or columns that fall by the same amount each period (down to a floor), constant
  depreciation charges, accumulated depreciation rising by a fixed step; formulas of the shape
  ``cost - (cost - salvage) * age / life``, ``cost * (1 - age / life)`` and
  ``(cost - salvage) / life``, whatever their labels say;
* revenue drivers: rent or price rows that are flat, grow at a constant rate or by a constant
  step; flat revenue rows; fixed utilisation (a row or a single input);
* coverage and leverage: DSCR, LLCR, PLCR, interest-cover and LTV rows, by label or by shape (a
  ratio over a debt-service row, debt over a straight-line value), with what they divide and
  the findings they rest on;
* loss: fixed recovery, LGD and haircut constants.

Cells computed by ComputeCredit's own functions (and the inputs that feed them) are not
straight-line assumptions: they are reported as already modelled.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..engine.cellmap import CellMap, SheetCells
from ..engine.sheetxml import coord
from . import formula as fx
from .axes import Axis, Series, cell_label, find_axes, find_series, is_number, pattern
from .labels import matches, normalise

__all__ = ["Finding", "Input", "Audit", "analyse", "DEPRECIATION_FUNCTIONS", "REPLACEMENTS"]

DEPRECIATION_FUNCTIONS = {
    # name: roles of the arguments, in order
    "SLN": ("cost", "salvage", "life"),
    "SYD": ("cost", "salvage", "life", "period"),
    "DB": ("cost", "salvage", "life", "period", "month"),
    "DDB": ("cost", "salvage", "life", "period", "factor"),
    "VDB": ("cost", "salvage", "life", "start_period", "end_period", "factor", "no_switch"),
}
_FUNCTION_WORDS = {"SLN": "straight-line", "SYD": "sum-of-years'-digits",
                   "DB": "fixed declining-balance", "DDB": "double declining-balance",
                   "VDB": "variable declining-balance"}

#: What ComputeCredit puts in place of each kind of finding, and the schema fields that feed it.
REPLACEMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "depreciation": (("GPU_RV_CURVE", "GPU_RV"),
                     ("gpu_cost", "salvage", "book_life_years", "age_years", "rent0",
                      "utilization", "cash_cost", "deflation", "discount_rate")),
    "rent": (("GPU_RENT", "DSCR_TABLE"), ("rent0", "deflation", "step_years", "step_downs")),
    "revenue": (("DSCR_TABLE", "GPU_RENT"), ("gpus", "rent0", "utilization", "deflation",
                                             "contracted_share", "contract_rate")),
    "utilisation": (("DSCR_TABLE", "UTILIZATION_BREAKEVEN"), ("utilization",)),
    "dscr": (("DSCR_TABLE", "DSCR_MIN", "DSCR_BREAKEVEN"),
             ("gpus", "rent0", "utilization", "cash_cost", "deflation", "debt", "debt_rate",
              "debt_years", "payments_per_year", "amortization", "gpu_cost", "target")),
    "llcr": (("LLCR", "DSCR_TABLE"), ("gpus", "rent0", "utilization", "cash_cost", "deflation",
                                      "debt", "debt_rate", "debt_years", "discount_rate")),
    "ltv": (("DSCR_TABLE", "GPU_RV"), ("gpus", "gpu_cost", "debt", "rent0", "utilization",
                                       "cash_cost", "deflation", "discount_rate", "salvage")),
    "loss": (("LGD_CORR", "LGD_DOWNTURN"), ("pd", "ead", "gpus", "collateral_vol",
                                           "rho_collateral", "horizon_years", "lgd")),
    "haircut": (("FIRESALE_HAIRCUT", "LGD_CORR"), ("gpu_haircut", "gpus", "collateral_vol")),
}

MAX_PRECEDENTS = 20_000
_READER_BUDGET = 2_000_000     # cells of ranges traced forward from ComputeCredit's results
_FEEDING_LIMIT = 300_000       # cells traced back from them


@dataclass
class Input:
    """An input a finding uses: its role, the formula text, and the cell behind it."""
    role: str
    text: str
    cell: str | None = None
    value: Any = None
    label: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"role": self.role, "text": self.text, "cell": self.cell,
                "value": _plain(self.value), "label": self.label}


@dataclass
class Finding:
    category: str           # depreciation, revenue, coverage, leverage, loss
    kind: str               # what was found (a short code, see KIND_TITLES)
    title: str              # one line for a person
    sheet: str
    ref: str                # A1 range on the sheet
    label: str
    formula: str | None
    values: list[Any]
    reason: str
    inputs: list[Input] = field(default_factory=list)
    replace: str = ""       # key of REPLACEMENTS
    feeds: dict[str, str | None] = field(default_factory=dict)
    depends_on: list[int] = field(default_factory=list)
    status: str = "straight-line"     # or "modelled": already computed by ComputeCredit
    frequency: int | None = None      # periods a year of the series (None: one cell)
    detail: dict[str, Any] = field(default_factory=dict)
    id: int = 0
    cells: set = field(default_factory=set, repr=False)   # (sheet, row, col)

    @property
    def where(self) -> str:
        return f"{fx.quote_sheet(self.sheet)}!{self.ref}"

    @property
    def replace_with(self) -> list[str]:
        return list(REPLACEMENTS[self.replace][0]) if self.replace in REPLACEMENTS else []

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "category": self.category, "kind": self.kind,
                "title": self.title, "sheet": self.sheet, "cells": self.ref,
                "where": self.where, "label": self.label,
                "formula": ("=" + self.formula) if self.formula else None,
                "values": [_plain(v) for v in self.values[:12]], "reason": self.reason,
                "inputs": [i.as_dict() for i in self.inputs],
                "replace_with": self.replace_with, "feeds": dict(self.feeds),
                "depends_on": list(self.depends_on), "status": self.status,
                "periods_per_year": self.frequency,
                "detail": {k: _plain(v) for k, v in self.detail.items()}}


def _plain(v: Any) -> Any:
    from ..engine.sheetxml import ErrorValue
    if isinstance(v, ErrorValue):
        return v.code
    if isinstance(v, float) and v != v:
        return None
    return v


@dataclass
class Audit:
    path: str
    sheets: list[str]
    axes: list[Axis]
    findings: list[Finding]
    proposal: Any = None              # workbook.audit.mapping.Proposal
    notes: list[str] = field(default_factory=list)
    series: list[Series] = field(default_factory=list, repr=False)

    @property
    def open_findings(self) -> list[Finding]:
        return [f for f in self.findings if f.status != "modelled"]

    @property
    def modelled(self) -> list[Finding]:
        return [f for f in self.findings if f.status == "modelled"]


# --------------------------------------------------------------------------------------------
# the workbook as the analysis sees it

class Book:
    """Cells, parsed formulas, labels and references of a cell map."""

    def __init__(self, cm: CellMap, ours: set[str]):
        self.cm = cm
        self.ours = ours
        self.nodes: dict[tuple[str, int, int], Any] = {}
        for s in cm.sheets:
            for (r, c), cell in s.cells.items():
                if cell.formula:
                    self.nodes[(s.name, r, c)] = fx.parse(cell.formula)
        self.series_of: dict[tuple[str, int, int], Series] = {}
        self._names_at: dict[tuple[str, int, int], list[Any]] = {}
        for dn in cm.names:
            node = fx.parse(dn.text)
            if isinstance(node, fx.Ref) and node.is_cell and node.sheet:
                s = cm.sheet(node.sheet)
                if s is not None:
                    self._names_at.setdefault((s.name, node.r1, node.c1), []).append(dn)

    def sheet(self, name: str) -> SheetCells | None:
        return self.cm.sheet(name)

    def cell(self, sheet: str, r: int, c: int) -> Any:
        s = self.cm.sheet(sheet)
        return None if s is None else s.get(r, c)

    def where(self, sheet: str, r: int, c: int) -> str:
        return f"{fx.quote_sheet(sheet)}!{coord(r, c)}"

    def refs(self, node: Any, host: str, depth: int = 0) -> list[tuple[str, fx.Ref]]:
        """The references of a tree as (sheet, Ref), defined names resolved."""
        out: list[tuple[str, fx.Ref]] = []
        for n in fx.refs_in(node):
            if isinstance(n, fx.Ref):
                sheet = self._sheet_name(n.sheet) if n.sheet else host
                if sheet is not None:
                    out.append((sheet, n))
            elif depth < 4:
                dn = self.cm.name(n.name, n.sheet or host)
                if dn is not None:
                    out.extend(self.refs(fx.parse(dn.text), dn.scope or host, depth + 1))
        return out

    def _sheet_name(self, name: str) -> str | None:
        s = self.cm.sheet(name)
        return s.name if s is not None else None

    def single(self, node: Any, host: str) -> tuple[str, int, int] | None:
        """The one cell a reference or a name points at (None for anything else)."""
        if isinstance(node, fx.Ref) or isinstance(node, fx.Name):
            got = self.refs(node, host)
            if len(got) == 1 and got[0][1].is_cell:
                s, ref = got[0]
                return s, ref.r1, ref.c1
        return None

    def input_of(self, role: str, node: Any, host: str) -> Input:
        """An argument or operand as an :class:`Input`: its text, and its cell if it is one."""
        one = self.single(node, host)
        if one is None:
            value = node.value if isinstance(node, fx.Num) else None
            return Input(role, fx.render(node), None, value, "")
        s, r, c = one
        cell = self.cell(s, r, c)
        return Input(role, fx.render(node), self.where(s, r, c),
                     None if cell is None else cell.value, self.label(s, r, c))

    def label(self, sheet: str, r: int, c: int) -> str:
        ser = self.series_of.get((sheet, r, c))
        if ser is not None:
            return ser.label
        sc = self.sheet(sheet)
        text = cell_label(sc, r, c) if sc is not None else ""
        names = [n.name for n in self.names_of(sheet, r, c)]
        if names and not text:
            return names[0]
        return text

    def names_of(self, sheet: str, r: int, c: int) -> list[Any]:
        """Defined names that point at exactly this cell."""
        return self._names_at.get((sheet, r, c), [])

    def precedents(self, start: Iterable[tuple[str, int, int]], limit: int = MAX_PRECEDENTS
                   ) -> set[tuple[str, int, int]]:
        """Every cell the ``start`` cells read, directly or through other formulas."""
        seen: set[tuple[str, int, int]] = set()
        todo = list(start)
        while todo and len(seen) < limit:
            key = todo.pop()
            node = self.nodes.get(key)
            if node is None:
                continue
            for s, ref in self.refs(node, key[0]):
                for rc in ref.cells(limit=2_000):
                    k = (s, rc[0], rc[1])
                    if k not in seen:
                        seen.add(k)
                        todo.append(k)
        return seen


# --------------------------------------------------------------------------------------------
# analysis

def analyse(cm: CellMap, path: str = "", ours: set[str] | None = None) -> Audit:
    """The audit of a workbook's cells (see the module docstring)."""
    if ours is None:
        from ..engine.functions import our_names
        ours = set(our_names())
    book = Book(cm, ours)
    a = _Analysis(book, path)
    return a.run()


class _Analysis:
    def __init__(self, book: Book, path: str):
        self.b = book
        self.path = path
        self.findings: list[Finding] = []
        self.covered: set[tuple[str, int, int]] = set()   # cells already in a finding
        self._pending_utilisation: list[Finding] = []     # revenue findings without one

    # -- ComputeCredit's own cells ---------------------------------------------------------
    def _ours(self) -> tuple[set[tuple[str, int, int]], set[tuple[str, int, int]]]:
        """Cells ComputeCredit computes (its calls, their array ranges, and every formula that
        reads them) and the cells that feed them."""
        b = self.b
        cells: set[tuple[str, int, int]] = set()
        for key, node in b.nodes.items():
            if node is not None and any(c.name in b.ours for c in fx.calls_in(node)):
                cells.add(key)
        self._with_array_members(cells)
        feeding = b.precedents(cells, limit=_FEEDING_LIMIT)
        for sheet in _retrofit_sheets(b):  # a sheet computecredit retrofit added: ours, but
            sc = b.sheet(sheet)            # its comparisons read their rows without modelling
            cells.update((sc.name, r, c) for (r, c) in sc.cells)
        if cells:  # downstream: formulas reading ComputeCredit's results
            readers: dict[tuple[str, int, int], list[tuple[str, int, int]]] = {}
            budget = _READER_BUDGET
            for key, node in b.nodes.items():
                if node is None or key in cells:
                    continue
                for sh, ref in b.refs(node, key[0]):
                    cells_of = ref.cells(limit=min(budget, 100_000))
                    budget -= len(cells_of)
                    for r, c in cells_of:
                        readers.setdefault((sh, r, c), []).append(key)
                if budget <= 0:
                    b.cm.notes.append("the workbook reads very large ranges: cells computed "
                                      "from ComputeCredit's results were traced in part")
                    break
            todo = list(cells)
            while todo:
                for reader in readers.get(todo.pop(), ()):
                    if reader not in cells:
                        cells.add(reader)
                        todo.append(reader)
            self._with_array_members(cells)
        return cells, feeding

    def _with_array_members(self, cells: set[tuple[str, int, int]]) -> None:
        for s in self.b.cm.sheets:
            for member, anchor in s.array_members.items():
                if (s.name, *anchor) in cells:
                    cells.add((s.name, *member))

    def run(self) -> Audit:
        b = self.b
        ours, feeding = self._ours()
        self.ours_cells, self.feeding = ours, feeding
        axes: list[Axis] = []
        series: list[Series] = []
        for s in b.cm.sheets:
            skip = {(r, c) for (sh, r, c) in ours if sh == s.name}
            ax = find_axes(s, skip)
            axes += ax
            found = find_series(s, ax, skip, labelled=_series_worthy)
            for ser in found:
                ser.names = [dn.name for dn in b.names_of(s.name, *ser.cells[0])][:3]
                for rc in ser.cells:
                    b.series_of[(s.name, *rc)] = ser
            series += found
        self.axes, self.series = axes, series
        _Arithmetic(b).fill(series)
        self._function_calls()
        for ser in series:
            self._series(ser)
        self._shapes_of_ratios()
        self._scalars()
        self._dependencies()
        self._modelled()
        self.findings.sort(key=lambda f: (_CATEGORY_ORDER.index(f.category), b.cm.sheets.index(
            b.sheet(f.sheet)), _sort_key(f.ref)))
        for i, f in enumerate(self.findings, start=1):
            f.id = i
        self._link_ids()
        audit = Audit(self.path, [s.name for s in b.cm.sheets], axes, self.findings,
                      notes=list(b.cm.notes), series=series)
        from .mapping import propose
        audit.proposal = propose(audit, b)
        for f in self.findings:
            fields = REPLACEMENTS.get(f.replace, ((), ()))[1]
            f.feeds = {name: audit.proposal.cell_of(name) for name in fields}
        return audit

    def add(self, f: Finding) -> Finding:
        self.findings.append(f)
        self.covered |= f.cells
        return f

    # -- SLN, DB, DDB, VDB, SYD --------------------------------------------------------------
    def _function_calls(self) -> None:
        b = self.b
        groups: dict[tuple[str, str, Any], list[tuple[int, int]]] = {}
        for (sheet, r, c), node in sorted(b.nodes.items(), key=lambda kv: (kv[0][0],
                                                                           kv[0][1], kv[0][2])):
            if node is None or (sheet, r, c) in self.ours_cells:
                continue
            calls = [x for x in fx.calls_in(node) if x.name in DEPRECIATION_FUNCTIONS]
            if not calls:
                continue
            # one finding per row or column of the schedule: cells of the same series that
            # call the same function belong together even when their formulas differ
            # (=cost-SLN(...)*1, =cost-SLN(...)*2, ...)
            ser = b.series_of.get((sheet, r, c))
            key = (sheet, calls[0].name, ("series", ser.orient, ser.line, ser.start)
                   if ser is not None else fx.relative_key(node, r, c))
            groups.setdefault(key, []).append((r, c))
        for (sheet, name, _), cells in groups.items():
            for run in _adjacent_runs(cells):
                r, c = run[0]
                node = b.nodes[(sheet, r, c)]
                call = next(x for x in fx.calls_in(node) if x.name == name)
                roles = DEPRECIATION_FUNCTIONS[name]
                inputs = [b.input_of(role, arg, sheet) for role, arg in zip(roles, call.args)
                          if not isinstance(arg, fx.Missing)]
                cost = next((i for i in inputs if i.role == "cost"), None)
                life = next((i for i in inputs if i.role == "life"), None)
                salvage = next((i for i in inputs if i.role == "salvage"), None)
                ser = b.series_of.get((sheet, r, c))
                label = ser.label if ser is not None else b.label(sheet, r, c)
                words = _FUNCTION_WORDS[name]
                reason = (f"{name}: {words} depreciation over a fixed life"
                          + (f" of {_num(life.value)}{_life_unit(life, ser)}" if life and
                             isinstance(life.value, float) else "")
                          + "; the value falls on a schedule, not with GPU rents")
                f = Finding("depreciation", f"{name.lower()}_call",
                            f"{name} depreciation ({words})", sheet, _range(run), label,
                            b.cell(sheet, r, c).formula,
                            [b.cell(sheet, *rc).value for rc in run], reason, inputs,
                            "depreciation", frequency=ser.freq if ser else None,
                            detail={"function": name, "cells": len(run)})
                f.cells = {(sheet, *rc) for rc in run}
                if cost and salvage and life:
                    f.detail.update(cost=cost.value, salvage=salvage.value, life=life.value)
                self.add(f)

    # -- one series ---------------------------------------------------------------------------
    def _series(self, ser: Series) -> None:
        keys = {(ser.sheet, *rc) for rc in ser.cells}
        if keys & self.ours_cells or len(keys & self.covered) >= len(keys) - 1:
            return
        norm = ser.norm
        pat = pattern(ser.values)
        if pat["shape"] == "unknown":
            pat = _same_formula(ser, pat)
        shape = pat["shape"]
        formula = next((f for f in ser.formulas if f), None)
        sl = self._straight_line_formula(ser)
        if matches("covenant", norm):
            return
        if matches("dscr", norm) or matches("llcr", norm) or matches("plcr", norm) or \
                matches("icr", norm):
            return self._coverage(ser, pat, by="label")
        if matches("ltv", norm):
            return self._leverage(ser, pat, by="label")
        if matches("accumulated", norm):
            if shape == "linear" and pat["step"] > 0:
                return self._depreciation(ser, pat, "accumulated",
                                          "Accumulated depreciation rising by the same amount "
                                          "each period: a straight line", sl)
            return
        if matches("depreciation", norm) or matches("book_value", norm):
            if shape == "constant":
                return self._depreciation(ser, pat, "charge", "The same depreciation charge "
                                          "every period: a straight line", sl)
            if shape == "linear" and pat["step"] < 0:
                return self._depreciation(ser, pat, "value", _linear_reason(pat, ser), sl)
            if shape == "growth" and pat["ratio"] < 1:
                return self._depreciation(ser, pat, "declining",
                                          f"Falls by the same share ({1 - pat['ratio']:.1%}) "
                                          f"each period: declining balance at a fixed rate",
                                          sl)
            if sl is not None:
                return self._depreciation(ser, pat, "value", "Straight-line formula", sl)
            return
        if matches("rent_growth", norm):
            if shape == "constant":
                return self._revenue(ser, pat, "rent_growth")
            return
        if matches("balance", norm) or matches("principal", norm) or \
                matches("interest", norm) or matches("debt_service", norm) or \
                matches("opex", norm) or matches("cfads", norm) or matches("pd", norm):
            return
        if matches("rent", norm) and not matches("purchase", norm):
            if shape in ("constant", "growth", "linear"):
                return self._revenue(ser, pat, "rent")
            return
        if matches("revenue", norm):
            if shape in ("constant", "growth"):
                return self._revenue(ser, pat, "revenue")
            return
        if matches("utilisation", norm):
            if shape == "constant":
                return self._revenue(ser, pat, "utilisation")
            return
        if matches("recovery", norm) or matches("lgd", norm) or matches("haircut", norm):
            if shape == "constant":
                return self._loss_series(ser, pat)
            return
        # no label we know: the shape alone
        if sl is not None:
            return self._depreciation(ser, pat, "value", "Straight-line formula", sl)
        if shape == "linear" and pat["step"] < 0 and pat["first"] > 0 and \
                (pat["floor"] is None or pat["floor"] >= 0) and \
                not self._reads_debt(ser):
            return self._depreciation(ser, pat, "value", _linear_reason(pat, ser) +
                                      " (recognised by its shape; the label says nothing we "
                                      "know)", None)

    def _reads_debt(self, ser: Series) -> bool:
        """True when a series looks like a loan: it reads a rate, PMT/PPMT, or a debt label."""
        for rc in ser.cells[:3]:
            node = self.b.nodes.get((ser.sheet, *rc))
            if node is None:
                continue
            if any(c.name in ("PMT", "PPMT", "IPMT", "CUMPRINC") for c in fx.calls_in(node)):
                return True
            for s, ref in self.b.refs(node, ser.sheet):
                lab = normalise(self.b.label(s, ref.r1, ref.c1))
                if matches("balance", lab) or matches("principal", lab):
                    return True
        return False

    # -- hand-written straight lines -------------------------------------------------------
    def _straight_line_formula(self, ser: Series) -> dict[str, Input] | None:
        """The roles of a hand-written straight line in the series' formulas; its cost,
        salvage and life must be the same cells (or numbers) in every period."""
        shapes = []
        for rc in ser.cells[1:3]:
            node = self.b.nodes.get((ser.sheet, *rc))
            got = straight_line_shape(node) if node is not None else None
            if got is None:
                return None
            shapes.append(got)
        first, second = shapes
        if set(first) != set(second):
            return None
        for role in ("cost", "salvage", "life", "scale"):
            if role in first and not self._fixed(first[role], second[role], ser.sheet):
                return None
        out = {role: self.b.input_of(role, n, ser.sheet) for role, n in first.items()}
        if "scale" in out:
            # a fleet value, GPUs x cost x (1 - age/life): the factor labelled as a GPU count
            # is the count, the other the cost per GPU
            a, b = out["cost"], out.pop("scale")
            if _role_of(normalise(a.label)) == "gpus" and _role_of(normalise(b.label)) != "gpus":
                a, b = b, a
            a.role = "cost"
            b.role = "gpus" if _role_of(normalise(b.label)) == "gpus" else "scale"
            out["cost"], out[b.role] = a, b
        return out

    def _fixed(self, a: Any, b: Any, host: str) -> bool:
        if isinstance(a, fx.Num) and isinstance(b, fx.Num):
            return a.value == b.value
        ca, cb = self.b.single(a, host), self.b.single(b, host)
        return ca is not None and ca == cb

    def _depreciation(self, ser: Series, pat: dict[str, Any], what: str, reason: str,
                      sl: dict[str, Input] | None) -> None:
        titles = {"charge": "Straight-line depreciation charge",
                  "value": "Straight-line value path", "accumulated":
                  "Accumulated straight-line depreciation",
                  "declining": "Declining-balance value path"}
        inputs = list(sl.values()) if sl else []
        detail: dict[str, Any] = {"shape": pat["shape"]}
        if pat["shape"] == "linear":
            detail.update(step=pat["step"], first=pat["first"], floor=pat["floor"])
            if pat["step"] < 0 and pat["first"] > 0:
                floor = pat["floor"] if pat["floor"] is not None else 0.0
                periods = (pat["first"] - floor) / -pat["step"]
                detail["implied_life_years"] = periods / ser.freq
        elif pat["shape"] == "constant":
            detail["charge"] = pat["value"]
        if sl:
            reason = reason.rstrip(".") + ": " + _shape_words(sl)
            detail.update({k: v.value for k, v in sl.items()})
        self.add(self._finding("depreciation", f"straight_line_{what}", titles[what], ser,
                               reason, inputs, "depreciation", detail))

    def _finding(self, category: str, kind: str, title: str, ser: Series, reason: str,
                 inputs: list[Input], replace: str, detail: dict[str, Any]) -> Finding:
        formula = next((f for f in ser.formulas if f), None)
        if ser.axis is not None:
            detail.setdefault("time_axis", f"{fx.quote_sheet(ser.sheet)}!{ser.axis.where()}")
        f = Finding(category, kind, title, ser.sheet, ser.where(), ser.label, formula,
                    list(ser.values), reason, inputs, replace, frequency=ser.freq,
                    detail=detail)
        f.cells = {(ser.sheet, *rc) for rc in ser.cells}
        if ser.axis is None:
            f.detail["frequency_known"] = False
        elif not ser.axis.freq_known:
            f.detail["frequency_known"] = False
        return f

    # -- revenue ---------------------------------------------------------------------------
    def _revenue(self, ser: Series, pat: dict[str, Any], what: str) -> None:
        shape = pat["shape"]
        per = _period_word(ser)
        if what == "rent_growth":
            g = pat["value"]
            shown = f"{g:+.1%}" if isinstance(g, float) else "one rate"
            reason = (f"The same rent growth rate every {per} ({shown}): rents follow a fixed "
                      f"path, not a market that deflates and steps down with each GPU "
                      f"generation")
            f = self._finding("revenue", "rent_growth_fixed", "Fixed rent growth rate", ser,
                              reason, [], "rent", {"growth": g})
            return self._with_utilisation(self.add(f), ser)
        if what == "utilisation":
            u = pat["value"]
            shown = _pct(u) if isinstance(u, float) else "the same value"
            f = self._finding("revenue", "utilisation_fixed", "Fixed utilisation", ser,
                              f"Utilisation held at {shown} in every {per}", [],
                              "utilisation", {"utilisation": u})
            self.add(f)
            return
        subject = "Rent" if what == "rent" else "Revenue"
        if shape == "constant":
            level = _num(pat["value"]) if pat["value"] is not None else "the same value"
            reason = (f"{subject} flat at {level} in every {per}: no deflation, "
                      f"no step-down when the next GPU generation ships")
            kind, title = f"{what}_flat", f"Flat {what}"
            detail = {"level": pat["value"], "growth_per_period": 0.0,
                      "growth_per_year": 0.0}
        elif shape == "growth":
            g = pat["ratio"] - 1
            annual = pat["ratio"] ** ser.freq - 1
            reason = (f"{subject} changes by the same share every {per} ({g:+.2%}, "
                      f"{annual:+.1%} a year): a fixed path, not market deflation with "
                      f"generation step-downs")
            kind, title = f"{what}_constant_growth", f"{subject} at a constant growth rate"
            detail = {"level": pat["first"], "growth_per_period": g, "growth_per_year": annual}
        else:
            reason = (f"{subject} changes by the same amount every {per} "
                      f"({_num(pat['step'])}): a straight line")
            kind, title = f"{what}_linear", f"{subject} on a straight line"
            detail = {"level": pat["first"], "step": pat["step"]}
        inputs = self._drivers(ser)
        if what == "rent" and not any(i.role == "rent" for i in inputs):
            # the cell their first period starts from is the rent ("Initial rate" * (1+g)^t)
            start = ser.values[0] if ser.values else None
            for i in inputs:
                if i.role == "input" and isinstance(start, float) and \
                        isinstance(i.value, float) and abs(i.value - start) <= \
                        1e-9 * max(1.0, abs(start)):
                    i.role = "rent"
                    break
        f = self._finding("revenue", kind, title, ser, reason, inputs, what, detail)
        self._with_utilisation(self.add(f), ser)

    def _drivers(self, ser: Series) -> list[Input]:
        """Single cells every period reads (a rent, a utilisation, a growth rate)."""
        b = self.b
        first = b.nodes.get((ser.sheet, *ser.cells[0]))
        second = b.nodes.get((ser.sheet, *ser.cells[1])) if len(ser.cells) > 1 else None
        if first is None:
            return []
        fixed = set()
        if second is not None:
            fixed = {(s, r.r1, r.c1) for s, r in b.refs(second, ser.sheet) if r.is_cell}
        own = {(ser.sheet, *rc) for rc in ser.cells}
        out = []
        seen = set()
        for n in fx.refs_in(first):
            key = b.single(n, ser.sheet)
            if key is None or key in seen or key in own or \
                    (second is not None and key not in fixed) or \
                    b.series_of.get(key) is not None:
                continue
            seen.add(key)
            lab = b.label(*key)
            if isinstance(n, fx.Name) and not lab:
                lab = n.name.replace("_", " ")
            cell = b.cell(*key)
            out.append(Input(_role_of(normalise(lab)), fx.render(n), b.where(*key),
                             None if cell is None else cell.value, lab))
        return out[:8]

    def _with_utilisation(self, f: Finding, ser: Series) -> None:
        """Attach the utilisation a revenue finding assumes (read by its formulas, or the
        workbook's utilisation input)."""
        if any(i.role == "utilisation" for i in f.inputs):
            return
        b = self.b
        pre = b.precedents({(ser.sheet, *rc) for rc in ser.cells[:2]}, limit=2_000)
        for (s, r, c) in sorted(pre):
            if b.series_of.get((s, r, c)) is not None:
                continue
            lab = normalise(b.label(s, r, c))
            if matches("utilisation", lab) and is_number(b.cell(s, r, c)):
                cell = b.cell(s, r, c)
                names = [n.name for n in b.names_of(s, r, c) if n.scope is None]
                f.inputs.append(Input("utilisation", names[0] if names else coord(r, c),
                                      b.where(s, r, c), cell.value, b.label(s, r, c)))
                return
        self._pending_utilisation.append(f)

    # -- coverage and leverage ---------------------------------------------------------------
    def _coverage(self, ser: Series, pat: dict[str, Any], by: str) -> None:
        norm = ser.norm
        if matches("llcr", norm):
            kind, title, replace = "llcr", "LLCR row", "llcr"
        elif matches("plcr", norm):
            kind, title, replace = "plcr", "PLCR row", "llcr"
        elif matches("icr", norm):
            kind, title, replace = "icr", "Interest cover row", "dscr"
        else:
            kind, title, replace = "dscr", "DSCR row", "dscr"
        inputs = self._ratio_inputs(ser)
        shape = pat["shape"]
        trend = {"constant": "the same in every period", "growth": "moving at a constant rate",
                 "linear": "moving by a constant step"}.get(shape, "")
        reason = (f"{title.split()[0]} computed from the sheet's own cash flows"
                  + (f" ({trend}: flat or fixed-growth rents behind it)" if trend else "")
                  + ("" if by == "label" else " (recognised by its formula: a ratio over debt "
                     "service)"))
        f = self._finding("coverage", kind, title, ser, reason, inputs, replace,
                          {"min": _min(ser.values), "detected_by": by})
        self.add(f)

    def _leverage(self, ser: Series, pat: dict[str, Any], by: str) -> None:
        inputs = self._ratio_inputs(ser)
        reason = ("Loan-to-value against the sheet's own collateral value"
                  + ("" if by == "label" else " (recognised by its formula: debt over a "
                     "straight-line value)"))
        f = self._finding("leverage", "ltv", "LTV row", ser, reason, inputs, "ltv",
                          {"max": _max(ser.values), "detected_by": by})
        self.add(f)

    def _ratio_inputs(self, ser: Series) -> list[Input]:
        node = next((self.b.nodes.get((ser.sheet, *rc)) for rc in ser.cells
                     if self.b.nodes.get((ser.sheet, *rc)) is not None), None)
        node = _division(node)
        if node is not None:
            out = []
            for role, side in (("numerator", node.left), ("denominator", node.right)):
                refs = self.b.refs(side, ser.sheet)
                text = fx.render(side)
                lab = ""
                cell = None
                if refs:
                    # NPV(rate, CFADS row) / debt: the row is what the ratio divides, not the
                    # rate; a range first, then a cell of a series, then the first cell
                    s, ref = next((x for x in refs if not x[1].is_cell), None) or next(
                        (x for x in refs if self.b.series_of.get((x[0], x[1].r1, x[1].c1))
                         is not None), refs[0])
                    lab = self.b.label(s, ref.r1, ref.c1)
                    cell = self.b.where(s, ref.r1, ref.c1)
                    if not ref.is_cell:
                        cell += ":" + coord(ref.r2, ref.c2)
                out.append(Input(role, text, cell, None, lab))
            return out
        return []

    def _shapes_of_ratios(self) -> None:
        """Rows no label names that divide by a debt-service row (DSCR) or divide debt by a
        straight-line value (LTV)."""
        b = self.b
        sl_cells = set()
        for f in self.findings:
            if f.category == "depreciation" and f.kind in ("straight_line_value",
                                                           "straight_line_declining"):
                sl_cells |= f.cells
        for ser in self.series:
            keys = {(ser.sheet, *rc) for rc in ser.cells}
            if keys & self.covered or keys & self.ours_cells:
                continue
            node = _division(b.nodes.get((ser.sheet, *ser.cells[0])))
            if node is None:
                continue
            num = b.refs(node.left, ser.sheet)
            den = b.refs(node.right, ser.sheet)
            if not num or not den:
                continue
            den_cell = (den[0][0], den[0][1].r1, den[0][1].c1)
            num_cell = (num[0][0], num[0][1].r1, num[0][1].c1)
            if self._is_debt_service(den_cell):
                self._coverage(ser, pattern(ser.values), by="shape")
            elif den_cell in sl_cells and (matches("balance", normalise(b.label(*num_cell)))
                                           or self._is_balance(num_cell)):
                self._leverage(ser, pattern(ser.values), by="shape")

    def _is_debt_service(self, key: tuple[str, int, int]) -> bool:
        b = self.b
        if matches("debt_service", normalise(b.label(*key))):
            return True
        node = b.nodes.get(key)
        if node is None:
            return False
        if any(c.name == "PMT" for c in fx.calls_in(node)):
            return True
        if isinstance(node, fx.Binary) and node.op == "+":
            parts = [b.refs(x, key[0]) for x in (node.left, node.right)]
            calls = {c.name for c in fx.calls_in(node)}
            if {"IPMT", "PPMT"} <= calls:
                return True
            labels = [normalise(b.label(p[0][0], p[0][1].r1, p[0][1].c1)) for p in parts if p]
            return len(labels) == 2 and any(matches("interest", x) for x in labels) and \
                any(matches("principal", x) for x in labels)
        return False

    def _is_balance(self, key: tuple[str, int, int]) -> bool:
        node = self.b.nodes.get(key)
        return node is not None and any(c.name in ("PMT", "PPMT", "CUMPRINC", "FV")
                                        for c in fx.calls_in(node))

    # -- single cells ------------------------------------------------------------------------
    def _scalars(self) -> None:
        """Fixed recovery, LGD and haircut inputs; a fixed utilisation input when no row
        states one."""
        b = self.b
        util_rows = any(f.kind == "utilisation_fixed" for f in self.findings)
        for s in b.cm.sheets:
            for (r, c), cell in s.cells.items():
                key = (s.name, r, c)
                if key in self.covered or key in self.ours_cells or b.series_of.get(key) or \
                        not isinstance(cell.value, float) or cell.date:
                    continue
                if cell.formula is not None and fx.refs_in(b.nodes.get(key)):
                    continue  # derived from other cells: the constant is where it comes from
                lab = b.label(s.name, r, c)
                norm = normalise(lab)
                if not norm:
                    continue
                v = cell.value
                share = v if 0 <= v <= 1 else v / 100 if 1 < v <= 100 else None
                if share is None or matches("covenant", norm) or _TIME_LIKE.search(norm):
                    continue
                if matches("recovery", norm) or matches("lgd", norm):
                    what = "recovery" if matches("recovery", norm) and \
                        not matches("lgd", norm) else "lgd"
                    lgd = 1 - share if what == "recovery" else share
                    title = "Fixed recovery rate" if what == "recovery" else "Fixed LGD"
                    reason = (f"{title.split(' ', 1)[1].capitalize()} of {_pct(share)} "
                              f"whatever happens to GPU values (LGD {_pct(lgd)}); in a "
                              f"downturn the collateral falls with the borrower")
                    self._scalar_finding("loss", f"fixed_{what}", title, s.name, r, c, lab,
                                         reason, "loss", {what: share, "lgd": lgd})
                elif matches("haircut", norm):
                    self._scalar_finding("loss", "fixed_haircut", "Fixed haircut", s.name, r,
                                         c, lab, f"A haircut of {_pct(share)} set by hand, "
                                         f"not from market depth, time to sell and volatility",
                                         "haircut", {"haircut": share})
                elif matches("utilisation", norm) and not util_rows and \
                        not matches("rent", norm):
                    self._scalar_finding("revenue", "utilisation_fixed", "Fixed utilisation",
                                         s.name, r, c, lab, f"Utilisation fixed at "
                                         f"{_pct(share)} for the life of the deal",
                                         "utilisation", {"utilisation": share})
        for f in self._pending_utilisation:
            util = next((g for g in self.findings if g.kind == "utilisation_fixed"), None)
            if util is not None and not any(i.role == "utilisation" for i in f.inputs):
                value = util.detail.get("utilisation")
                first = util.ref.split(":")[0]
                f.inputs.append(Input("utilisation", first,
                                      f"{fx.quote_sheet(util.sheet)}!{first}", value,
                                      util.label))
        self._pending_utilisation = []

    def _scalar_finding(self, category: str, kind: str, title: str, sheet: str, r: int, c: int,
                        label: str, reason: str, replace: str, detail: dict[str, Any]) -> None:
        cell = self.b.cell(sheet, r, c)
        f = Finding(category, kind, title, sheet, coord(r, c), label, cell.formula,
                    [cell.value], reason, [], replace, detail=detail)
        f.cells = {(sheet, r, c)}
        self.add(f)

    def _loss_series(self, ser: Series, pat: dict[str, Any]) -> None:
        v = pat["value"]
        if not isinstance(v, float):
            return
        share = v if 0 <= v <= 1 else v / 100 if 1 < v <= 100 else v
        norm = ser.norm
        if matches("haircut", norm):
            f = self._finding("loss", "fixed_haircut", "Fixed haircut", ser,
                              f"The same haircut ({_pct(share)}) in every period",
                              [], "haircut", {"haircut": share})
        else:
            what = "recovery" if matches("recovery", norm) else "lgd"
            lgd = 1 - share if what == "recovery" else share
            f = self._finding("loss", f"fixed_{what}", f"Fixed {what if what == 'recovery' else 'LGD'}"
                              + (" rate" if what == "recovery" else ""), ser,
                              f"The same {what if what == 'recovery' else 'LGD'} "
                              f"({_pct(share)}) in every period, whatever GPU values do",
                              [], "loss", {what: share, "lgd": lgd})
        self.add(f)

    # -- links between findings --------------------------------------------------------------
    def _dependencies(self) -> None:
        by_cell: dict[tuple[str, int, int], Finding] = {}
        for f in self.findings:
            for k in f.cells:
                by_cell.setdefault(k, f)
        for f in self.findings:
            if f.category not in ("coverage", "leverage", "revenue", "depreciation"):
                continue
            pre = self.b.precedents(list(f.cells)[:60], limit=5_000)
            deps = []
            for k in pre:
                g = by_cell.get(k)
                if g is not None and g is not f and g not in deps:
                    deps.append(g)
            f.detail["_deps"] = deps

    def _link_ids(self) -> None:
        for f in self.findings:
            deps = f.detail.pop("_deps", [])
            f.depends_on = sorted(g.id for g in deps)

    def _modelled(self) -> None:
        for f in self.findings:
            if f.cells and f.cells <= (self.feeding | self.ours_cells):
                f.status = "modelled"
                f.reason += " (already read by a ComputeCredit function in this workbook)"


_TIME_LIKE = re.compile(r"\b(period|years?|months?|days?|time|lag|horizon|tenor|term|"
                        r"count|number)\b")
_CATEGORY_ORDER = ["depreciation", "revenue", "coverage", "leverage", "loss"]


class _Arithmetic:
    """Values for series the file holds none for and the engine could not compute (a large
    workbook past its budget): plain arithmetic, ``SLN``, ``PMT``, ``SUM`` and kin over the
    cells they read, each series filled period by period (a row reading its previous period
    is a loop, not a deep recursion). Anything else leaves the value unknown. Bounded work."""

    BUDGET = 400_000       # cells evaluated in all
    DEPTH = 12             # formulas followed from one cell to the cells it reads

    def __init__(self, b: Book):
        self.b = b
        self.memo: dict[tuple[str, int, int], Any] = {}
        self.work = 0
        self.filling: set[int] = set()

    def fill(self, series: list[Series]) -> None:
        for ser in series:
            if any(v is None for v in ser.values):
                self._fill_series(ser, 0)

    def _fill_series(self, ser: Series, depth: int) -> None:
        if id(ser) in self.filling or depth > self.DEPTH:
            return
        self.filling.add(id(ser))
        try:
            for i, rc in enumerate(ser.cells):
                if ser.values[i] is None:
                    v = self.value((ser.sheet, *rc), depth)
                    if isinstance(v, float):
                        ser.values[i] = v
        finally:
            self.filling.discard(id(ser))

    def value(self, key: tuple[str, int, int], depth: int) -> Any:
        cell = self.b.cell(*key)
        if cell is None:
            return 0.0            # an empty cell reads as 0 in arithmetic
        if cell.value is not None or cell.formula is None:
            v = cell.value
            return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v
        if key in self.memo:
            return self.memo[key]
        self.work += 1
        if self.work > self.BUDGET or depth > self.DEPTH:
            return None
        ser = self.b.series_of.get(key)
        if ser is not None and id(ser) not in self.filling and depth < self.DEPTH:
            self._fill_series(ser, depth + 1)   # its earlier periods first
            if key in self.memo:
                return self.memo[key]
        node = self.b.nodes.get(key)
        v = None
        if node is not None:
            try:
                v = fx.evaluate(node, lambda n: self._lookup(n, key[0], depth + 1))
            except (fx.NotComputable, RecursionError):
                v = None
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        self.memo[key] = v if isinstance(v, float) else None
        return self.memo[key]

    def _lookup(self, n: Any, host: str, depth: int) -> Any:
        got = self.b.refs(n, host)
        if len(got) != 1:
            raise fx.NotComputable("not one reference")
        s, ref = got[0]
        if ref.size > 10_000:
            raise fx.NotComputable("a large range")
        vals = []
        for r, c in ref.cells():
            v = self.value((s, r, c), depth)
            if v is None:
                raise fx.NotComputable("an unknown value")
            vals.append(v)
        return vals[0] if ref.is_cell else vals


def _retrofit_sheets(b: Book) -> set[str]:
    """Sheets holding a deal block that ``computecredit retrofit`` wrote (``cc_deal_inputs``)."""
    out = set()
    for dn in b.cm.names:
        if dn.name.lower().startswith("cc_deal_inputs"):
            node = fx.parse(dn.text)
            if isinstance(node, fx.Ref) and node.sheet and b.sheet(node.sheet) is not None:
                out.add(b.sheet(node.sheet).name)
    return out


_VOLATILE = re.compile(r"\b(ROW|COLUMN|OFFSET|INDIRECT|RAND|RANDBETWEEN|NOW|TODAY|CELL|"
                       r"INFO|ROWS|COLUMNS)\s*\(", re.I)


def _same_formula(ser: Series, pat: dict[str, Any]) -> dict[str, Any]:
    """Without values: a series whose every cell holds the very same formula text (absolute
    references only, nothing that depends on the cell's position) is constant."""
    texts = set(ser.formulas)
    if len(texts) != 1 or None in texts:
        return pat
    text = next(iter(texts))
    node = fx.parse(text)
    if node is None or _VOLATILE.search(text) or any(
            not (r.abs_r1 and r.abs_c1 and r.abs_r2 and r.abs_c2)
            for r in fx.refs_in(node) if isinstance(r, fx.Ref)):
        return pat
    return {"shape": "constant", "value": None, "lead": 0, "tail": 0}


def _division(node: Any) -> Any:
    """The ratio a per-period formula computes: ``a/b`` itself, or inside IFERROR, IF, ROUND,
    MIN or MAX."""
    for _ in range(4):
        if isinstance(node, fx.Binary) and node.op == "/":
            return node
        if not (isinstance(node, fx.Call) and node.name in ("IFERROR", "IF", "ROUND", "MAX",
                                                              "MIN", "IFNA")):
            return None
        node = next((a for a in node.args if isinstance(a, fx.Binary) and a.op == "/"),
                    next((a for a in node.args if isinstance(a, fx.Call)), None))
    return None


def _series_worthy(norm: str) -> bool:
    return any(matches(k, norm) for k in ("depreciation", "book_value", "accumulated", "rent",
                                          "revenue", "utilisation", "dscr", "llcr", "ltv",
                                          "recovery", "lgd", "haircut", "rent_growth"))


def _role_of(norm: str) -> str:
    from .labels import field_for_label
    name = field_for_label(norm)
    return {"rent0": "rent", "utilization": "utilisation", "deflation": "growth",
            "gpus": "gpus", "cash_cost": "cash cost"}.get(name or "", name or "input")


def _adjacent_runs(cells: list[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Cells split into runs along a row or a column (cells are sorted by row, column)."""
    cells = sorted(set(cells))
    runs: list[list[tuple[int, int]]] = []
    for rc in cells:
        for run in runs:
            last = run[-1]
            same_row = rc[0] == last[0] and rc[1] == last[1] + 1 and \
                (len(run) == 1 or run[0][0] == run[1][0])
            same_col = rc[1] == last[1] and rc[0] == last[0] + 1 and \
                (len(run) == 1 or run[0][1] == run[1][1])
            if same_row or same_col:
                run.append(rc)
                break
        else:
            runs.append([rc])
    return runs


def _range(run: list[tuple[int, int]]) -> str:
    a, b = run[0], run[-1]
    return coord(*a) if a == b else f"{coord(*a)}:{coord(*b)}"


def _sort_key(ref: str) -> tuple[int, int]:
    from ..engine.sheetxml import split_coord
    try:
        return split_coord(ref.split(":")[0])
    except Exception:
        return (0, 0)


def _num(v: Any) -> str:
    if not isinstance(v, (int, float)) or isinstance(v, bool):
        return str(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.4g}"


def _pct(v: float) -> str:
    return f"{v:.1%}" if abs(v * 100 - round(v * 100)) > 1e-9 else f"{v:.0%}"


def _min(values: list[Any]) -> float | None:
    xs = [v for v in values if isinstance(v, float)]
    return min(xs) if xs else None


def _max(values: list[Any]) -> float | None:
    xs = [v for v in values if isinstance(v, float)]
    return max(xs) if xs else None


def _period_word(ser: Series | None) -> str:
    if ser is None or ser.axis is None:
        return "period"
    return {1: "year", 2: "half-year", 4: "quarter", 12: "month"}.get(ser.freq, "period")


_UNIT_WORDS = ((re.compile(r"\b(month|months|monat|mois|mes|meses)\b|\bmo\b"), "month"),
               (re.compile(r"\b(quarter|quarters|qtr|quartal|trimestre)"), "quarter"),
               (re.compile(r"\b(year|years|yr|yrs|y|jahr|jahre|ans?|anos?|anni|jaar)\b"), "year"))


def _life_unit(life: Input, ser: Series | None) -> str:
    """`` years`` (or months, quarters) for a depreciation life: what its label says (a life
    in years on a quarterly sheet, ``SLN(...)/4``, is common), else years on an annual sheet,
    else nothing (the unit is not known)."""
    norm = normalise(life.label)
    plural = "" if life.value == 1 else "s"
    for rx, word in _UNIT_WORDS:
        if rx.search(norm):
            return f" {word}{plural}"
    if ser is not None and ser.axis is not None and ser.axis.freq_known and ser.freq == 1:
        return f" year{plural}"
    return ""      # a life typed on a quarterly sheet may be in years or in quarters


def _linear_reason(pat: dict[str, Any], ser: Series) -> str:
    per = _period_word(ser)
    text = f"Falls by the same amount ({_num(-pat['step'])}) every {per}: a straight line"
    if pat.get("floor") is not None:
        text += f" down to {_num(pat['floor'])}"
    return text


def _shape_words(sl: dict[str, Input]) -> str:
    parts = []
    for role in ("cost", "salvage", "life", "age", "charge"):
        i = sl.get(role)
        if i is not None:
            parts.append(f"{role} {i.cell or i.text}" + (f" = {_num(i.value)}"
                                                        if isinstance(i.value, float) else ""))
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# straight-line formula shapes

def _same(a: Any, b: Any) -> bool:
    return fx.render(a).replace("$", "").upper() == fx.render(b).replace("$", "").upper()


def _factors(node: Any) -> list[tuple[Any, int]]:
    """A product/quotient as (factor, +1 or -1) pairs: a/b*c -> [(a,1),(b,-1),(c,1)]."""
    if isinstance(node, fx.Binary) and node.op in "*/":
        left = _factors(node.left)
        right = _factors(node.right)
        if node.op == "/":
            right = [(f, -p) for f, p in right]
        return left + right
    return [(node, 1)]


def _is_operand(node: Any) -> bool:
    return isinstance(node, (fx.Ref, fx.Name, fx.Num)) and not (
        isinstance(node, fx.Num) and node.value in (0.0, 1.0))


def straight_line_shape(root: Any) -> dict[str, Any] | None:
    """Roles (cost, salvage, life, age) of a hand-written straight line anywhere in a formula:
    ``cost - (cost - salvage) * age / life`` (any order of the factors),
    ``cost * (1 - age / life)``, ``cost - cost * age / life`` or the charge
    ``(cost - salvage) / life``; None if there is none."""
    best = None
    for node in fx.walk(root):
        got = _sl_value(node)
        if got is not None:
            return got
        if best is None:
            best = _sl_charge(node)
    return best


def _sl_value(node: Any) -> dict[str, Any] | None:
    if isinstance(node, fx.Binary) and node.op == "-" and _is_operand(node.left):
        cost = node.left
        fs = _factors(node.right)
        life = [f for f, p in fs if p == -1]
        ups = [f for f, p in fs if p == 1]
        if len(life) != 1 or not _is_operand(life[0]) or len(ups) < 2:
            return None
        for i, f in enumerate(ups):
            rest = ups[:i] + ups[i + 1:]
            if len(rest) != 1:
                continue
            if isinstance(f, fx.Binary) and f.op == "-" and _same(f.left, cost) and \
                    _is_operand(f.right):
                return {"cost": cost, "salvage": f.right, "age": rest[0], "life": life[0]}
            if _same(f, cost):
                return {"cost": cost, "age": rest[0], "life": life[0]}
    if isinstance(node, fx.Binary) and node.op == "*":
        fs = _factors(node)
        for i, (f, p) in enumerate(fs):
            if p != 1 or not (isinstance(f, fx.Binary) and f.op == "-" and
                              isinstance(f.left, fx.Num) and f.left.value == 1.0):
                continue
            inner = _factors(f.right)
            life = [x for x, q in inner if q == -1]
            age = [x for x, q in inner if q == 1]
            others = [x for j, (x, q) in enumerate(fs) if j != i and q == 1 and _is_operand(x)]
            if len(life) == 1 and len(age) == 1 and _is_operand(life[0]) and others:
                got = {"cost": others[0], "age": age[0], "life": life[0]}
                if len(others) == 2:     # gpus * cost * (1 - age / life): which is which is
                    got["scale"] = others[1]   # told by their labels
                return got
    return None


def _sl_charge(node: Any) -> dict[str, Any] | None:
    if isinstance(node, fx.Binary) and node.op == "/":
        top, bottom = node.left, node.right
        if isinstance(top, fx.Binary) and top.op == "-" and _is_operand(top.left) and \
                _is_operand(top.right) and _is_operand(bottom) and \
                not isinstance(bottom, fx.Num):
            return {"cost": top.left, "salvage": top.right, "life": bottom}
    return None
