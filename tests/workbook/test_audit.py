"""``computecredit audit``: the findings of every deal style of the corpus, the shipped templates,
the outputs (table, JSON, HTML) and bad input."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.workbook.deal_corpus import EXPECTED, build_all
from workbook import cli
from workbook.audit import AuditRefused, audit_file
from workbook.audit import formula as fx
from workbook.audit.axes import pattern
from workbook.audit.detect import straight_line_shape
from workbook.audit.render import html_report, json_report, text_report

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "workbook").glob("*.xlsx"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return build_all(tmp_path_factory.mktemp("deals"))


@pytest.fixture(scope="module")
def audits(corpus):
    return {name: audit_file(str(path)) for name, path in corpus.items()}


def _by_kind(audit):
    return {(f.kind, f.sheet, f.ref): f for f in audit.open_findings}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_expected_findings(audits, name):
    audit = audits[name]
    got = _by_kind(audit)
    for kind, sheet, ref, inputs in EXPECTED[name]:
        f = got.get((kind, sheet, ref))
        assert f is not None, f"{name}: no {kind} at {sheet}!{ref}; found {sorted(got)}"
        for role, cell in inputs.items():
            have = {i.role: {(i.cell or "").replace("$", ""), i.text.replace("$", "")}
                    for i in f.inputs}
            assert role in have, f"{name} {kind}: no input {role} in {have}"
            assert cell.replace("$", "") in have[role], (name, kind, role, have[role])
    # nothing beyond what is listed, except the utilisation a revenue finding reads
    expected = {(k, s, r) for k, s, r, _ in EXPECTED[name]}
    extra = [key for key in got if key not in expected and key[0] != "utilisation_fixed"]
    assert not extra, f"{name}: unexpected findings {extra}"


def test_no_findings_is_said_and_exits_0(corpus, capsys):
    assert cli.main(["audit", str(corpus["budget"])]) == 0
    out = capsys.readouterr().out
    assert "no straight-line assumptions found" in out and "Nothing to retrofit" in out


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_shipped_templates_have_nothing_to_retrofit(path):
    """The templates compute with ComputeCredit already: nothing is a straight-line
    assumption; their inputs that feed our functions are listed as already modelled."""
    audit = audit_file(str(path), values=False)
    assert audit.open_findings == []
    assert all(f.status == "modelled" for f in audit.findings)


def test_sln_inputs_and_replacement(audits):
    f = _by_kind(audits["annual_sln"])[("sln_call", "Model", "C10:E10")]
    assert f.replace_with == ["GPU_RV_CURVE", "GPU_RV"]
    assert f.detail["cost"] == 30000 and f.detail["salvage"] == 1500 and f.detail["life"] == 5
    assert f.feeds["gpu_cost"] == "Inputs!B3" and f.feeds["book_life_years"] == "Inputs!B5"
    assert f.formula.startswith("SLN(")


def test_dependencies_link_ratios_to_their_assumptions(audits):
    a = audits["annual_sln"]
    by = {(f.kind, f.ref): f for f in a.findings}
    dscr = by[("dscr", "C18:E18")]
    ltv = by[("ltv", "C19:E19")]
    assert by[("rent_flat", "C5:E5")].id in dscr.depends_on
    assert by[("straight_line_value", "C11:E11")].id in ltv.depends_on
    roles = {i.role: i.label for i in dscr.inputs}
    assert roles == {"numerator": "CFADS", "denominator": "Debt service"}


def test_quarterly_axis_in_a_column(audits):
    a = audits["quarterly_named"]
    assert any(x.orient == "col" and x.freq == 4 and x.kind == "labels" for x in a.axes)
    rent = _by_kind(a)[("rent_constant_growth", "Cash flows", "C3:C18")]
    assert rent.frequency == 4
    assert rent.detail["growth_per_period"] == pytest.approx(-0.02)
    assert rent.detail["growth_per_year"] == pytest.approx(0.98 ** 4 - 1)


def test_typed_values_are_read_from_numbers(audits):
    a = _by_kind(audits["typed_values"])
    value = a[("straight_line_value", "Deal", "C13:H13")]
    assert value.formula is None and value.detail["step"] == -5000
    assert value.detail["floor"] == 5000
    assert a[("fixed_haircut", "Deal", "C9")].detail["haircut"] == pytest.approx(0.30)


def test_german_labels_do_not_crash_and_formulas_still_speak(audits):
    a = audits["german"]
    kinds = {f.kind for f in a.open_findings}
    assert {"sln_call", "straight_line_value"} <= kinds
    text = text_report(a)
    assert "\u202e" not in text  # a bidirectional override is shown as an escape


def test_draft_mapping_of_the_annual_deal(audits):
    from tests.workbook.deal_corpus import MAPPED
    p = audits["annual_sln"].proposal
    for name, want in MAPPED["annual_sln"].items():
        got = p.entries[name].expr
        if isinstance(want, str):
            assert str(got).replace("$", "") == want.replace("$", ""), (name, got)
        else:
            assert got == want, (name, got)
    assert "deflation" not in p.entries  # their flat rent is replaced, not mapped
    assert p.missing == []


@pytest.mark.parametrize("name", ["arranger_quarterly", "column_inputs", "monthly_hidden",
                                  "base_case"])
def test_draft_mapping_of_arranger_styles(audits, name):
    """Workbook names, a units column, "Senior facility", "Term loan", "No. of GPUs",
    "Power & hosting $/hr", "Price per GPU" (a purchase price, not a rent), "Util.", a rent
    escalating from an input cell, a rent per GPU-hour on a sheet named "Monthly" (not a rent
    per month), a life in months, an LGD in percent, "Total GPUs deployed" and "GPU
    acquisition cost" (a cost, not a count), a residual value as a share of cost."""
    from tests.workbook.deal_corpus import MAPPED
    p = audits[name].proposal
    for field, want in MAPPED[name].items():
        assert field in p.entries, (field, sorted(p.entries))
        got = p.entries[field].expr
        assert str(got).replace("$", "") == str(want).replace("$", ""), (field, got)


