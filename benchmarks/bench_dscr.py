"""Timing of the coverage functions. Run: python benchmarks/bench_dscr.py [--no-docs]

Writes its section of docs/benchmarks.md (see benchmarks/_timing.py). The deal is the sample
H100 facility (:func:`pymodel.dscr.sample_deal`) stretched to a 10-year monthly deal (120
periods, 40,000,000 of annuity debt, a 10-year contract on 60% of the fleet, two step-downs; the
deflation and rent breakevens bind). Each Excel function is called as a cell calls it (the
two-column ``deal_inputs`` block in, spilled rows out; without the xlwings/COM transport), next
to its floor: the same ``pymodel`` call on the already parsed deal.

The deal structure is timed on the same 10-year monthly deal with a tenant block (two tenants,
one backstopped, one renewing with wrong-way risk), a 6-month reserve funded at close, a lock-up
at 1.30x and half the excess cash swept below it (the sweep applies in 14 of the 120 months):
DSCR_TABLE, DSCR_BREAKEVEN (the cash-flow-driven sweep reruns the waterfall on every stressed
path), TENANT_STRESS, LTV_TABLE and REFI_RISK.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _timing import Figure, Report, bench, parser  # noqa: E402

import addin.udfs as x  # noqa: E402
from pymodel import debt, dscr  # noqa: E402


def deal_block(**changes):
    d = dict(dscr.sample_deal(), debt_years=10, payments_per_year=12, contract_years=10,
             contracted_share=0.6, debt=40_000_000.0,
             step_years="1.5; 3", step_downs="0.1; 0.1", **changes)
    return [[k, v] for k, v in d.items()]


TENANTS = [["name", "share", "rate", "start", "end", "pd", "rating", "backstop",
            "renewal_prob", "renewal_share", "wrong_way_corr"],
           ["Anchor", 0.35, 2.40, 0.0, 8.0, 0.0025, "BBB", 1.0, 0.5, 0.9, 0.0],
           ["AI lab", 0.25, 2.70, 0.0, 5.0, 0.05, "B", 0.0, 0.3, 0.85, 0.5]]


def structure_block():
    """The 10-year monthly deal with its contracts in the tenant block and a waterfall."""
    d = dict(dscr.sample_deal(), debt_years=10, payments_per_year=12, debt=40_000_000.0,
             step_years="1.5; 3", step_downs="0.1; 0.1", contracted_share=None,
             contract_rate=None, contract_years=None, deflation=0.3, dsra_months=6,
             lockup_dscr=1.3, sweep_dscr_levels=1.3, sweep_dscr_shares=0.5)
    return [[k, v] for k, v in d.items()]


def structure_figures(pair):
    st = structure_block()
    deal = dscr.parse_deal(st, TENANTS)
    t = x.DSCR_TABLE(st, TENANTS)
    assert isinstance(t, list) and len(t) == 1 + 120 + 1, t
    assert len(t[0]) == len(dscr.TABLE_COLUMNS) + len(dscr.WATERFALL_COLUMNS), t[0]
    assert any(r[t[0].index("sweep")] > 0 for r in t[1:-1]), "the sweep must apply"
    assert isinstance(x.DSCR_BREAKEVEN(st, 1.0, TENANTS), float)
    return [
        pair("DSCR_TABLE + tenants, reserve, lock-up, sweep", lambda: x.DSCR_TABLE(st, TENANTS),
             ("`dscr.dscr_table`", lambda: dscr.dscr_table(deal)), 50),
        pair("DSCR_BREAKEVEN, cash-flow-driven sweep", lambda: x.DSCR_BREAKEVEN(st, 1, TENANTS),
             ("`dscr.dscr_breakeven`", lambda: dscr.dscr_breakeven(deal)), 10),
        pair("TENANT_STRESS, 4 scenarios", lambda: x.TENANT_STRESS(st, 1, TENANTS),
             ("`dscr.tenant_stress`", lambda: dscr.tenant_stress(deal, 1.0)), 10),
        pair("LTV_TABLE", lambda: x.LTV_TABLE(st, TENANTS),
             ("`dscr.ltv_table`", lambda: dscr.ltv_table(deal)), 20),
        pair("REFI_RISK", lambda: x.REFI_RISK(st, 0.6, None, TENANTS),
             ("`dscr.refi_risk`", lambda: dscr.refi_risk(deal, max_ltv=0.6)), 20),
    ]


def main(argv=None):
    args = parser(__doc__.splitlines()[0]).parse_args(argv)
    ten = deal_block()
    sculpted = deal_block(amortization="sculpted")
    deal, deal_s = dscr.parse_deal(ten), dscr.parse_deal(sculpted)
    table = x.DSCR_TABLE(ten)
    assert isinstance(table, list) and len(table) == 1 + 120 + 1, table
    assert isinstance(x.DSCR_BREAKEVEN(ten), float), x.DSCR_BREAKEVEN(ten)
    assert x.DSCR_MIN(ten) == dscr.dscr_min(deal)

    def pair(what, cell, model, number):
        return Figure(what, bench(cell, number), model[0], bench(model[1], number))

    figures = [
        pair("DSCR_TABLE, 120 periods, annuity", lambda: x.DSCR_TABLE(ten),
             ("`dscr.dscr_table`", lambda: dscr.dscr_table(deal)), 50),
        pair("DSCR_TABLE, 120 periods, sculpted (tax circularity iterated)",
             lambda: x.DSCR_TABLE(sculpted),
             ("`dscr.dscr_table`", lambda: dscr.dscr_table(deal_s)), 50),
        pair("DSCR_MIN", lambda: x.DSCR_MIN(ten),
             ("`dscr.dscr_min`", lambda: dscr.dscr_min(deal)), 200),
        pair("DSCR_BREAKEVEN, target 1.00", lambda: x.DSCR_BREAKEVEN(ten),
             ("`dscr.dscr_breakeven`", lambda: dscr.dscr_breakeven(deal)), 50),
        pair("DSCR_BREAKEVEN, covenant 1.25", lambda: x.DSCR_BREAKEVEN(ten, 1.25),
             ("`dscr.dscr_breakeven`", lambda: dscr.dscr_breakeven(deal, target=1.25)), 50),
        pair("RENT_BREAKEVEN", lambda: x.RENT_BREAKEVEN(ten),
             ("`dscr.rent_breakeven`", lambda: dscr.rent_breakeven(deal)), 50),
        pair("UTILIZATION_BREAKEVEN",
             lambda: x.UTILIZATION_BREAKEVEN(ten),
             ("`dscr.utilization_breakeven`",
              lambda: _raises(dscr.utilization_breakeven, deal)), 50),
        pair("DEBT_CAPACITY at 1.30x", lambda: x.DEBT_CAPACITY(ten),
             ("`dscr.debt_capacity`", lambda: dscr.debt_capacity(deal)), 50),
        pair("DSCR_COMPARE", lambda: x.DSCR_COMPARE(ten),
             ("`dscr.dscr_compare`", lambda: dscr.dscr_compare(deal)), 50),
        pair("DEBT_SCHEDULE, 120 monthly periods",
             lambda: x.DEBT_SCHEDULE(18e6, 0.11, 10, "annuity", 12, 0.1),
             ("`debt.debt_schedule`",
              lambda: debt.debt_schedule(18e6, 0.11, 10, amortization="annuity",
                                         payments_per_year=12, balloon_share=0.1)), 500),
    ]
    report = Report("bench_dscr", "Coverage",
                    "Median of 7 repeats. The sample H100 deal stretched to 10 years of monthly "
                    "periods (120), 40,000,000 of annuity debt, a 10-year contract on 60% of the "
                    "fleet and step-downs of 0.10 at 1.5 and 3 years. The deal-structure rows: "
                    "the same deal with two tenants in a tenant block, a 6-month reserve, a 1.30x "
                    "lock-up and half the excess swept below it (30% deflation).")
    figures += structure_figures(pair)
    report.figures(figures)
    report.text(f"Values in this run: DSCR_MIN {x.DSCR_MIN(ten):.4f}, DSCR_BREAKEVEN "
                f"{x.DSCR_BREAKEVEN(ten):.6f}, RENT_BREAKEVEN {x.RENT_BREAKEVEN(ten):.6f}, "
                f"UTILIZATION_BREAKEVEN `{x.UTILIZATION_BREAKEVEN(ten)}`.")
    report.text("Time / floor is the adapter's share: parsing the two-column block against "
                "the deal's field table and shaping the table into cells.")
    report.publish(args)


def _raises(fn, *a):
    try:
        fn(*a)
    except Exception:  # noqa: BLE001 - the error path is what is timed here
        pass


if __name__ == "__main__":
    main()
