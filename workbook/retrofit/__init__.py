"""``computecredit retrofit``: put the model beside a deal spreadsheet's straight-line
assumptions, in a copy of the deal.

Two steps::

    computecredit retrofit DEAL.xlsx --draft-map MAP.toml      # propose the mapping (review it)
    computecredit retrofit DEAL.xlsx --map MAP.toml -o OUT.xlsx

The copy gets one new sheet, ``ComputeCredit`` (:mod:`.layout`): the deal block reading the
deal's own input cells through the mapping, the economic value path, deflated DSCR, economic LTV
and correlated LGD next to the deal's straight-line results, the differences, the breakeven
deflation, three charts and a Checks block. The package is edited part by part
(:mod:`workbook.engine.edit`): the new worksheet, drawing and chart parts, the sheet and defined
names appended to ``xl/workbook.xml``, one relationship, content-type overrides and cell
formats appended to ``xl/styles.xml``. Every other part keeps its bytes: each original sheet,
formula, name, style and chart is untouched. The input is never modified; an output path equal
to the input is refused; a mapping with a problem writes nothing.

``computecredit recalc OUT.xlsx`` then fills the values without Excel.

Exit status: 0 written, 2 refused (with one line per problem).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

__all__ = ["retrofit_file", "draft_map", "RetrofitRefused", "RetrofitResult", "add_arguments",
           "run"]


class RetrofitRefused(Exception):
    """Nothing was written; ``str(exc)`` says why (one line per problem)."""


@dataclass
class RetrofitResult:
    out: str
    sheet: str
    formulas: int
    charts: int
    preview: list[tuple[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _same_file(a: str, b: str) -> bool:
    if os.path.abspath(a) == os.path.abspath(b):
        return True
    try:
        return os.path.exists(b) and os.path.samefile(a, b)
    except OSError:
        return False


def _open(path: str, macros: str = "refuse") -> Any:
    from ..engine.package import WorkbookRefused, open_package
    try:
        return open_package(path, macros=macros)
    except WorkbookRefused as exc:
        raise RetrofitRefused(f"{path}: {exc}") from None


def _cells(pkg: Any) -> Any:
    from ..engine.cellmap import fill_values, read_cellmap
    from ..engine.package import WorkbookRefused
    try:
        cm = read_cellmap(pkg)
    except WorkbookRefused as exc:
        raise RetrofitRefused(f"{pkg.path}: {exc}") from None
    fill_values(pkg, cm)
    return cm


def draft_map(path: str, map_path: str) -> Any:
    """Write the mapping the audit proposes to ``map_path``; return the proposal."""
    from ..audit.detect import analyse
    from ..audit.mapping import DRAFT_FORMATS, MappingError, write_draft
    if _same_file(path, map_path):
        raise RetrofitRefused("the draft map would overwrite the workbook; choose another "
                              "file")
    if os.path.splitext(map_path)[1].lower() not in DRAFT_FORMATS:
        raise RetrofitRefused(f"the draft map must be .toml, .yaml or .csv (got {map_path})")
    if os.path.exists(map_path):
        raise RetrofitRefused(f"{map_path} exists; a draft never overwrites a map (remove it "
                              f"or choose another name)")
    pkg = _open(path, macros="skip")    # a draft only reads: an .xlsm's macros stay unread
    try:
        audit = analyse(_cells(pkg), path)
        if pkg.macros:
            from ..audit import macro_note
            audit.proposal.notes.append(macro_note(pkg.macros))
    finally:
        pkg.close()
    try:
        folder = os.path.dirname(os.path.abspath(map_path))
        os.makedirs(folder, exist_ok=True)
        write_draft(audit.proposal, map_path, os.path.basename(path))
    except MappingError as exc:
        raise RetrofitRefused(str(exc)) from None
    audit.proposal.findings = len(audit.open_findings)
    return audit.proposal


def _engine_functions() -> set[str]:
    from ..engine.functions import engine
    _, functions = engine()
    return {str(k).upper() for k in functions}


def _block(values: dict[str, Any]) -> list[list[Any]]:
    from pymodel.dscr.deal import DEAL_FIELDS
    out = []
    for f in DEAL_FIELDS.fields.values():
        if f.name in values:
            out.append([f.name, values[f.name]])
    return out


def _errors_in(table: Any, rows: int, cols: int) -> list[str]:
    from pymodel.errors import excel_error_code
    if not isinstance(table, list):
        return [str(table)]
    found = []
    for row in table[:rows]:
        for v in row[:cols]:
            if excel_error_code(v):
                found.append(v)
    return found


def _value_path(res: Any, audit: Any, cm: Any) -> tuple[int, float, bool]:
    """(periods a year, years from close of the first value, values for the fleet) of their
    straight-line value path."""
    m = res.theirs.get("their_book_value")
    ppy = int(res.values.get("payments_per_year") or 4)
    if m is None:
        return ppy, 0.0, False
    freq = _frequency(m.cells, audit) or ppy
    v0 = next((v for v in m.value if isinstance(v, float) and v > 0), None)
    cost = float(res.values["gpu_cost"])
    gpus = float(res.values["gpus"])
    fleet = False
    start = 0.0
    if v0 is not None and cost > 0:
        fleet = gpus > 1 and abs(math.log(v0 / (cost * gpus))) < abs(math.log(v0 / cost))
        basis = cost * gpus if fleet else cost
        first = m.value[0] if isinstance(m.value[0], float) else v0
        start = 0.0 if abs(first - basis) <= 1e-6 * basis else 1.0 / freq
    return freq, start, fleet


def _frequency(cells: list[tuple[str, int, int]], audit: Any) -> int | None:
    keys = set(cells)
    for s in audit.series:
        if {(s.sheet, *rc) for rc in s.cells} & keys and s.axis is not None:
            return s.axis.freq
    sheet, r1, c1 = cells[0]
    _, r2, c2 = cells[-1]
    for a in audit.axes:
        if a.sheet != sheet:
            continue
        if r1 == r2 and a.orient == "row" and a.start <= c1 and c2 <= a.end:
            return a.freq
        if c1 == c2 and a.orient == "col" and a.start <= r1 and r2 <= a.end:
            return a.freq
    return None


def retrofit_file(path: str, map_path: str, out: str) -> RetrofitResult:
    """Write ``out``: a copy of ``path`` with the ComputeCredit sheet (see the module
    docstring). Raises :class:`RetrofitRefused`; nothing is written then."""
    from addin import udfs  # noqa: F401  (registers the functions)
    from addin.registry import REGISTRY
    from ..audit.detect import analyse
    from ..audit.mapping import MappingError, read_mapping
    from ..engine.edit import CT, REL, PackageEditor
    from ..engine.package import WorkbookRefused
    from .layout import STYLES, SHEET_NAME, Context, curve_span, plan_sheet
    from .parts import chart_xml, drawing_xml, sheet_xml
    from .resolve import resolve

    if not out.lower().endswith(".xlsx"):
        raise RetrofitRefused(f"the output must be an .xlsx file (got {out})")
    if _same_file(path, out):
        raise RetrofitRefused("the output would overwrite the deal workbook; choose another "
                              "-o (the input is never modified)")
    if _same_file(map_path, out):
        raise RetrofitRefused("the output would overwrite the map; choose another -o")
    pkg = _open(path)
    try:
        cm = _cells(pkg)
        if cm.sheet(SHEET_NAME) is not None:
            raise RetrofitRefused(f"{path} already has a sheet named {SHEET_NAME}; retrofit "
                                  f"the original deal")
        try:
            mapping = read_mapping(map_path)
            res = resolve(mapping, cm, _engine_functions())
        except MappingError as exc:
            raise RetrofitRefused(str(exc)) from None
        audit = analyse(cm, path)
        block = _block(res.values)
        n = int(round(res.values["debt_years"] * res.values["payments_per_year"]))
        table = REGISTRY["DSCR_TABLE"].func(block)
        compare = REGISTRY["DSCR_COMPARE"].func(block)
        problems = _errors_in(table, n + 1, 99) + _errors_in(compare, n + 1, 99)
        if problems:
            raise RetrofitRefused(f"the model cannot run this deal: {problems[0]}")
        freq, start, fleet = _value_path(res, audit, cm)
        n_value = len(res.theirs["their_book_value"].cells) if "their_book_value" in \
            res.theirs else 0
        years, ppy = curve_span(res, freq, start, n_value)
        v = res.values
        remaining = max(float(v.get("physical_life_years", 8.0)) - float(v.get("age_years",
                                                                                0.0)), 0.0)
        curve = REGISTRY["GPU_RV_CURVE"].func(
            v["gpu_cost"], v["rent0"], v.get("utilization"), v["cash_cost"], v.get("deflation"),
            v.get("discount_rate"), years, ppy, v.get("book_life_years"), v.get("age_years"),
            v.get("salvage"), remaining, list(v.get("step_years") or ()) or None,
            list(v.get("step_downs") or ()) or None)
        bad = _errors_in(curve, 10**6, 5)
        if bad:
            raise RetrofitRefused(f"the model cannot value the GPUs of this deal: {bad[0]}")
        editor = PackageEditor(pkg)
        taken = editor.defined_names()
        rent = res.theirs.get("their_rent")
        rent_freq = (_frequency(rent.cells, audit) if rent else None) or \
            int(res.values["payments_per_year"])
        ctx = Context(os.path.basename(path), curve, ppy, years, table, compare, freq, start,
                      fleet, rent_freq, taken)
        plan = plan_sheet(res, ctx)
        keys = sorted(STYLES)
        got = editor.add_styles([STYLES[k] for k in keys])
        style_ix = dict(zip(keys, got)) if got else {}
        notes = [] if got else ["the workbook's styles part could not take new formats: the "
                                "ComputeCredit sheet uses the default format"]
        part = editor.free_name("xl/worksheets/sheet{}.xml")
        drawing = editor.free_name("xl/drawings/drawing{}.xml")
        chart_parts = []
        for ch in plan.charts:
            name = editor.free_name("xl/charts/chart{}.xml")
            editor.add_part(name, chart_xml(ch), CT["chart"])
            chart_parts.append(name)
        rids = [editor.relate(drawing, REL["chart"], c) for c in chart_parts]
        editor.add_part(drawing, drawing_xml(plan.charts, rids), CT["drawing"])
        sheet_rid = editor.relate(part, REL["drawing"], drawing)
        editor.add_sheet(SHEET_NAME, part, sheet_xml(plan, style_ix, sheet_rid))
        editor.add_defined_names(plan.names)
        editor.set_calc_on_load()
        try:
            editor.write(out)
        except OSError as exc:
            raise RetrofitRefused(f"cannot write {out}: {exc.strerror or exc}") from None
        for key in ("their_dscr", "their_ltv", "their_rent"):
            m = res.theirs.get(key)
            if m is not None and len(m.cells) != n:
                notes.append(f"{key} has {len(m.cells)} periods and the model's schedule {n} "
                             f"({res.values['debt_years']:g} years x "
                             f"{res.values['payments_per_year']} a year): they are compared "
                             f"period by period, check payments_per_year and debt_years")
        formulas = sum(1 for c in plan.cells.values() if c.formula) + len(plan.arrays)
        preview = _preview(REGISTRY, block, res, compare, n)
        return RetrofitResult(out, SHEET_NAME, formulas, len(plan.charts), preview,
                              notes + plan.notes)
    except WorkbookRefused as exc:
        raise RetrofitRefused(f"{path}: {exc}") from None
    finally:
        pkg.close()


def _preview(registry: Any, block: list[list[Any]], res: Any, compare: list[list[Any]],
             n: int) -> list[tuple[str, Any]]:
    """Key numbers computed in Python, for the terminal (the sheet computes them itself)."""
    head = compare[0]
    flat = [r[head.index("dscr_flat")] for r in compare[1:n + 1]]
    out: list[tuple[str, Any]] = []
    m = res.theirs.get("their_dscr")
    if m is not None:
        nums = [x for x in m.value if isinstance(x, float)]
        if nums:
            out.append(("their minimum DSCR", min(nums)))
    out.append(("minimum DSCR, model with flat rents", min(flat)))
    out.append(("minimum DSCR, model with deflating rents", registry["DSCR_MIN"].func(block)))
    out.append(("breakeven deflation (1.00x)", registry["DSCR_BREAKEVEN"].func(block, 1)))
    out.append(("deflation assumed", res.values.get("deflation", 0.30)))
    return out


# --------------------------------------------------------------------------------------------
# command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="DEAL.xlsx", help="the deal workbook (never modified)")
    parser.add_argument("--map", metavar="MAP", help="the mapping: our field -> their cell "
                        "(.toml, .yaml, .csv, or .xlsx with two columns)")
    parser.add_argument("-o", "--output", metavar="OUT.xlsx", help="the copy to write")
    parser.add_argument("--draft-map", metavar="MAP", help="write the mapping the audit "
                        "proposes (.toml, .yaml or .csv) for review, and stop")


def run(args: argparse.Namespace) -> int:
    from ..audit.render import safe
    try:
        if args.draft_map:
            p = draft_map(args.file, args.draft_map)
            print(f"{safe(args.draft_map)}: draft map with {len(p.entries)} fields found in "
                  f"{safe(os.path.basename(args.file))}; review every line")
            if not p.findings:
                print("  note: the audit found no straight-line assumption in this workbook; "
                      "the sheet would compare nothing of theirs")
            for note in p.notes:
                print(f"  note: {safe(note)}")
            if p.missing:
                print(f"  required, not found (fill them in): {', '.join(p.missing)}")
            deal, first = safe(args.file), ""
            if p.notes:     # macros: the copy is written from the deal saved as .xlsx
                deal = safe(os.path.splitext(args.file)[0] + ".xlsx")
                first = f"save the deal as {deal} without macros, then "
            print(f"  then: {first}computecredit retrofit {deal} --map "
                  f"{safe(args.draft_map)} -o OUT.xlsx")
            return 0
        if not args.map or not args.output:
            print("retrofit: give --map MAP and -o OUT.xlsx (or --draft-map MAP to propose a "
                  "map)", file=sys.stderr)
            return 2
        result = retrofit_file(args.file, args.map, args.output)
    except RetrofitRefused as exc:
        print(f"retrofit: refused: {safe_lines(exc)}", file=sys.stderr)
        return 2
    except Exception as exc:  # never a traceback for a user's file
        print(f"retrofit: refused: unexpected {type(exc).__name__}: {safe(str(exc), 160)}",
              file=sys.stderr)
        return 2
    print(f"{safe(result.out)}: {result.sheet} sheet added ({result.formulas} formulas, "
          f"{result.charts} charts); every original sheet unchanged")
    for label, value in result.preview:
        shown = f"{value:.4g}" if isinstance(value, float) else safe(value)
        print(f"  {label:<42} {shown}")
    for note in result.notes:
        print(f"  note: {safe(note)}")
    print(f"  next: computecredit recalc {safe(result.out)}")
    return 0


def safe_lines(exc: BaseException) -> str:
    from ..audit.render import safe
    return "\n".join(safe(line, 400) for line in str(exc).splitlines())
