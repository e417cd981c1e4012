"""The XML of the parts the retrofit adds: the worksheet, its drawing and its charts.

Written directly (no spreadsheet library re-saves anything): cells with inline strings (the
workbook's shared strings stay as they were), formulas without cached values (``computecredit
recalc`` or Excel fills them), array formulas over their ranges, column widths, and one drawing
holding line charts whose series read this sheet.
"""

from __future__ import annotations

import html
import math
from typing import Any

from ..engine.sheetxml import coord, excel_escape
from .layout import Chart, Plan

__all__ = ["sheet_xml", "drawing_xml", "chart_xml"]

_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_COLORS = ["7F7F7F", "1F4E79", "C00000", "ED7D31", "70AD47", "7030A0"]


def _t(text: str) -> str:
    return html.escape(excel_escape(text), quote=False)


def _cell(r: int, c: int, value: Any, formula: str | None, s: int | None,
          array_ref: str | None = None) -> str:
    attrs = f'r="{coord(r, c)}"' + (f' s="{s}"' if s else "")
    if formula is not None:
        f = (f'<f t="array" ref="{array_ref}">' if array_ref else "<f>") + _t(formula) + "</f>"
        return f"<c {attrs}>{f}</c>"
    if value is None:
        return f"<c {attrs}/>" if s else ""
    if isinstance(value, bool):
        return f'<c {attrs} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        x = float(value)
        if not math.isfinite(x):
            return ""
        text = repr(x)[:-2] if repr(x).endswith(".0") else repr(x)
        return f"<c {attrs}><v>{text}</v></c>"
    return f'<c {attrs} t="inlineStr"><is><t xml:space="preserve">{_t(str(value))}</t></is></c>'


def sheet_xml(plan: Plan, style_ix: dict[str, int], drawing_rid: str | None) -> bytes:
    """The worksheet part of a plan (``style_ix``: style key -> ``s=`` index)."""
    cells: dict[tuple[int, int], tuple[Any, str | None, int | None, str | None]] = {}
    for (r, c), cell in plan.cells.items():
        cells[(r, c)] = (cell.value, cell.formula, style_ix.get(cell.style), None)
    for a in plan.arrays:
        ref = f"{coord(a.row, a.col)}:{coord(a.row + a.rows - 1, a.col + a.cols - 1)}"
        for i in range(a.rows):
            for j in range(a.cols):
                key = style_ix.get(a.header_style if i == 0 else a.styles[j])
                cells[(a.row + i, a.col + j)] = (None, a.formula if (i, j) == (0, 0) else None,
                                                 key, ref if (i, j) == (0, 0) else None)
    rows: dict[int, list[int]] = {}
    for r, c in cells:
        rows.setdefault(r, []).append(c)
    body = []
    for r in sorted(rows):
        parts = []
        for c in sorted(rows[r]):
            value, formula, s, aref = cells[(r, c)]
            parts.append(_cell(r, c, value, formula, s, aref))
        body.append(f'<row r="{r}">' + "".join(parts) + "</row>")
    last_r = max(rows) if rows else 1
    last_c = max(c for r, c in cells) if cells else 1
    cols = "".join(f'<col min="{c}" max="{c}" width="{w:g}" customWidth="1"/>'
                   for c, w in sorted(plan.widths.items()))
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           f"<worksheet {_NS}>"
           '<sheetPr><tabColor rgb="FF1F4E79"/></sheetPr>'
           f'<dimension ref="A1:{coord(last_r, last_c)}"/>'
           '<sheetViews><sheetView workbookViewId="0" zoomScale="90" zoomScaleNormal="90"/>'
           '</sheetViews><sheetFormatPr defaultRowHeight="15"/>'
           + (f"<cols>{cols}</cols>" if cols else "") +
           "<sheetData>" + "".join(body) + "</sheetData>"
           '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
           'footer="0.3"/>'
           + (f'<drawing r:id="{drawing_rid}"/>' if drawing_rid else "") +
           "</worksheet>")
    return xml.encode("utf-8")


