"""``computecredit backtest``: the rolling-origin backtest as a table, PNG plots and one HTML page.

The numbers come from :func:`pymodel.backtest.backtest` (rent and used-price forecasts of the
model and of two benchmarks, random walk and straight-line book value, scored against the
shipped market evidence). This module only formats and draws:

* ``summary.csv`` (every SKU, basis, horizon and method), ``forecasts.csv`` (every scored
  pair) and ``series.csv`` (the observations used);
* ``errors.png`` (bias and mean absolute log error by horizon and method, rents and values),
  ``rent_<SKU>.png`` and ``value_<SKU>.png`` (observations by basis with the model's and the
  benchmarks' forecasts from every origin);
* ``report.html``: one self-contained page (plots embedded as base64 PNG, no network) with the
  pooled table, the per-SKU table, the cases where the model loses to a benchmark, and notes;
* the pooled table on standard output.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import pathlib
import sys
from typing import Any

import numpy as np
import pandas as pd

from pymodel.backtest import HORIZONS, METHODS, BacktestResult, backtest
from pymodel.errors import ComputeCreditError

__all__ = ["add_arguments", "run", "write_report", "format_table", "losses", "FILES"]

#: Files written into the output directory.
FILES = ("summary.csv", "forecasts.csv", "series.csv", "errors.png", "report.html")
_COLORS = {"model": "#1f4e79", "model (fitted g)": "#4f81bd", "model (level)": "#8064a2",
           "random walk": "#c0504d", "straight line": "#9bbb59"}
_MARKERS = {"spot": "v", "on-demand": "o", "1-year contract": "s", "3-year contract": "D",
            "index": "*", "used sale": "o", "refurbished": "s"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the ``backtest`` command."""
    parser.add_argument("--out", metavar="DIR", default="backtest-report",
                        help="directory for the table, plots and report.html "
                             "(default: ./backtest-report)")
    parser.add_argument("--deflation", type=float, default=None,
                        help="the model's annual rent decline g as a decimal "
                             "(default: the shipped default 0.30)")


# ---------------------------------------------------------------------------- tables
def _fmt(v: Any, kind: str) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "n/a"
    if kind == "int":
        return f"{int(v):d}"
    if kind == "pct":
        return f"{v:.0%}"
    return f"{v:+.2f}" if kind == "signed" else f"{v:.2f}"


_TABLE = [("sku", "SKU", "text"), ("quantity", "quantity", "text"), ("basis", "basis", "text"),
          ("horizon_months", "horizon (months)", "int"), ("method", "method", "text"),
          ("n", "pairs", "int"), ("bias", "bias (log)", "signed"), ("male", "MALE", "num"),
          ("n_interval", "pairs with PI", "int"), ("coverage", "PI coverage", "pct")]


def _rows(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    header = [h for _, h, _ in _TABLE]
    rows = [[str(r[c]) if k == "text" else _fmt(r[c], k) for c, _, k in _TABLE]
            for _, r in df.iterrows()]
    return header, rows


def format_table(df: pd.DataFrame) -> str:
    """A summary table as aligned text."""
    header, rows = _rows(df)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) if i < 5 else h.rjust(w)
                     for i, (h, w) in enumerate(zip(header, widths))),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) if i < 5 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    return "\n".join(out)


def losses(summary: pd.DataFrame) -> list[str]:
    """Plain sentences: every pooled (quantity, horizon) where a benchmark beats the model."""
    pooled = summary[(summary["sku"] == "all") & (summary["basis"] == "all")]
    out = []
    for (quantity, horizon), g in pooled.groupby(["quantity", "horizon_months"], sort=True):
        m = g.set_index("method")
        if "model" not in m.index:
            continue
        model = m.loc["model", "male"]
        for bench in ("random walk", "straight line"):
            if bench in m.index and m.loc[bench, "male"] < model:
                out.append(f"{quantity}, {horizon} months: {bench} beats the model "
                           f"(mean absolute log error {m.loc[bench, 'male']:.2f} vs "
                           f"{model:.2f}, {int(m.loc['model', 'n'])} pairs; model bias "
                           f"{m.loc['model', 'bias']:+.2f})")
    return out


