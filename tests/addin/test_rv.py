"""Residual value Excel functions: what Excel sends in, exact cell text out."""

import datetime as dt

import pytest

import addin.udfs as x
from addin.registry import REGISTRY
from pymodel import catalogue, deflation, market, residual

FUNCS = ["GPU_RENT", "GPU_ECON_LIFE", "GPU_RV", "GPU_BOOK_VALUE", "GPU_RV_CURVE", "GPU_SPEC",
         "GPU_SKUS", "RENT_DEFLATION_FIT"]


def test_names_and_argument_order_as_in_the_issue():
    args = {n: [a.name for a in REGISTRY[n].args] for n in FUNCS}
    assert args["GPU_RENT"] == ["rent0", "t_years", "deflation", "step_years", "step_downs"]
    assert args["GPU_ECON_LIFE"] == ["rent0", "utilization", "cash_cost", "deflation",
                                     "max_life_years", "step_years", "step_downs"]
    assert args["GPU_RV"] == ["rent0", "utilization", "cash_cost", "deflation",
                              "discount_rate", "salvage", "max_life_years", "step_years",
                              "step_downs", "operating_flexibility", "rent_vol",
                              "avoidable_share"]
    assert args["GPU_BOOK_VALUE"] == ["gpu_cost", "age_years", "book_life_years", "salvage"]
    assert args["GPU_RV_CURVE"] == ["gpu_cost", "rent0", "utilization", "cash_cost", "deflation",
                                    "discount_rate", "curve_years", "points_per_year",
                                    "book_life_years", "age_years", "salvage",
                                    "max_life_years", "step_years", "step_downs",
                                    "market_sku", "curve_date"]
    assert args["GPU_SPEC"] == ["sku", "field"]
    assert args["GPU_SKUS"] == []
    assert args["RENT_DEFLATION_FIT"] == ["dates", "rents", "basis", "fit_basis"]
    optional = {n: [a.name for a in REGISTRY[n].args if a.optional] for n in FUNCS}
    assert optional["GPU_RV"] == ["salvage", "max_life_years", "step_years", "step_downs",
                                  "operating_flexibility", "rent_vol", "avoidable_share"]
    assert optional["GPU_BOOK_VALUE"] == ["salvage"]
    for n in FUNCS:
        spec = REGISTRY[n]
        assert spec.module == "addin.rv" and 0 < len(spec.doc) <= 255
        assert all(0 < len(a.doc) <= 255 for a in spec.args)


def test_values_match_pymodel_with_excel_shapes():
    kw = dict(step_years=[0.75, 1.75], step_downs=[0.15, 0.1])
    expected = residual.income_value(2.5, 0.85, 0.5, 0.3, 0.1, salvage=900.0, **kw)
    # 1x1 ranges for scalars, floats for ints, columns for the step lists
    got = x.GPU_RV([[2.5]], 0.85, 0.5, [[0.3]], 0.1, 900.0, None, [[0.75], [1.75]],
                   [[0.15], [0.1]])
    assert got == pytest.approx(expected, rel=1e-15)
    # a row range for step lists, and empty trailing cells of a range selected too long
    assert x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, 900.0, 8.0, [[0.75, 1.75, None]],
                    [[0.15, 0.1, None]]) == pytest.approx(expected, rel=1e-15)
    # empty optional cells are the defaults (salvage 0, life 8, no steps)
    assert x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, None, None) == pytest.approx(
        residual.income_value(2.5, 0.85, 0.5, 0.3, 0.1))
    assert x.GPU_ECON_LIFE(2.5, 0.85, 0.5, 0.3) == pytest.approx(
        residual.economic_life(2.5, 0.85, 0.5, 0.3))
    assert x.GPU_ECON_LIFE(2.5, 0.85, 0.5, 0.3, 3.0) == 3.0
    assert x.GPU_BOOK_VALUE(30000.0, 3.0, 6.0) == 15000.0
    assert x.GPU_BOOK_VALUE(30000.0, 6.0, 6.0, [[900.0]]) == 900.0


