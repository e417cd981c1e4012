"""Builders of hostile workbooks, made from raw XML at test time (no attack file is stored).

:func:`build` writes a minimal .xlsx package whose every part can be crafted: sheets as cell
dictionaries or raw XML, defined names, the 1904 date system, links to other workbooks with or
without cached values (and with a decoy relationship), extra parts and content types.
"""

from __future__ import annotations

import zipfile
from html import escape
from pathlib import Path
from typing import Any

from workbook.engine.sheetxml import excel_escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
CT = "http://schemas.openxmlformats.org/package/2006/content-types"


def _split(coord: str) -> tuple[int, str]:
    letters = coord.rstrip("0123456789")
    return int(coord[len(letters):]), letters


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cell_xml(coord: str, value: Any) -> str:
    if isinstance(value, bool):
        return f'<c r="{coord}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f'<c r="{coord}"><v>{value!r}</v></c>'
    if isinstance(value, str) and value.startswith("="):
        return f'<c r="{coord}"><f>{escape(value[1:], quote=False)}</f></c>'
    if isinstance(value, tuple) and value[0] == "array":   # ("array", "A1:B2", "=F()")
        return (f'<c r="{coord}"><f t="array" ref="{value[1]}">'
                f'{escape(value[2][1:], quote=False)}</f></c>')
    text = escape(excel_escape(str(value)), quote=False)   # control characters as Excel does
    return f'<c r="{coord}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(cells: dict[str, Any], *, head: str = "", tail: str = "") -> str:
    rows: dict[int, list[tuple[int, str]]] = {}
    for coord, value in cells.items():
        r, letters = _split(coord)
        rows.setdefault(r, []).append((_col(letters), cell_xml(coord, value)))
    body = "".join(f'<row r="{r}">' + "".join(x for _, x in sorted(rows[r])) + "</row>"
                   for r in sorted(rows))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN}" xmlns:r="{R}">{head}<sheetData>{body}</sheetData>'
            f'{tail}</worksheet>')


def build(path: Path, sheets: dict[str, Any], *, date1904: bool = False,
          names: dict[str, str] | None = None, links: list[dict[str, Any]] | None = None,
          parts: dict[str, bytes | str] | None = None, content_types: str = "",
          workbook_rels: str = "", encode: dict[str, str] | None = None) -> Path:
    """Write a workbook. ``sheets``: name -> cells dict or raw worksheet XML. ``links``: each
    ``{"target": path, "cache": {sheet: {coord: value}}, "decoy": addin path}``. ``encode``:
    part name -> codec to store it in (e.g. ``"utf-16"``)."""
    files: dict[str, bytes | str] = {}
    sheet_entries, rels, overrides = [], [], []
    for i, (name, content) in enumerate(sheets.items(), start=1):
        xml = sheet_xml(content) if isinstance(content, dict) else content
        files[f"xl/worksheets/sheet{i}.xml"] = xml
        sheet_entries.append(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>')
        rels.append(f'<Relationship Id="rId{i}" Type="{R}/worksheet" '
                    f'Target="worksheets/sheet{i}.xml"/>')
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="'
                         f'application/vnd.openxmlformats-officedocument.spreadsheetml.'
                         f'worksheet+xml"/>')
    ext_refs = []
    for k, link in enumerate(links or [], start=1):
        part = f"xl/externalLinks/externalLink{k}.xml"
        cache = link.get("cache") or {}
        names_xml = "".join(f'<sheetName val="{escape(s)}"/>' for s in cache)
        data = []
        for sid, (s, cells) in enumerate(cache.items()):
            rows: dict[int, list[str]] = {}
            for coord, value in cells.items():
                r, _ = _split(coord)
                if isinstance(value, str):
                    c = f'<cell r="{coord}" t="str"><v>{escape(value)}</v></cell>'
                else:
                    c = f'<cell r="{coord}"><v>{value!r}</v></cell>'
                rows.setdefault(r, []).append(c)
            data.append(f'<sheetData sheetId="{sid}">' + "".join(
                f'<row r="{r}">{"".join(v)}</row>' for r, v in sorted(rows.items()))
                + "</sheetData>")
        book_rid = "rIdBook" if link.get("decoy") else "rId1"
        files[part] = (f'<externalLink xmlns="{MAIN}" xmlns:r="{R}"><externalBook '
                       f'r:id="{book_rid}"><sheetNames>{names_xml}</sheetNames>'
                       f'<sheetDataSet>{"".join(data)}</sheetDataSet></externalBook>'
                       f'</externalLink>')
        link_rels = []
        if link.get("decoy"):
            link_rels.append(f'<Relationship Id="rId1" Type="{R}/externalLinkPath" '
                             f'Target="{escape(link["decoy"])}" TargetMode="External"/>')
        link_rels.append(f'<Relationship Id="{book_rid}" Type="{R}/externalLinkPath" '
                         f'Target="{escape(link["target"])}" TargetMode="External"/>')
        files[f"xl/externalLinks/_rels/externalLink{k}.xml.rels"] = (
            f'<Relationships xmlns="{PKG}">{"".join(link_rels)}</Relationships>')
        rels.append(f'<Relationship Id="rIdL{k}" Type="{R}/externalLink" '
                    f'Target="externalLinks/externalLink{k}.xml"/>')
        ext_refs.append(f'<externalReference r:id="rIdL{k}"/>')
        overrides.append(f'<Override PartName="/{part}" ContentType="application/vnd.'
                         f'openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>')
    defined = "".join(f'<definedName name="{escape(n)}">{escape(t)}</definedName>'
                      for n, t in (names or {}).items())
    files["xl/workbook.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{MAIN}" xmlns:r="{R}">'
        + ('<workbookPr date1904="1"/>' if date1904 else "")
        + f'<sheets>{"".join(sheet_entries)}</sheets>'
        + (f'<externalReferences>{"".join(ext_refs)}</externalReferences>' if ext_refs else "")
        + (f"<definedNames>{defined}</definedNames>" if defined else "")
        + '<calcPr calcId="191029"/></workbook>')
    files["xl/_rels/workbook.xml.rels"] = (f'<Relationships xmlns="{PKG}">{"".join(rels)}'
                                           f'{workbook_rels}</Relationships>')
    files["_rels/.rels"] = (f'<Relationships xmlns="{PKG}"><Relationship Id="rId1" '
                            f'Type="{R}/officeDocument" Target="xl/workbook.xml"/>'
                            f'</Relationships>')
    files["[Content_Types].xml"] = (
        f'<Types xmlns="{CT}"><Default Extension="rels" ContentType="application/vnd.'
        f'openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        f'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
        f'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
        f'main+xml"/>{"".join(overrides)}{content_types}</Types>')
    files.update(parts or {})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            if isinstance(data, str):
                data = data.encode((encode or {}).get(name, "utf-8"))
            z.writestr(name, data)
    return path


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rewrite(src: Path, dest: Path, changes: dict[str, bytes | str | None]) -> Path:
    """A copy of ``src`` with parts replaced (None removes a part)."""
    files = parts(src)
    for name, data in changes.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data.encode() if isinstance(data, str) else data
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return dest


