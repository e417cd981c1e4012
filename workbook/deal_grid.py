"""``computecredit scenarios DEAL.xlsx --grid GRID.toml -o OUT``: a grid of scenarios run
through a deal workbook's own formulas.

When the grid file has an ``[inputs]`` table (or ``[[scenario]]`` entries) instead of the loan
tape's ``[axes]``, each scenario types values into the workbook's input cells, by defined name
or by cell, recalculates the workbook and reads its outputs. The workbook is checked and
compiled once (:class:`workbook.engine.session.Session`); each scenario recomputes only the
formulas that depend on the inputs it changes, and gives the values a fresh ``computecredit
recalc`` of the workbook with those inputs typed in would give. A retrofitted deal
(``computecredit retrofit``) runs the same way: its inputs are the deal's own cells, its
outputs the ComputeCredit sheet's.

The grid file (TOML)::

    [inputs]                      # name or cell -> the values to try; every combination runs
    deal_deflation = [0.2, 0.3, 0.45]
    deal_utilization = [0.6, 0.75, 0.9]
    "Inputs!B59" = [0.05]

    [[scenario]]                  # optional: named scenarios, run after the grid
    name = "severe"
    deal_deflation = 0.6
    deal_utilization = 0.5

    [outputs]                     # optional: column -> name or cell read in each scenario
    min_dscr = "Summary!B7"       # (default: every row of the workbook's Summary sheet)

Written to OUT: ``scenarios.csv`` and ``scenarios.parquet`` (one row per scenario: its name,
the inputs, the outputs, then ``error_cells``, ``false_checks``, ``kept_cells``), and
``report.html`` (one self-contained page). ``--workbooks`` also writes each scenario's
recalculated copy. An output cell holding an error is written as its code (``#NUM!``) in a text
column; the report lists the first error cells of each scenario with their reasons.
"""

from __future__ import annotations

import html
import itertools
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

__all__ = ["WorkbookGrid", "is_workbook_grid", "parse_workbook_grid", "run_workbook_grid",
           "write_workbook_outputs", "run"]

#: Scenarios one run may hold (each recalculates the workbook).
MAX_SCENARIOS = 10_000
STATUS = ("error_cells", "false_checks", "kept_cells")


@dataclass
class WorkbookGrid:
    axes: dict[str, list[Any]]                              # input -> values (every combination)
    named: list[tuple[str, dict[str, Any]]] = field(default_factory=list)   # [[scenario]]
    outputs: dict[str, str] = field(default_factory=dict)   # column -> name or cell

    def scenarios(self) -> list[tuple[str, dict[str, Any]]]:
        out = []
        if self.axes:
            keys = list(self.axes)
            for k, combo in enumerate(itertools.product(*(self.axes[x] for x in keys))):
                out.append((f"grid {k + 1}", dict(zip(keys, combo))))
        return out + list(self.named)


def is_workbook_grid(data: dict[str, Any]) -> bool:
    """Whether a parsed grid file runs through a workbook (``[inputs]`` or ``[[scenario]]``)."""
    return "inputs" in data or "scenario" in data


def parse_workbook_grid(data: dict[str, Any], where: str = "grid") -> WorkbookGrid:
    """Check the shape of a workbook grid (the names and values are checked against the
    workbook when it runs, before the first scenario)."""
    from .scenarios import GridError
    unknown = set(data) - {"inputs", "scenario", "outputs"}
    if unknown:
        extra = (" ([axes], [settings], [regimes] and [facility] belong to a grid over a loan "
                 "tape)" if unknown & {"axes", "settings", "regimes", "facility"} else "")
        raise GridError(f"{where}: unknown section(s) {sorted(unknown)} in a grid over a "
                        f"workbook (expected inputs, scenario, outputs){extra}")
    axes = data.get("inputs") or {}
    if not isinstance(axes, dict):
        raise GridError(f"{where}: [inputs] must be a table of name = [values]")
    out_axes: dict[str, list[Any]] = {}
    for key, values in axes.items():
        if not isinstance(values, list) or not values:
            raise GridError(f"{where}: [inputs] {key} must be a non-empty list of values "
                            f"(got {values!r})")
        out_axes[key] = list(values)
    named = []
    scen = data.get("scenario") or []
    if not isinstance(scen, list) or not all(isinstance(x, dict) for x in scen):
        raise GridError(f"{where}: [[scenario]] entries must be tables of name = value")
    for i, entry in enumerate(scen, start=1):
        entry = dict(entry)
        label = str(entry.pop("name", f"scenario {i}"))
        if not entry:
            raise GridError(f"{where}: [[scenario]] {label!r} sets no input")
        bad = [k for k, v in entry.items() if isinstance(v, (list, dict))]
        if bad:
            raise GridError(f"{where}: [[scenario]] {label!r}: {bad[0]} must be one value")
        named.append((label, entry))
    if not out_axes and not named:
        raise GridError(f"{where}: [inputs] or [[scenario]] must set at least one input")
    outputs = data.get("outputs") or {}
    if not isinstance(outputs, dict) or not all(isinstance(v, str) for v in outputs.values()):
        raise GridError(f"{where}: [outputs] must be a table of column = \"name or cell\"")
    clash = (set(outputs) & set(out_axes)) | (set(outputs) & {"scenario", *STATUS})
    if clash:
        raise GridError(f"{where}: [outputs] column {sorted(clash)[0]!r} is also an input or a "
                        f"column of its own; rename it")
    n = math.prod(len(v) for v in out_axes.values()) if out_axes else 0
    if n + len(named) > MAX_SCENARIOS:
        raise GridError(f"{where}: {n + len(named):,} scenarios (limit {MAX_SCENARIOS:,}; each "
                        f"recalculates the workbook)")
    return WorkbookGrid(out_axes, named, dict(outputs))