def test_gpu_rent_spills_a_column():
    assert x.GPU_RENT(2.5, 1.0, 0.3) == pytest.approx(1.75)
    col = x.GPU_RENT(2.5, [[0.0], [1.0], [2.0]], 0.3, 1.5, 0.2)
    assert [len(r) for r in col] == [1, 1, 1]
    assert [r[0] for r in col] == pytest.approx([2.5, 1.75, 2.5 * 0.49 * 0.8])
    row_in = x.GPU_RENT(2.5, [[0.0, 1.0, 2.0]], 0.3)
    assert [r[0] for r in row_in] == pytest.approx([2.5, 1.75, 1.225])


def test_curve_table():
    table = x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 3.0, 2.0, None, 1.0, 900.0)
    assert table[0] == list(residual.CURVE_COLUMNS)
    assert len(table) == 1 + 7 and [r[0] for r in table[1:]] == [0, 0.5, 1, 1.5, 2, 2.5, 3]
    df = residual.value_curve(30000, 2.5, 0.85, 0.5, 0.3, 0.1, curve_years=3,
                              points_per_year=2, age_years=1.0, salvage=900.0)
    assert [r[2] for r in table[1:]] == pytest.approx(df["economic value"].tolist())
    default = x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1)
    assert len(default) == 1 + 7                  # horizon 6, one point a year
    assert default[-1][5] == "#N/A"               # book value 0 at 6 years: ratio undefined
    assert all(isinstance(v, (float, str)) for r in default for v in r)


def test_catalogue_functions():
    assert x.GPU_SPEC("H100 SXM", "gpu_kw") == 0.7
    assert x.GPU_SPEC([["h100"]], "fp8_dense_tflops") == 1979.0
    assert x.GPU_SPEC("B200", "volume_date") == "2024-12-01"
    assert x.GPU_SPEC("A100", "fp8_dense_tflops") == \
        "#N/A fp8_dense_tflops is not available for A100 SXM in the catalogue"
    assert x.GPU_SPEC("H1000", "gpu_kw") == (
        "#VALUE! sku must be one of A100 SXM | H100 SXM | H200 SXM | B200 | B300 | MI300X | "
        "Rubin; got text 'H1000'")
    assert x.GPU_SPEC("H100", 3.0) == "#VALUE! field must be text; got 3"
    assert x.GPU_SPEC(None, "gpu_kw") == "#VALUE! sku is required; got an empty cell"
    table = x.GPU_SKUS()
    assert table[0] == list(catalogue.FIELDS)
    assert [r[0] for r in table[1:]] == catalogue.sku_names()
    assert table[1][3] == "2020-05-14" and table[1][9] == "#N/A"   # A100: no FP8


def test_rent_deflation_fit_accepts_serials_and_datetimes():
    d = deflation.load_h100_rents("on-demand")
    serials = [[float((t - deflation.EXCEL_EPOCH).days)] for t in d["date"]]
    rents = [[r] for r in d["rent"]]
    out = x.RENT_DEFLATION_FIT(serials, rents)
    fit = deflation.deflation_fit(d["date"], d["rent"])
    n = float(len(d))
    assert out == [[pytest.approx(fit.g_trend), pytest.approx(fit.volatility), n,
                    pytest.approx(fit.g_mean)]]
    datetimes = [[t.to_pydatetime()] for t in d["date"]]
    assert x.RENT_DEFLATION_FIT(datetimes + [[None]], rents + [[None]]) == out
    assert x.RENT_DEFLATION_FIT([[s[0] for s in serials]], [[r[0] for r in rents]]) == out
    assert x.RENT_DEFLATION_FIT(serials, rents, "on-demand") == out
    assert x.RENT_DEFLATION_FIT(serials, rents, [[b] for b in d["basis"]], None) == out


