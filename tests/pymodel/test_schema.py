"""The parameter schema: one declaration per quantity, and every public function agrees with it."""

import importlib
import inspect
import pkgutil

import pytest

import pymodel
from pymodel.errors import DomainError, InputTypeError
from pymodel.schema import (NOT_GIVEN, REQUIRED, SCHEMA, Param, Schema, declare, load_all,
                            param)
from pymodel.schema import SchemaError
from pymodel.validation import Interval

load_all()

#: Public functions whose arguments are not model quantities: a label for messages, a raw
#: value to convert, a sample name, overrides by keyword.
NOT_MODEL_ARGUMENTS = {
    ("pymodel.validation", "*"), ("pymodel.errors", "*"), ("pymodel.schema", "*"),
    ("pymodel.fields", "*"), ("pymodel.breakeven", "*"), ("pymodel.roots", "*"),
    # plumbing: how tables are returned, modules imported at first use
    ("pymodel.frames", "*"), ("pymodel.lazy", "*"),
    ("pymodel.catalogue", "to_date"), ("pymodel.catalogue", "year_fraction"),
    ("pymodel.deflation", "to_day_numbers"), ("pymodel.irb", "broadcast_named"),
    ("pymodel.lgd_mc", "rng_for"), ("pymodel.lgd_mc", "sample_inputs"),
    ("pymodel.samples", "sample_report"),
    # kernels: clean arrays from a caller that validated (documented as such)
    ("pymodel.dscr.cashflows", "*"), ("pymodel.bivariate", "phi2_scalar"),
    ("pymodel.dscr.collateral", "*"), ("pymodel.dscr.waterfall", "*"),
    ("pymodel.dscr.tenants", "window_fraction"), ("pymodel.dscr.tenants", "wrong_way_factor"),
    ("pymodel.dscr.tenants", "contract_flows"),
    ("pymodel.dscr.structure", "debt_repaid_by_contracts"),
    ("pymodel.residual", "require_finite"), ("pymodel.implied", "brent_vectorised"),
    # a reader of a data file (its argument is the raw table)
    ("pymodel.market", "validate_market_evidence"),
    # portfolio plumbing: executors and prepared models, not quantities
    ("pymodel.portfolio", "serial_map"), ("pymodel.portfolio", "simulate_many"),
    ("pymodel.portfolio", "factor_labels"),
    # a tape reader and its vectorised kernel over the validated facilities it returns
    ("pymodel.facility", "prepare_facilities"), ("pymodel.facility", "facility_metrics"),
}
#: Arguments that are switches of a function, not quantities (documented in its docstring).
SWITCHES = {"flat", "collateral", "name", "kind", "inputs", "ordered", "map_fn"}


def _public_functions():
    for m in pkgutil.walk_packages(pymodel.__path__, "pymodel."):
        mod = importlib.import_module(m.name)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.isfunction(obj) and obj.__module__ == mod.__name__:
                if (m.name, "*") in NOT_MODEL_ARGUMENTS or (m.name, name) in NOT_MODEL_ARGUMENTS \
                        or name.endswith("_kernel"):
                    continue
                yield f"{m.name}.{name}", obj


FUNCTIONS = sorted(_public_functions())


def test_the_walk_finds_the_model():
    names = {n for n, _ in FUNCTIONS}
    assert {"pymodel.residual.income_value", "pymodel.debt.debt_schedule",
            "pymodel.dscr.ratios.dscr_breakeven", "pymodel.irb.irb_capital",
            "pymodel.lgd.lgd_corr", "pymodel.haircut.firesale_components"} <= names


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_every_argument_is_declared_and_defaults_agree(name, fn):
    """A public function's argument is a declared parameter; its Python default is the
    declared default (never a second, literal one), or absent (required here), or NOT_GIVEN
    (an override that keeps a value held elsewhere)."""
    for p in inspect.signature(fn).parameters.values():
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.name in SWITCHES:
            continue
        assert p.name in SCHEMA, f"{name}: argument {p.name} is not declared"
        declared = SCHEMA[p.name]
        if p.default is p.empty or p.default is NOT_GIVEN:
            continue
        assert declared.has_default, f"{name}.{p.name}: a default for a required parameter"
        assert p.default == declared.default and type(p.default) is type(declared.default), (
            f"{name}.{p.name}: default {p.default!r}, declared {declared.default!r}")


