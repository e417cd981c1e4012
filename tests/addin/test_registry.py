import math

import numpy as np
import pytest

from addin import cells
from addin.registry import REGISTRY, is_cell_reference, shape_result, udf
from pymodel.schema import Param
import addin.udfs  # noqa: F401  (registers every function)


@pytest.mark.parametrize("name, expected", [
    ("LGD1", True), ("DSCR2", True), ("A1", True), ("XFD1048576", True), ("R1C1", True),
    ("GPU_RV", False), ("LLCR", False), ("XFE1", True), ("DSCR_MIN", False),
])
def test_cell_reference_names(name, expected):
    assert is_cell_reference(name) is expected


def test_every_registered_function_passes_excel_limits():
    assert REGISTRY, "no functions registered"
    for spec in REGISTRY.values():
        assert 0 < len(spec.doc) <= 255, spec.name
        assert not is_cell_reference(spec.name)
        assert not spec.volatile
        assert len(spec.args) <= 30
        for a in spec.args:
            assert 0 < len(a.doc) <= 255, (spec.name, a.name)
            assert not a.doc.startswith("Positional argument")


def test_shape_result_never_leaks_nan_inf_none():
    assert shape_result("F", float("nan")).startswith("#NUM! F:")
    assert shape_result("F", np.float64(2.5)) == 2.5
    table = shape_result("F", [[1.0, None], [float("nan"), float("inf")]])
    assert table[0] == [1.0, ""] and table[1][0] == "#N/A"
    assert table[1][1].startswith("#NUM! ") and len(table[1][1]) > 6  # a reason, not bare
    assert shape_result("F", np.array([1, 2])) == [[1.0], [2.0]]


#: Parameters of the test functions below (not the model's schema).
_P = {"a": Param("a", "", "a number"), "x": Param("x", "", "a number"),
      "n": Param("n", "", "count", default=3, source="D", kind="int"),
      "zzz": Param("zzz", "", "a number")}


def test_declaration_rejects_bad_metadata():
    with pytest.raises(ValueError, match="cell address"):
        @udf(category="x", params=_P)
        def LGD1(a):
            """Doc."""
            return a
    with pytest.raises(ValueError, match="docstring"):
        @udf(category="x", params=_P)
        def TOO_LONG(a):
            return a
    with pytest.raises(ValueError, match="not a parameter of the model"):
        @udf(category="x")
        def UNDOCUMENTED(zzz):
            """Doc."""
            return zzz
    with pytest.raises(ValueError, match="optional in Excel but required in the schema"):
        @udf(category="x", params=_P)
        def OPTIONAL_FACT(a=None):
            """Doc."""
            return a
    with pytest.raises(ValueError, match="optional argument defaults to None"):
        @udf(category="x", params=_P)
        def LITERAL_DEFAULT(n=3):
            """Doc."""
            return n


def test_adapter_converts_defaults_and_errors():
    @udf(category="test", params=_P)
    def TEST_ADAPTER_FN(x, n=None):
        """Test function."""
        if x == 99:
            raise RuntimeError("boom")
        return x * n
    try:
        assert TEST_ADAPTER_FN(2.0) == 6.0
        assert TEST_ADAPTER_FN([[2.0]], None) == 6.0
        assert TEST_ADAPTER_FN(2.0, 4.0) == 8.0
        assert TEST_ADAPTER_FN("a") == "#VALUE! x must be a number; got text 'a'"
        assert TEST_ADAPTER_FN(None) == "#VALUE! x is required; got an empty cell"
        assert TEST_ADAPTER_FN(True).startswith("#VALUE! x must be a number; got TRUE")
        assert TEST_ADAPTER_FN("#N/A") == "#VALUE! x refers to an error cell (#N/A)"
        assert TEST_ADAPTER_FN(2.0, 2.5).startswith("#VALUE! n must be a whole number")
        out = TEST_ADAPTER_FN(99.0)
        assert out.startswith("#VALUE! TEST_ADAPTER_FN: internal error (RuntimeError)")
        assert "Traceback" not in out
        assert TEST_ADAPTER_FN(float("inf")).startswith("#NUM! x must be a finite number")
        spec = REGISTRY["TEST_ADAPTER_FN"]
        assert [a.kind for a in spec.args] == ["number", "int"]  # from the parameters' kinds
        assert spec.args[1].doc == "count. Default 3."
    finally:
        REGISTRY.pop("TEST_ADAPTER_FN")