def test_gpu_rv_operating_flexibility_switch():
    base = x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0)
    assert x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0, None, None, False, 0.4) == base
    on = x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0, None, None, True, 0.4, 0.6)
    opt, _ = residual.idle_option(2.35, 0.85, 0.5, 0.25, 0.1, 0.4, 0.6, salvage=900.0,
                                  max_life_years=7.0)
    assert on == pytest.approx(base + opt, rel=1e-12) and opt > 0
    default_share = x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, 900.0, 7.0, None, None, True, 0.4)
    assert base < default_share < on          # 0.24 avoidable by default, less than 0.6
    tape = x.GPU_RV([[2.35], [2.0]], 0.85, 0.5, 0.25, 0.1, 900.0, 7.0, None, None, True,
                    [[0.4], [0.6]], 0.5)
    assert len(tape) == 2 and all(isinstance(r[0], float) for r in tape)
    assert x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, None, True) == (
        "#VALUE! rent_vol (needed when operating_flexibility is TRUE) is required; got an "
        "empty cell")
    assert x.GPU_RV(2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, None, True, 0.4,
                    1.5) == "#NUM! avoidable_share must be in [0, 1]; got 1.5"


def test_gpu_rv_curve_shows_shipped_market_prices():
    plain = x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, 1.0, 900.0,
                           7.0)
    out = x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, 1.0, 900.0,
                         7.0, None, None, "H100", dt.datetime(2026, 6, 30))
    assert out[0] == plain[0] + ["market price", "market quotes"]
    assert [r[:6] for r in out[1:]] == plain[1:]
    med, n = market.observed_prices("H100 SXM", ["2026-06-30"])
    assert out[1][6] == med[0] and out[1][7] == float(n[0]) > 0
    assert 15000 <= out[1][6] <= 28000
    assert out[2][6] == "" and out[2][7] == 0.0          # no quotes a year ahead: empty
    assert x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, 1.0, 900.0,
                          7.0, None, None, "H100") == (
        "#VALUE! curve_date (needed with market_sku) is required; got an empty cell")
    assert x.GPU_RV_CURVE(30000.0, 2.35, 0.85, 0.5, 0.25, 0.1, None, None, None, 1.0, 900.0,
                          7.0, None, None, "TPU", "2026-06-30").startswith(
        "#VALUE! market_sku must be one of A100 SXM")


def test_rent_deflation_fit_bases():
    d = deflation.load_h100_rents()
    serials = [[float((t - deflation.EXCEL_EPOCH).days)] for t in d["date"]]
    rents = [[r] for r in d["rent"]]
    labels = [[b] for b in d["basis"]]
    mixed = x.RENT_DEFLATION_FIT(serials, rents, labels)
    assert mixed.startswith("#VALUE! basis must be one basis (or fit_basis: one of them, or "
                            "all); got a mix of on-demand")
    one = x.RENT_DEFLATION_FIT(serials, rents, labels, "1-year contract")
    fit = deflation.deflation_fit(d["date"], d["rent"], d["basis"], fit_basis="1-year contract")
    assert one == [[pytest.approx(v) for v in fit.row()]]
    every = x.RENT_DEFLATION_FIT(serials, rents, labels, "all")
    assert isinstance(every[0][0], float) and every[0][2] == float(len(d))
    assert x.RENT_DEFLATION_FIT(serials, rents, labels, "hourly").startswith(
        "#VALUE! fit_basis must be one of spot")


# ---------------------------------------------------------------- bad input: exact cell text

