"""A small .xlsx writer for the fidelity corpus: the parts Excel writes, at the XML level, so a
case can hold what openpyxl does not write (cached formula results, data tables, dynamic
arrays, iterative-calculation settings, links to other workbooks with their cached values).

Cells are given per sheet as ``{"A1": value}``; a value is a number, text, a boolean, None, an
:class:`Err` or a :class:`F` (a formula, its cached result if any, its kind)."""

from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

__all__ = ["F", "Err", "Link", "XlTable", "write_xlsx", "cell_sort_key"]

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


@dataclass
class Err:
    code: str


@dataclass
class F:
    """A formula cell: the text as Excel stores it (no ``=``), its cached result (None: none),
    its kind (normal, array, dataTable) with its range and extra ``<f>`` attributes."""
    text: str
    value: Any = None
    kind: str = "normal"
    ref: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)
    dynamic: bool = False     # a dynamic-array (spilled) formula: cm="1"


@dataclass
class XlTable:
    """An Excel table (Insert > Table) on a sheet: its name, range (header row included) and
    column names; ``totals``: it ends with a totals row."""
    sheet: str
    name: str
    ref: str
    columns: list[str]
    totals: bool = False


@dataclass
class Link:
    """Another workbook the file links to: the path Excel recorded and the values it cached
    (sheet -> {cell: value})."""
    target: str
    sheets: dict[str, dict[str, Any]]


def _split(c: str) -> tuple[int, int]:
    m = re.match(r"^([A-Z]+)([0-9]+)$", c)
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def cell_sort_key(c: str) -> tuple[int, int]:
    return _split(c)


def _num(x: float) -> str:
    if isinstance(x, bool):
        return "1" if x else "0"
    if float(x).is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(float(x))


def _value_xml(v: Any) -> tuple[str, str]:
    """(t attribute, inner XML) of a cached value."""
    if v is None:
        return "", ""
    if isinstance(v, Err):
        return ' t="e"', f"<v>{escape(v.code)}</v>"
    if isinstance(v, bool):
        return ' t="b"', f"<v>{int(v)}</v>"
    if isinstance(v, str):
        return ' t="str"', f"<v>{escape(v)}</v>"
    if not math.isfinite(float(v)):
        return ' t="e"', "<v>#NUM!</v>"
    return "", f"<v>{_num(v)}</v>"


def _cell_xml(ref: str, v: Any) -> str:
    if isinstance(v, F):
        t, val = _value_xml(v.value)
        attrs = ""
        if v.kind != "normal":
            attrs += f' t="{v.kind}"'
        if v.ref:
            attrs += f' ref="{v.ref}"'
        for k, a in v.attrs.items():
            attrs += f" {k}={quoteattr(a)}"
        cm = ' cm="1"' if v.dynamic else ""
        body = f"<f{attrs}>{escape(v.text)}</f>" if v.text else f"<f{attrs}/>"
        return f'<c r="{ref}"{t}{cm}>{body}{val}</c>'
    if v is None:
        return ""
    if isinstance(v, str):
        return f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
    t, val = _value_xml(v)
    return f'<c r="{ref}"{t}>{val}</c>'


def _sheet_xml(cells: dict[str, Any], hidden: set[int] | frozenset[int] = frozenset(),
               auto_filter: str | None = None) -> str:
    rows: dict[int, list[tuple[int, str]]] = {r: [] for r in hidden}
    for ref, v in cells.items():
        r, c = _split(ref)
        xml = _cell_xml(ref, v)
        if xml:
            rows.setdefault(r, []).append((c, xml))
    body = "".join(f'<row r="{r}"' + (' hidden="1"' if r in hidden else "") + ">" +
                   "".join(x for _, x in sorted(rows[r])) + "</row>" for r in sorted(rows))
    flt = ""
    if auto_filter:      # a filter on the first column showing the values of the rows not hidden
        top, left = _split(auto_filter.split(":")[0])
        shown = sorted({str(v) for ref, v in cells.items() if not isinstance(v, F)
                        and _split(ref)[1] == left and _split(ref)[0] > top
                        and _split(ref)[0] not in hidden})
        flt = (f'<autoFilter ref="{auto_filter}"><filterColumn colId="0"><filters>' +
               "".join(f"<filter val={quoteattr(v)}/>" for v in shown) +
               "</filters></filterColumn></autoFilter>")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS}" xmlns:r="{NS_R}"><sheetData>{body}</sheetData>{flt}'
            f"</worksheet>")


def _quote_sheet(name: str) -> str:
    return name if re.match(r"^[A-Za-z_][A-Za-z0-9_.]*$", name) else \
        "'" + name.replace("'", "''") + "'"


