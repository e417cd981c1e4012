"""``computecredit retrofit``: the draft map, the copy with its ComputeCredit sheet (every
original part byte for byte, the edited parts only appended to), the headless recalculation of
the copy, and bad input (nothing written)."""

from __future__ import annotations

import csv
import os
import re
import tomllib
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

import openpyxl
import pytest

from tests.opens import Opens
from tests.workbook.deal_corpus import build, build_all
from workbook import cli
from workbook.audit.mapping import MappingError, read_mapping
from workbook.engine.recalc import recalc_file
from workbook.retrofit import RetrofitRefused, draft_map, retrofit_file

EDITED = {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels",
          "xl/styles.xml"}
DEALS = ("annual_sln", "quarterly_named", "typed_values", "arranger_quarterly",
         "monthly_hidden", "column_inputs")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("deals"))


@pytest.fixture(scope="module")
def done(corpus, tmp_path_factory):
    """Each deal: its draft map, and the retrofitted copy written from it."""
    folder = tmp_path_factory.mktemp("retrofit")
    out = {}
    for name in DEALS:
        deal = corpus[name]
        before = deal.read_bytes()
        m = folder / f"{name}.toml"
        draft_map(str(deal), str(m))
        copy = folder / f"{name}_cc.xlsx"
        result = retrofit_file(str(deal), str(m), str(copy))
        assert deal.read_bytes() == before, "the input was modified"
        out[name] = (deal, m, copy, result)
    return out


@pytest.fixture(scope="module")
def recalculated(done, tmp_path_factory):
    folder = tmp_path_factory.mktemp("recalc")
    return {name: recalc_file(str(copy), str(folder / f"{name}.xlsx"))
            for name, (_, _, copy, _) in done.items()}


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {i.filename: z.read(i.filename) for i in z.infolist()}


# -- the draft map ------------------------------------------------------------------------------

def test_draft_reads_back(done):
    for name, (_, m, _, _) in done.items():
        raw = tomllib.loads(m.read_text(encoding="utf-8"))
        assert set(raw) <= {"deal", "loss", "theirs"}
        mapping = read_mapping(str(m))
        assert {"gpus", "gpu_cost", "debt", "debt_rate", "debt_years"} <= set(mapping), name


def test_draft_never_overwrites(done, corpus):
    _, m, _, _ = done["annual_sln"]
    with pytest.raises(RetrofitRefused, match="exists"):
        draft_map(str(corpus["annual_sln"]), str(m))


def test_draft_lists_what_it_could_not_find(corpus, tmp_path, capsys):
    m = tmp_path / "german.toml"
    assert cli.main(["retrofit", str(corpus["german"]), "--draft-map", str(m)]) == 0
    out = capsys.readouterr().out
    assert "required, not found" in out and "debt" in out
    text = m.read_text(encoding="utf-8")
    assert "gpu_cost = \"Eingaben!B3\"" in text.replace("$", "")
    assert "debt_rate = \"Eingaben!B10\"" in text and "debt_years = \"Eingaben!B11\"" in text
    assert "# debt = \"\"" in text and "# cash_cost = \"\"" in text


@pytest.mark.slow
def test_german_deal_once_the_map_is_completed(corpus, tmp_path):
    """Labels the audit did not recognise are given by hand; the sheet name with an accent and
    an apostrophe is quoted in every formula; the copy recalculates without an error."""
    m = tmp_path / "de.toml"
    draft_map(str(corpus["german"]), str(m))
    text = m.read_text(encoding="utf-8").replace('# debt = ""', 'debt = "Eingaben!B9"')
    text = text.replace('# cash_cost = ""', 'cash_cost = "Eingaben!B12"')
    m.write_text(text, encoding="utf-8")
    out = tmp_path / "de_cc.xlsx"
    retrofit_file(str(corpus["german"]), str(m), str(out))
    res = recalc_file(str(out), str(tmp_path / "de_recalc.xlsx"))
    assert res.refused is None and res.errors == []
    wb = openpyxl.load_workbook(out)
    formulas = " ".join(str(c.value) for row in wb["ComputeCredit"].iter_rows() for c in row)
    assert "'Modèle d''affaires'!$C$6" in formulas