@pytest.mark.parametrize("call, text", [
    (lambda: x.GPU_RV("abc", 0.85, 0.5, 0.3, 0.1), "#VALUE! rent0 must be a number; got text 'abc'"),
    (lambda: x.GPU_RV(2.5, 0.85, "x", 0.3, 0.1),
     "#VALUE! cash_cost must be a number; got text 'x'"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 1.2, 0.1), "#NUM! deflation must be in (-1, 1); got 1.2"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, -1.0, 0.1), "#NUM! deflation must be in (-1, 1); got -1"),
    (lambda: x.GPU_RV(0.0, 0.85, 0.5, 0.3, 0.1), "#NUM! rent0 must be > 0; got 0"),
    (lambda: x.GPU_RV(-2.0, 0.85, 0.5, 0.3, 0.1), "#NUM! rent0 must be > 0; got -2"),
    (lambda: x.GPU_RV(2.5, 1.2, 0.5, 0.3, 0.1), "#NUM! utilization must be in [0, 1]; got 1.2"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, -1.5), "#NUM! discount_rate must be > -1; got -1.5"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, -5.0),
     "#NUM! salvage must be >= 0; got -5"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, None),
     "#VALUE! discount_rate is required; got an empty cell"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, "#N/A", 0.1),
     "#VALUE! deflation refers to an error cell (#N/A)"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, True, 0.1), "#VALUE! deflation must be a number; got TRUE"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, [[1.0], [2.0]], [[0.1]]),
     "#VALUE! step_downs must have the same length as step_years (2); got 1"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, 1.0, None),
     "#VALUE! step_downs must have the same length as step_years (1); got 0"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, [[1.0], [2.0]], [[0.1], [1.0]]),
     "#NUM! step_downs[2] must be in [0, 1); got 1"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, [[1.0], ["x"]], [[0.1], [0.2]]),
     "#VALUE! step_years[2] must be a number; got text 'x'"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, [[-1.0]], [[0.1]]),
     "#NUM! step_years must be >= 0; got -1"),
    (lambda: x.GPU_RV(2.5, 0.85, 0.5, 0.3, 0.1, None, None, [[1.0]] * 101, [[0.1]] * 101),
     "#VALUE! step_years must have at most 100 values; got 101"),
    (lambda: x.GPU_RV([[2.5, 3.0], [2.0, 1.0]], 0.85, 0.5, 0.3, 0.1),
     "#VALUE! rent0 must be a single row or column; got a 2x2 range"),
    (lambda: x.GPU_BOOK_VALUE([[30000.0], [25000.0]], 2.0, 6.0),
     "#VALUE! gpu_cost must be a number; got a 2x1 range"),
    # a tape: the bad row is that row's error (the other rows are computed)
    (lambda: x.GPU_RENT(2.5, [[1.0], ["abc"]], 0.3)[1][0],
     "#VALUE! t_years[2] must be a number; got text 'abc'"),
    (lambda: x.GPU_RENT(2.5, [[1.0], [-1.0]], 0.3)[1][0], "#NUM! t_years[2] must be >= 0; got -1"),
    (lambda: x.GPU_RENT(2.5, 1.0, 0.3, [[1.0], [2.0]], [[0.1]]),
     "#VALUE! step_downs must have the same length as step_years (2); got 1"),
    (lambda: x.GPU_RENT(2.5, 1.0, 1.0), "#NUM! deflation must be in (-1, 1); got 1"),
    (lambda: x.GPU_ECON_LIFE(2.5, 0.85, -0.5, 0.3), "#NUM! cash_cost must be >= 0; got -0.5"),
    (lambda: x.GPU_ECON_LIFE(2.5, 0.85, 0.5, 0.3, -1.0),
     "#NUM! max_life_years must be >= 0; got -1"),
    (lambda: x.GPU_BOOK_VALUE(30000.0, 1.0, 0.0), "#NUM! book_life_years must be > 0; got 0"),
    (lambda: x.GPU_BOOK_VALUE("30k", 1.0, 6.0), "#VALUE! gpu_cost must be a number; got text '30k'"),
    (lambda: x.GPU_BOOK_VALUE(30000.0, 1.0, 6.0, 40000.0),
     "#NUM! salvage must be <= gpu_cost (30000); got 40000"),
    (lambda: x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 100.0, 12.0),
     "#VALUE! curve_years x points_per_year must have at most 1000 values; got 1201"),
    (lambda: x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 6.0, 2.5),
     "#VALUE! points_per_year must be a whole number; got 2.5"),
    (lambda: x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 6.0, 13.0),
     "#NUM! points_per_year must be in [1, 12]; got 13"),
    (lambda: x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 1.5, 0.1),
     "#NUM! deflation must be in (-1, 1); got 1.5"),
    (lambda: x.GPU_RV_CURVE(30000.0, 2.5, 0.85, 0.5, 0.3, 0.1, 0.0),
     "#NUM! curve_years must be > 0; got 0"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45658.0], [46023.0]], [[3.0], ["abc"], [2.0]]),
     "#VALUE! rents[2] must be a number; got text 'abc'"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45658.0], [46023.0]], [[3.0], [0.0], [2.0]]),
     "#NUM! rents[2] must be > 0; got 0"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], ["soon"], [46023.0]], [[3.0], [2.0], [1.0]]),
     "#VALUE! dates[2] must be a date or a day number; got text 'soon'"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45658.0], [46023.0]], [[3.0], [2.0]]),
     "#VALUE! rents must have the same length as dates (3); got 2"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45292.0], [46023.0]], [[3.0], [2.0], [1.0]]),
     "#NUM! dates must have at least 3 distinct values; got 2"),
    (lambda: x.RENT_DEFLATION_FIT([[45658.0], [45292.0], [46023.0]], [[3.0], [2.0], [1.0]]),
     "#VALUE! dates[2] must be on or after dates[1] (2025-01-01): dates oldest first; got "
     "2024-01-01"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45658.0], [46023.0]], [[3.0], [2.0], [1.0]],
                                  [["spot"], ["index"], ["spot"]]),
     "#VALUE! basis must be one basis (or fit_basis: one of them, or all); got a mix of spot "
     "(2), index (1)"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0], [45658.0], [46023.0]], [[3.0], [2.0], [1.0]],
                                  "weekly"),
     "#VALUE! basis must be one of spot | on-demand | 1-year contract | 3-year contract | "
     "index | list | used sale | refurbished; got text 'weekly'"),
    (lambda: x.RENT_DEFLATION_FIT([[45292.0, 1.0], [45658.0, 1.0]], [[3.0], [2.0]]),
     "#VALUE! dates must be a single row or column; got a 2x2 range"),
    (lambda: x.RENT_DEFLATION_FIT([[float(i)] for i in range(10_001)],
                                  [[1.0]] * 10_001),
     "#VALUE! rents must have at most 10000 values; got 10001"),
])
def test_bad_input_cell_text(call, text):
    assert call() == text