def test_every_argument_is_a_declared_parameter_with_its_help():
    """Excel help derives from the schema: a required use never shows a default, an optional
    one shows the declared default (or what an empty cell means)."""
    from pymodel.schema import SCHEMA
    for spec in REGISTRY.values():
        if spec.name.startswith("TEST_"):
            continue
        for a in spec.args:
            p = SCHEMA[a.name]
            assert a.doc == p.help(optional=a.optional), (spec.name, a.name)
            assert a.unit == p.unit
            if not a.optional:
                assert "Default" not in a.doc, (spec.name, a.name)
            elif p.default is None:
                assert "Empty: " in a.doc and a.default is None
            else:
                assert a.default == p.default
    # the bug this fixes: LGD_CORR's required rho_collateral said "Default 0.5"
    lgd = {a.name: a for a in REGISTRY["LGD_CORR"].args}
    assert "Default" not in lgd["rho_collateral"].doc
    # a time t and a tenor are different quantities with different units
    rent = {a.name: a for a in REGISTRY["GPU_RENT"].args}["t_years"]
    tenor = {a.name: a for a in REGISTRY["DEBT_SCHEDULE"].args}["debt_years"]
    assert rent.unit == "years from the valuation date" and tenor.unit == "years"


def test_vector_converter():
    assert cells.to_vector("v", [[1.0], [2.0], [None]]) == [1.0, 2.0]
    assert cells.to_vector("v", [[1.0, 2.0]]) == [1.0, 2.0]
    assert cells.to_vector("v", 3.0) == [3.0]
    assert cells.to_vector("v", [[None]]) is None
    with pytest.raises(Exception, match=r"v must be a single row or column; got a 2x2 range"):
        cells.to_vector("v", [[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(Exception, match=r"v\[2\] is required"):
        cells.to_vector("v", [[1.0], [None], [3.0]])


def test_pairs_converter():
    assert cells.to_pairs("deal", [["gpus", 8.0], ["rate", "0.1"]]) == [("gpus", 8.0),
                                                                       ("rate", "0.1")]
    with pytest.raises(Exception, match="two-column range"):
        cells.to_pairs("deal", [["a", 1, 2]])


def test_version_function():
    import pymodel
    assert addin.udfs.COMPUTECREDIT_VERSION() == pymodel.__version__
    table = addin.udfs.COMPUTECREDIT_FUNCTIONS()
    assert table[0] == ["function", "category", "description"]
    assert not any(isinstance(v, float) and math.isnan(v) for r in table for v in r)


def test_number_converter_reports_range_shape():
    with pytest.raises(Exception, match=r"x must be a number; got a 1x2 range"):
        cells.to_number("x", [[1.0, 2.0]])
    with pytest.raises(Exception, match=r"x must be a number; got a 3x1 range"):
        cells.to_number("x", [[1.0], [2.0], [3.0]])
    assert cells.to_number("x", [[2.0]]) == 2.0


def test_vector_fast_path_matches_checked_path():
    clean = cells.to_vector("v", [[1], [2.5], [-0.0]])
    assert clean == [1.0, 2.5, 0.0] and all(type(v) is float for v in clean)
    assert str(clean[2]) == "0.0"  # negative zero normalised as on the checked path
    with pytest.raises(Exception, match=r"v\[2\] must be a finite number"):
        cells.to_vector("v", [[1.0], [float("nan")]])
    with pytest.raises(Exception, match=r"v\[1\] must be a number; got TRUE"):
        cells.to_vector("v", [[True], [2.0]])