def drawing_xml(charts: list[Chart], rids: list[str]) -> bytes:
    anchors = []
    for k, (ch, rid) in enumerate(zip(charts, rids), start=1):
        c0, r0, c1, r1 = ch.anchor
        anchors.append(
            '<xdr:twoCellAnchor editAs="oneCell">'
            f"<xdr:from><xdr:col>{c0}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r0}</xdr:row>"
            f"<xdr:rowOff>0</xdr:rowOff></xdr:from>"
            f"<xdr:to><xdr:col>{c1}</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>{r1}</xdr:row>"
            f"<xdr:rowOff>0</xdr:rowOff></xdr:to>"
            f'<xdr:graphicFrame macro=""><xdr:nvGraphicFramePr><xdr:cNvPr id="{k + 1}" '
            f'name="ComputeCredit chart {k}"/><xdr:cNvGraphicFramePr/></xdr:nvGraphicFramePr>'
            '<xdr:xfrm><a:off x="0" y="0"/><a:ext cx="0" cy="0"/></xdr:xfrm>'
            '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/'
            'chart"><c:chart xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
            f'r:id="{rid}"/></a:graphicData></a:graphic></xdr:graphicFrame><xdr:clientData/>'
            "</xdr:twoCellAnchor>")
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/'
           'spreadsheetDrawing" xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
           + "".join(anchors) + "</xdr:wsDr>")
    return xml.encode("utf-8")


def _rich(text: str, size: int, bold: bool) -> str:
    b = ' b="1"' if bold else ' b="0"'
    return (f'<c:tx><c:rich><a:bodyPr/><a:p><a:pPr><a:defRPr sz="{size}"{b}/></a:pPr><a:r>'
            f'<a:rPr lang="en-US" sz="{size}"{b}/><a:t>{html.escape(text)}</a:t></a:r></a:p>'
            f'</c:rich></c:tx><c:overlay val="0"/>')


def chart_xml(ch: Chart) -> bytes:
    sers = []
    for k, (name, cats, vals) in enumerate(ch.series):
        color = _COLORS[k % len(_COLORS)]
        dash = "sysDash" if name.startswith(("their", "covenant", "straight")) else "solid"
        sers.append(
            f'<c:ser><c:idx val="{k}"/><c:order val="{k}"/><c:tx><c:v>{html.escape(name)}</c:v>'
            f'</c:tx><c:spPr><a:ln w="28575" cap="rnd"><a:solidFill><a:srgbClr val="{color}"/>'
            f'</a:solidFill><a:prstDash val="{dash}"/><a:round/></a:ln></c:spPr>'
            f'<c:marker><c:symbol val="none"/></c:marker>'
            f"<c:cat><c:numRef><c:f>{html.escape(cats)}</c:f></c:numRef></c:cat>"
            f"<c:val><c:numRef><c:f>{html.escape(vals)}</c:f></c:numRef></c:val>"
            f'<c:smooth val="0"/></c:ser>')
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" '
           'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
           '<c:roundedCorners val="0"/><c:chart>'
           f"<c:title>{_rich(ch.title, 1200, True)}</c:title>"
           '<c:autoTitleDeleted val="0"/><c:plotArea><c:layout/>'
           '<c:lineChart><c:grouping val="standard"/><c:varyColors val="0"/>'
           + "".join(sers) +
           '<c:marker val="1"/><c:axId val="51001"/><c:axId val="51002"/></c:lineChart>'
           '<c:catAx><c:axId val="51001"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
           '<c:delete val="0"/><c:axPos val="b"/>'
           f"<c:title>{_rich(ch.x_title, 900, False)}</c:title>"
           '<c:numFmt formatCode="0.00" sourceLinked="0"/><c:majorTickMark val="out"/>'
           '<c:minorTickMark val="none"/><c:tickLblPos val="low"/><c:crossAx val="51002"/>'
           '<c:crosses val="autoZero"/><c:auto val="1"/><c:lblAlgn val="ctr"/>'
           '<c:lblOffset val="100"/><c:noMultiLvlLbl val="0"/></c:catAx>'
           '<c:valAx><c:axId val="51002"/><c:scaling><c:orientation val="minMax"/></c:scaling>'
           '<c:delete val="0"/><c:axPos val="l"/><c:majorGridlines/>'
           f"<c:title>{_rich(ch.y_title, 900, False)}</c:title>"
           f'<c:numFmt formatCode="{html.escape(ch.y_format)}" sourceLinked="0"/>'
           '<c:majorTickMark val="out"/><c:minorTickMark val="none"/>'
           '<c:tickLblPos val="nextTo"/><c:crossAx val="51001"/><c:crosses val="autoZero"/>'
           '<c:crossBetween val="between"/></c:valAx></c:plotArea>'
           '<c:legend><c:legendPos val="b"/><c:overlay val="0"/></c:legend>'
           '<c:plotVisOnly val="1"/><c:dispBlanksAs val="gap"/></c:chart></c:chartSpace>')
    return xml.encode("utf-8")