def test_whole_column_reference_is_refused():
    n = 1_000_001
    out = x.GPU_RENT(2.5, [[1.0]] * n, 0.3)
    assert out == f"#VALUE! t_years must have at most 1000000 values; got {n}"


def test_overflow_never_reaches_the_cell_as_inf():
    out = x.GPU_RV(2.5, 0.85, 0.5, -0.99, -0.99, 0.0, 1e6)
    assert out.startswith("#NUM! income value must be finite; got an overflow")
    assert x.GPU_RENT(2.5, 1e6, -0.99).startswith("#NUM! GPU_RENT: the result is not a "
                                                   "finite number")


def test_no_traceback_for_odd_inputs():
    for args in [(dt.datetime(2026, 1, 1), 0.85, 0.5, 0.3, 0.1), ([[]], 0.85, 0.5, 0.3, 0.1),
                 (2.5, 0.85, 0.5, 0.3, 0.1, "", "", "", "")]:
        out = x.GPU_RV(*args)
        assert isinstance(out, float) or out.startswith(("#VALUE! ", "#NUM! ")), out
        assert "internal error" not in str(out) and "Traceback" not in str(out)


def test_gpu_rv_over_a_tape_is_one_column_equal_to_row_by_row_calls():
    rents = [[2.4], [2.0], [3.1]]
    costs = [[0.45], [0.40], [0.50]]
    column = x.GPU_RV(rents, 0.85, costs, [[0.3], [0.2], [0.45]], 0.10, 500.0)
    assert len(column) == 3 and all(len(r) == 1 for r in column)
    for (r,), (c,), g, (v,) in zip(rents, costs, (0.3, 0.2, 0.45), column):
        assert v == pytest.approx(x.GPU_RV(r, 0.85, c, g, 0.10, 500.0), rel=1e-12)
    assert x.GPU_RV(rents, 0.85, [[0.45], [0.40]], 0.3, 0.1) == (
        "#VALUE! cash_cost must have the same length as rent0 (3); got 2")
    per_row = x.GPU_RV(rents, 0.85, 0.45, [[0.3], [1.5], [0.2]], 0.1)
    assert per_row[1] == ["#NUM! deflation[2] must be in (-1, 1); got 1.5"]
    assert per_row[0][0] == pytest.approx(x.GPU_RV(2.4, 0.85, 0.45, 0.3, 0.1), rel=1e-12)
    assert per_row[2][0] == pytest.approx(x.GPU_RV(3.1, 0.85, 0.45, 0.2, 0.1), rel=1e-12)
