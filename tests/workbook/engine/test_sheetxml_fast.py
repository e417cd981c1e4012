"""The fast sheet reader (regular expressions over the body of sheetData) against the expat
reader: the same cells, facts and layout on varied sheets, the same errors, and the part handed
to the expat reader whenever the body holds something the fast reader does not read."""

from __future__ import annotations

import random

import pytest

from workbook.engine import sheetxml
from workbook.engine.sheetxml import SheetXMLError, scan_cells, write_values

NS_URI = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_FIELDS = [f for f in sheetxml.CellRecord.__slots__ if f != "ref"]


def _cell(rec: sheetxml.CellRecord) -> tuple:
    return tuple(getattr(rec, f) for f in _FIELDS) + (rec.coord,)


class _Stop(Exception):
    pass


def _read(xml: bytes, fast: bool, stop_after: int | None = None) -> tuple:
    """Everything a reading pass gives (or the error and the cells passed on before it)."""
    seen: list[tuple] = []

    def on_cell(rec: sheetxml.CellRecord) -> None:
        if stop_after is not None and len(seen) == stop_after:
            raise _Stop("limit")   # what a caller's limit does: stop the reading
        seen.append(_cell(rec))

    try:
        facts = scan_cells(xml, on_cell, merge_limit=50, layout=True, fast=fast)
    except (SheetXMLError, _Stop) as exc:
        return type(exc).__name__, str(exc), seen
    lay = facts.layout
    rows = [(r.r, r.start, r.tag_end, r.end, r.empty, r.body_end, [_cell(c) for c in r.cells])
            for r in lay.rows]
    return (seen, facts.merges, facts.dimension, facts.hidden_rows, facts.filter_ref, rows,
            lay.sheet_data, lay.dimension)


def _fast_used(xml: bytes) -> bool:
    scan, _ = sheetxml._scan_fast(xml, lambda rec: None, True, None)
    return scan is not None


def _same(xml: bytes, fast_expected: bool | None = True) -> tuple:
    got, want = _read(xml, True), _read(xml, False)
    assert got == want
    if fast_expected is not None:
        assert _fast_used(xml) is fast_expected
    return got


def _sheet(body: str, p: str = "", head: str = "", tail: str = "") -> bytes:
    decl = f'xmlns:{p[:-1]}="{NS_URI}"' if p else f'xmlns="{NS_URI}"'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<{p}worksheet {decl} xmlns:x14ac="urn:x14ac">{head}<{p}sheetData>{body}'
            f'</{p}sheetData>{tail}</{p}worksheet>').encode()


# -- cell shapes the fast reader reads -------------------------------------------------------

_SHAPES = [
    '<c r="{r}" s="3" t="n"><v>1.5</v></c>',
    '<c r="{r}"><v>-2E-3</v></c>',
    '<c r="{r}" t="n" />',
    '<c r="{r}" s="7"/>',
    '<c r="{r}"><v/></c>',
    '<c r="{r}"><v /></c>',
    '<c r="{r}"><v></v></c>',
    '<c r="{r}" t="s"><v>0</v></c>',
    '<c r="{r}" t="b"><v>1</v></c>',
    '<c r="{r}" t="e"><v>#N/A</v></c>',
    '<c r="{r}" t="str"><v>a &amp; b &lt;c&gt; &#x41;&#66; &quot;q&apos;</v></c>',
    '<c r="{r}" t="str"><v>line\nbreak\ttab</v></c>',
    '<c r="{r}" t="inlineStr"><is><t>plain</t></is></c>',
    '<c r="{r}" t="inlineStr"><is><t xml:space="preserve"> sp aced </t></is></c>',
    '<c r="{r}" t="inlineStr"><is><t>caf\u00e9 \u4e2d\u6587 \U0001f600 &#233;</t></is></c>',
    '<c r="{r}" t="inlineStr"><is/></c>',
    '<c r="{r}" t="inlineStr"><is><t/></is></c>',
    '<c r="{r}" t="d"><v>2024-01-31T00:00:00</v></c>',
    '<c r="{r}"><f>SUM(A1:A3)&amp;"x&lt;"</f><v>6</v></c>',
    '<c r="{r}"><f>1+1</f><v/></c>',
    '<c r="{r}" s="3" t="str"><f>"a"&amp;"&lt;b"</f><v>a&amp;&lt;b</v></c>',
    '<c r="{r}" t="e"><f t="normal">1/0</f><v>#DIV/0!</v></c>',
    '<c r="{r}"><f t="shared" ref="{r}:{r}" si="{si}"/></c>',
    '<c r="{r}"><f t="array" ref="{r}:{r}"></f></c>',
    '<c r="{r}"><f></f><v>0</v></c>',
    '<c r="{r}" s="2"><f t="shared" ref="{r}:{r}" si="{si}">ROW()*2</f><v>4</v></c>',
    '<c r="{r}" t="str"><f t="array" ref="{r}:{r}">"\u00e9"&amp;"x"</f><v>\u00e9x</v></c>',
    '<c r="{r}" cm="1"><f t="array" ref="{r}">SEQUENCE(1)</f><v>1</v></c>',
    '<c r="{r}"><f t="dataTable" ref="{r}:{r}" dt2D="1" dtr="0" r1="A1" r2="B1"/><v>3</v></c>',
    "<c r='{r}' s='4' t='str'><v>single quotes</v></c>",
    '<c t="n" s="5" r="{r}"><v>9</v></c>',
    '<c r="{r}" s="1" t="n" vm="1"><v>9</v></c>',
    '<c r="{r}" x14ac:foo="1"><v>8</v></c>',
    '<c\n  r="{r}"\n  s="3"\n>\n  <v>7</v>\n</c>',
    '<c r="{r}">\n <f>\n1+2\n</f>\n <v>3</v>\n</c >',
    '<c r="{r}" s="&#49;"><v>1</v></c>',
    '<c r="{r}" t="e"><v>#DIV/0!</v></c>',
    '<c r="{r}" t="str"><v>_x0001_ escaped</v></c>',
]