def test_a_second_declaration_with_another_meaning_is_refused():
    reg = Schema()
    a = Param("balloon_share", "decimal of debt", "Share of the debt left at maturity",
              Interval(0, 1), default=0.0, source="D")
    reg.declare(a)
    reg.declare(Param("balloon_share", "decimal of debt", "Share of the debt left at maturity",
                      Interval(0, 1), default=0.0, source="D"))  # the same quantity: fine
    with pytest.raises(SchemaError, match="declared twice with different meanings"):
        reg.declare(Param("balloon_share", "currency", "Amount left at maturity",
                          Interval(0, None), default=0.0, source="D"))
    with pytest.raises(SchemaError):
        reg.declare(Param("balloon_share", "decimal of debt", "Share of the debt left at "
                          "maturity", Interval(0, 1), default=0.1, source="D"))
    # in the real registry too
    with pytest.raises(SchemaError, match="'deflation'"):
        declare(Param("deflation", "decimal per year", "Value decline while selling",
                      Interval(-1, 1, False, False), default=0.30, source="D"))


def test_declarations_carry_what_a_reader_needs():
    with pytest.raises(ValueError, match="needs its source"):
        Param("x_rate", "decimal", "A rate", default=0.1)
    with pytest.raises(ValueError, match="needs `empty`"):
        Param("x_rate", "decimal", "A rate", default=None)
    with pytest.raises(DomainError, match="x_rate must be in"):
        Param("x_rate", "decimal", "A rate", Interval(0, 1), default=2.0, source="D")
    with pytest.raises(ValueError, match="lower-case identifier"):
        Param("Rate", "decimal", "A rate")
    for p in SCHEMA.values():
        assert p.doc and p.module.startswith("pymodel"), p.name
        if p.has_default and p.default is not None:
            assert p.source, p.name
        p.help(optional=False)  # within Excel's 255 characters
        p.help(optional=p.has_default)


def test_facts_of_a_deal_are_required():
    for name in ("gpus", "rent0", "cash_cost", "gpu_cost", "debt", "debt_rate", "debt_years",
                 "contract_rate", "contract_years", "ead", "pd", "gpu_value"):
        assert param(name).default is REQUIRED, name


def test_different_quantities_have_different_names_and_units():
    assert param("t_years").unit == "years from the valuation date"
    assert param("debt_years").unit == "years"
    assert param("balloon_share").unit == "decimal of debt"
    assert param("balloon_amount").unit == "currency"
    ppy = {n: param(n) for n in ("points_per_year", "payments_per_year", "periods_per_year")}
    assert ppy["points_per_year"].default == 1 and ppy["payments_per_year"].default == 4
    assert ppy["periods_per_year"].default == 12
    assert ppy["payments_per_year"].choices == (1, 2, 4, 12)
    assert param("value_decline").doc != param("deflation").doc
    assert param("workout_discount_rate").doc != param("discount_rate").doc
    for old in ("years", "balloon", "life_years", "cost", "rho", "times", "principal",
                "annual_rate", "gpu_units", "inputs"):
        assert old not in SCHEMA, old


def test_help_shows_a_default_only_where_the_argument_may_be_empty():
    p = param("deflation")
    assert "Default 0.25" in p.help()
    assert "Default" not in p.help(optional=False)
    assert "Empty: the Basel correlation of pd" in param("asset_corr").help()
    assert p.help().startswith("Annual decline g of the trend (median) market rent")
    assert "Unit: decimal per year. Must be in (-1, 1)." in p.help()


def test_check_uses_the_declared_domain_and_kind():
    assert param("payments_per_year").check(4.0) == 4
    with pytest.raises(DomainError, match=r"^payments_per_year must be one of 1 \| 2 \| 4 \| 12"
                                          r"; got 3$"):
        param("payments_per_year").check(3)
    with pytest.raises(InputTypeError, match="amortization must be one of"):
        param("amortization").check("balloon")
    assert param("step_years").check("1.5; 3") == (1.5, 3.0)
    with pytest.raises(DomainError, match=r"^pd must be in \(0, 1\); got 1$"):
        SCHEMA.check("pd", 1.0)


def test_not_given_differs_from_none():
    from pymodel import dscr
    deal = dscr.sample_deal()
    base = dscr.dscr_min(deal)
    assert dscr.dscr_min(deal, deflation=NOT_GIVEN) == base
    with pytest.raises(InputTypeError, match="deflation must be a number; got an empty cell"):
        dscr.dscr_min(deal, deflation=None)
    assert repr(NOT_GIVEN) == "NOT_GIVEN" and NOT_GIVEN is not None
