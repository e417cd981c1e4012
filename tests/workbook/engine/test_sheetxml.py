"""Worksheet XML read and written with a parser: only the elements the parser finds change."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings, strategies as st

from workbook.engine.sheetxml import (ErrorValue, SheetXMLError, excel_escape, excel_unescape,
                                      iter_cells, read_formulas, write_values)

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def _sheet(body: str, head: str = "", tail: str = "") -> bytes:
    return f'<worksheet {NS}>{head}<sheetData>{body}</sheetData>{tail}</worksheet>'.encode()


def test_a_comment_holding_a_fake_sheet_data_is_neither_read_nor_written():
    fake = ('<!-- <sheetData><row r="1"><c r="A1"><f>9*9</f><v>81</v></c></row></sheetData> -->')
    xml = (f'<worksheet {NS}>{fake}<sheetData><row r="1"><c r="A1"><f>1+0.5</f><v>1.5</v></c>'
           '</row></sheetData></worksheet>').encode()
    cells = read_formulas(xml)
    assert {k: c.text for k, c in cells.items()} == {"A1": "1+0.5"}
    new = write_values(xml, {"A1": 2.5}).decode()
    assert fake in new  # the comment is copied as it was
    real = new[new.index("-->"):]
    assert '<c r="A1"><f>1+0.5</f><v>2.5</v></c>' in real
    assert ET.fromstring(new).find(".//{*}v").text == "2.5"


def test_cdata_comments_and_processing_instructions_inside_cells():
    xml = _sheet('<row r="1"><c r="A1"><!-- note --><f><![CDATA[IF(A2<1,"<c>",2)]]></f>'
                 '<?pi x?><v>2</v></c><c r="B1"><v>7</v></c></row>')
    assert read_formulas(xml)["A1"].text == 'IF(A2<1,"<c>",2)'
    new = write_values(xml, {"A1": "<c>"}).decode()
    assert '<c r="A1" t="str"><f><![CDATA[IF(A2<1,"<c>",2)]]></f><v>&lt;c&gt;</v></c>' in new
    assert '<c r="B1"><v>7</v></c>' in new


def test_attribute_values_with_angle_brackets_and_single_quotes():
    xml = _sheet("<row r='1' x='a>b'><c r='A1' s='3'><f>1</f><v>0</v></c></row>")
    new = write_values(xml, {"A1": 1.0}).decode()
    assert "<row r='1' x='a>b'><c r='A1' s='3'><f>1</f><v>1</v></c></row>" in new


def test_prefixed_namespace_is_kept_for_new_elements():
    xml = (b'<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           b'<x:sheetData><x:row r="2"><x:c r="A2"><x:f>1</x:f></x:c></x:row></x:sheetData>'
           b'</x:worksheet>')
    new = write_values(xml, {"A2": 1.0, "B2": 2.0, "A3": True}).decode()
    assert ('<x:row r="2"><x:c r="A2"><x:f>1</x:f><x:v>1</x:v></x:c><x:c r="B2"><x:v>2</x:v>'
            '</x:c></x:row><x:row r="3"><x:c r="A3" t="b"><x:v>1</x:v></x:c></x:row>') in new
    ET.fromstring(new)


def test_elements_of_other_namespaces_are_not_cells():
    xml = _sheet('<row r="1"><c r="A1"><f>1</f></c></row>',
                 tail='<ext xmlns="urn:other"><sheetData><row r="1"><c r="A1"><f>2</f></c>'
                      '</row></sheetData></ext>')
    assert read_formulas(xml)["A1"].text == "1"
    new = write_values(xml, {"A1": 5.0}).decode()
    assert new.count("<v>5</v>") == 1 and new.endswith(
        '<ext xmlns="urn:other"><sheetData><row r="1"><c r="A1"><f>2</f></c></row></sheetData>'
        '</ext></worksheet>')


def test_rows_and_cells_without_r_follow_their_neighbours():
    xml = _sheet('<row r="3"><c><f>1</f></c><c><f>2</f></c></row><row><c r="B4"><f>3</f></c>'
                 '</row>')
    assert sorted(read_formulas(xml)) == ["A3", "B3", "B4"]
    new = write_values(xml, {"B3": 2.0, "B4": 3.0}).decode()
    assert "<c><f>2</f><v>2</v></c>" in new and '<c r="B4"><f>3</f><v>3</v></c>' in new


def test_empty_sheet_data_and_empty_rows_are_opened():
    xml = f'<worksheet {NS}><dimension ref="A1"/><sheetData/></worksheet>'.encode()
    new = write_values(xml, {"B2": 1.0}).decode()
    assert '<sheetData><row r="2"><c r="B2"><v>1</v></c></row></sheetData>' in new
    assert '<dimension ref="A1:B2"/>' in new
    xml = _sheet('<row r="1" spans="1:2"/><row r="5"><c r="A5"><v>1</v></c></row>')
    new = write_values(xml, {"C1": 1.0, "A3": 2.0}).decode()
    assert ('<row r="1"><c r="C1"><v>1</v></c></row><row r="3"><c r="A3"><v>2</v></c></row>'
            '<row r="5">') in new


def test_cell_extension_lists_are_kept_and_old_values_dropped():
    xml = _sheet('<row r="1"><c r="A1" t="s"><f>X()</f><v>0</v><extLst><ext uri="u"/></extLst>'
                 '</c></row>')
    new = write_values(xml, {"A1": ErrorValue("#N/A")}).decode()
    assert '<c r="A1" t="e"><f>X()</f><v>#N/A</v><extLst><ext uri="u"/></extLst></c>' in new


@pytest.mark.parametrize("text", ["a\x01b", "tab\tand\nnewline", "cr\r", "_x0041_ literal",
                                  "\ud800 lone", "\x00\x1f\ufffe"])
def test_control_characters_are_escaped_as_excel_does(text):
    xml = _sheet('<row r="1"><c r="A1"><f>X()</f></c></row>')
    new = write_values(xml, {"A1": text})
    root = ET.fromstring(new)  # the written part parses
    stored = root.find(".//{*}v").text
    assert excel_unescape(stored) == text.replace("\ud800", "\ud800")
    assert excel_escape("a\x01b") == "a_x0001_b" and excel_escape("_x0041_") == "_x005F_x0041_"


@pytest.mark.parametrize("xml, message", [
    (_sheet('<row r="2"/><row r="1"/>'), "out of order"),
    (_sheet('<row r="1"><c r="B1"/><c r="A1"/></row>'), "out of order"),
    (_sheet('<row r="1"><c r="A2"/></row>'), "inside row 1"),
    (_sheet('<row r="0"/>'), "not a row"),
    (_sheet('<row r="1"><c r="XFE1"/></row>'), "outside the sheet"),
    (b'<worksheet ' + NS.encode() + b'><sheetData>', "not well-formed"),
    ('<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"), "not UTF-8"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><worksheet ' + NS.encode() + b'/>', "DTD"),
])
def test_malformed_sheets_are_refused_in_words(xml, message):
    with pytest.raises(SheetXMLError, match=message):
        read_formulas(xml)


def test_reading_streams_every_cell_in_order():
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}" t="inlineStr"><is>'
                   f'<r><t>x</t></r><r><t>{r}</t></r></is></c></row>' for r in range(1, 3001))
    cells = list(iter_cells(_sheet(rows)))
    assert len(cells) == 6000
    assert [(c.coord, c.value) for c in cells[:4]] == [
        ("A1", "1"), ("B1", "x1"), ("A2", "2"), ("B2", "x2")]
    assert cells[-1].coord == "B3000"


# --------------------------------------------------------------------------------------------
# the writer's fast path (a cell's tag rest rewritten once per kind of tag) against its general
# path (every cell through set_attribute), on varied sheets

_START_TAGS = [   # the start tag of a cell (after its name and r=), as files spell it
    '', ' s="5"', ' s="5" t="n"', ' t="n" s="5"', ' s="7" t="s"', " t='str'", ' t = "b" ',
    ' t="e" s="2"', ' s="3"   t="inlineStr"', ' cm="1" t="n"', ' s="1" vm="2"',
    ' ph="1" t="n" s="9"', ' s="4" xml:space="preserve"', ' s="6"\n\tt="n"',
    ' s="&quot;t=&apos;b&apos;" t="n"', " s='a\"t=\"x' t='n'", ' s=">" t="n"']
_BODIES = ['', '<v>1</v>', '<f>A1*2</f><v>2</v>', '<f t="shared" si="0" ref="B1:B9">A1</f>',
           '<f t="array" ref="C1:C3">A1:A3</f><v>0</v>', '<is><t>x</t></is>',
           '<v>0</v><extLst><ext uri="{1}"/></extLst>', '<f>1</f>\n  <v>1</v>  ']
_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.booleans(), st.none(), st.text(max_size=8),
    st.sampled_from([-0.0, 0.1 + 0.2, 1e16, 1e-7, 123456789012345680.0, 5e-324]),
    st.sampled_from([ErrorValue("#N/A"), ErrorValue("#DIV/0!", "why"), ErrorValue("#BAD")]))


@st.composite
def _sheets(draw):
    """A worksheet part (namespace prefix or not), and values for some of its cells and for
    cells it lacks."""
    prefix = draw(st.sampled_from(["", "x:"]))
    cols = draw(st.lists(st.integers(1, 8), min_size=1, max_size=6, unique=True))
    rows = []
    for r in sorted(draw(st.lists(st.integers(1, 6), min_size=1, max_size=4, unique=True))):
        cells = []
        for col in sorted(cols):
            tag = draw(st.sampled_from(_START_TAGS))
            body = draw(st.sampled_from(_BODIES))
            ref = f"{'ABCDEFGH'[col - 1]}{r}"
            head = f'<{prefix}c r="{ref}"{tag}'
            if not body and draw(st.booleans()):
                cells.append(head + "/>")
            else:
                body = body.replace("<", f"<{prefix}").replace(f"<{prefix}/", f"</{prefix}")
                cells.append(f"{head}>{body}</{prefix}c>")
        rows.append(f'<{prefix}row r="{r}" spans="1:8">{"".join(cells)}</{prefix}row>')
    ns = f'xmlns{":" + prefix[:-1] if prefix else ""}="http://schemas.openxmlformats.org/' \
         f'spreadsheetml/2006/main"'
    xml = (f'<{prefix}worksheet {ns}><{prefix}dimension ref="A1:H6"/><{prefix}sheetData>'
           f'{"".join(rows)}</{prefix}sheetData></{prefix}worksheet>').encode()
    targets = draw(st.lists(st.tuples(st.integers(1, 8), st.integers(1, 8)), min_size=1,
                            max_size=12, unique=True))
    values = {f"{'ABCDEFGH'[c - 1]}{r}": draw(_VALUES) for r, c in targets}
    return xml, values


@settings(max_examples=300, deadline=None)
@given(_sheets())
def test_the_fast_row_writer_writes_what_the_general_path_writes(case):
    import workbook.engine.sheetxml as sx
    xml, values = case
    fast = write_values(xml, values)
    layout = sx.scan_cells(xml, lambda c: None, layout=True).layout
    assert write_values(xml, values, layout=layout) == fast
    real = sx._write_row_cells
    sx._write_row_cells = sx._write_row_inserting   # every cell through _cell_bytes
    try:
        assert write_values(xml, values) == fast
    finally:
        sx._write_row_cells = real
    ET.fromstring(fast)   # well-formed
