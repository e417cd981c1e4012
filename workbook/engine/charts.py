"""Draw a workbook's own native charts as PNG files with matplotlib (``recalc --png``).

Each chart part (``xl/charts/chartN.xml``) is read for its title, plot type (line, bar,
scatter, area), axis titles and series; every series reference (``'Coverage'!$K$6:$K$25``) is
resolved against the values just recalculated, so the pictures show current numbers even on a
machine without Excel. Error cells and text become gaps. Nothing here computes a model number.
"""

from __future__ import annotations

import math
import os
import re
import textwrap
from typing import Any
from xml.etree import ElementTree as ET

from openpyxl.utils.cell import range_boundaries

from .sheetxml import ErrorValue, coord

__all__ = ["draw_charts", "read_chart", "resolve_ref"]

_C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_KINDS = {"lineChart": "line", "line3DChart": "line", "barChart": "bar", "bar3DChart": "bar",
          "scatterChart": "scatter", "areaChart": "area"}


def _text(el: ET.Element | None) -> str:
    if el is None:
        return ""
    rich = "".join(t.text or "" for t in el.iter(f"{_A}t"))
    if rich:
        return rich
    f = el.find(f".//{_C}f")
    return f"={f.text}" if f is not None and f.text else ""


def resolve_ref(ref: str, values: dict[tuple[str, str], Any], sheets: list[str]) -> list[Any]:
    """Values of a chart reference such as ``'My sheet'!$B$2:$B$9`` (row by row)."""
    ref = ref.strip().lstrip("=")
    if ref.startswith("(") and ref.endswith(")"):
        ref = ref[1:-1]
    if "!" not in ref:
        return []
    sheet, rng = ref.rsplit("!", 1)
    sheet = sheet.strip()
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    sheet = next((s for s in sheets if s.upper() == sheet.upper()), sheet)
    rng = rng.replace("$", "")
    try:
        c1, r1, c2, r2 = range_boundaries(rng if ":" in rng else f"{rng}:{rng}")
    except (ValueError, TypeError):
        return []
    if (r2 - r1 + 1) * (c2 - c1 + 1) > 100_000:
        return []
    return [values.get((sheet, coord(r, c))) for r in range(r1, r2 + 1)
            for c in range(c1, c2 + 1)]


def read_chart(xml: bytes, values: dict[tuple[str, str], Any], sheets: list[str]
               ) -> dict[str, Any]:
    """Title, kind, axis titles and resolved series of one chart part."""
    root = ET.fromstring(xml)
    chart = root.find(f"{_C}chart")
    title = _text(chart.find(f"{_C}title")) if chart is not None else ""
    if title.startswith("="):
        vals = resolve_ref(title[1:], values, sheets)
        title = str(vals[0]) if vals else ""
    plot = root.find(f".//{_C}plotArea")
    series, kind = [], "line"
    if plot is not None:
        for child in plot:
            tag = child.tag.replace(_C, "")
            if tag not in _KINDS:
                continue
            kind = _KINDS[tag]
            for ser in child.findall(f"{_C}ser"):
                name = ""
                tx = ser.find(f"{_C}tx")
                if tx is not None:
                    f = tx.find(f".//{_C}f")
                    v = tx.find(f".//{_C}v")
                    if f is not None and f.text:
                        got = resolve_ref(f.text, values, sheets)
                        name = str(got[0]) if got and got[0] is not None else ""
                    elif v is not None:
                        name = v.text or ""
                xs = ys = None
                for tagx in ("cat", "xVal"):
                    f = ser.find(f"{_C}{tagx}//{_C}f")
                    if f is not None and f.text:
                        xs = resolve_ref(f.text, values, sheets)
                for tagy in ("val", "yVal"):
                    f = ser.find(f"{_C}{tagy}//{_C}f")
                    if f is not None and f.text:
                        ys = resolve_ref(f.text, values, sheets)
                if ys:
                    series.append({"name": name, "x": xs, "y": ys, "kind": _KINDS[tag]})
    axes = []
    if plot is not None:
        for ax in list(plot.findall(f"{_C}catAx")) + list(plot.findall(f"{_C}valAx")):
            axes.append(_text(ax.find(f"{_C}title")))
    return {"title": title, "kind": kind, "series": series, "axes": axes}


def _num(v: Any) -> float:
    if isinstance(v, bool) or isinstance(v, ErrorValue) or v is None:
        return math.nan
    if isinstance(v, (int, float)):
        return float(v)
    return math.nan


def _slug(text: str) -> str:
    s = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_").lower()
    return s[:50] or "chart"


def draw_charts(pkg: Any, values: dict[tuple[str, str], Any], out_dir: str, stem: str
                ) -> list[str]:
    """Draw every chart of the package into ``out_dir``; return the PNG paths written.

    Figures are drawn on matplotlib's Agg canvas directly (no pyplot, no backend switch: the
    process's matplotlib settings are left as they are)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    os.makedirs(out_dir, exist_ok=True)
    sheets = [s for s, _ in pkg.sheets]
    written = []
    for k, part in enumerate(pkg.charts, start=1):
        spec = read_chart(pkg.read(part), values, sheets)
        if not spec["series"]:
            continue
        fig = Figure(figsize=(7.5, 4.2), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        nbar = sum(1 for s in spec["series"] if s["kind"] == "bar")
        width = 0.8 / max(nbar, 1)
        ibar = 0
        for s in spec["series"]:
            y = [_num(v) for v in s["y"]]
            xs = s["x"] or list(range(1, len(y) + 1))
            xnum = [_num(v) for v in xs]
            numeric_x = all(not math.isnan(v) for v in xnum) and s["kind"] != "bar"
            x = xnum if numeric_x else list(range(len(y)))
            if s["kind"] == "bar":
                ax.bar([i + (ibar - (nbar - 1) / 2) * width for i in x], y, width=width,
                       label=s["name"])
                ibar += 1
                ax.set_xticks(list(range(len(y))))
                # long category labels wrap onto lines (about 95 characters fit the width)
                ax.set_xticklabels([textwrap.fill(str(v) if not isinstance(v, float)
                                                  else f"{v:g}", max(8, 95 // max(len(y), 1)))
                                    for v in xs], rotation=0, fontsize=8)
            elif s["kind"] == "scatter":
                ax.plot(x, y, marker="o", linestyle="-", label=s["name"])
            elif s["kind"] == "area":
                ax.fill_between(x, y, alpha=0.4, label=s["name"])
            else:
                ax.plot(x, y, marker=".", label=s["name"])
        ax.set_title(spec["title"] or f"Chart {k}")
        if spec["axes"]:
            ax.set_xlabel(spec["axes"][0])
            if len(spec["axes"]) > 1:
                ax.set_ylabel(spec["axes"][1])
        ax.grid(True, alpha=0.3)
        if any(s["name"] for s in spec["series"]):
            ax.legend(fontsize=8)
        fig.tight_layout()
        path = os.path.join(out_dir, f"{stem}_{k:02d}_{_slug(spec['title'])}.png")
        fig.savefig(path)
        written.append(path)
    return written