def test_a_counter_beside_dates_takes_their_frequency(audits):
    """Quarter-end dates over a "Period #" counter: both axes are quarterly, and a rent
    growing 3% a year by (1+g)^((t-1)/4) is read as 3% a year."""
    a = audits["arranger_quarterly"]
    assert {(x.kind, x.freq, x.freq_known) for x in a.axes} == {("dates", 4, True),
                                                                ("numbers", 4, True)}
    rent = _by_kind(a)[("rent_constant_growth", "CF", "E6:X6")]
    assert rent.frequency == 4
    assert rent.detail["growth_per_year"] == pytest.approx(0.03)
    ddb = _by_kind(a)[("ddb_call", "CF", "E11:X11")]
    assert "life of 6 years" in ddb.reason   # the life's label says years, not quarters


def test_an_input_block_beside_a_column_axis_is_not_a_series(audits):
    a = audits["column_inputs"]
    assert not any(s.line == 2 and s.orient == "col" for s in a.series)
    assert a.proposal.entries["gpus"].expr == "Deal!B2"
    assert "rent0" not in a.proposal.entries or \
        a.proposal.entries["rent0"].expr != "Deal!B3"   # Price per GPU is not a rent


def test_one_schedule_of_different_sln_formulas_is_one_finding(audits):
    f = _by_kind(audits["foreign_labels"])[("sln_call", "Modèle", "E4:I4")]
    assert f.detail["cells"] == 5 and f.values == [27000 - 5000 * k for k in range(1, 6)]
    text = text_report(audits["foreign_labels"])
    assert "\u202e" not in text and "簿価" in text


def test_rows_without_labels_are_known_by_their_formulas(audits):
    by = _by_kind(audits["unlabelled"])
    assert all(by[k].label == "" for k in (("dscr", "Model", "E5:I5"),
                                           ("ltv", "Model", "E8:I8"),
                                           ("straight_line_value", "Model", "E6:I6")))
    assert "recognised by its formula" in by[("dscr", "Model", "E5:I5")].reason
    assert by[("dscr", "Model", "E5:I5")].detail["detected_by"] == "shape"
    p = audits["unlabelled"].proposal
    assert p.entries["gpu_cost"].expr == "Model!B2" and p.entries["gpus"].expr == "Model!B1"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_without_the_engine_plain_arithmetic_still_gives_the_findings(corpus, audits, name):
    """A workbook past the engine's budget keeps no values: the audit follows plain arithmetic
    (SLN, PMT, SUM, a row reading its previous period) and finds the same assumptions."""
    got = {(f.kind, f.sheet, f.ref) for f in audit_file(str(corpus[name]),
                                                        values=False).open_findings}
    want = {(f.kind, f.sheet, f.ref) for f in audits[name].open_findings}
    assert want <= got, sorted(want - got)