def cfb_with_vba() -> bytes:
    """The first bytes of a compound file holding a VBA project (what vbaProject.bin is)."""
    head = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    entry = "_VBA_PROJECT".encode("utf-16-le") + b"\0\0"
    return head + entry + b"\0" * 1024


# --------------------------------------------------------------------------------------------
# tiny files that used to cost minutes and gigabytes (also timed by benchmarks/bench_hostile.py)

def _merge(ref: str) -> str:
    return f'<mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'


def tiny_attacks() -> dict[str, dict[str, Any]]:
    """name -> keyword arguments of :func:`build` for each tiny-file attack."""
    f = {"A1": 1.0, "B1": "=A1*2"}
    return {
        "value in B1048576": {"sheets": {"S": {**f, "B1048576": 1.0}}},
        "value in XFD1048576": {"sheets": {"S": {**f, "XFD1048576": 1.0}}},
        "merge C1:C1048576": {"sheets": {"S": sheet_xml(f, tail=_merge("C1:C1048576"))}},
        "whole-sheet merge": {"sheets": {"S": sheet_xml(f, tail=_merge("A1:XFD1048576"))}},
        "whole-sheet array formula": {"sheets": {"S": {
            "A1": ("array", "A1:XFD1048576", "=1")}}},
        "whole-sheet data table": {"sheets": {"S": sheet_xml({**f, "C2": 0.0}).replace(
            "</sheetData>", '<row r="3"><c r="C3"><f t="dataTable" ref="C3:XFC1048575" '
            'dt2D="0" dtr="1" r1="A1"/></c></row></sheetData>')}},
        "SUM over whole column, data in row 900000": {"sheets": {"S": {
            "A1": 1.0, "A900000": 2.0, "B1": "=SUM(A:A)"}}},
        "100 whole-column SUMIFs": {"sheets": {"S": {
            **{f"A{r}": float(r) for r in range(1, 101)},
            **{f"B{r}": f"=SUMIF(A:A,\">\"&A{r},A:A)" for r in range(1, 101)}}}},
    }


def engine_attacks() -> dict[str, dict[str, Any]]:
    """name -> keyword arguments of :func:`build` for one-formula files that made the engine
    itself run unbounded (each a cell the run keeps, refuses or computes as an error)."""
    def one(formula: str) -> dict[str, Any]:
        return {"sheets": {"S": {"A1": 1.0, "B1": formula}}}
    return {
        "LAMBDA call that never closes": one("=LAMBDA(" + "a" * 40),
        "regex (?:a{1000}){1000}": one('=REGEXTEST("a","(?:a{1000}){1000}")'),
        "regex a{4294967294}": one('=REGEXTEST("a","a{4294967294}")'),
        "MUNIT(20000)": one("=SUM(MUNIT(20000))"),
        "MAKEARRAY 1000x1000 of MAKEARRAY 100x100": one(
            "=SUM(MAKEARRAY(1000,1000,LAMBDA(r,c,SUM(MAKEARRAY(100,100,LAMBDA(a,b,a*r))))))"),
        "SEQUENCE(30000)*TRANSPOSE(SEQUENCE(30000))": one(
            "=SUM(SEQUENCE(30000)*TRANSPOSE(SEQUENCE(30000)))"),
    }


def many_formulas(n: int) -> dict[str, Any]:
    """A sheet of ``n`` formula cells filled down (as a tape is written)."""
    cells: dict[str, Any] = {}
    for r in range(1, n + 1):
        cells[f"A{r}"] = float(r)
        cells[f"B{r}"] = f"=A{r}*2+1"
    return {"sheets": {"S": cells}}