# ---------------------------------------------------------------------------- plots
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def _errors_png(summary: pd.DataFrame) -> bytes:
    plt = _plt()
    pooled = summary[(summary["sku"] == "all") & (summary["basis"] == "all")]
    quantities = [q for q in ("rent", "value") if q in set(pooled["quantity"])]
    fig, axes = plt.subplots(2, len(quantities), figsize=(5.2 * len(quantities), 6.4),
                             squeeze=False)
    for col, q in enumerate(quantities):
        d = pooled[pooled["quantity"] == q]
        horizons = [h for h in HORIZONS if h in set(d["horizon_months"])]
        methods = [m for m in METHODS if m in set(d["method"])]
        width = 0.8 / max(len(methods), 1)
        for row, (stat, label) in enumerate((("male", "mean absolute log error"),
                                             ("bias", "bias: mean log(forecast/actual)"))):
            ax = axes[row][col]
            for k, m in enumerate(methods):
                vals = [d[(d["method"] == m) & (d["horizon_months"] == h)][stat]
                        for h in horizons]
                ys = [float(v.iloc[0]) if len(v) else np.nan for v in vals]
                xs = np.arange(len(horizons)) + (k - (len(methods) - 1) / 2) * width
                ax.bar(xs, ys, width, label=m, color=_COLORS[m])
            ax.set_xticks(np.arange(len(horizons)), [f"{h} months" for h in horizons])
            ax.axhline(0, color="black", lw=0.6)
            ax.set_title(f"{q}s: {label}", fontsize=10)
            ax.grid(axis="y", alpha=0.3)
        ns = ", ".join(f"{h}m: {int(d[(d['method'] == 'model') & (d['horizon_months'] == h)]['n'].sum())}"
                       for h in horizons)
        axes[1][col].set_xlabel(f"pairs scored for the model: {ns}", fontsize=8)
        axes[0][col].legend(fontsize=8, loc="upper left")
    fig.suptitle("Rolling-origin backtest on the shipped market evidence (log errors; "
                 "positive bias = forecast too high)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def _series_png(res: BacktestResult, sku: str, quantity: str) -> bytes | None:
    plt = _plt()
    s = res.series[(res.series["sku"] == sku) & (res.series["quantity"] == quantity)]
    if s.empty:
        return None
    fc = res.forecasts[(res.forecasts["sku"] == sku) & (res.forecasts["quantity"] == quantity)]
    fig, ax = plt.subplots(figsize=(9.0, 4.6))
    for basis, b in s.groupby("basis", sort=True):
        ax.plot(b["date"], b["value"], marker=_MARKERS.get(basis, "o"), ls="-", lw=0.8,
                ms=6, label=f"observed: {basis}")
    for method in ("model", "random walk", "straight line"):
        f = fc[fc["method"] == method]
        if len(f):
            ax.scatter(f["target"], f["forecast"], marker="x", s=22, color=_COLORS[method],
                       alpha=0.7, label=f"forecast: {method}", zorder=3)
    ax.set_yscale("log")
    from matplotlib.ticker import FuncFormatter
    money = FuncFormatter(lambda v, _: f"{v:,.2f}" if v < 100 else f"{v:,.0f}")
    ax.yaxis.set_major_formatter(money)
    ax.yaxis.set_minor_formatter(money)
    ax.tick_params(axis="y", which="minor", labelsize=7)
    unit = "USD per GPU-hour" if quantity == "rent" else "USD per GPU"
    ax.set_ylabel(f"{quantity} ({unit}, log scale)")
    ax.set_title(f"{sku}: observed {quantity}s by basis and the forecasts scored against them "
                 "(x: forecast for that target date)", fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2, loc="best")
    fig.autofmt_xdate()
    fig.tight_layout()
    return _png(fig)


# ---------------------------------------------------------------------------- HTML
def _html_table(df: pd.DataFrame) -> str:
    header, rows = _rows(df)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = []
    for r, (_, src) in zip(rows, df.iterrows()):
        cls = ' class="model"' if src["method"] == "model" else ""
        body.append(f"<tr{cls}>" + "".join(
            f"<td{' class=num' if i >= 5 else ''}>{html.escape(c)}</td>"
            for i, c in enumerate(r)) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _html(res: BacktestResult, images: dict[str, bytes]) -> str:
    s = res.summary
    pooled = s[(s["sku"] == "all") & (s["basis"] == "all")]
    per_sku = s[(s["sku"] != "all") & (s["basis"] == "all")]
    per_basis = s[(s["sku"] != "all") & (s["basis"] != "all")]
    lost = losses(s)
    st = res.settings
    ev_n = int(res.series["n_obs"].sum())
    img = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,'
        f'{base64.b64encode(data).decode("ascii")}"><figcaption>{html.escape(name)}'
        "</figcaption></figure>" for name, data in images.items())
    lost_html = ("<ul>" + "".join(f"<li>{html.escape(t)}</li>" for t in lost) + "</ul>"
                 if lost else "<p>No benchmark beats the model on the pooled errors.</p>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>ComputeCredit backtest</title>
<style>
body {{ font-family: Calibri, Arial, sans-serif; margin: 24px; color: #222; max-width: 1200px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 17px; margin-top: 28px; }}
table {{ border-collapse: collapse; font-size: 12px; margin: 8px 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; }}
th {{ background: #1f4e79; color: white; }} td.num {{ text-align: right; }}
tr.model td {{ background: #eef3fa; }}
figure {{ margin: 12px 0; }} img {{ max-width: 100%; border: 1px solid #ddd; }}
figcaption {{ font-size: 11px; color: #666; }}
.note {{ font-size: 12px; color: #444; }}
</style></head><body>
<h1>ComputeCredit: rolling-origin backtest of rent and value forecasts</h1>
<p>Forecasts from every observation of the shipped market evidence ({ev_n} observations in
{len(res.series)} dated points of {", ".join(st["skus"])}), each basis separately, scored
against every later observation of the same series 3-9, 9-18 and 18-36 months ahead (buckets
6, 12 and 24 months). The model uses the shipped default deflation g = {st["deflation"]:.2f}
(rent path R0 (1-g)<sup>h</sup>; values moved by the income-value path); benchmarks: random walk
(no change) and straight-line book value over {st["book_life_years"]:g} years.
Bias = mean log(forecast / actual) (positive: too high); MALE = mean absolute log error;
coverage = share of actuals inside the central {st["coverage"]:.0%} prediction interval.</p>
<h2>Where the model loses to a benchmark</h2>
{lost_html}
<h2>Pooled over SKUs and bases</h2>
{_html_table(pooled)}
<h2>Plots</h2>
{img}
<h2>By SKU (bases pooled)</h2>
{_html_table(per_sku)}
<h2>By SKU and basis</h2>
{_html_table(per_basis)}
<h2>Reading the numbers</h2>
<p class="note">The public record is thin: a handful of dated quotes per basis, several of them
range midpoints or "about" figures (flagged as estimates in the data), and the segments
(neocloud, marketplace, index) mix within a basis. Pairs share origins and targets, so they are
not independent trials: read the pair counts as comparisons. Hyperscaler list rents are left
out of the rent series (a separate, sticky price). An origin with fewer than three dated
observations in its own series borrows the volatility of the SKU's other rent series; when none
exists yet the pair is scored without an interval.</p>
</body></html>
"""


# ---------------------------------------------------------------------------- command
def write_report(res: BacktestResult, out: pathlib.Path) -> list[pathlib.Path]:
    """Write the CSV tables, the PNG plots and report.html into ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in (("summary.csv", res.summary), ("forecasts.csv", res.forecasts),
                     ("series.csv", res.series)):
        df.to_csv(out / name, index=False)
        written.append(out / name)
    images = {"errors.png": _errors_png(res.summary)}
    for sku in res.settings["skus"]:
        for quantity in ("rent", "value"):
            data = _series_png(res, sku, quantity)
            if data is not None:
                images[f"{quantity}_{sku.replace(' ', '_')}.png"] = data
    for name, data in images.items():
        (out / name).write_bytes(data)
        written.append(out / name)
    (out / "report.html").write_text(_html(res, images), encoding="utf-8")
    written.append(out / "report.html")
    return written


def run(args: argparse.Namespace) -> int:
    """Run the backtest, print the pooled table, write the report; exit code 0 or 2."""
    kw = {} if args.deflation is None else {"deflation": args.deflation}
    try:
        res = backtest(**kw)
    except ComputeCreditError as exc:
        print(f"computecredit backtest: {exc.message}", file=sys.stderr)
        return 2
    out = pathlib.Path(args.out)
    try:
        written = write_report(res, out)
    except OSError as exc:
        print(f"computecredit backtest: cannot write to {out}: {exc.strerror}",
              file=sys.stderr)
        return 2
    s = res.summary
    print("Rolling-origin backtest on the shipped market evidence "
          f"(model deflation {res.settings['deflation']:.2f}, "
          f"{res.settings['coverage']:.0%} intervals)\n")
    print(format_table(s[(s["sku"] == "all") & (s["basis"] == "all")]))
    lost = losses(s)
    if lost:
        print("\nWhere the model loses to a benchmark:")
        for t in lost:
            print(f"  - {t}")
    print(f"\nwrote {len(written)} files to {out}/ (open report.html)")
    return 0
