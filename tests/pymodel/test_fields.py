import warnings

import pytest

from pymodel.errors import DomainError, InputTypeError
from pymodel.fields import RENAMED_UNTIL, Field, FieldSet, parse_number_list
from pymodel.schema import REQUIRED, Param
from pymodel.validation import Interval

GPUS = Param("gpus", "GPUs", "Number of GPUs", Interval(0, None, False))
AMORT = Param("amortization", "", "Repayment profile", default="annuity", source="D",
              kind="choice", choices=("annuity", "linear"))
STEPS = Param("step_years", "years", "Step-down years", Interval(0, None), default=(),
              source="D", kind="list")
PPY = Param("payments_per_year", "payments per year", "Payments a year", Interval(1, 12),
            default=4, source="D", kind="int")
SHARE = Param("contracted_share", "decimal", "Contracted share", Interval(0, 1), default=0.0,
              source="D")
RATE = Param("contract_rate", "currency per GPU-hour", "Contract rent", Interval(0, None))
PD = Param("tenant_pd", "decimal", "Tenant PD", Interval(0, 1), default=None,
           empty="no tenant risk")
FS = FieldSet("deal_inputs", [
    GPUS, AMORT, STEPS, PPY, SHARE,
    Field(RATE, when="contracted_share > 0", needed=lambda v: v["contracted_share"] > 0),
    PD,
], renamed={"periods_per_year": "payments_per_year"})


def test_parse_defaults_and_values():
    out = FS.parse([("GPUs ", 512), ("step_years", "1.5; 3"), (None, None),
                    ("payments_per_year", 12.0)])
    assert out == {"gpus": 512.0, "amortization": "annuity", "step_years": (1.5, 3.0),
                   "payments_per_year": 12, "contracted_share": 0.0, "contract_rate": None,
                   "tenant_pd": None}


def test_unknown_field_names_nearest():
    with pytest.raises(InputTypeError, match=r"unknown field 'gpu'; did you mean 'gpus'\?"):
        FS.parse([("gpu", 1)])
    # a misspelt old name points at the new one
    with pytest.raises(InputTypeError, match=r"did you mean 'payments_per_year'\?"):
        FS.parse([("gpus", 1), ("period_per_year", 4)])


def test_duplicate_and_domain():
    with pytest.raises(InputTypeError, match="deal_inputs: field 'GPUS' appears more than once"):
        FS.parse([("gpus", 1), ("GPUS", 2)])
    with pytest.raises(InputTypeError, match="deal_inputs: the value 5 has no field name"):
        FS.parse([(None, 5.0)])
    with pytest.raises(DomainError, match="gpus must be > 0; got -5"):
        FS.parse([("gpus", -5)])


def test_a_field_holds_one_number_not_a_range():
    """A block read from Python can carry a list where a cell holds one number: it is named
    as a range (the vectorised check alone would pass the array through)."""
    for value in ([[0.2, 0.3]], [0.2, 0.3], [[0.2]]):
        with pytest.raises(InputTypeError, match=r"^contracted_share must be a number; got a "
                                                 r"range of"):
            FS.parse([("gpus", 1), ("contracted_share", value)])
    with pytest.raises(InputTypeError, match=r"^payments_per_year must be a number; got a range"):
        FS.parse([("gpus", 1), ("payments_per_year", [4, 12])])
    assert FS.parse([("gpus", 2)])["gpus"] == 2.0


def test_required_fields_name_the_block_the_field_and_its_unit():
    with pytest.raises(InputTypeError, match=r"^deal_inputs: 'gpus' is required \(GPUs\)$"):
        FS.parse([("amortization", "linear")])
    with pytest.raises(InputTypeError, match=r"^deal_inputs: 'gpus' is required \(GPUs\)$"):
        FS.parse([("gpus", None)])  # an empty value is not a value
    # required only when the condition holds on the parsed values
    assert FS.parse([("gpus", 1)])["contract_rate"] is None
    with pytest.raises(InputTypeError, match=r"^deal_inputs: 'contract_rate' is required when "
                                             r"contracted_share > 0 \(currency per GPU-hour\)$"):
        FS.parse([("gpus", 1), ("contracted_share", 0.5)])
    assert FS.parse([("gpus", 1), ("contracted_share", 0.5),
                     ("contract_rate", 2.0)])["contract_rate"] == 2.0


def test_missing_fields_are_listed_together():
    fs = FieldSet("deal_inputs", [GPUS, RATE, AMORT])
    with pytest.raises(InputTypeError, match=r"^deal_inputs: 'gpus' is required \(GPUs\); also "
                                             r"missing: 'contract_rate'$"):
        fs.parse([])


def test_renamed_field_is_read_with_a_deprecation_note():
    with pytest.warns(DeprecationWarning, match=r"'periods_per_year' is renamed "
                                                r"'payments_per_year'"):
        out = FS.parse([("gpus", 1), ("Periods_Per_Year", 12)])
    assert out["payments_per_year"] == 12
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(InputTypeError, match="appears more than once"):
            FS.parse([("gpus", 1), ("periods_per_year", 12), ("payments_per_year", 4)])
    rows = FS.table()
    assert rows[-1][0] == "periods_per_year" and rows[-1][1] == "renamed"
    assert "payments_per_year" in rows[-1][3] and RENAMED_UNTIL in rows[-1][3]


def test_old_names_are_dropped_on_time():
    """The old names are accepted for one release: this fails once the version reaches the
    one announced, as a reminder to remove them (and this test)."""
    import pymodel
    version = tuple(int(x) for x in pymodel.__version__.split(".")[:3])
    until = tuple(int(x) for x in RENAMED_UNTIL.split("."))
    assert version < until


def test_parse_number_list():
    assert parse_number_list("x", "1.5; 3, 4") == (1.5, 3.0, 4.0)
    assert parse_number_list("x", [[1.0], [None], [2.0]]) == (1.0, 2.0)
    assert parse_number_list("x", None) == ()
    with pytest.raises(InputTypeError):
        parse_number_list("x", "1; a")


def test_table_lists_every_field_and_marks_required_ones():
    rows = FS.table()
    assert rows[0] == ["field", "default", "unit", "description", "source"]
    body = {r[0]: r for r in rows[1:]}
    assert [r[0] for r in rows[1:len(FS.names()) + 1]] == FS.names()
    assert body["gpus"][1] == "required"
    assert body["contract_rate"][1] == "required when contracted_share > 0"
    assert body["payments_per_year"][1] == 4 and body["step_years"][1] == "(none)"
    assert body["tenant_pd"][1] == "(none)" and "Empty: no tenant risk." in body["tenant_pd"][3]
    assert GPUS.default is REQUIRED
