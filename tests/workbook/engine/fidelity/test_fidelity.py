"""The fidelity corpus: every formula cell of every case equals its independently derived value
(within 1e-9 relative), exit codes and kept cells are as Excel's behaviour implies."""

from __future__ import annotations

import pytest

from .cases import check
from .features import FEATURES
from .models import MODELS

CASES = [build() for build in FEATURES + MODELS]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case, tmp_path):
    got = check(case, str(tmp_path))
    assert got.mismatches == [], f"{case.name}: {got.mismatches[:10]}"
    assert got.exit_code == case.exit_code, got
    assert got.kept_cells == case.kept
    if case.note:
        assert any(case.note in n for n in got.notes), got.notes