def _random_sheet(rng: random.Random, p: str, shapes: list[str]) -> bytes:
    rows, r, si = [], 0, 0
    for _ in range(rng.randint(1, 12)):
        r += rng.randint(1, 3)
        cells, col = [], 0
        for _ in range(rng.randint(0, 6)):
            bare = rng.random() < 0.15    # no r=: the column after the last one
            col += 1 if bare else rng.randint(1, 30)
            ref = sheetxml.coord(r, col)
            shape = rng.choice(shapes).format(r=ref, si=si)
            si += 1
            if bare:
                shape = shape.replace(f' r="{ref}"', "").replace(f" r='{ref}'", "")
            cells.append(_prefixed(shape, p))
        attrs = rng.choice([f' r="{r}"', f' r="{r}" spans="1:9" x14ac:dyDescent="0.25"',
                            f' r="{r}" hidden="1"', f" r='{r}' hidden='true' ht='9'",
                            f'  r = "{r}"  '])
        body = "".join(cells)
        sep = rng.choice(["", "\n", "\n  "])
        if body or rng.random() < 0.5:
            rows.append(f"{sep}<{p}row{attrs}>{body}</{p}row>")
        else:
            rows.append(f"{sep}<{p}row{attrs}/>")
    head = rng.choice(["", f'<{p}dimension ref="A1:Z99"/>'])
    tail = rng.choice(["", f'<{p}mergeCells count="1"><{p}mergeCell ref="A1:B2"/>'
                           f'</{p}mergeCells>',
                       f'<{p}autoFilter ref="A1:C9"><{p}filterColumn colId="0"/></{p}autoFilter>'
                       f'<{p}dimension ref="B2:C3"/>'])
    return _sheet("".join(rows), p, head, tail)


def _prefixed(shape: str, p: str) -> str:
    return shape.replace("<", "<" + p).replace("<" + p + "/", "</" + p)


@pytest.mark.parametrize("p", ["", "x:"])
def test_random_sheets_read_the_same_by_both_readers(p):
    rng = random.Random(7)
    for _ in range(300):
        xml = _random_sheet(rng, p, _SHAPES)
        _same(xml)


@pytest.mark.parametrize("shape", _SHAPES)
def test_each_shape_alone_is_read_fast_and_the_same(shape):
    xml = _sheet(f'<row r="1">{shape.format(r="B1", si=0)}</row>')
    _same(xml)


def test_cells_and_rows_without_r_follow_their_neighbours():
    body = ('<row><c><v>1</v></c><c s="2"><v>2</v></c><c r="E1"><v>5</v></c><c/></row>'
            '<row r="4"><c t="inlineStr"><is><t>x</t></is></c></row><row/><row><c/></row>')
    got = _same(_sheet(body))
    cells = [(c[0], c[1], c[4]) for c in got[0]]
    assert cells == [(1, 1, "1"), (1, 2, "2"), (1, 5, "5"), (1, 6, None), (4, 1, "x"),
                     (6, 1, None)]
    assert [c[-1] for c in got[0]] == ["A1", "B1", "E1", "F1", "A4", "A6"]


