"""Write a planned template with openpyxl and save it byte-stable.

:func:`build` turns a :class:`~workbook.templates.blocks.Template` into an openpyxl workbook:
cells, styles (number formats from units), array formulas, defined names and charts, all at the
places :func:`workbook.templates.layout.plan` computed. :func:`save` writes it with fixed
document times and zip timestamps, so the same description always gives the same bytes.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.data_source import StrRef
from openpyxl.chart.series import SeriesLabel
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.formula import ArrayFormula

from .blocks import FUNCTION_UNITS, Chart, Check, Inputs, Series, Template, number_format
from .formula import functions_in
from .layout import (SUMMARY_TOP, BuildError, Placed, Plan, grid_formula, is_formula,
                     label_of, per_column, plan, select, sheet_ref)

__all__ = ["build", "save", "canonical_dump", "FIXED_TIME"]

FIXED_TIME = dt.datetime(2026, 1, 1, 0, 0, 0)
TITLE = Font(bold=True, size=14)
SECTION = Font(bold=True, size=12)
HEAD = Font(bold=True)
NOTE = Font(italic=True, color="595959")
INPUT_FONT = Font(color="1F4E79", bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
TABLE_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")


class _Writer:
    def __init__(self, builder: Plan, wb: Any):
        self.b, self.wb = builder, wb
        self.widths: dict[tuple[str, int], float] = {}

    def width(self, ws: Any, col: int, w: float | None) -> None:
        if w:
            key = (ws.title, col)
            self.widths[key] = max(self.widths.get(key, 0), w)

    def fmt(self, cell: Any, unit: str | None, fmt: str | None, where: str) -> None:
        try:
            f = number_format(unit, fmt, where)
        except ValueError as exc:
            raise BuildError(str(exc)) from None
        if f:
            cell.number_format = f

    def head(self, ws: Any, row: int, col: int, labels: list[Any], fill: Any = TABLE_HEAD_FILL
             ) -> None:
        for k, label in enumerate(labels):
            c = ws.cell(row, col + k, label)
            c.font, c.fill = HEAD, fill

    def block(self, ws: Any, p: Placed) -> None:
        b, top, left = p.block, p.top, p.left
        title = getattr(b, "title", None)
        if title and not isinstance(b, Chart):
            ws.cell(top, left, title).font = SECTION if isinstance(b, Inputs) else HEAD
        getattr(self, "_" + type(b).__name__.lower())(ws, p)

    def _inputs(self, ws: Any, p: Placed) -> None:
        b, r0, c = p.block, p.top + p.frame.body[0], p.left
        if b.title and b.note:
            ws.cell(p.top, c + 2, b.note).font = NOTE
        self.head(ws, r0 - 1, c, ["field", "value"] if b.compact else
                  ["field", "value", "unit", "source / note"])
        for i, row in enumerate(b.rows):
            ws.cell(r0 + i, c, row.name)
            cell = ws.cell(r0 + i, c + 1, row.value)
            if not is_formula(row.value):
                cell.font, cell.fill = INPUT_FONT, INPUT_FILL
            self.fmt(cell, row.unit, row.fmt, f"input {row.name}")
            if not b.compact:
                ws.cell(r0 + i, c + 2, row.unit)
                ws.cell(r0 + i, c + 3, row.source)
        for k, w in enumerate((22, 14) if b.compact else (26, 16, 26, 80)):
            self.width(ws, c + k, w)

    def _outputs(self, ws: Any, p: Placed) -> None:
        b, r0, c = p.block, p.top + p.frame.body[0], p.left
        if b.header:
            self.head(ws, r0 - 1, c, list(b.header))
            for k in range(1, b.span):
                ws.cell(r0 - 1, c + k).fill = TABLE_HEAD_FILL
        for i, row in enumerate(b.rows):
            ws.cell(r0 + i, c, row.label)
            cell = ws.cell(r0 + i, c + b.span, row.formula)
            self.fmt(cell, row.unit, row.fmt, f"output {row.label!r}")
            ws.cell(r0 + i, c + b.span + 1, row.unit)
        if b.span == 1:
            self.width(ws, c, b.label_width)
        self.width(ws, c + b.span, 16)
        self.width(ws, c + b.span + 1, 22)

    def _table(self, ws: Any, p: Placed) -> None:
        b, f = p.block, p.frame
        _, top, left, bottom, right = self.b.array_range(b)
        nr, nc = bottom - top + 1, right - left + 1
        ref = f"{get_column_letter(left)}{top}:{get_column_letter(right)}{bottom}"
        ws.cell(top, left).value = ArrayFormula(ref, b.formula)
        fn = functions_in(b.formula)[0].upper() if functions_in(b.formula) else ""
        units = {**FUNCTION_UNITS.get(fn, {}), **b.units}
        known = f.row_keys if b.keyed else f.col_keys
        for key in b.units:
            if key not in known:
                raise BuildError(f"table {label_of(b)}: units given for {key!r}, which it does "
                                 f"not return (it returns {', '.join(known)})")
        if b.keyed:
            for i, key in enumerate(f.row_keys):
                self.fmt(ws.cell(*p.body_cell(i, 0)), units.get(key), None, f"table {key}")
            self.width(ws, p.left, min(max(len(k) for k in f.row_keys) + 2, 40))
            self.width(ws, p.left + 1, 14)
            return
        self.head(ws, top, p.left, [None] * nc)
        for j, key in enumerate(f.col_keys[:nc]):
            for i in range(nr - 1):
                self.fmt(ws.cell(*p.body_cell(i, j)), units.get(key), None, f"table {key}")
        for k, col in enumerate(b.extra):
            j = nc + k
            self.head(ws, top, p.left + j, [col.header or col.key])
            r0, _, r1, _ = select(f, f"{col.key}{col.rows}", f"table {label_of(b)}")
            for i in range(r0, r1 + 1):
                cell = ws.cell(*p.body_cell(i, j), col.formula)
                self.fmt(cell, col.unit, col.fmt, f"column {col.key}")

    def _grid(self, ws: Any, p: Placed) -> None:
        b = p.block
        hr = p.top + p.frame.header
        self.head(ws, hr, p.left, [b.corner] + list(b.columns))
        for j in range(len(b.columns)):
            self.fmt(ws.cell(hr, p.left + 1 + j), b.column_unit, None, "grid columns")
        for i, rv in enumerate(b.rows):
            r, _ = p.body_cell(i, 0)
            cell = ws.cell(r, p.left, rv)
            self.fmt(cell, b.row_unit, None, "grid rows")
            for j in range(len(b.columns)):
                row_ref = f"${get_column_letter(p.left)}{r}"
                col_ref = f"{get_column_letter(p.left + 1 + j)}${hr}"
                formula = grid_formula(b, i, j).format(row=row_ref, col=col_ref)
                self.fmt(ws.cell(*p.body_cell(i, j), formula), per_column(b.unit, j),
                         per_column(b.fmt, j), f"grid {label_of(b)}")

    def _tape(self, ws: Any, p: Placed) -> None:
        b = p.block
        n = len(b.records)
        ur, hr, r0 = p.top, p.top + 1, p.top + 2
        for j, col in enumerate(list(b.inputs) + list(b.outputs)):
            c = p.left + j
            letter = get_column_letter(c)
            ws.cell(ur, c, col.unit).font = NOTE
            is_input = j < len(b.inputs)
            self.head(ws, hr, c, [col.header or col.key], INPUT_FILL if is_input else
                      TABLE_HEAD_FILL)
            if not is_input:
                ws.cell(r0, c).value = ArrayFormula(f"{letter}{r0}:{letter}{r0 + n - 1}",
                                                    col.formula)
            for i in range(n):
                cell = ws.cell(r0 + i, c)
                if is_input:
                    cell.value = b.records[i][col.key]
                    cell.font = INPUT_FONT
                self.fmt(cell, col.unit, col.fmt, f"tape column {col.key}")
            self.width(ws, c, b.widths[j] if j < len(b.widths) else
                       (None if is_input else b.output_width))
        if b.freeze_columns:
            ws.freeze_panes = ws.cell(r0, p.left + b.freeze_columns).coordinate

    def _inputtable(self, ws: Any, p: Placed) -> None:
        b = p.block
        hr = p.top + p.frame.header
        if b.title and b.note:
            ws.cell(p.top, p.left + 2, b.note).font = NOTE
        for j, col in enumerate(b.columns):
            c = p.left + j
            ws.cell(hr - 1, c, col.unit).font = NOTE
            self.head(ws, hr, c, [col.key], INPUT_FILL)
            for i, row in enumerate(b.rows):
                cell = ws.cell(hr + 1 + i, c, row[j])
                if not is_formula(row[j]):
                    cell.font, cell.fill = INPUT_FONT, INPUT_FILL
                self.fmt(cell, col.unit, col.fmt, f"input table column {col.key}")
            self.width(ws, c, b.widths[j] if j < len(b.widths) else 14)

    def _note(self, ws: Any, p: Placed) -> None:
        ws.cell(p.top, p.left, p.block.text).font = NOTE

    def _chart(self, ws: Any, p: Placed) -> None:
        b = p.block
        ch = LineChart() if b.kind == "line" else BarChart()
        ch.title, ch.height, ch.width = b.title, b.height, b.width
        ch.x_axis.title, ch.y_axis.title = b.x_title, b.y_title
        if b.y_format:
            ch.y_axis.numFmt = b.y_format
        ch.x_axis.delete = ch.y_axis.delete = False
        for s in b.series:
            sheet, r0, c0, r1, c1 = self._series_range(s, b)
            ch.add_data(Reference(self.wb[sheet], min_col=c0, max_col=c1, min_row=r0,
                                  max_row=r1), titles_from_data=False)
            ch.series[-1].tx = self._series_title(s, b)
        sheet, r0, c0, r1, c1 = self._series_range(b.categories, b)
        ch.set_categories(Reference(self.wb[sheet], min_col=c0, max_col=c1, min_row=r0,
                                    max_row=r1))
        ws.add_chart(ch, ws.cell(p.top, p.left).coordinate)

    def _series_range(self, s: Series, chart: Chart) -> tuple[str, int, int, int, int]:
        if s.block not in self.b.ids:
            raise BuildError(f"chart {chart.title!r}: no block with id {s.block!r}")
        return self.b.range_of(self.b.ids[s.block], s.select, f"chart {chart.title!r}")

    def _series_title(self, s: Series, chart: Chart) -> SeriesLabel:
        if s.title is not None:
            return SeriesLabel(v=s.title)
        sheet, r0, c0, r1, c1 = self._series_range(s, chart)
        p = self.b.placed[id(self.b.ids[s.block])]
        if c0 != c1 or p.frame.header is None:
            raise BuildError(f"chart {chart.title!r}: series {s.select!r} needs a title")
        return SeriesLabel(strRef=StrRef(sheet_ref(sheet, p.top + p.frame.header, c0,
                                              p.top + p.frame.header, c0)))


def _write_checks(ws: Any, checks: list[Check], wb: Any) -> None:
    top = SUMMARY_TOP
    for k, label in enumerate(["check", "TRUE?"]):
        c = ws.cell(top, 1 + k, label)
        c.font, c.fill = HEAD, TABLE_HEAD_FILL
    for k, chk in enumerate(checks, start=top + 1):
        ws.cell(k, 1, chk.label)
        ws.cell(k, 2, chk.formula)
    last = top + len(checks)
    ws.cell(last + 2, 1, "all checks TRUE").font = HEAD
    ws.cell(last + 2, 2, f"=AND(B{top + 1}:B{last})").font = HEAD
    ws.column_dimensions["A"].width = 90
    ws.column_dimensions["B"].width = 10
    wb.defined_names["all_checks"] = DefinedName("all_checks", attr_text=sheet_ref(
        "Checks", last + 2, 2, last + 2, 2))


def build(template: Template) -> Any:
    """The openpyxl workbook of a template description (see :func:`save`)."""
    b = plan(template)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    props = wb.properties
    props.title, props.subject = template.title, template.subject
    props.creator, props.lastModifiedBy = "ComputeCredit workbook/build.py", "ComputeCredit"
    props.created = props.modified = FIXED_TIME
    for sheet in b.all_sheets():
        ws = wb.create_sheet(sheet.name)
        ws["A1"], ws["A1"].font = sheet.title, TITLE
        if sheet.note:
            ws["A2"], ws["A2"].font = sheet.note, NOTE
    w = _Writer(b, wb)
    for p in sorted(b.placed.values(), key=lambda p: isinstance(p.block, Chart)):
        w.block(wb[p.sheet], p)
    _write_checks(wb["Checks"], list(template.checks), wb)
    for (sheet, col), width in sorted(w.widths.items()):
        wb[sheet].column_dimensions[get_column_letter(col)].width = width
    for name, ref in b.name_ranges():
        wb.defined_names[name] = DefinedName(name, attr_text=sheet_ref(*ref))
    return wb


def save(wb: Any, path: Path) -> Path:
    """Save with fixed document times and zip timestamps (the same workbook, the same bytes)."""
    buf = io.BytesIO()
    wb.save(buf)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as zin:
        parts = [(i.filename, zin.read(i.filename)) for i in zin.infolist()]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, blob in parts:
            if name == "docProps/core.xml":
                for tag in (rb"dcterms:modified", rb"dcterms:created"):
                    blob = re.sub(rb"(<" + tag + rb"[^>]*>)[^<]*(</" + tag + rb">)",
                                  rb"\g<1>" + stamp + rb"\g<2>", blob)
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, blob)
    tmp.replace(path)
    return path


def canonical_dump(path: Path) -> dict[str, Any]:
    """What a workbook is, independent of zip bytes: every cell's formula or value, array
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
