"""The documentation holds together: citations, links, the defaults table, generated benchmarks.

* every "§N" or "§N.N" cited in code, tests, data and docs resolves to a numbered heading of
  docs/model.md (ranges such as "§4.4-4.5" or "§2-§3" at both ends);
* README.md stays short (a reader's entry page) and every relative link in README.md and docs/
  resolves to a file of the repository (images included);
* the defaults table of docs/model.md §10 states the defaults the functions really use;
* docs/benchmarks.md is generated: one section per benchmark script, written by the shared
  helper, which replaces its own section and keeps the others.
"""

from __future__ import annotations

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "docs" / "model.md"
README = ROOT / "README.md"
README_MAX_LINES = 150

#: Where citations may appear: the packages, tests, benchmarks, docs and shipped data.
SCAN = ("pymodel", "addin", "workbook", "benchmarks", "tests", "docs")
SUFFIXES = {".py", ".md", ".csv", ".bas", ".txt", ".cfg", ".toml"}

_HEADING = re.compile(r"^#{2,4}\s+(\d+(?:\.\d+)?)\.?\s+\S", re.M)
_CITE = re.compile(r"§\s*(\d+(?:\.\d+)?)(?:\s*[-–]\s*§?\s*(\d+(?:\.\d+)?))?")
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _files():
    yield README
    for top in SCAN:
        for path in sorted((ROOT / top).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and "__pycache__" not in path.parts:
                yield path


def model_sections(text: str | None = None) -> set[str]:
    """Numbers of the numbered headings of docs/model.md ("6", "6.1", ...)."""
    return set(_HEADING.findall(MODEL.read_text(encoding="utf-8") if text is None else text))


def citations(text: str) -> list[str]:
    """Every section number a text cites with "§" (both ends of a range)."""
    out = []
    for a, b in _CITE.findall(text):
        out.append(a)
        if b:
            out.append(b)
    return out


def test_citation_parser_and_heading_parser():
    assert citations("see §6.1 and §8.4, §4.4-4.5, §2-§3 and docs/model.md §10.") == [
        "6.1", "8.4", "4.4", "4.5", "2", "3", "10"]
    assert model_sections("## 1. Conventions\n### 1.4 Discount rates\n#### 11.7 Other\n") == {
        "1", "1.4", "11.7"}


def test_model_reference_sections_are_numbered_and_unique():
    numbers = _HEADING.findall(MODEL.read_text(encoding="utf-8"))
    assert len(numbers) == len(set(numbers)), "duplicate section numbers in docs/model.md"
    for n in numbers:  # every subsection sits under its section
        if "." in n:
            assert n.split(".")[0] in numbers, n


def test_every_section_citation_resolves_to_a_heading_of_the_model_reference():
    sections = model_sections()
    missing = []
    for path in _files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for n in citations(text):
            if n not in sections:
                missing.append(f"{path.relative_to(ROOT)}: §{n}")
    assert not missing, "citations without a heading in docs/model.md: " + ", ".join(missing)


def test_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= README_MAX_LINES, f"README.md has {n} lines; keep it under {README_MAX_LINES}"


def _links(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks are not links
    return [t for t in _LINK.findall(text)
            if not re.match(r"^[a-z]+:", t) and not t.startswith("#")]


def test_readme_points_to_every_document():
    targets = {t.split("#")[0] for t in _links(README)}
    for doc in ("docs/guide.md", "docs/model.md", "docs/architecture.md", "docs/functions.md",
                "docs/benchmarks.md"):
        assert doc in targets, f"README.md does not link {doc}"


@pytest.mark.parametrize("doc", [README] + sorted((ROOT / "docs").glob("*.md")),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(doc):
    broken = [t for t in _links(doc) if not (doc.parent / t.split("#")[0]).resolve().exists()]
    assert not broken, f"{doc.relative_to(ROOT)}: broken links {broken}"


# ---- docs/model.md §10: the defaults table says what the code does ---------------------------

def _defaults_table():
    text = MODEL.read_text(encoding="utf-8")
    start = re.search(r"^## 10\. ", text, re.M).start()
    end = re.search(r"^## 11\. ", text, re.M).start()
    section = text[start:end]
    first = section.index("| Parameter | Where | Default | Source |")
    table = section[first:section.index("\n\n", first)]  # the defaults table only
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows[1:]]  # skip the header


def _field_defaults(function_name):
    import addin.udfs as x
    rows = getattr(x, function_name)()
    return {r[0]: r[1] for r in rows[1:]}


def _documented_default(where: str):
    names = re.findall(r"`([^`]+)`", where)
    if "field" in where:  # `DEAL_FIELDS` field `rent0`
        table, field = names
        return _field_defaults(table)[field]
    if "argument" in where:
        owner, arg = names
        if "." in owner:  # a pymodel function: `pymodel.catalogue.parity_step_down`
            mod, func = owner.rsplit(".", 1)
            return inspect.signature(getattr(importlib.import_module(mod), func)).parameters[
                arg].default
        from addin.registry import REGISTRY
        spec = {a.name: a for a in REGISTRY[owner].args}[arg]
        assert spec.optional, f"{owner}({arg}) is required in Excel: it has no default to state"
        return spec.default
    raise AssertionError(f"cannot read where a default lives: {where!r}")


def test_defaults_table_matches_the_functions():
    rows = _defaults_table()
    assert len(rows) >= 20
    for parameter, where, value, _source in rows:
        actual = _documented_default(where)
        assert float(actual) == pytest.approx(float(value), rel=1e-12), (
            f"docs/model.md §10 says {parameter} defaults to {value} in {where}; "
            f"the code uses {actual}")


# ---- docs/benchmarks.md is generated by the benchmark scripts ---------------------------------

@pytest.fixture()
def timing():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        yield importlib.import_module("_timing")
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def test_every_benchmark_script_has_its_generated_section(timing):
    scripts = sorted(p.stem for p in (ROOT / "benchmarks").glob("bench_*.py"))
    assert set(scripts) <= set(timing.ORDER), "add new benchmark scripts to _timing.ORDER"
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert page.startswith(timing.HEADER)
    sections = timing.read_sections(page)
    for name in scripts:
        assert name in sections, f"run python benchmarks/{name}.py to generate its section"
        assert f"python benchmarks/{name}.py" in sections[name]
        assert "Measured " in sections[name] and " UTC on " in sections[name]
        script = (ROOT / "benchmarks" / f"{name}.py").read_text(encoding="utf-8")
        assert f'Report("{name}"' in script and ".publish(" in script


def test_write_section_replaces_its_own_section_and_keeps_the_others(tmp_path, timing):
    page = tmp_path / "benchmarks.md"

    def section(name, body):
        r = timing.Report(name, name.title(), body)
        r.info = dict(r.info, date="2000-01-01 00:00 UTC", commit=None)
        return r.render()

    timing.write_section(page, "bench_lgd", section("bench_lgd", "first loss run"))
    timing.write_section(page, "bench_rv", section("bench_rv", "first rv run"))
    text = timing.write_section(page, "bench_lgd", section("bench_lgd", "second loss run"))
    assert text == page.read_text(encoding="utf-8")
    assert text.startswith(timing.HEADER)
    assert "first loss run" not in text and "second loss run" in text and "first rv run" in text
    assert text.index("bench:bench_rv:begin") < text.index("bench:bench_lgd:begin")  # ORDER
    assert list(timing.read_sections(text)) == ["bench_rv", "bench_lgd"]
    with pytest.raises(ValueError, match="unknown benchmark script"):
        timing.Report("bench_nothing", "x")


def test_figures_stand_next_to_their_floor(timing):
    fig = timing.Figure("GPU_RV over a tape", 0.080, "`income_value`", 0.002, per=10_000)
    what, t, floor_what, floor_t, ratio = fig.cells()
    assert (what, floor_what, ratio) == ("GPU_RV over a tape", "`income_value`", "40.0x")
    assert t == "80.00 ms (8.0 us a row)" and floor_t == "2.00 ms (200 ns a row)"
    assert timing.Figure("model only", 0.5).cells()[2:] == ["-", "-", "-"]


_OLD_CITATION = re.compile(r"model reference,?\s+(?:sections?\s+|conventions?\s+|\()?\d", re.I)
_ISSUE_NUMBER = re.compile(r"\bissues?\s*#?\d+|\(issue\b", re.I)


def test_no_old_style_citations_or_issue_numbers():
    """Code, tests, data and docs cite the model reference as "§N.N" and cite no issue numbers."""
    found = []
    for path in _files():
        if path == Path(__file__):
            continue
        for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(),
                                 1):
            if _OLD_CITATION.search(line) or _ISSUE_NUMBER.search(line):
                found.append(f"{path.relative_to(ROOT)}:{i}: {line.strip()[:80]}")
    assert not found, "write §N.N for the model reference, no issue numbers:\n" + "\n".join(found)