def run_workbook_grid(path: str, grid: WorkbookGrid, today: Any = None,
                      progress: Callable[[str], None] | None = None,
                      workbooks: Path | None = None) -> tuple[Any, dict[str, list[Any]]]:
    """Run every scenario through the workbook; return (table, error cells by scenario)."""
    import pandas as pd

    from .engine.session import Session, SessionError
    from .scenarios import GridError
    try:
        s = Session(path, today=today)
    except SessionError as exc:
        raise GridError(str(exc)) from None
    try:
        outputs = _outputs(s, grid, path)
        scenarios = grid.scenarios()
        for label, inputs in scenarios:    # every scenario checked before the first runs
            try:
                s.check(inputs)
            except SessionError as exc:
                raise GridError(f"{path}: scenario {label!r}: {exc}") from None
        names = list(dict.fromkeys(k for _, sc in scenarios for k in sc))
        own = {k: _plain(s.get(k)) for k in names}   # the file's values, where a scenario
        rows, errors = [], {}                         # leaves an input as it is
        t0 = time.perf_counter()
        for k, (label, inputs) in enumerate(scenarios, start=1):
            s.reset().set(inputs)
            try:
                res = s.report()
                row: dict[str, Any] = {"scenario": label, **own, **inputs}
                for col, target in outputs.items():
                    row[col] = _plain(s.get(target))
            except SessionError as exc:
                raise GridError(f"{path}: scenario {label!r}: {exc}") from None
            row.update({"error_cells": len(res.errors), "false_checks": len(res.false_checks),
                        "kept_cells": len(res.kept)})
            rows.append(row)
            errors[label] = res.errors[:5]
            if workbooks is not None:
                workbooks.mkdir(parents=True, exist_ok=True)
                s.save(workbooks / f"scenario_{k:0{len(str(len(scenarios)))}d}.xlsx")
            if progress and (k % 10 == 0 or k == len(scenarios)):
                progress(f"{k}/{len(scenarios)} scenarios ({time.perf_counter() - t0:,.1f} s)")
    finally:
        s.close()
    table = pd.DataFrame(rows, columns=["scenario", *names, *outputs, *STATUS])
    for col in table.columns:   # one type per column (parquet): numbers, else text
        vals = [v for v in table[col] if v is not None]
        if vals and not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                            for v in vals) and not all(isinstance(v, bool) for v in vals):
            table[col] = [None if v is None else str(v) for v in table[col]]
    return table, errors


def _outputs(s: Any, grid: WorkbookGrid, path: str) -> dict[str, str]:
    """The outputs to read: the grid's, else every row of the Summary sheet."""
    from .engine.report import SUMMARY_SHEET
    from .engine.session import SessionError
    from .scenarios import GridError
    outputs = dict(grid.outputs)
    if not outputs:
        summary = next((n for n in s.sheets if n.lower() == SUMMARY_SHEET.lower()), None)
        if summary is None:
            raise GridError(f"{path}: the workbook has no {SUMMARY_SHEET} sheet; list the cells "
                            f"to read in [outputs] (column = \"Sheet!B7\" or a defined name)")
        for label, _value, cell in _summary_rows(s, summary):
            outputs.setdefault(label, cell)
        if not outputs:
            raise GridError(f"{path}: the {SUMMARY_SHEET} sheet lists no output; list the "
                            f"cells to read in [outputs]")
    for col, target in outputs.items():
        try:
            got = s.get(target)
        except SessionError as exc:
            raise GridError(f"{path}: [outputs] {col}: {exc}") from None
        if isinstance(got, list):
            raise GridError(f"{path}: [outputs] {col}: {target!r} is a range; give one cell")
    return outputs


def _summary_rows(s: Any, sheet: str) -> list[tuple[str, Any, str]]:
    """(label, value, cell) of each Summary row: a label in column A, a formula in B."""
    ev = s.evaluation
    from .engine.sheetxml import split_coord
    rows = sorted({split_coord(c)[0] for c in ev.formulas[sheet] if c.startswith("B")})
    quoted = sheet if sheet.replace("_", "").isalnum() else "'" + sheet.replace("'", "''") + "'"
    out = []
    for r in rows:
        label = ev.values.get((sheet, f"A{r}"))
        if isinstance(label, str) and label.strip():
            out.append((label.strip(), ev.values.get((sheet, f"B{r}")), f"{quoted}!B{r}"))
    return out