def test_values_as_expat_gives_them():
    body = ('<row r="1"><c r="A1" t="str"><v>&#x1F600;&#10;&amp;amp;</v></c>'
            '<c r="B1"><v/></c><c r="C1" t="n"/><c r="D1" t="inlineStr"><is><t>\u00e9</t></is>'
            '</c><c r="E1"><f t="shared" si="0"/></c></row>')
    got = _same(_sheet(body))
    values = [c[4] for c in got[0]]
    assert values == ["\U0001f600\n&amp;", "", None, "\u00e9", None]


def test_the_layout_of_a_sheet_with_wide_characters_writes_the_same_bytes():
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>\u4e2d\u6587\U0001f600</t></is></c>'
            '<c r="B1"><f>LEN("\u00e9\u00e9")</f><v>2</v></c><c r="C1"/></row>'
            '<row r="2"><c r="A2" t="str"><v>\u00e9</v></c><c r="B2"><f>1</f></c></row>')
    xml = _sheet(body)
    _same(xml)
    values = {"B1": 3.0, "C1": "\u00e9t\u00e9", "B2": 7.0, "D2": 1.0}
    fast = scan_cells(xml, lambda rec: None, layout=True).layout
    assert write_values(xml, values, layout=fast) == write_values(xml, values)


# -- what the fast reader hands to the expat reader ---------------------------------------------

_OTHER = {
    "comment": '<row r="1"><c r="A1"><v>1</v></c><!-- x --><c r="B1"><v>2</v></c></row>',
    "pi": '<row r="1"><c r="A1"><?pi x?><v>1</v></c></row>',
    "cdata": '<row r="1"><c r="A1" t="str"><v><![CDATA[<a>]]></v></c></row>',
    "rich text": '<row r="1"><c r="A1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is>'
                 '</c></row>',
    "phonetic": '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t><rPh sb="0" eb="1"><t>b</t>'
                '</rPh></is></c></row>',
    "extLst": '<row r="1"><c r="A1"><v>1</v><extLst><ext uri="u"/></extLst></c></row>',
    "namespace": '<row r="1" xmlns:y="urn:y"><c r="A1"><v>1</v></c></row>',
    "other element": '<row r="1"><c r="A1"><v>1</v></c><y:z xmlns:y="urn:y"/></row>',
    "lower case ref": '<row r="1"><c r="a1"><v>1</v></c></row>',
    "absolute ref": '<row r="1"><c r="$A$1"><v>1</v></c></row>',
    "leading zero": '<row r="01"><c r="A01"><v>1</v></c></row>',
    "two values": '<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>',
    "text in a cell": '<row r="1"><c r="A1">x<v>1</v></c></row>',
    "cell outside a row": '<c r="A1"><v>1</v></c>',
    "data table prefixed attribute": ('<row r="1"><c r="A1"><f t="dataTable" x14ac:y="1" '
                                      'ref="A1"/></c></row>'),
}


@pytest.mark.parametrize("kind", sorted(_OTHER))
def test_what_the_fast_reader_does_not_read_goes_to_the_expat_reader(kind):
    _same(_sheet(_OTHER[kind]), fast_expected=False)


def test_carriage_returns_and_an_empty_sheet_data_go_to_the_expat_reader():
    _same(_sheet('<row r="1">\r\n<c r="A1" t="str"><v>a\r\nb</v></c></row>'),
          fast_expected=False)
    _same(_sheet("").replace(b"<sheetData></sheetData>", b"<sheetData/>"), fast_expected=False)
    _same(_sheet(""))


def test_giving_up_midway_passes_on_each_cell_once():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><f>A{r}</f></c></row>'
                   for r in range(1, 40))
    late = '<row r="50"><c r="A50"><!-- late --><v>50</v></c><c r="B50"><v>1</v></c></row>'
    got = _same(_sheet(rows + late), fast_expected=False)
    assert len(got[0]) == 80 and len({(c[0], c[1]) for c in got[0]}) == 80


def test_a_fake_sheet_data_before_the_real_one_is_not_read():
    fake = '<!-- <sheetData><row r="1"><c r="A1"><v>81</v></c></row></sheetData> -->'
    got = _same(_sheet('<row r="1"><c r="A1"><v>1.5</v></c></row>', head=fake),
                fast_expected=False)
    assert [c[4] for c in got[0]] == ["1.5"]
    other = '<ext xmlns="urn:other"><sheetData><row r="1"><c r="A1"><v>9</v></c></row>' \
            '</sheetData></ext>'
    got = _same(_sheet('<row r="1"><c r="A1"><v>1.5</v></c></row>', head=other),
                fast_expected=False)
    assert [c[4] for c in got[0]] == ["1.5"]
    # after the real one, in a foreign element: the fast reader reads only the real one
    got = _same(_sheet('<row r="1"><c r="A1"><v>1.5</v></c></row>', tail=other))
    assert [c[4] for c in got[0]] == ["1.5"]


# -- errors: the same words, the same cells passed on before them ------------------------------