def test_draft_mapping_uses_defined_names(audits):
    from tests.workbook.deal_corpus import MAPPED
    p = audits["quarterly_named"].proposal
    for name, want in MAPPED["quarterly_named"].items():
        if name == "deflation":
            assert p.alternatives["deflation"].expr == \
                "=1-('Cash flows'!C4/'Cash flows'!C3)^4"
            continue
        got = p.entries[name].expr
        assert str(got).replace("$", "") == str(want).replace("$", ""), (name, got)


def test_json_is_complete_and_parses(audits):
    data = json.loads(json_report(audits["annual_sln"]))
    assert data["findings"] and data["time_axes"][0]["periods_per_year"] == 1
    f = data["findings"][0]
    for key in ("id", "category", "where", "formula", "reason", "replace_with", "feeds",
                "inputs", "depends_on"):
        assert key in f
    assert data["mapping"]["fields"]["gpus"]["map"] == "Inputs!B2"


def test_cli_json_goes_to_stdout(corpus, capsys):
    assert cli.main(["audit", str(corpus["typed_values"]), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {f["kind"] for f in data["findings"]} >= {"dscr", "fixed_haircut"}


def test_html_is_self_contained_and_escaped(audits, tmp_path):
    page = html_report(audits["german"])
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert "Modèle d&#x27;affaires" in page or "Modèle d&#39;affaires" in page
    assert "<img" not in page and "@import" not in page


def test_html_renders_in_chromium(audits, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or \
        shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless browser")
    page = tmp_path / "audit.html"
    page.write_text(html_report(audits["annual_sln"]), encoding="utf-8")
    png = tmp_path / "audit.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={profile}", "--window-size=1300,900",
                    f"--screenshot={png}", page.as_uri()], capture_output=True, timeout=120)
    assert png.exists() and png.stat().st_size > 20_000


def test_cli_html(corpus, tmp_path, capsys):
    out = tmp_path / "r" / "audit.html"
    assert cli.main(["audit", str(corpus["annual_sln"]), "--html", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_the_input_is_never_changed(corpus):
    path = corpus["annual_sln"]
    before = path.read_bytes()
    audit_file(str(path))
    assert path.read_bytes() == before


@pytest.mark.parametrize("content,why", [
    (b"not a workbook at all", "not an Excel workbook"),
    (b"", "not an Excel workbook"),
])
def test_not_a_workbook(tmp_path, capsys, content, why):
    p = tmp_path / "deal.xlsx"
    p.write_bytes(content)
    assert cli.main(["audit", str(p)]) == 2
    assert why in capsys.readouterr().err


_VBA = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 +
        "VBA\0_VBA_PROJECT\0dir\0Attribute VB_Name = \"Module1\"\r\nSub Auto_Open()\r\n"
        "  Open \"/tmp/cc_macro_ran\" For Output As #1\r\nEnd Sub\r\n".encode("utf-16-le") * 4)


def _with_macros(src: Path, dest: Path, vba_name: str = "xl/vbaProject.bin") -> Path:
    """``src`` made macro-enabled as Excel saves an .xlsm: the main part's content type, a
    VBA project part related from the workbook."""
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    ct = parts["[Content_Types].xml"].decode()
    ct = ct.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    "application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    ct = ct.replace("</Types>", '<Default Extension="bin" ContentType='
                                '"application/vnd.ms-office.vbaProject"/></Types>')
    parts["[Content_Types].xml"] = ct.encode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode().replace(
        "</Relationships>", '<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/'
        f'office/2006/relationships/vbaProject" Target="{vba_name[3:]}"/></Relationships>')
    parts["xl/_rels/workbook.xml.rels"] = rels.encode()
    parts[vba_name] = _VBA
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return dest


@pytest.mark.parametrize("name,vba", [("deal.xlsm", "xl/vbaProject.bin"),
                                      ("deal.xlsx", "xl/media/image9.bin")])
def test_a_macro_enabled_deal_is_audited_without_its_macros(corpus, tmp_path, capsys, name,
                                                            vba):
    """Arrangers' models are often .xlsm: the audit reads their cells and reports as for the
    .xlsx, says the macros were there and not run; nothing is run, the file is unchanged;
    the retrofit and the recalculation (which write and compute) refuse it, writing nothing."""
    deal = _with_macros(corpus["annual_sln"], tmp_path / name, vba)
    before = deal.read_bytes()
    a = audit_file(str(deal))
    want = {(f.kind, f.sheet, f.ref) for f in audit_file(str(corpus["annual_sln"])).findings}
    assert {(f.kind, f.sheet, f.ref) for f in a.findings} == want
    assert any("macros" in n and vba in n and "nothing in them was run" in n for n in a.notes)
    assert cli.main(["audit", str(deal), "--json"]) == 0
    assert any("macros" in n for n in json.loads(capsys.readouterr().out)["notes"])
    draft = tmp_path / "map.toml"
    assert cli.main(["retrofit", str(deal), "--draft-map", str(draft)]) == 0
    out = capsys.readouterr().out
    assert "without macros" in out and draft.exists()
    assert cli.main(["retrofit", str(deal), "--map", str(draft), "-o",
                     str(tmp_path / "out.xlsx")]) == 2
    assert "macro" in capsys.readouterr().err and not (tmp_path / "out.xlsx").exists()
    assert cli.main(["recalc", str(deal), "-o", str(tmp_path / "r.xlsx")]) == 2
    assert not (tmp_path / "r.xlsx").exists()
    assert deal.read_bytes() == before
    assert not Path("/tmp/cc_macro_ran").exists()


def test_a_worksheet_that_is_a_macro_part_is_refused(corpus, tmp_path):
    """Read-only does not mean unchecked: a sheet whose part is a VBA project is refused."""
    with zipfile.ZipFile(corpus["annual_sln"]) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    parts["xl/worksheets/sheet1.xml"] = _VBA
    p = tmp_path / "deal.xlsm"
    with zipfile.ZipFile(p, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    with pytest.raises(AuditRefused, match="macro part"):
        audit_file(str(p))


@pytest.mark.parametrize("name", ["deal.xlsb", "deal.xlam", "deal.xls"])
def test_binary_and_addin_files_are_refused(corpus, tmp_path, name):
    p = tmp_path / name
    p.write_bytes(corpus["annual_sln"].read_bytes())
    with pytest.raises(AuditRefused, match="not supported|refused"):
        audit_file(str(p))


def test_missing_file(capsys):
    assert cli.main(["audit", "/nonexistent/deal.xlsx"]) == 2
    assert "no such file" in capsys.readouterr().err


# -- formula trees ------------------------------------------------------------------------------

@pytest.mark.parametrize("text,roles", [
    ("$B$2-($B$2-$B$3)*C$5/$B$4", {"cost": "$B$2", "salvage": "$B$3", "age": "C$5",
                                   "life": "$B$4"}),
    ("cost-(cost-salvage)/life*t", {"cost": "cost", "salvage": "salvage", "age": "t",
                                    "life": "life"}),
    ("MAX(salvage, cost - t*(cost-salvage)/life)", {"cost": "cost", "salvage": "salvage",
                                                   "age": "t", "life": "life"}),
    ("Inputs!B3*(1-C4/Inputs!B5)", {"cost": "Inputs!B3", "age": "C4", "life": "Inputs!B5"}),
    ("gpus*(cost-cost*t/life)", {"cost": "cost", "age": "t", "life": "life"}),
    ("(A1-A2)/A3", {"cost": "A1", "salvage": "A2", "life": "A3"}),
])
def test_straight_line_shapes(text, roles):
    got = straight_line_shape(fx.parse(text))
    assert got is not None
    assert {k: fx.render(v) for k, v in got.items()} == roles


@pytest.mark.parametrize("text", ["A1*1.1", "SUM(A1:A9)", "A1-B1", "A1/B1+C1", "PMT(r,n,-pv)"])
def test_not_straight_lines(text):
    assert straight_line_shape(fx.parse(text)) is None


def test_relative_key_is_the_same_along_a_row():
    a = fx.relative_key(fx.parse("C5*$B$2+Inputs!$A$1"), 5, 3)
    b = fx.relative_key(fx.parse("D5*$B$2+Inputs!$A$1"), 5, 4)
    c = fx.relative_key(fx.parse("C5*$B$2+Inputs!$A$1"), 5, 4)
    assert a == b != c


@pytest.mark.parametrize("text,value", [("1-0.45", 0.55), ("2^3*2", 16.0), ("-2^2", 4.0),
                                        ("10%", 0.1), ("MAX(1,3)/2", 1.5)])
def test_evaluate(text, value):
    assert fx.evaluate(fx.parse(text), lambda n: None) == pytest.approx(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AB1$:!'\"(),+-*/^&=<>%{};[]# xyzSLN.E")),
               max_size=40))
def test_parser_never_fails_on_junk(text):
    node = fx.parse(text)
    if node is not None:
        fx.render(node)
        fx.relative_key(node, 3, 3)
        straight_line_shape(node)


# -- number patterns ------------------------------------------------------------------------------

@pytest.mark.parametrize("values,shape", [
    ([5.0, 5.0, 5.0], "constant"),
    ([0.0, 5.0, 5.0, 5.0, 0.0], "constant"),
    ([30.0, 24.0, 18.0, 12.0], "linear"),
    ([30.0, 24.0, 18.0, 12.0, 12.0, 12.0], "linear"),
    ([2.0, 1.8, 1.62, 1.458], "growth"),
    ([1.0, 3.0, 2.0, 5.0], "other"),
    ([1.0, None, 2.0], "unknown"),
])
def test_patterns(values, shape):
    assert pattern(values)["shape"] == shape


@pytest.mark.parametrize("labels,freq", [
    (["Dec-26", "Dec-27", "Dec-28"], 1), (["Mar 26", "Jun 26", "Sep 26", "Dec 26"], 4),
    (["Jan 26", "Feb 26", "Mar 26"], 12), (["Q4 2026", "Q4 2027", "Q4 2028"], 1),
    (["Q1 2026", "Q2 2026", "Q3 2026"], 4), (["2026Q3", "2026Q4", "2027Q1"], 4),
    (["FY26", "FY27", "FY28"], 1), (["Year 1", "Year 2", "Year 3"], 1),
    (["H1 26", "H2 26", "H1 27"], 2), ([2026.0, 2027.0, 2028.0], 1),
])
def test_period_labels(labels, freq):
    from workbook.audit.axes import _axis_of, _key
    from workbook.engine.cellmap import Cell
    got = _axis_of([_key(Cell(x)) for x in labels], "")
    assert got is not None and got[1] == freq


@pytest.mark.parametrize("labels", [[1.0, 2.0, 3.0], ["Q1 2026", "Q3 2026", "Q4 2026"],
                                    [0.25, 0.5, 0.75], ["a", "b", "c"]])
def test_not_period_labels(labels):
    """Plain counters need a heading that says they count time; gaps are no axis."""
    from workbook.audit.axes import _axis_of, _key
    from workbook.engine.cellmap import Cell
    keys = [_key(Cell(x)) for x in labels]
    assert None in keys or _axis_of(keys, "") is None


def _as_excel_writes_it(src: Path, dest: Path) -> int:
    """A recalculated deal rewritten the way Excel stores a filled-right row: the first cell
    holds the formula as a shared master, the others only point at it (no text of their own).
    Returns the number of shared formulas written."""
    import re

    from openpyxl.formula.translate import Translator
    with zipfile.ZipFile(src) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    name = "xl/worksheets/sheet2.xml"
    xml = parts[name].decode("utf-8")
    cell = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*)><f>([^<]*)</f>')
    cells = {f"{m[1]}{m[2]}": m[4] for m in cell.finditer(xml)}
    shared: dict[str, tuple[str, int]] = {}     # cell -> ("master" or "follower", si)
    for row in sorted({int(re.sub(r"[A-Z]", "", c)) for c in cells}):
        first, others = f"C{row}", [f"D{row}", f"E{row}"]
        if first not in cells or not all(
                c in cells and Translator("=" + cells[first], origin=first)
                .translate_formula(c)[1:] == cells[c] for c in others):
            continue
        si = len({s for _, s in shared.values()})
        shared[first] = ("master", si)
        shared.update({c: ("follower", si) for c in others})

    def rewrite(m: re.Match) -> str:
        ref = f"{m[1]}{m[2]}"
        if ref not in shared:
            return m[0]
        role, si = shared[ref]
        if role == "master":
            return f'<c r="{ref}"{m[3]}><f t="shared" ref="C{m[2]}:E{m[2]}" si="{si}">{m[4]}</f>'
        return f'<c r="{ref}"{m[3]}><f t="shared" si="{si}"/>'

    parts[name] = cell.sub(rewrite, xml).encode("utf-8")
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for n, data in parts.items():
            z.writestr(n, data)
    return len({s for _, s in shared.values()})


