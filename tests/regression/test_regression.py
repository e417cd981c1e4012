"""Every Excel function and the main model functions give the results recorded in
``fixture.json`` (built by ``build_fixture.py`` before the parameter schema and the coverage
package split), to a relative tolerance of 1e-12.

Renamed arguments are mapped: Excel calls are positional (positions never change), Python
keywords are translated with :data:`KEYWORDS`, and names inside error messages with
:data:`WORDS`. Results that another change alters on purpose are listed in :data:`CHANGED`
with the reason; the test checks their new value instead.
"""

from __future__ import annotations

import json
import pathlib
import warnings

import pytest

from tests.regression.codec import differences, run_case

FIXTURE = pathlib.Path(__file__).with_name("fixture.json")
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]

#: Python keyword renames, per function (old -> new).
KEYWORDS: dict[str, dict[str, str]] = {}
#: Argument and field names as they appear in messages and result keys (old -> new).
WORDS: dict[str, str] = {}
#: Function moves (old dotted path -> new).
FUNCTIONS: dict[str, str] = {}
#: case id -> (expected new result, reason).
CHANGED: dict[str, tuple[object, str]] = {}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_result_unchanged(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # old field names still accepted
        actual = run_case(case, FUNCTIONS, KEYWORDS)
    expected, _ = CHANGED.get(case["id"], (case["out"], ""))
    diffs = differences(expected, actual, case["id"], WORDS)
    assert not diffs, "\n".join(diffs)


def test_fixture_covers_every_excel_function():
    import addin.udfs  # noqa: F401
    from addin.registry import REGISTRY
    from tests.regression.build_fixture import METADATA
    covered = {c["name"] for c in CASES if c["kind"] == "udf"}
    assert sorted(set(REGISTRY) - covered - METADATA) == []


def test_the_comparison_can_fail():
    """The tolerance is tight: a change in the 11th significant digit is caught."""
    assert differences(1.0, 1.0 + 1e-10) != []
    assert differences([1.0, "a"], [1.0, "b"]) != []
    assert differences({"x": 2.0}, {"y": 2.0}) != []
    assert differences("balloon must", "balloon_share must", words={"balloon": "balloon_share"}
                       ) == []