_BROKEN = {
    "row order": '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"/></row>',
    "cell order": '<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>',
    "cell in another row": '<row r="1"><c r="A1"><v>1</v></c><c r="A2"><v>2</v></c></row>',
    "column past XFD": '<row r="1"><c r="XFE1"><v>1</v></c></row>',
    "row past the sheet": '<row r="1048577"><c r="A1048577"><v>1</v></c></row>',
    "not a reference": '<row r="1"><c r="1A"><v>1</v></c></row>',
    "too many cells": '<row r="1"><c r="XFD1"/><c/></row>',
    "not well-formed": '<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"></row>',
    "undefined entity": '<row r="1"><c r="A1" t="str"><v>&nbsp;</v></c></row>',
    "control character": '<row r="1"><c r="A1" t="str"><v>&#1;</v></c></row>',
    "duplicate attribute": '<row r="1"><c r="A1" r="A1"><v>1</v></c></row>',
    "unbound prefix": '<row r="1"><c r="A1" q:z="1"><v>1</v></c></row>',
    "two sheetData": '<row r="1"><c r="A1"><v>1</v></c></row></sheetData><sheetData>',
}


@pytest.mark.parametrize("kind", sorted(_BROKEN))
def test_broken_sheets_give_the_same_error_after_the_same_cells(kind):
    got = _same(_sheet(_BROKEN[kind]), fast_expected=None)
    assert got[0] == "SheetXMLError"


def test_a_dtd_is_refused_by_both_readers():
    xml = _sheet('<row r="1"><c r="A1" t="str"><v>&e;</v></c></row>')
    xml = xml.replace(b"?>\n", b'?>\n<!DOCTYPE worksheet [<!ENTITY e "x">]>', 1)
    got = _same(xml, fast_expected=False)
    assert got[0] == "SheetXMLError" and "DTD" in got[1]


def test_a_callers_exception_stops_both_readers_at_the_same_cell():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 30))
    for n in (0, 1, 17):
        got, want = _read(_sheet(rows), True, n), _read(_sheet(rows), False, n)
        assert got == want and got[0] == "_Stop" and len(got[2]) == n


def test_the_merge_limit_is_the_same():
    tail = "<mergeCells>" + "".join(f'<mergeCell ref="A{r}:B{r}"/>' for r in range(1, 60)) + \
        "</mergeCells>"
    xml = _sheet('<row r="1"><c r="A1"><v>1</v></c></row>', tail=tail)
    got, want = [], []
    for fast, out in ((True, got), (False, want)):
        with pytest.raises(sheetxml.LimitExceeded, match="more than 50 merged"):
            scan_cells(xml, lambda rec, out=out: out.append(_cell(rec)), merge_limit=50,
                       layout=True, fast=fast)
    assert got == want


def test_a_layout_from_the_fast_reader_holds_no_record_per_cell():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" s="1"><f>A{r}*2</f>'
                   f'<v/></c><c r="C{r}" t="n"/></row>' for r in range(1, 200))
    xml = _sheet(rows + '<row r="300"/>')
    layout = scan_cells(xml, lambda rec: None, layout=True).layout
    assert all(sheetxml._ROW_CELLS.__get__(row) is None for row in layout.rows[:-1])
    assert layout.rows[-1].cells == []
    # asked for, the cells are the same records again, each time
    want = _read(xml, False)[5]
    assert [[_cell(c) for c in row.cells] for row in layout.rows] == [r[6] for r in want]
    assert [_cell(c) for c in layout.rows[5].cells] == [_cell(c) for c in layout.rows[5].cells]
    values = {f"B{r}": float(r) for r in range(1, 200)} | {"C7": "x", "D300": True}
    assert write_values(xml, values, layout=layout) == write_values(xml, values)


def test_reading_a_book_leaves_the_garbage_collector_as_it_was(tmp_path):
    import gc
    import zipfile
    from pathlib import Path

    from workbook.engine.book import read_book
    from workbook.engine.package import WorkbookRefused, open_package
    template = Path(__file__).resolve().parents[3] / "workbook" / "portfolio.xlsx"
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(broken, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                data = data.replace(b"<sheetData>", b'<sheetData><row r="2"/><row r="1"/>', 1)
            dst.writestr(info, data)
    was = gc.isenabled()
    try:
        for enabled in (True, False):
            (gc.enable if enabled else gc.disable)()
            pkg = open_package(str(template))
            try:
                assert read_book(pkg).sheets
            finally:
                pkg.close()
            assert gc.isenabled() is enabled
            pkg = open_package(str(broken))
            try:
                with pytest.raises(WorkbookRefused, match="out of order"):
                    read_book(pkg)
            finally:
                pkg.close()
            assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