def write_xlsx(path: str, sheets: dict[str, dict[str, Any]], names: dict[str, str] | None = None,
               calc: dict[str, str] | None = None, links: list[Link] | None = None,
               date1904: bool = False, tables: list[XlTable] | None = None,
               hidden: dict[str, set[int]] | None = None,
               auto_filter: dict[str, str] | None = None) -> str:
    """Write the workbook; ``names`` maps a defined name to its definition (no ``=``),
    ``calc`` gives ``calcPr`` attributes (``iterate``, ``iterateCount``, ``iterateDelta``)."""
    names = names or {}
    links = links or []
    parts: dict[str, str] = {}
    sheet_names = list(sheets)
    ct = [f'<Override PartName="/xl/workbook.xml" ContentType="{CT}.sheet.main+xml"/>']
    rels = []
    for i, name in enumerate(sheet_names, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(
            sheets[name], (hidden or {}).get(name, frozenset()), (auto_filter or {}).get(name))
        ct.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                  f'ContentType="{CT}.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{NS_R}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>')
    for k, t in enumerate(tables or [], start=1):
        i = sheet_names.index(t.sheet) + 1
        cols = "".join(f'<tableColumn id="{j}" name={quoteattr(c)}/>'
                       for j, c in enumerate(t.columns, start=1))
        totals = ' totalsRowCount="1"' if t.totals else ""
        parts[f"xl/tables/table{k}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<table xmlns="{NS}" id="{k}" name={quoteattr(t.name)} '
            f'displayName={quoteattr(t.name)} ref="{t.ref}"{totals}>'
            f'<tableColumns count="{len(t.columns)}">{cols}</tableColumns>'
            f'<tableStyleInfo name="TableStyleMedium2" showRowStripes="1"/></table>')
        ct.append(f'<Override PartName="/xl/tables/table{k}.xml" ContentType="{CT}.table+xml"/>')
        rels_part = f"xl/worksheets/_rels/sheet{i}.xml.rels"
        body = parts.get(rels_part, "").replace("</Relationships>", "")
        if not body:
            body = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{NS_PKG}">')
        parts[rels_part] = (body + f'<Relationship Id="rIdT{k}" Type="{NS_R}/table" '
                            f'Target="../tables/table{k}.xml"/></Relationships>')
        sheet_xml = parts[f"xl/worksheets/sheet{i}.xml"]
        parts[f"xl/worksheets/sheet{i}.xml"] = sheet_xml.replace(
            "</worksheet>", f'<tableParts count="1"><tablePart r:id="rIdT{k}"/></tableParts>'
                            "</worksheet>")
    ext_refs = []
    for k, link in enumerate(links, start=1):
        rid = f"rIdL{k}"
        rels.append(f'<Relationship Id="{rid}" Type="{NS_R}/externalLink" '
                    f'Target="externalLinks/externalLink{k}.xml"/>')
        ext_refs.append(f'<externalReference r:id="{rid}"/>')
        ct.append(f'<Override PartName="/xl/externalLinks/externalLink{k}.xml" '
                  f'ContentType="{CT}.externalLink+xml"/>')
        snames = list(link.sheets)
        data = []
        for sid, sname in enumerate(snames):
            rows: dict[int, list[tuple[int, str]]] = {}
            for ref, v in link.sheets[sname].items():
                r, c = _split(ref)
                t, val = _value_xml(v)
                rows.setdefault(r, []).append((c, f'<cell r="{ref}"{t}>{val}</cell>'))
            body = "".join(f'<row r="{r}">' + "".join(x for _, x in sorted(rows[r])) + "</row>"
                           for r in sorted(rows))
            data.append(f'<sheetData sheetId="{sid}">{body}</sheetData>')
        parts[f"xl/externalLinks/externalLink{k}.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<externalLink xmlns="{NS}" xmlns:r="{NS_R}"><externalBook r:id="rId1">'
            f'<sheetNames>' + "".join(f'<sheetName val={quoteattr(s)}/>' for s in snames) +
            f'</sheetNames><sheetDataSet>{"".join(data)}</sheetDataSet></externalBook>'
            f'</externalLink>')
        parts[f"xl/externalLinks/_rels/externalLink{k}.xml.rels"] = (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{NS_PKG}"><Relationship Id="rId1" '
            f'Type="{NS_R}/externalLinkPath" Target={quoteattr(link.target)} '
            f'TargetMode="External"/></Relationships>')
    defined = "".join(f"<definedName name={quoteattr(n)}>{escape(t)}</definedName>"
                      for n, t in names.items())
    calc_attrs = " ".join(f"{k}={quoteattr(str(v))}" for k, v in
                          {"calcId": "191029", **(calc or {})}.items())
    pr = ' date1904="1"' if date1904 else ""
    parts["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{NS}" xmlns:r="{NS_R}"><workbookPr{pr}/><sheets>'
        + "".join(f'<sheet name={quoteattr(n)} sheetId="{i}" r:id="rId{i}"/>'
                  for i, n in enumerate(sheet_names, start=1))
        + "</sheets>"
        + (f"<externalReferences>{''.join(ext_refs)}</externalReferences>" if ext_refs else "")
        + (f"<definedNames>{defined}</definedNames>" if defined else "")
        + f"<calcPr {calc_attrs}/></workbook>")
    parts["xl/_rels/workbook.xml.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG}">{"".join(rels)}</Relationships>')
    parts["_rels/.rels"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{NS_PKG}"><Relationship Id="rId1" '
        f'Type="{NS_R}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
    parts["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        + "".join(ct) + "</Types>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for n in ["[Content_Types].xml", "_rels/.rels"] + [k for k in parts
                                                          if k not in ("[Content_Types].xml",
                                                                       "_rels/.rels")]:
            z.writestr(n, parts[n])
    return path