@pytest.mark.parametrize("values", [False, True], ids=["cached", "computed"])
def test_shared_formulas_are_audited_like_written_out_ones(corpus, tmp_path, values):
    """A deal saved as Excel saves it (cached values, each filled-right row one shared formula
    whose followers hold no text) gives the same findings, with the same formulas and inputs,
    as the deal with every formula written out; with its values stripped, they are computed
    from the shared formulas."""
    from workbook.engine.recalc import recalc_file
    res = recalc_file(str(corpus["annual_sln"]), str(tmp_path / "recalc.xlsx"))
    assert res.refused is None
    shared = tmp_path / "shared.xlsx"
    assert _as_excel_writes_it(tmp_path / "recalc.xlsx", shared) >= 10
    if values:   # drop every cached value of the model sheet: the engine must compute them
        with zipfile.ZipFile(shared) as z:
            parts = {i.filename: z.read(i.filename) for i in z.infolist()}
        xml = parts["xl/worksheets/sheet2.xml"].decode("utf-8")
        xml = re.sub(r"(</f>|<f [^>]*/>)<v>[^<]*</v>", r"\1", xml)
        assert "<v>" not in xml.split("<row r=\"5\"")[1]
        parts["xl/worksheets/sheet2.xml"] = xml.encode("utf-8")
        with zipfile.ZipFile(shared, "w") as z:
            for n, data in parts.items():
                z.writestr(n, data)

    def seen(a):
        return {(f.kind, f.sheet, f.ref): (f.formula, sorted((i.role, i.cell or i.text)
                                                              for i in f.inputs), f.values)
                for f in a.open_findings}
    want = seen(audit_file(str(corpus["annual_sln"])))
    got = seen(audit_file(str(shared), values=values))
    assert got == want
    assert {(k, s, r) for k, s, r, _ in EXPECTED["annual_sln"]} <= set(got)


