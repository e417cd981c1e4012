"""Evaluate a checked package: read its formula cells, rewrite them for the engine in a private
copy, compute every cell with ``formulas``, and collect the values (refusing cycles by name).

Steps (:func:`evaluate_package`):

1. every worksheet's formula cells are read (:func:`~workbook.engine.sheetxml.read_formulas`),
   counted against the formula limit and checked for functions nobody knows;
2. in a private temporary copy, our functions saved as references to the add-in get plain names
   and their skipped arguments a marker (:mod:`workbook.engine.formulatext`);
3. the copy is evaluated; our text errors (``"#NUM! deflation must be ..."``) are real formula
   errors there, so they propagate to dependent cells with their message;
4. the values are indexed by (sheet, cell); array formulas are spread over their range.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any

from .formulatext import function_names, mark_skipped, rewrite_formula
from .functions import engine, our_names, plain
from .package import LIMITS, Package, WorkbookRefused
from .sheetxml import (ErrorValue, FormulaCell, LimitExceeded, SheetXMLError, cells_of_range,
                       read_formulas, rewrite_formulas, split_coord)

__all__ = ["Evaluation", "evaluate_package"]


@dataclass
class Evaluation:
    """Formula cells per sheet and every evaluated value, keyed by (sheet name, cell)."""
    formulas: dict[str, dict[str, FormulaCell]]
    values: dict[tuple[str, str], Any]
    missing: list[tuple[str, str]]


def _read_formula_cells(pkg: Package) -> dict[str, dict[str, FormulaCell]]:
    per_sheet: dict[str, dict[str, FormulaCell]] = {}
    limit = LIMITS["formula_cells"]
    n = 0
    for name, part in pkg.sheets:
        try:
            cells = read_formulas(pkg.read(part), limit=limit - n)
        except LimitExceeded:
            raise WorkbookRefused(_too_many_formulas()) from None
        except SheetXMLError as exc:
            raise WorkbookRefused(f"sheet {name!r} cannot be read: {exc}") from None
        n += len(cells)
        per_sheet[name] = cells
    return per_sheet


def _too_many_formulas() -> str:
    return (f"the workbook has more than {LIMITS['formula_cells']:,} formula cells; split it "
            f"(the engine's time grows with every cell)")


def _check_functions(name: str, cells: dict[str, FormulaCell], addin_links: set[int],
                     ours: dict[str, str], known: dict[str, Any]) -> None:
    unknown = []
    for c in cells.values():
        if c.kind == "dataTable":
            raise WorkbookRefused(f"{name}!{c.coord}: what-if data tables are not supported "
                                  f"by the headless engine; paste them as values")
        if c.text is None:
            continue
        for fn in function_names(rewrite_formula(c.text, addin_links, ours)):
            if fn.upper() not in known:
                unknown.append(f"{fn} in {name}!{c.coord}")
    if unknown:
        more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        raise WorkbookRefused("unknown function " + ", ".join(unknown[:3]) + more +
                              " (neither an Excel function the engine knows nor a "
                              "ComputeCredit function)")


def evaluate_package(pkg: Package) -> Evaluation:
    """Evaluate every formula of a checked package (see the module docstring)."""
    ours = our_names()
    ours_upper = set(ours)
    formulas_mod, functions = engine()
    addin_links = {i for i, link in pkg.links.items() if link.is_addin}
    per_sheet = _read_formula_cells(pkg)

    def for_engine(text: str) -> str:
        return mark_skipped(rewrite_formula(text, addin_links, ours), ours_upper)

    replaced: dict[str, bytes] = {}
    for name, part in pkg.sheets:
        cells = per_sheet[name]
        _check_functions(name, cells, addin_links, ours, functions)
        if any(c.text is not None and for_engine(c.text) != c.text for c in cells.values()):
            replaced[part] = rewrite_formulas(pkg.read(part), for_engine)
    model, sol = _run_engine(formulas_mod, pkg, replaced)
    names = {n.upper(): n for n, _ in pkg.sheets}
    index = _sol_index(sol, names)
    values, missing = _collect(per_sheet, index)
    if missing:
        _refuse_cycles(model)
    return Evaluation(per_sheet, values, missing)


def _run_engine(formulas_mod: Any, pkg: Package, replaced: dict[str, bytes]) -> tuple[Any, Any]:
    tmpdir = tempfile.mkdtemp(prefix="computecredit-recalc-")
    try:
        tmp = os.path.join(tmpdir, "book.xlsx")
        pkg.write_copy(tmp, replaced)
        # the engine draws a progress bar and logs warnings on stderr: keep them off the
        # user's terminal (the report says what matters)
        with contextlib.redirect_stderr(io.StringIO()):
            try:
                model = formulas_mod.ExcelModel().loads(tmp).finish()
                sol = model.calculate()
            except WorkbookRefused:
                raise
            except RecursionError:
                raise WorkbookRefused("the formulas nest too deeply to evaluate") from None
            except Exception as exc:  # the engine's own parse errors: one line, no traceback
                detail = str(exc).splitlines()[0][:160] if str(exc) else ""
                raise WorkbookRefused(f"the formula engine cannot read this workbook "
                                      f"({type(exc).__name__}: {detail})") from None
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    return model, sol


def _collect(per_sheet: dict[str, dict[str, FormulaCell]], index: dict[tuple[str, str], Any]
             ) -> tuple[dict[tuple[str, str], Any], list[tuple[str, str]]]:
    import numpy as np
    values: dict[tuple[str, str], Any] = {}
    missing = []
    for (sheet, ref), raw in index.items():
        if ":" not in ref:
            values[(sheet, ref)] = plain(raw)
    for sheet, cells in per_sheet.items():
        for c in cells.values():
            if c.kind == "array" and c.ref and ":" in c.ref:
                raw = index.get((sheet, c.ref.replace("$", "")))
                if raw is None:
                    missing.append((sheet, c.coord))
                    continue
                arr = np.atleast_2d(np.asarray(raw, dtype=object))
                span = cells_of_range(c.ref)
                r0, q0 = split_coord(span[0])
                for cc in span:
                    r, q = split_coord(cc)
                    i, j = r - r0, q - q0
                    inside = i < arr.shape[0] and j < arr.shape[1]
                    values[(sheet, cc)] = plain(arr[i, j]) if inside else ErrorValue("#N/A")
            elif (sheet, c.coord) not in values:
                missing.append((sheet, c.coord))
    return values, missing


def _sol_index(sol: dict[str, Any], sheet_names: dict[str, str]) -> dict[tuple[str, str], Any]:
    out = {}
    for key, rng in sol.items():
        key = str(key)
        i = key.rfind("'!")
        if not key.startswith("'[") or i < 0:
            continue
        sheet = key[2:i].split("]", 1)[-1].replace("''", "'")
        name = sheet_names.get(sheet.upper())
        if name is None:
            continue
        out[(name, key[i + 2:])] = getattr(rng, "value", rng)
    return out


def _refuse_cycles(model: Any) -> None:
    cycles = _cycles(model.dsp.dmap)
    cells = sorted({_cell_label(n) for comp in cycles for n in comp
                    if not str(n).startswith("=")})
    if cells:
        shown = ", ".join(cells[:4])
        more = f" and {len(cells) - 4} more" if len(cells) > 4 else ""
        raise WorkbookRefused(f"circular reference through {shown}{more}; the headless "
                              f"engine does not iterate")


def _cycles(dmap: Any) -> list[list[str]]:
    """Strongly connected components with more than one node (or a self-loop), iteratively."""
    succ = dmap.succ
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in list(succ):
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ.get(node, ()):
                    comps.append(comp)
    return comps


def _cell_label(node: str) -> str:
    node = str(node)
    i = node.rfind("'!")
    if node.startswith("'[") and i > 0:
        return node[2:i].split("]", 1)[-1] + "!" + node[i + 2:]
    return node
