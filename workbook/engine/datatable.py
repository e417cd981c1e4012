"""What-if data tables (Data > What-If Analysis > Data Table; ``{=TABLE(row_input,
column_input)}``), evaluated as Excel does: for every cell of the table, the model is
re-evaluated with the table's input cell(s) set to that cell's row and/or column value, and the
table's formula read back.

A data table is stored on its first result cell as ``<f t="dataTable" ref="C5:E9" dt2D="1"
dtr="0" r1="B1" r2="B2"/>``; the other result cells hold only values. The layout (``ref`` is the
block of results):

* one variable, values down a column (``dtr="0"``, ``TABLE(,r1)``): the input values are in the
  column left of ``ref``, the formulas in the row above it; result (r, c) is the formula of
  column c with ``r1`` set to the value in row r;
* one variable, values along a row (``dtr="1"``, ``TABLE(r1,)``): the input values are in the
  row above ``ref``, the formulas in the column left of it;
* two variables (``dt2D="1"``, ``TABLE(r1,r2)``): the formula is in the corner above-left of
  ``ref``, ``r1`` takes the values of the row above, ``r2`` those of the column left.

Only the cells that depend on the input cells and feed the formula are re-evaluated, with the
engine's own compiled functions (:meth:`.calcchain.Graph.recompute`); circular references among
them are iterated with the workbook's settings.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from .calcchain import Graph, Iteration
from .completion import raw_value
from .sheetxml import SheetXMLError, coord, range_bounds

__all__ = ["DataTable", "data_table", "evaluate_table"]


@dataclass(frozen=True)
class DataTable:
    sheet: str
    ref: str                  # the block of results
    r1: str | None            # row input cell (two variables, or one variable along a row)
    r2: str | None            # column input cell (two variables)
    two_d: bool
    by_row: bool              # one variable with the input values along a row (dtr)

    def cells(self) -> Iterator[tuple[str, str, list[tuple[str, str]]]]:
        """(result cell, formula cell, [(input cell, cell holding the value to put in)])."""
        top, left, bottom, right = range_bounds(self.ref)
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                if self.two_d:
                    subs = []
                    if self.r1:
                        subs.append((self.r1, coord(top - 1, c)))
                    if self.r2:
                        subs.append((self.r2, coord(r, left - 1)))
                    yield coord(r, c), coord(top - 1, left - 1), subs
                elif self.by_row:
                    yield coord(r, c), coord(r, left - 1), \
                        [(self.r1, coord(top - 1, c))] if self.r1 else []
                else:
                    yield coord(r, c), coord(top - 1, c), \
                        [(self.r1, coord(r, left - 1))] if self.r1 else []


def _flag(v: str | None) -> bool:
    return (v or "").strip().lower() in ("1", "true")


def data_table(sheet: str, ref: str | None, attrs: dict[str, str]) -> DataTable:
    """The data table of a ``<f t="dataTable">`` element (its attributes). Raises
    ``ValueError`` with a plain reason when it cannot be evaluated."""
    if not ref:
        raise ValueError("the data table has no range")
    try:
        top, left, _, _ = range_bounds(ref)
    except SheetXMLError:
        raise ValueError(f"the data table's range {ref[:30]!r} is not a range") from None
    if top < 2 or left < 2:
        raise ValueError("the data table has no row or column of inputs")
    two_d = _flag(attrs.get("dt2D"))
    r1 = (attrs.get("r1") or "").replace("$", "") or None
    r2 = (attrs.get("r2") or "").replace("$", "") or None
    if _flag(attrs.get("del1")):
        r1 = None
    if _flag(attrs.get("del2")):
        r2 = None
    for r in (r1, r2):
        if r is not None:
            try:
                range_bounds(r)
            except SheetXMLError:
                raise ValueError(f"the data table's input cell {r[:30]!r} is not a cell of the "
                                 f"sheet") from None
    if not (r1 or r2):
        raise ValueError("the data table's input cells were deleted")
    return DataTable(sheet, ref.replace("$", ""), r1, r2 if two_d else None, two_d,
                     _flag(attrs.get("dtr")))


def evaluate_table(table: DataTable, graph: Graph, values: dict[Any, Any],
                   node_of: Callable[[str, str], str], cell_value: Callable[[str, str], Any],
                   plain: Callable[[Any], Any], iteration: Iteration,
                   start: Callable[[str], Any] | None = None) -> dict[str, Any]:
    """The table's results (result cell -> plain value), each computed by re-evaluating what
    lies between the input cells and the formula with the inputs substituted. ``cell_value``
    gives a cell's current plain value, ``plain`` turns an engine value into one."""
    out: dict[str, Any] = {}
    upstream_cache: dict[str, set[Any]] = {}
    for result, formula, subs in table.cells():
        f_node = node_of(table.sheet, formula)
        overlay: collections.ChainMap = collections.ChainMap({}, values)
        changed = []
        for input_cell, value_cell in subs:
            node = node_of(table.sheet, input_cell)
            if node not in graph.nodes:
                continue  # nothing reads the input cell
            overlay[node] = graph.start_value(node, raw_value(cell_value(table.sheet,
                                                                         value_cell)))
            changed.append(node)
        if f_node not in graph.nodes:
            out[result] = cell_value(table.sheet, formula)
            continue
        if changed:
            if f_node not in upstream_cache:
                upstream_cache[f_node] = graph.upstream([f_node])
            funcs = graph.downstream(changed) & upstream_cache[f_node]
            failed: dict[Any, str] = {}
            graph.evaluate(overlay, funcs, iteration, start, failed)
            if f_node in failed:
                raise ValueError(f"the formula in {formula} could not be re-evaluated "
                                 f"({failed[f_node]})")
        out[result] = plain(overlay.get(f_node))
    return out