def test_shared_formulas_are_retrofitted_like_written_out_ones(corpus, tmp_path):
    """The draft map and the ComputeCredit sheet of a deal stored with shared formulas are
    those of the same deal written out; its own parts stay byte for byte; it recalculates."""
    from workbook.engine.recalc import recalc_file
    from workbook.retrofit import draft_map, retrofit_file
    recalc_file(str(corpus["annual_sln"]), str(tmp_path / "recalc.xlsx"))
    shared = tmp_path / "shared.xlsx"
    _as_excel_writes_it(tmp_path / "recalc.xlsx", shared)
    sheets = {}
    for name, deal in (("plain", corpus["annual_sln"]), ("shared", shared)):
        draft_map(str(deal), str(tmp_path / f"{name}.toml"))
        retrofit_file(str(deal), str(tmp_path / f"{name}.toml"),
                      str(tmp_path / f"{name}_cc.xlsx"))
        with zipfile.ZipFile(tmp_path / f"{name}_cc.xlsx") as z:
            sheets[name] = {n: z.read(n) for n in z.namelist()}
    text = {n: (tmp_path / f"{n}.toml").read_text().splitlines()[1:] for n in sheets}
    assert len(text["plain"]) > 10
    assert text["plain"] == text["shared"]
    ours = "xl/worksheets/sheet3.xml"
    assert sheets["plain"][ours].replace(b"annual_sln.xlsx", b"shared.xlsx") == \
        sheets["shared"][ours]
    with zipfile.ZipFile(shared) as z:
        assert all(sheets["shared"][n] == z.read(n) for n in z.namelist()
                   if n.startswith("xl/worksheets/"))
    res = recalc_file(str(tmp_path / "shared_cc.xlsx"), str(tmp_path / "out.xlsx"))
    assert res.refused is None and res.errors == [] and res.false_checks == []
