import pytest

from pymodel.errors import DomainError, InputTypeError
from pymodel.fields import FieldSet, FieldSpec, parse_number_list
from pymodel.validation import Interval

FS = FieldSet("deal_inputs", [
    FieldSpec("gpus", 1000.0, "GPUs", "Number of GPUs", domain=Interval(0, None, False)),
    FieldSpec("amortization", "annuity", "", "Repayment profile", kind="choice",
              choices=("annuity", "linear")),
    FieldSpec("step_years", (), "years", "Step-down years", kind="list", domain=Interval(0, None)),
    FieldSpec("periods_per_year", 4, "", "Periods a year", kind="int", domain=Interval(1, 12)),
])


def test_parse_defaults_and_values():
    out = FS.parse([("GPUs ", 512), ("step_years", "1.5; 3"), (None, None),
                    ("periods_per_year", 12.0)])
    assert out == {"gpus": 512.0, "amortization": "annuity", "step_years": (1.5, 3.0),
                   "periods_per_year": 12}


def test_unknown_field_names_nearest():
    with pytest.raises(InputTypeError, match=r"unknown field 'gpu'; did you mean 'gpus'\?"):
        FS.parse([("gpu", 1)])


def test_duplicate_and_domain():
    with pytest.raises(InputTypeError, match="deal_inputs: field 'GPUS' appears more than once"):
        FS.parse([("gpus", 1), ("GPUS", 2)])
    with pytest.raises(InputTypeError, match="deal_inputs: the value 5 has no field name"):
        FS.parse([(None, 5.0)])
    with pytest.raises(DomainError, match="gpus must be > 0; got -5"):
        FS.parse([("gpus", -5)])


def test_parse_number_list():
    assert parse_number_list("x", "1.5; 3, 4") == (1.5, 3.0, 4.0)
    assert parse_number_list("x", [[1.0], [None], [2.0]]) == (1.0, 2.0)
    assert parse_number_list("x", None) == ()
    with pytest.raises(InputTypeError):
        parse_number_list("x", "1; a")


def test_table_lists_every_field():
    rows = FS.table()
    assert rows[0] == ["field", "default", "unit", "description"]
    assert [r[0] for r in rows[1:]] == FS.names()
