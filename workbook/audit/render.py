"""The audit as a terminal table, JSON, and a self-contained HTML page.

Every text that comes from the workbook (labels, formulas, sheet names) is made safe for where
it goes: control and bidirectional characters are shown as escapes on the terminal and in JSON
strings they are plain JSON escapes; in HTML everything is escaped. The page has no script and
loads nothing.
"""

from __future__ import annotations

import html
import json
import shutil
import textwrap
from typing import Any

from ..engine.report import fmt, safe
from . import formula as fx
from .detect import Audit, Finding

__all__ = ["text_report", "json_report", "html_report", "safe", "as_dict"]

_CATEGORY_TITLES = {"depreciation": "Depreciation and value paths",
                    "revenue": "Revenue drivers", "coverage": "Coverage",
                    "leverage": "Leverage", "loss": "Loss"}


def _fmt(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{v:,.0f}"      # 800 GPUs, not 800.00
    return "(no value)" if v is None else fmt(v)


def _freq_word(f: int | None) -> str:
    return {1: "annual", 2: "semi-annual", 4: "quarterly", 12: "monthly"}.get(f or 0, "")


def _inputs_line(f: Finding) -> str:
    parts = []
    for i in f.inputs:
        where = i.cell or i.text
        val = f" = {_fmt(i.value)}" if i.value is not None else ""
        lab = f" ({safe(i.label, 40)})" if i.label and i.role in ("numerator", "denominator") \
            else ""
        parts.append(f"{i.role} {safe(where, 60)}{val}{lab}")
    return " . ".join(parts)


def _feeds_line(f: Finding, defaults: Any = ()) -> str:
    found = [f"{k} {safe(v, 50)}" for k, v in f.feeds.items() if v]
    default = [k for k, v in f.feeds.items() if not v and k in defaults]
    missing = [k for k, v in f.feeds.items() if not v and k not in defaults]
    text = ", ".join(found) if found else "none found"
    if default:
        text += f"; model default: {', '.join(default)}"
    if missing:
        text += f"; to map: {', '.join(missing)}"
    return text


def as_dict(audit: Audit) -> dict[str, Any]:
    return {
        "file": audit.path,
        "sheets": audit.sheets,
        "time_axes": [{"sheet": a.sheet, "cells": a.where(), "kind": a.kind,
                       "periods_per_year": a.freq, "frequency_known": a.freq_known,
                       "label": a.label} for a in audit.axes],
        "findings": [f.as_dict() for f in audit.open_findings],
        "already_modelled": [f.as_dict() for f in audit.modelled],
        "mapping": audit.proposal.as_dict() if audit.proposal is not None else None,
        "notes": list(audit.notes),
    }


def json_report(audit: Audit) -> str:
    return json.dumps(as_dict(audit), indent=2, ensure_ascii=True, default=str)


def _summary(audit: Audit) -> str:
    n = len(audit.open_findings)
    sheets = sorted({f.sheet for f in audit.open_findings})
    if not n:
        return "no straight-line assumptions found"
    return (f"{n} straight-line assumption{'s' if n != 1 else ''} in {len(sheets)} "
            f"sheet{'s' if len(sheets) != 1 else ''}")


def text_report(audit: Audit, width: int | None = None) -> str:
    width = width or max(80, min(140, shutil.get_terminal_size((110, 20)).columns))
    out = [f"{safe(audit.path)}: {_summary(audit)}"]
    for a in audit.axes[:6]:
        out.append(f"  time axis {safe(fx.quote_sheet(a.sheet), 40)}!{a.where()}: "
                   f"{_freq_word(a.freq)} "
                   f"({a.kind}{'' if a.freq_known else ', frequency assumed'})")
    if len(audit.axes) > 6:
        out.append(f"  ... and {len(audit.axes) - 6} more time axes")
    if audit.open_findings:
        head = f"{'#':>3}  {'category':<12}  {'where':<28}  {'what':<40}  replace with"
        out += ["", head, "-" * min(width, len(head) + 24)]
        wrap = textwrap.TextWrapper(width=width, initial_indent=" " * 7,
                                    subsequent_indent=" " * 9)
        for f in audit.open_findings:
            where = safe(f.where, 28)
            out.append(f"{f.id:>3}  {f.category:<12}  {where:<28}  {safe(f.title, 40):<40}  "
                       f"{', '.join(f.replace_with)}")
            if f.label:
                out += wrap.wrap(f"label: {safe(f.label, 120)}")
            if f.formula:
                out += wrap.wrap(f"formula: ={safe(f.formula, 200)}")
            elif f.values:
                shown = ", ".join(_fmt(v) for v in f.values[:6]) + (", ..." if len(f.values) > 6
                                                                    else "")
                out += wrap.wrap(f"values: {shown}")
            out += wrap.wrap(f"why: {safe(f.reason, 400)}")
            if f.inputs:
                out += wrap.wrap(f"uses: {_inputs_line(f)}")
            if f.depends_on:
                out += wrap.wrap("rests on findings " + ", ".join(map(str, f.depends_on)))
            if f.feeds:
                defaults = audit.proposal.defaults if audit.proposal is not None else ()
                out += wrap.wrap(f"fed by: {_feeds_line(f, defaults)}")
    if audit.modelled:
        out += ["", f"Already computed with ComputeCredit functions ({len(audit.modelled)}):"]
        for f in audit.modelled[:20]:
            out.append(f"  {safe(f.where, 40)}  {safe(f.title, 50)}")
    p = audit.proposal
    if p is not None and audit.open_findings:
        out += ["", "Proposed mapping (computecredit retrofit FILE --draft-map MAP.toml writes "
                    "it for review):"]
        for name, e in p.entries.items():
            out.append(f"  {name:<20} {safe(_expr(e.expr), 40):<40} {safe(e.source, 70)}")
        if p.missing:
            out.append(f"  required, not found: {', '.join(p.missing)}")
    for n in audit.notes:
        out.append(f"note: {safe(n)}")
    if not audit.open_findings:
        out.append("Nothing to retrofit: no depreciation schedule, fixed rent path, coverage "
                   "ratio or fixed loss constant was recognised.")
    return "\n".join(out) + "\n"


def _expr(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "" if v is None else str(v)


# --------------------------------------------------------------------------------------------
# HTML

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px 32px;
color:#1b1f24;max-width:1280px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;
border-bottom:2px solid #1f4e79;padding-bottom:3px;color:#1f4e79}
.sub{color:#57606a;margin:0 0 14px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 10px}
th{background:#ddebf7;text-align:left;padding:6px 8px;border:1px solid #c8d3df}
td{padding:6px 8px;border:1px solid #d8dee4;vertical-align:top}
tr:nth-child(even) td{background:#fafbfc}
code{font-family:"SFMono-Regular",Consolas,"Liberation Mono",monospace;font-size:12px;
background:#f3f5f7;padding:1px 4px;border-radius:3px;word-break:break-all}
.where{white-space:nowrap;font-weight:600}
.fn{display:inline-block;background:#1f4e79;color:#fff;border-radius:3px;padding:1px 6px;
margin:1px 2px 1px 0;font-size:12px;font-family:monospace}
.num{text-align:right}.muted{color:#57606a}.id{color:#57606a;text-align:right;width:28px}
.cards{display:flex;gap:12px;margin:12px 0 6px;flex-wrap:wrap}
.card{border:1px solid #d8dee4;border-radius:6px;padding:8px 14px;min-width:120px}
.card b{display:block;font-size:22px;color:#1f4e79}.card span{font-size:12px;color:#57606a}
.none{background:#e6f4ea;border:1px solid #b7dfc1;padding:10px 14px;border-radius:6px}
.miss{color:#b35900}
.feed{display:inline-block;white-space:nowrap;margin:0 10px 2px 0}
td.feeds{font-size:12px;width:24%}td.what{width:26%}td.formula{width:18%}
"""


def _h(text: Any) -> str:
    return html.escape(str(text), quote=True)


def html_report(audit: Audit) -> str:
    """A self-contained page for a credit officer (no script, nothing loaded)."""
    name = audit.path.replace("\\", "/").rsplit("/", 1)[-1]
    parts = ["<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
             f"<title>ComputeCredit audit: {_h(name)}</title><style>{_CSS}</style></head><body>",
             f"<h1>ComputeCredit audit: {_h(name)}</h1>",
             f"<p class='sub'>Straight-line assumptions found in the deal's own sheets, what "
             f"ComputeCredit puts beside each, and the deal's cells that would feed it. "
             f"Sheets read: {_h(', '.join(audit.sheets))}. Nothing in the workbook was run or "
             f"changed.</p>"]
    counts = {c: sum(1 for f in audit.open_findings if f.category == c)
              for c in _CATEGORY_TITLES}
    parts.append("<div class='cards'>")
    parts.append(f"<div class='card'><b>{len(audit.open_findings)}</b><span>findings</span>"
                 f"</div>")
    for c, n in counts.items():
        if n:
            parts.append(f"<div class='card'><b>{n}</b><span>{_h(_CATEGORY_TITLES[c].lower())}"
                         f"</span></div>")
    parts.append("</div>")
    if audit.axes:
        axes = "; ".join(f"{fx.quote_sheet(a.sheet)}!{a.where()} ({_freq_word(a.freq)})"
                         for a in audit.axes[:5])
        parts.append(f"<p class='muted'>Time axes: {_h(axes)}"
                     f"{' ...' if len(audit.axes) > 5 else ''}</p>")
    if not audit.open_findings:
        parts.append("<p class='none'>No straight-line assumption was recognised: no "
                     "depreciation schedule, fixed rent path, coverage ratio or fixed loss "
                     "constant. Nothing to retrofit.</p>")
    for cat, title in _CATEGORY_TITLES.items():
        rows = [f for f in audit.open_findings if f.category == cat]
        if not rows:
            continue
        parts.append(f"<h2>{_h(title)}</h2><table><tr><th>#</th><th>Where</th><th>Label</th>"
                     f"<th>Formula or values</th><th>What it assumes</th><th>ComputeCredit "
                     f"instead</th><th>Fed by the deal's cells</th></tr>")
        for f in rows:
            if f.formula:
                shown = f"<code>={_h(f.formula[:300])}</code>"
            else:
                vals = ", ".join(_fmt(v) for v in f.values[:6])
                shown = f"<span class='muted'>typed:</span> {_h(vals)}" + (
                    " ..." if len(f.values) > 6 else "")
            reason = _h(f.reason)
            if f.inputs:
                reason += "<br><span class='muted'>uses " + _h(_inputs_line(f)) + "</span>"
            if f.depends_on:
                reason += ("<br><span class='muted'>rests on findings "
                           + _h(", ".join(f"#{i}" for i in f.depends_on)) + "</span>")
            fns = "".join(f"<span class='fn'>{_h(n)}</span>" for n in f.replace_with)
            defaults = audit.proposal.defaults if audit.proposal is not None else {}
            feeds = "".join(f"<span class='feed'><code>{_h(k)}</code> &larr; {_h(v)}</span>"
                            for k, v in f.feeds.items() if v)
            dflt = [k for k, v in f.feeds.items() if not v and k in defaults]
            miss = [k for k, v in f.feeds.items() if not v and k not in defaults]
            if dflt:
                feeds += f"<div class='muted'>model default: {_h(', '.join(dflt))}</div>"
            if miss:
                feeds += f"<div class='miss'>to map: {_h(', '.join(miss))}</div>"
            parts.append(f"<tr><td class='id'>{f.id}</td><td class='where'>{_h(f.where)}</td>"
                         f"<td>{_h(f.label)}<br><span class='muted'>{_h(f.title)}</span></td>"
                         f"<td class='formula'>{shown}</td><td class='what'>{reason}</td>"
                         f"<td>{fns}</td><td class='feeds'>{feeds}</td></tr>")
        parts.append("</table>")
    if audit.modelled:
        parts.append("<h2>Already computed with ComputeCredit</h2><table><tr><th>Where</th>"
                     "<th>What</th><th>Why it is not a finding</th></tr>")
        for f in audit.modelled:
            parts.append(f"<tr><td class='where'>{_h(f.where)}</td><td>{_h(f.title)}</td>"
                         f"<td>{_h(f.reason)}</td></tr>")
        parts.append("</table>")
    p = audit.proposal
    if p is not None and audit.open_findings:
        parts.append("<h2>Proposed mapping</h2><p class='muted'>Our field &larr; the deal's "
                     "cell, as <code>computecredit retrofit DEAL.xlsx --draft-map MAP.toml"
                     "</code> writes it for review.</p><table><tr><th>Field</th><th>Their "
                     "cell or formula</th><th>Reads now</th><th>Found by</th></tr>")
        for k, e in p.entries.items():
            parts.append(f"<tr><td><code>{_h(k)}</code></td><td><code>{_h(_expr(e.expr))}"
                         f"</code></td><td class='num'>{_h(_fmt(e.value)) if e.value is not None else ''}"
                         f"</td><td>{_h(e.source)}{(' <i>(' + _h(e.note) + ')</i>') if e.note else ''}"
                         f"</td></tr>")
        for k in p.missing:
            parts.append(f"<tr><td><code>{_h(k)}</code></td><td class='miss'>required: not "
                         f"found</td><td></td><td>give a cell, a name or a number</td></tr>")
        parts.append("</table>")
    if audit.notes:
        parts.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_h(n)}</li>" for n in audit.notes)
                     + "</ul>")
    parts.append("<p class='muted' style='margin-top:24px'>Next: <code>computecredit retrofit "
                 "DEAL.xlsx --draft-map MAP.toml</code>, review the map, then <code>"
                 "computecredit retrofit DEAL.xlsx --map MAP.toml -o OUT.xlsx</code> and "
                 "<code>computecredit recalc OUT.xlsx</code>.</p></body></html>")
    return "".join(parts)
