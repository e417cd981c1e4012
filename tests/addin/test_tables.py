"""Tables reach the cells the same way as plain rows as through a pandas DataFrame: the add-in
asks the model for plain rows (no pandas import), and every cell is identical."""

from __future__ import annotations

import subprocess
import sys

import inspect

import pytest

import addin.udfs as udfs
from addin.registry import REGISTRY, convert_args, shape_result
from pymodel import dscr
from pymodel.frames import Rows, plain_tables

TENANTS = [["name", "share", "rate", "start", "end", "pd", "rating", "backstop", None],
           ["Hyperscaler", 0.35, 2.40, 0.0, 4.0, 0.002, "AA-", None, None],
           ["AI lab", 0.25, 2.70, 0.0, 3.0, 0.06, "B", 0.8, "Google backstop"]]


def block(**changes):
    d = dict(dscr.sample_deal(), contracted_share=None, contract_rate=None,
             contract_years=None, **changes)
    return [[k, v] for k, v in d.items()]


DEAL = [[k, v] for k, v in dscr.sample_deal().items() if v is not None]
#: Excel function -> argument lists (cells as Excel sends them).
CASES = {
    "DSCR_TABLE": [(DEAL,), (block(), TENANTS), (block(amortization="sculpted"), TENANTS)],
    "DSCR_COMPARE": [(DEAL,), (block(), TENANTS)],
    "TENANT_CASHFLOWS": [(DEAL,), (block(), TENANTS)],
    "TENANT_STRESS": [(DEAL, 1.0), (block(), 2.0, TENANTS), (block(), 0.0, TENANTS[:2])],
    "LTV_TABLE": [(DEAL,), (block(), TENANTS)],
    "GPU_RV_CURVE": [(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1),
                     (30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 3.0, 2.0, None, 1.0, 900.0),
                     (30000.0, 2.5, 0.85, 0.5, 0.0, 0.1)],
}


@pytest.mark.parametrize("name,args", [(n, a) for n, cases in CASES.items() for a in cases])
def test_plain_rows_give_the_same_cells_as_the_dataframe(name, args):
    body = getattr(udfs, name).__wrapped__  # the area module's body: one model call
    spec = REGISTRY[name]
    bound = inspect.signature(body).bind(*args)
    bound.apply_defaults()
    kwargs = convert_args(spec, bound.arguments)
    df = body(**kwargs)
    with plain_tables():
        rows = body(**kwargs)
    assert type(df).__name__ == "DataFrame" and isinstance(rows, Rows)
    expected, got = shape_result(name, df), shape_result(name, rows)
    assert got == expected
    assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in expected]
    assert getattr(udfs, name)(*args) == expected  # what Excel gets


def test_a_table_function_called_from_excel_imports_no_pandas():
    code = ("import sys\nimport addin.udfs as u\n"
            f"deal = {DEAL!r}\ntenants = {TENANTS!r}\n"
            "t = u.DSCR_TABLE(deal)\nassert t[0][0] == 'period' and len(t) > 2, t\n"
            "s = u.TENANT_STRESS(deal, 1.0)\nassert len(s) > 1, s\n"
            "c = u.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1)\n"
            "assert c[0][0] == 'year', c\n"
            "assert 'pandas' not in sys.modules\n"
            "from pymodel import dscr\n"
            "assert type(dscr.dscr_table(deal)).__name__ == 'DataFrame'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