def test_hostile_labels_cannot_inject_lines_into_the_draft(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "In"
    ws["A1"], ws["B1"] = "Number of GPUs\n[deal]\ndebt = 1", 100
    ws["A2"], ws["B2"] = "Cost per GPU", 20000
    p = tmp_path / "x.xlsx"
    wb.save(p)
    m = tmp_path / "x.toml"
    draft_map(str(p), str(m))
    parsed = tomllib.loads(m.read_text(encoding="utf-8"))
    assert "debt" not in parsed.get("deal", {})


# -- the copy -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", DEALS)
def test_original_parts_are_byte_identical(done, name):
    deal, _, copy, _ = done[name]
    old, new = _parts(deal), _parts(copy)
    for part, data in old.items():
        assert part in new
        if part not in EDITED:
            assert new[part] == data, f"{part} changed"
    added = set(new) - set(old)
    sheets = [p for p in added if re.match(r"xl/worksheets/sheet\d+\.xml$", p)]
    charts = [p for p in added if re.match(r"xl/charts/chart\d+\.xml$", p)]
    drawings = [p for p in added if re.match(r"xl/drawings/drawing\d+\.xml$", p)]
    assert len(sheets) == 1 and len(charts) == 3 and len(drawings) == 1
    with zipfile.ZipFile(copy) as z:
        assert z.testzip() is None


def _children(xml: bytes, path: str) -> list[bytes]:
    root = ET.fromstring(xml)
    el = root.find(path, {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"})
    return [] if el is None else [ET.tostring(c) for c in el]


@pytest.mark.parametrize("name", DEALS)
def test_edited_parts_are_only_appended_to(done, name):
    deal, _, copy, _ = done[name]
    old, new = _parts(deal), _parts(copy)
    for path in ("m:fonts", "m:fills", "m:cellXfs", "m:numFmts", "m:borders",
                 "m:cellStyleXfs", "m:dxfs"):
        a, b = _children(old["xl/styles.xml"], path), _children(new["xl/styles.xml"], path)
        assert b[:len(a)] == a, path
    for path in ("m:sheets", "m:definedNames"):
        a = _children(old["xl/workbook.xml"], path)
        b = _children(new["xl/workbook.xml"], path)
        assert b[:len(a)] == a, path
    assert len(_children(new["xl/workbook.xml"], "m:sheets")) == \
        len(_children(old["xl/workbook.xml"], "m:sheets")) + 1
    rels_old = ET.fromstring(old["xl/_rels/workbook.xml.rels"])
    rels_new = ET.fromstring(new["xl/_rels/workbook.xml.rels"])
    assert [ET.tostring(c) for c in rels_new][:len(rels_old)] == \
        [ET.tostring(c) for c in rels_old]
    ct_old = ET.fromstring(old["[Content_Types].xml"])
    ct_new = ET.fromstring(new["[Content_Types].xml"])
    assert [ET.tostring(c) for c in ct_new][:len(ct_old)] == [ET.tostring(c) for c in ct_old]
    # the counts say what the parts hold
    styles = ET.fromstring(new["xl/styles.xml"])
    for el in styles:
        if el.get("count") is not None:
            assert int(el.get("count")) == len(list(el)), el.tag


def test_sheet_reads_their_cells(done):
    _, _, copy, result = done["annual_sln"]
    wb = openpyxl.load_workbook(copy)
    assert wb.sheetnames == ["Inputs", "Model", "ComputeCredit"]
    ws = wb["ComputeCredit"]
    col_a = {ws.cell(r, 1).value: r for r in range(1, 40)}
    assert ws.cell(col_a["gpus"], 2).value == "=Inputs!$B$2"
    assert ws.cell(col_a["gpu_cost"], 2).value == "=Inputs!$B$3"
    from pymodel.schema import param
    assert ws.cell(col_a["deflation"], 2).value == param("deflation").default  # typed default
    assert "cc_deal_inputs" in wb.defined_names
    formulas = [c.value for row in ws.iter_rows() for c in row
                if isinstance(c.value, str) and c.value.startswith("=")]
    assert any("Model!$C$18" in f for f in formulas)         # their DSCR beside ours
    arrays = [c.value.text.lstrip("=") for row in ws.iter_rows() for c in row
              if hasattr(c.value, "text")]
    assert any(a.startswith("DSCR_TABLE(") for a in arrays)
    assert any(a.startswith("GPU_RV_CURVE(") for a in arrays)
    assert result.charts == 3


@pytest.mark.slow
@pytest.mark.parametrize("name", DEALS)
def test_recalc_fills_every_value_without_errors(recalculated, name):
    res = recalculated[name]
    assert res.refused is None, res.refused
    assert res.errors == [], res.errors[:5]


@pytest.mark.slow
def test_checks_true_where_the_deal_is_sound(recalculated):
    assert recalculated["annual_sln"].false_checks == []
    assert recalculated["annual_sln"].exit_code == 0
    bad = {label for _, _, label in recalculated["quarterly_named"].false_checks}
    assert "Deflated DSCR at or above 1.00x in every period" in bad
    assert recalculated["quarterly_named"].exit_code == 1


@pytest.mark.slow
@pytest.mark.parametrize("name,sound", [("annual_sln", True), ("arranger_quarterly", False)])
def test_the_model_reproduces_their_flat_view(recalculated, name, sound):
    """With the draft map, the model run with flat rents gives their minimum DSCR (their rent
    is flat, or escalates from its first quarter, where their minimum is): the mapping reads
    the right cells, quarterly payments included; with deflating rents it is lower."""
    wb = openpyxl.load_workbook(recalculated[name].out, data_only=True)
    ws = wb["ComputeCredit"]
    results = {ws.cell(r, 6).value: ws.cell(r, 7).value for r in range(5, 30)}
    assert results["Their minimum DSCR"] == pytest.approx(
        results["Minimum DSCR, model with flat rents"], rel=1e-9)
    assert results["Minimum DSCR, model with deflating rents"] < \
        results["Minimum DSCR, model with flat rents"]
    assert results["All checks TRUE"] is sound
    assert 0 < results["Breakeven deflation (DSCR 1.00x)"] < 1


# -- map formats --------------------------------------------------------------------------------

def _sheet_part(path: Path) -> bytes:
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n))
        return z.read(names[-1])


def test_yaml_csv_and_sheet_maps_give_the_same_sheet(done, tmp_path):
    deal, m, copy, _ = done["annual_sln"]
    mapping = read_mapping(str(m))
    yaml_text = "deal:\n" + "".join(f"  {k}: {v!r}\n".replace("'", '"') for k, v in
                                    mapping.items())
    (tmp_path / "m.yaml").write_text(yaml_text, encoding="utf-8")
    with open(tmp_path / "m.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["field", "their cell"])
        for k, v in mapping.items():
            w.writerow([k, v])
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "map"
    for i, (k, v) in enumerate(mapping.items(), start=1):
        ws.cell(i, 1, k)
        ws.cell(i, 2, v)
    wb.save(tmp_path / "m.xlsx")
    want = _sheet_part(copy)
    for ext in ("yaml", "csv", "xlsx"):
        out = tmp_path / f"out_{ext}.xlsx"
        retrofit_file(str(deal), str(tmp_path / f"m.{ext}"), str(out))
        assert _sheet_part(out) == want, ext


# -- bad input: a clear message, nothing written ----------------------------------------------

def _map(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "m.toml"
    p.write_text(text, encoding="utf-8")
    return p


BASE = ('gpus = "Inputs!B2"\ngpu_cost = "Inputs!B3"\nrent0 = "Inputs!B6"\n'
        'cash_cost = "Inputs!B8"\ndebt = "Inputs!B9"\ndebt_rate = "Inputs!B10"\n'
        'debt_years = "Inputs!B11"\npayments_per_year = 1\n')


@pytest.mark.parametrize("change,words", [
    ('gpu_cost = "Prices!B3"', ["gpu_cost -> Prices!B3", "no sheet 'Prices'"]),
    ('gpu_cost = "Inputs!Z99"', ["gpu_cost -> Inputs!Z99", "the cell is empty"]),
    ('gpu_cost = "Inputs!A3"', ["gpu_cost -> Inputs!A3", "holds text", "number is needed"]),
    ('gpu_cost = "capex"', ["gpu_cost -> capex", "no defined name 'capex'"]),
    ('gpu_cost = "=Inputs!B3*Inputs!Z1"', ["gpu_cost", "Inputs!Z1 is empty"]),
    ('gpu_cost = "=FOOBAR(Inputs!B3)"', ["gpu_cost", "FOOBAR"]),
    ('utilization = 85', ["utilization", "must be in [0, 1]", "percentage"]),
    ('debt_years = 2.6', ["debt_years", "multiple of 1/payments_per_year"]),
    ('gpu_costs = "Inputs!B3"', ["gpu_costs", "did you mean 'gpu_cost'"]),
    ('their_dscr = "Inputs!A2:A9"', ["their_dscr", "holds text"]),
])
def test_bad_maps_name_the_field_and_the_cell(corpus, tmp_path, change, words, capsys):
    key = change.split("=")[0].strip()
    text = "\n".join(line for line in BASE.splitlines() if not line.startswith(key + " "))
    m = _map(tmp_path, text + "\n" + change + "\n")
    out = tmp_path / "out.xlsx"
    assert cli.main(["retrofit", str(corpus["annual_sln"]), "--map", str(m), "-o",
                     str(out)]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err or "refused" in err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists()


def test_missing_required_fields_are_all_listed(corpus, tmp_path):
    m = _map(tmp_path, 'gpus = "Eingaben!B2"\ngpu_cost = "Eingaben!B3"\n')
    with pytest.raises(RetrofitRefused) as exc:
        retrofit_file(str(corpus["german"]), str(m), str(tmp_path / "o.xlsx"))
    for name in ("rent0", "cash_cost", "debt", "debt_rate", "debt_years"):
        assert f"{name}: required" in str(exc.value)


def test_output_equal_to_input_is_refused(corpus, done, tmp_path, capsys):
    deal, m, _, _ = done["annual_sln"]
    before = deal.read_bytes()
    assert cli.main(["retrofit", str(deal), "--map", str(m), "-o", str(deal)]) == 2
    assert "overwrite" in capsys.readouterr().err
    assert deal.read_bytes() == before


def test_a_retrofitted_copy_is_not_retrofitted_again(done, tmp_path):
    _, m, copy, _ = done["annual_sln"]
    with pytest.raises(RetrofitRefused, match="already has a sheet named ComputeCredit"):
        retrofit_file(str(copy), str(m), str(tmp_path / "again.xlsx"))


def test_not_a_workbook(tmp_path, capsys):
    p = tmp_path / "deal.xlsx"
    p.write_text("hello", encoding="utf-8")
    m = _map(tmp_path, BASE)
    assert cli.main(["retrofit", str(p), "--map", str(m), "-o", str(tmp_path / "o.xlsx")]) == 2
    assert "not an Excel workbook" in capsys.readouterr().err


def test_unreadable_map(corpus, tmp_path):
    m = _map(tmp_path, "gpus = [1, 2\n")
    with pytest.raises(MappingError, match="cannot be read"):
        read_mapping(str(m))


def test_their_names_are_kept_and_ours_do_not_collide(tmp_path):
    deal = build("annual_sln", tmp_path)
    wb = openpyxl.load_workbook(deal)
    from openpyxl.workbook.defined_name import DefinedName
    wb.defined_names["cc_deal_inputs"] = DefinedName("cc_deal_inputs",
                                                     attr_text="Inputs!$A$1:$B$3")
    wb.save(deal)
    m = tmp_path / "m.toml"
    draft_map(str(deal), str(m))
    out = tmp_path / "o.xlsx"
    retrofit_file(str(deal), str(m), str(out))
    names = openpyxl.load_workbook(out).defined_names
    assert names["cc_deal_inputs"].attr_text == "Inputs!$A$1:$B$3"
    assert "cc_deal_inputs_2" in names


def test_auditing_the_copy_finds_their_assumptions_not_our_sheet(done):
    """The ComputeCredit sheet is not audited as a deal; the deal's own straight lines are
    still there (the model sits beside them), except inputs the deal block now feeds to it."""
    from workbook.audit import audit_file
    deal, _, copy, _ = done["annual_sln"]
    before = {(f.kind, f.sheet, f.ref) for f in audit_file(str(deal)).open_findings}
    after = audit_file(str(copy))
    assert not [f for f in after.findings if f.sheet == "ComputeCredit"]
    opened = {(f.kind, f.sheet, f.ref) for f in after.open_findings}
    assert opened == {k for k in before if k[0] != "utilisation_fixed"}
    assert {(f.kind, f.ref) for f in after.modelled} == {("utilisation_fixed", "B7")}


def test_only_the_deal_the_map_and_the_copy_are_opened(tmp_path, capsys):
    """A deal whose formulas name another workbook next to it: the audit, the draft map and
    the retrofit open the deal, the map and the copy, never that workbook (its values are
    never read; the cell keeps what the file saved)."""
    other = tmp_path / "dir" / "payroll.xlsx"
    other.parent.mkdir()
    wb = openpyxl.Workbook()
    wb.active["A1"] = 123456789
    wb.save(other)
    work = tmp_path / "work"
    work.mkdir()
    deal = build("annual_sln", work)
    wb = openpyxl.load_workbook(deal)
    wb["Inputs"]["D2"] = "='../dir/[payroll.xlsx]Sheet1'!A1"
    wb["Inputs"]["D3"] = "=[payroll.xlsx]Sheet1!A1*2"
    wb.save(deal)
    before = deal.read_bytes()
    cli.main(["audit", str(deal), "--json"])       # warm up: imports open their own files
    capsys.readouterr()
    Opens.paths = []
    Opens.active = True
    try:
        assert cli.main(["audit", str(deal), "--html", str(work / "a.html")]) == 0
        assert cli.main(["retrofit", str(deal), "--draft-map", str(work / "m.toml")]) == 0
        assert cli.main(["retrofit", str(deal), "--map", str(work / "m.toml"), "-o",
                         str(work / "cc.xlsx")]) == 0
    finally:
        Opens.active = False
    out = capsys.readouterr().out
    assert "straight-line" in out and "ComputeCredit sheet added" in out
    ours = [p for p in Opens.paths if str(tmp_path) in os.path.abspath(p)]
    assert ours and not any("payroll" in p for p in ours), ours
    names = {re.sub(r"^\.retrofit-\w+\.xlsx\.tmp$", "cc.xlsx", os.path.basename(p))
             for p in ours}     # (the copy is written to a temporary name, then renamed)
    assert names <= {"annual_sln.xlsx", "a.html", "m.toml", "cc.xlsx"}, ours
    assert deal.read_bytes() == before


@pytest.mark.slow
def test_the_model_sits_next_to_each_of_their_assumptions(recalculated):
    """Their straight-line value beside the economic value, their LTV beside the economic LTV,
    their fixed LGD (from their recovery rate) beside the correlated LGD, with differences."""
    ws = openpyxl.load_workbook(recalculated["annual_sln"].out, data_only=True)["ComputeCredit"]
    grid = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row
            if c.value is not None}
    at = {v: rc for rc, v in grid.items() if isinstance(v, str)}

    def column(head):
        r, c = at[head]
        out = []
        while isinstance(grid.get((r + 1 + len(out), c)), (int, float)):
            out.append(grid[(r + 1 + len(out), c)])
        return out

    theirs, economic = column("their value (for the fleet)"), column(
        "economic value (for the fleet)")
    assert len(theirs) == len(economic) == 3
    assert theirs == pytest.approx([1024 * (30000 - 5700 * k) for k in (1, 2, 3)])
    assert all(0 < e < t for e, t in zip(economic, theirs))     # rents deflate: worth less
    r, c = at["economic value (for the fleet)"]
    assert grid[(r, c + 1)] == "economic - theirs"
    assert [grid[(r + 1 + k, c + 1)] for k in range(3)] == pytest.approx(
        [e - t for e, t in zip(economic, theirs)])
    assert len(column("their LTV")) == len(column("economic LTV")) == 3
    r, _ = at["lgd (their fixed LGD)"]
    assert grid[(r, 2)] == pytest.approx(1 - 0.55)               # from their 55% recovery
    lgd_corr = grid[(at["LGD, correlated collateral (LGD_CORR)"][0], 2)]
    assert 0 <= lgd_corr <= 1
    assert grid[(at["Correlated LGD - their fixed LGD"][0], 2)] == pytest.approx(
        lgd_corr - 0.45)