def _plain(v: Any) -> Any:
    from .engine.sheetxml import ErrorValue
    return v.code if isinstance(v, ErrorValue) else v


def _html(table: Any, errors: dict[str, list[Any]], meta: dict[str, str],
          inputs: list[str]) -> str:
    from .scenarios import REPORT_CSS
    esc = html.escape

    def cell(v: Any) -> str:
        if isinstance(v, bool):
            return "TRUE" if v else "FALSE"
        if isinstance(v, (int, float)):
            v = float(v)
            if not math.isfinite(v):
                return "&ndash;"
            return f"{v:,.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
        return "&ndash;" if v is None or v != v else esc(str(v))

    head = "".join(f'<th class="{"in" if c in inputs else "out"}">{esc(str(c))}</th>'
                   for c in table.columns)
    body = []
    for _, r in table.iterrows():
        bad = r.get("error_cells", 0) or r.get("false_checks", 0)
        body.append(f'<tr{" class=bad" if bad else ""}>'
                    + "".join(f"<td>{cell(r[c])}</td>" for c in table.columns) + "</tr>")
    notes = []
    for label, errs in errors.items():
        for sheet, cc, code, msg in errs[:3]:
            why = msg if msg.startswith(code) else f"{code} {msg}".strip()
            notes.append(f"<li>{esc(label)}: {esc(sheet)}!{esc(cc)} {esc(why[:200])}</li>")
    info = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in meta.items())
    errs_html = (f"<h2>Error cells (first of each scenario)</h2><ul>{''.join(notes[:60])}</ul>"
                 if notes else "")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ComputeCredit scenarios through {esc(meta.get("workbook", "the workbook"))}</title>
<style>
{REPORT_CSS % 1400}
th {{ background: #f2f2f2; vertical-align: bottom; max-width: 9em; }}
th.in {{ background: #e4ecf7; }}
td {{ white-space: nowrap; }}
tr.bad td {{ background: #fde8e8; }}
div.wide {{ overflow-x: auto; }}
p.note, li {{ font-size: 0.85em; color: #555; }}
</style></head><body>
<h1>Scenarios through the deal workbook</h1>
<table>{info}</table>
<h2>Every scenario</h2>
<p class="note">Blue columns are the inputs (typed into the workbook where the scenario sets
them, else the workbook's own value); the others are read from its cells after it
recalculated. A red row has error cells or FALSE checks. Each row equals a
fresh recalculation of the workbook with those inputs typed in.</p>
<div class="wide"><table><tr>{head}</tr>{''.join(body)}</table></div>
{errs_html}
</body></html>
"""


def write_workbook_outputs(out: Path, table: Any, errors: dict[str, list[Any]],
                           meta: dict[str, str], inputs: list[str]) -> list[Path]:
    """Write the table and the report into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    p = out / "scenarios.parquet"
    table.to_parquet(p, index=False)
    written.append(p)
    p = out / "scenarios.csv"
    table.to_csv(p, index=False)
    written.append(p)
    p = out / "report.html"
    p.write_text(_html(table, errors, meta, inputs), encoding="utf-8")
    written.append(p)
    return written


def run(args: Any, data: dict[str, Any]) -> int:
    """The command, for a grid over a workbook (``data``: the parsed grid file)."""
    from .scenarios import GridError
    t0 = time.perf_counter()
    try:
        if not str(args.tape).lower().endswith((".xlsx", ".xlsm")):
            raise GridError(f"{args.tape}: a grid with [inputs] runs through a workbook "
                            f"(.xlsx); a CSV tape takes [axes]")
        if args.dask or args.sheet:
            raise GridError("--dask and --sheet apply to a grid over a loan tape; a workbook "
                            "grid runs in this process, one compiled workbook")
        grid = parse_workbook_grid(data, str(args.grid))
        out = Path(args.out)
        table, errors = run_workbook_grid(
            args.tape, grid, getattr(args, "today", None),
            progress=lambda s: print(s, file=sys.stderr),
            workbooks=out / "workbooks" if getattr(args, "workbooks", False) else None)
    except GridError as exc:
        print(f"computecredit scenarios: {exc}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - t0
    inputs = sorted({k for _, sc in grid.scenarios() for k in sc})
    meta = {"workbook": Path(args.tape).name, "grid": Path(args.grid).name,
            "scenarios": f"{len(table):,}", "inputs": ", ".join(inputs),
            "run time": f"{secs:,.1f} s (the workbook compiled once)"}
    for p in write_workbook_outputs(out, table, errors, meta, inputs):
        print(p)
    flagged = int(((table["error_cells"] > 0) | (table["false_checks"] > 0)).sum())
    if flagged:
        print(f"note: {flagged} scenario(s) with error cells or FALSE checks (see report.html)",
              file=sys.stderr)
    return 0
