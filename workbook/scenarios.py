"""``computecredit scenarios``: the loan book over a grid of market scenarios.

    computecredit scenarios TAPE.xlsx|TAPE.csv --grid GRID.toml -o OUT [--dask ADDRESS|local]

Every scenario is one point of the grid deflation x utilisation x BTC drawdown x correlation
regime (axes the grid file lists; an axis left out keeps the tape's own value). For each, the
book is simulated with :func:`pymodel.portfolio.simulate_many` (EL, 99% and 99.9% loss, ES,
capital against the sum of single-loan capital) and every facility gets its collateral value,
economic LTV, minimum DSCR (:mod:`pymodel.facility`), expected and downturn LGD and Euler
contribution. Written to OUT:

* ``book.parquet`` / ``book.csv``: one row per scenario (tidy: axes, then measures);
* ``facilities.parquet`` / ``facilities.csv``: one row per scenario and facility;
* ``heatmap_*.png`` and ``report.html`` (one self-contained page, images embedded, no network).

The grid file (TOML)::

    [axes]                       # lists of values; any subset
    deflation = [0.2, 0.3, 0.45]           # annual rent decline g, decimal
    utilization = [0.6, 0.75, 0.9]         # spot utilisation, decimal
    btc_drawdown = [0.0, 0.3, 0.6]         # fall of the BTC price, decimal
    regime = ["calm", "stress"]            # correlation regimes (below)

    [settings]                   # portfolio settings for every scenario (PORTFOLIO_FIELDS)
    loss_paths = 5000
    seed = 1

    [regimes.stress]             # optional: override or add regimes (settings per regime)
    gpu_credit_corr = 0.7

    [facility]                   # optional: values for facility columns the tape lacks
    debt_years = 4

Collateral under a scenario: with rent columns (gpus, rent0, cash_cost) the GPU value is the
income-approach value at the scenario's deflation and utilisation, scaled to the tape's
collateral value when it has one (value x V(scenario) / V(tape's own deflation and
utilisation)); BTC collateral keeps its currency value and falls with the drawdown.

A grid file with ``[inputs]`` (names or cells of a deal workbook and their values) instead of
``[axes]`` runs through the workbook's own formulas instead: :mod:`workbook.deal_grid`.

The tape is read from a CSV file or from the first worksheet (``--sheet``) of an .xlsx checked by
:func:`workbook.engine.package.open_package` (a hostile workbook is refused before any parser
sees it) and read in memory by :func:`workbook.engine.book.read_book` within its limits (the file
is opened once); the header row is the first row naming ``ead`` and ``pd``, its named columns are
read down to the first blank row, and a formula cell gives the value saved in the file.
"""

from __future__ import annotations

import argparse
import base64
import html
import io
import itertools
import math
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = ["REGIMES", "AXES", "Grid", "read_tape", "load_grid", "parse_grid", "run_grid",
           "write_outputs", "add_arguments", "run"]

#: Built-in correlation regimes (§8.8: calm / stress defaults).
REGIMES: dict[str, dict[str, Any]] = {
    "calm": {"gpu_credit_corr": 0.4, "btc_credit_corr": 0.3, "gpu_btc_corr": 0.2},
    "stress": {"gpu_credit_corr": 0.7, "btc_credit_corr": 0.7, "gpu_btc_corr": 0.6},
}
AXES = ("deflation", "utilization", "btc_drawdown", "regime")
MAX_SCENARIOS = 100_000
#: Scenarios simulated together (bounds the memory of one batch of results).
BATCH = 64


class GridError(ValueError):
    """A grid file or tape the scenario run cannot use; ``str(exc)`` is one plain line."""


@dataclass
class Grid:
    axes: dict[str, list[Any]]
    settings: dict[str, Any] = field(default_factory=dict)
    regimes: dict[str, dict[str, Any]] = field(default_factory=dict)
    facility: dict[str, Any] = field(default_factory=dict)

    def scenarios(self) -> list[dict[str, Any]]:
        keys = [k for k in AXES if k in self.axes]
        return [dict(zip(keys, combo)) for combo in
                itertools.product(*(self.axes[k] for k in keys))]


# --------------------------------------------------------------------------------------------
# inputs

def read_tape(path: str | Path, sheet: str | None = None) -> pd.DataFrame:
    """The loan tape of a .csv file, or of a worksheet of a checked .xlsx package."""
    path = Path(path)
    if not path.exists():
        raise GridError(f"{path}: no such file")
    if path.suffix.lower() == ".csv":
        try:
            return pd.read_csv(path)
        except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
            raise GridError(f"{path}: not a readable CSV tape ({str(exc).splitlines()[0]})") \
                from None
    from .engine.book import read_book
    from .engine.package import WorkbookRefused, open_package
    try:
        pkg = open_package(str(path))
    except WorkbookRefused as exc:
        raise GridError(f"{path}: refused: {exc}") from None
    try:   # the cells are read from the checked package in memory; the file is not reopened
        names = [n for n, _part in pkg.sheets]
        if sheet is not None and sheet not in names:
            raise GridError(f"{path}: no worksheet {sheet!r} (sheets: {', '.join(names)})")
        if not names:
            raise GridError(f"{path}: the workbook has no worksheet")
        book = read_book(pkg)
    except WorkbookRefused as exc:
        raise GridError(f"{path}: refused: {exc}") from None
    finally:
        pkg.close()
    name = sheet or names[0]
    ws = book.sheets[names.index(name)]
    return _table_from_cells(ws.rows, f"{path} sheet {name}", ws.array_formulae)


def _cell_value(cell: Any) -> Any:
    """A cell's value as a tape holds it: a formula cell's value saved in the file (Excel's last
    result; none: blank), an error as its text (#N/A), else the number, text or boolean."""
    from .engine.sheetxml import ErrorValue
    v = cell.value
    if cell.data_type == "f":
        v = v.cached
    if isinstance(v, ErrorValue):
        return v.code
    if cell.data_type == "e":
        return str(v)
    return v


def _table_from_cells(rows: dict[int, dict[int, Any]], where: str,
                      arrays: dict[str, str] | None = None) -> pd.DataFrame:
    """The tape of a sparse sheet (row -> column -> cell): the header row is the first row naming
    ead and pd; its named columns are read down to the first blank row. A column of array
    formulas whose results the file does not hold (a workbook never calculated) is an error."""
    from pymodel.portfolio import _norm_col
    from .engine.sheetxml import range_bounds
    for r in sorted(rows):
        row = {c: _cell_value(cell) for c, cell in rows[r].items()}
        keys = {_norm_col(v) for v in row.values() if isinstance(v, str)}
        if not {"ead", "pd"} <= keys:
            continue
        cols = sorted(c for c, v in row.items() if v is not None and str(v).strip())
        header = [str(row[c]) for c in cols]
        body = []
        nxt = r + 1
        while nxt in rows:
            vals = [_cell_value(rows[nxt][c]) if c in rows[nxt] else None for c in cols]
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in vals):
                break
            body.append(vals)
            nxt += 1
        for ref in (arrays or {}).values():
            r1, c1, r2, c2 = range_bounds(ref)
            for c in cols:
                if c1 <= c <= c2 and r1 <= r + 1 <= r2 and any(
                        c not in rows.get(k, {}) for k in range(max(r1, r + 1),
                                                                min(r2, nxt - 1) + 1)):
                    raise GridError(f"{where}: the column '{row[c]}' holds formulas without "
                                    "saved results (the workbook was saved without "
                                    "calculating); recalculate it first (computecredit "
                                    "recalc FILE -o OUT) or give the values")
        return pd.DataFrame(body, columns=header)
    raise GridError(f"{where}: no header row naming the columns ead and pd")


def load_grid(path: str | Path) -> Grid:
    """Parse a grid file (TOML; see the module docstring)."""
    return parse_grid(read_grid_file(path), str(path))


def read_grid_file(path: str | Path) -> dict[str, Any]:
    """A grid file's TOML as a dict."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GridError(f"{path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise GridError(f"{path}: not a TOML grid file ({exc})") from None


def parse_grid(data: dict[str, Any], where: str = "grid") -> Grid:
    """Validate a grid given as a dict (the parsed TOML)."""
    from pymodel import portfolio
    from pymodel.errors import ComputeCreditError
    from pymodel.facility import COLUMNS
    from pymodel.schema import param
    unknown = set(data) - {"axes", "settings", "regimes", "facility"}
    if unknown:
        raise GridError(f"{where}: unknown section(s) {sorted(unknown)} (expected axes, "
                        "settings, regimes, facility)")
    axes = data.get("axes", {})
    if not isinstance(axes, dict) or not axes:
        raise GridError(f"{where}: [axes] must list at least one of {', '.join(AXES)}")
    regimes = {k: dict(v) for k, v in REGIMES.items()}
    for name, over in (data.get("regimes") or {}).items():
        if not isinstance(over, dict):
            raise GridError(f"{where}: [regimes.{name}] must be a table of settings")
        regimes[name] = {**regimes.get(name, {}), **over}
    try:
        portfolio.parse_settings(data.get("settings") or {})
        for name, over in regimes.items():
            portfolio.parse_settings({**(data.get("settings") or {}), **over})
    except ComputeCreditError as exc:
        raise GridError(f"{where}: {exc.message}") from None
    out_axes: dict[str, list[Any]] = {}
    for key, values in axes.items():
        if key not in AXES:
            raise GridError(f"{where}: unknown axis {key!r} (axes: {', '.join(AXES)})")
        if not isinstance(values, list) or not values:
            raise GridError(f"{where}: axis {key} must be a non-empty list")
        if key == "regime":
            bad = [v for v in values if v not in regimes]
            if bad:
                raise GridError(f"{where}: regime {bad[0]!r} is not defined (regimes: "
                                f"{', '.join(regimes)})")
            out_axes[key] = list(values)
            continue
        try:
            out_axes[key] = [float(param(key).check(v, label=f"axis {key}")) for v in values]
        except ComputeCreditError as exc:
            raise GridError(f"{where}: {exc.message}") from None
    n = math.prod(len(v) for v in out_axes.values())
    if n > MAX_SCENARIOS:
        raise GridError(f"{where}: {n:,} scenarios (limit {MAX_SCENARIOS:,})")
    facility = dict(data.get("facility") or {})
    bad = sorted(set(facility) - set(COLUMNS))
    if bad:
        raise GridError(f"{where}: [facility] has unknown column(s) {bad}")
    return Grid(out_axes, dict(data.get("settings") or {}), regimes, facility)


# --------------------------------------------------------------------------------------------
# the run

@dataclass
class _Prepared:
    book: Any                    # pymodel.portfolio.Book (base)
    fac: Any                     # pymodel.facility.Facilities or None
    gpu_base: np.ndarray
    btc_value: np.ndarray
    own_value: np.ndarray | None


def _prepare(tape: pd.DataFrame, grid: Grid) -> _Prepared:
    from pymodel import facility, portfolio
    normed = {portfolio._norm_col(c) for c in tape.columns}
    tape = tape.rename(columns={c: facility.HEADER_ALIASES[portfolio._norm_col(c)]
                                for c in tape.columns
                                if portfolio._norm_col(c) in facility.HEADER_ALIASES
                                and facility.HEADER_ALIASES[portfolio._norm_col(c)] not in normed})
    cols = {portfolio._norm_col(c): c for c in tape.columns}
    has_rents = all(c in cols or c in grid.facility for c in facility.RENT_COLUMNS)
    tape = tape.copy()
    fac = None
    own = None
    if has_rents:
        ead = pd.to_numeric(tape[cols["ead"]], errors="coerce").to_numpy(dtype=float) \
            if "ead" in cols else np.zeros(len(tape))
        ids = (tape[cols["loan_id"]].astype(str).tolist() if "loan_id" in cols
               else [f"L{i + 1}" for i in range(len(tape))])
        fcols = tape[[cols[c] for c in facility.COLUMNS if c in cols]]
        fcols.columns = [portfolio._norm_col(c) for c in fcols.columns]
        fac = facility.prepare_facilities(fcols, np.nan_to_num(ead), ids, grid.facility)
        own = facility.facility_metrics(fac)["value_per_gpu"]
        if "collateral_value" not in cols:
            share = (pd.to_numeric(tape[cols["btc_share"]], errors="coerce").fillna(0.0)
                     .to_numpy(dtype=float) if "btc_share" in cols else np.zeros(len(tape)))
            gpu = fac.values["gpus"] * own
            with np.errstate(divide="ignore", invalid="ignore"):
                tape["collateral_value"] = np.where(share < 1, gpu / (1.0 - share), 0.0)
    else:
        for ax in ("deflation", "utilization"):
            if ax in grid.axes:
                raise GridError(f"the {ax} axis needs the tape columns gpus, rent0 and "
                                "cash_cost (or their values in [facility])")
    book = portfolio.parse_tape(tape)
    gpu_base = book.collateral_value * (1.0 - book.btc_share)
    btc_value = book.collateral_value * book.btc_share
    return _Prepared(book.replace(extra=None), fac, gpu_base, btc_value, own)


def run_grid(tape: pd.DataFrame, grid: Grid, map_fn: Callable[..., list] | None = None,
             progress: Callable[[str], None] | None = None) -> tuple[pd.DataFrame,
                                                                     pd.DataFrame]:
    """Evaluate the book over the grid; returns (book table, facility table)."""
    from pymodel import facility, portfolio
    from pymodel.errors import ComputeCreditError
    map_fn = map_fn or portfolio.serial_map
    prep = _prepare(tape, grid)
    book = prep.book
    scen = grid.scenarios()
    metrics_cache: dict[tuple, dict[str, np.ndarray]] = {}
    book_rows, fac_frames = [], []
    for start in range(0, len(scen), BATCH):
        batch = scen[start:start + BATCH]
        models, extras = [], []
        for k, sc in enumerate(batch, start=start):
            g, u = sc.get("deflation"), sc.get("utilization")
            if prep.fac is not None:
                key = (g, u)
                if key not in metrics_cache:
                    metrics_cache[key] = facility.facility_metrics(prep.fac, g, u)
                met = metrics_cache[key]
                with np.errstate(divide="ignore", invalid="ignore"):
                    ratio = np.where(prep.own_value > 0, met["value_per_gpu"] /
                                     np.where(prep.own_value > 0, prep.own_value, 1.0), 0.0)
                gpu = np.where(prep.own_value > 0, prep.gpu_base * ratio, met["gpu_value"])
                dscr = met["min_dscr"]
            else:
                gpu, dscr = prep.gpu_base, np.full(book.n, np.nan)
            coll = gpu + prep.btc_value
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(coll > 0, prep.btc_value / np.where(coll > 0, coll, 1.0), 0.0)
            settings = {**grid.settings, **grid.regimes.get(sc.get("regime"), {})}
            dd = sc.get("btc_drawdown", settings.get("btc_drawdown", 0.0))
            settings["btc_drawdown"] = dd
            b = book.replace(collateral_value=coll, btc_share=share)
            try:
                models.append(portfolio.prepare(b, settings))
            except ComputeCreditError as exc:
                raise GridError(f"scenario {k} (regime {sc.get('regime', '-')}): "
                                f"{exc.message}") from None
            value_now = gpu + prep.btc_value * (1.0 - float(dd))
            with np.errstate(divide="ignore", invalid="ignore"):
                ltv = np.where(value_now > 0, book.ead / np.where(value_now > 0, value_now, 1),
                               np.inf)
            extras.append((k, sc, value_now, ltv, dscr))
        results = portfolio.simulate_many(models, map_fn)
        for (k, sc, value_now, ltv, dscr), res in zip(extras, results):
            s = res.summary
            total = s["total_ead"]
            row = {"scenario": k, **{a: sc.get(a) for a in AXES if a in grid.axes}}
            row.update({m: s[m] for m in portfolio.OUTPUTS if m not in ("n_loans",
                                                                        "n_borrowers")})
            row.update({"loss_q999_share_of_ead": s["loss_q999"] / total if total else np.nan,
                        "capital_share_of_ead": s["capital"] / total if total else np.nan,
                        "collateral_value": float(value_now.sum()),
                        "book_ltv": total / float(value_now.sum()) if value_now.sum() > 0
                        else np.inf,
                        "facilities_dscr_below_1": float(np.nanmean(dscr < 1.0))
                        if np.isfinite(dscr).any() else np.nan,
                        "facilities_ltv_above_1": float(np.mean(ltv > 1.0))})
            book_rows.append(row)
            loans = res.loans
            fr = pd.DataFrame({"scenario": k, **{a: sc.get(a) for a in AXES if a in grid.axes},
                               "loan_id": loans["loan_id"], "borrower": loans["borrower"],
                               "ead": loans["ead"], "pd": loans["pd"],
                               "collateral_value": value_now, "ltv": ltv, "min_dscr": dscr,
                               "expected_lgd": loans["expected_lgd"],
                               "downturn_lgd": loans["downturn_lgd"],
                               "expected_loss": loans["expected_loss"],
                               "single_capital": loans["single_capital"],
                               "es_contribution": loans["es_contribution"]})
            fac_frames.append(fr)
        if progress:
            progress(f"{min(start + BATCH, len(scen))}/{len(scen)} scenarios")
    return pd.DataFrame(book_rows), pd.concat(fac_frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# outputs

_MEASURES = (("loss_q999_share_of_ead", "99.9% loss, share of EAD", "{:.1%}"),
             ("diversification_factor", "capital / sum of single-loan capital", "{:.2f}"),
             ("facilities_dscr_below_1", "facilities with minimum DSCR < 1", "{:.0%}"))


#: Cells per panel up to which the values are written in the cells, and the most tick labels
#: per axis (every k-th value beyond), so that labels never overlap.
_ANNOTATE_COLS, _ANNOTATE_ROWS = 6, 12
_MAX_XTICKS, _MAX_YTICKS = 8, 14


def _ticks(setter: Callable[..., Any], values: list[Any], most: int) -> None:
    step = max(1, math.ceil(len(values) / most))
    pos = list(range(0, len(values), step))
    setter(pos, [_pct(values[i]) for i in pos], fontsize=7)


def _pct(v: Any) -> str:
    """12%, 12.5% (as many decimals as the value needs, up to 2); None: the tape's own."""
    if v is None:
        return "tape"
    for d in (0, 1):
        if abs(v * 100 - round(v * 100, d)) < 1e-9:
            return f"{v:.{d}%}"
    return f"{v:.2%}"


def _heatmap(book: pd.DataFrame, measure: str, title: str, fmt: str) -> bytes | None:
    """One PNG: the measure over deflation x utilisation, a panel per (regime, drawdown)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    if measure not in book or book[measure].isna().all():
        return None
    xa = "deflation" if "deflation" in book else None
    ya = "utilization" if "utilization" in book else None
    rows = sorted(book["regime"].unique(), key=str) if "regime" in book else [None]
    cols = sorted(book["btc_drawdown"].unique()) if "btc_drawdown" in book else [None]
    fig, axs = plt.subplots(len(rows), len(cols), figsize=(3.4 * len(cols) + 1.2,
                                                            2.9 * len(rows) + 0.9),
                            squeeze=False, constrained_layout=True)
    vmin, vmax = np.nanmin(book[measure]), np.nanmax(book[measure])
    if not np.isfinite(vmin) or vmin == vmax:
        vmax = vmin + 1e-12 if np.isfinite(vmin) else 1.0
    im = None
    for i, rg in enumerate(rows):
        for j, dd in enumerate(cols):
            ax = axs[i][j]
            sub = book
            if rg is not None:
                sub = sub[sub["regime"] == rg]
            if dd is not None:
                sub = sub[sub["btc_drawdown"] == dd]
            xs = sorted(sub[xa].unique()) if xa else [None]
            ys = sorted(sub[ya].unique()) if ya else [None]
            grid = np.full((len(ys), len(xs)), np.nan)
            for _, r in sub.iterrows():
                gx = xs.index(r[xa]) if xa else 0
                gy = ys.index(r[ya]) if ya else 0
                grid[gy, gx] = r[measure]
            im = ax.imshow(grid, origin="lower", aspect="auto", cmap="Reds", vmin=vmin,
                           vmax=vmax)
            # values written in the cells only where they fit (the colour bar reads the rest)
            if len(xs) <= _ANNOTATE_COLS and len(ys) <= _ANNOTATE_ROWS:
                for gy in range(len(ys)):
                    for gx in range(len(xs)):
                        v = grid[gy, gx]
                        if np.isfinite(v):
                            dark = (v - vmin) / (vmax - vmin) > 0.6
                            ax.text(gx, gy, fmt.format(v), ha="center", va="center",
                                    fontsize=7, color="white" if dark else "black")
            _ticks(ax.set_xticks, xs, _MAX_XTICKS)
            _ticks(ax.set_yticks, ys, _MAX_YTICKS)
            if i == len(rows) - 1:
                ax.set_xlabel("rent deflation per year", fontsize=8)
            if j == 0:
                ax.set_ylabel("utilisation", fontsize=8)
            parts = []
            if rg is not None:
                parts.append(f"{rg} regime")
            if dd is not None:
                parts.append(f"BTC drawdown {dd:.0%}")
            ax.set_title(", ".join(parts) or "book", fontsize=8)
    fig.suptitle(title, fontsize=10)
    if im is not None:
        from matplotlib.ticker import FuncFormatter
        fig.colorbar(im, ax=axs, shrink=0.8,
                     format=FuncFormatter(lambda v, _pos: fmt.format(v)))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


#: Columns of the report's table: (column, header, kind) with kind "pct", "money", "ratio"
#: or "text".
_TABLE = (("deflation", "Rent deflation per year", "pct"), ("utilization", "Utilisation", "pct"),
          ("btc_drawdown", "BTC drawdown", "pct"), ("regime", "Regime", "text"),
          ("expected_loss", "Expected loss", "money"), ("loss_q999", "99.9% loss", "money"),
          ("loss_q999_std_error", "99.9% loss: standard error", "money"),
          ("expected_shortfall", "Expected shortfall", "money"),
          ("capital", "Capital (99.9% loss less EL)", "money"),
          ("sum_single_capital", "Sum of single-loan capital", "money"),
          ("diversification_factor", "Diversification factor", "ratio"),
          ("facilities_dscr_below_1", "Facilities with minimum DSCR < 1", "pct"))


#: The style both scenario reports share (``%`` the page's width in pixels).
REPORT_CSS = """\
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; margin: 2em;
       color: #222; max-width: %dpx; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; }"""


def _html(book: pd.DataFrame, images: dict[str, bytes], meta: dict[str, str]) -> str:
    esc = html.escape
    worst = book.sort_values("loss_q999", ascending=False, kind="stable").head(10)
    cols = [(c, h, k) for c, h, k in _TABLE if c in book]

    def cell(v: Any, kind: str) -> str:
        if isinstance(v, (float, int, np.floating, np.integer)) and not isinstance(v, bool):
            v = float(v)
            if not np.isfinite(v):
                return "&ndash;"
            if kind == "pct":
                return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 else f"{v:.1%}"
            if kind == "ratio":
                return f"{v:,.2f}"
            return f"{v:,.0f}" if abs(v) >= 10 else f"{v:,.4g}"
        return "&ndash;" if v is None else esc(str(v))

    es_level = book["es_level"].iloc[0] if "es_level" in book and len(book) else None
    heads = [h if c != "expected_shortfall" or es_level is None
             else f"{h} ({float(es_level):.1%})" for c, h, _k in cols]
    table = ('<div class="wide"><table class="grid"><tr>'
             + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>" + "".join(
                 "<tr>" + "".join(f"<td>{cell(r[c], k)}</td>" for c, _h, k in cols) + "</tr>"
                 for _, r in worst.iterrows()) + "</table></div>")
    figs = "".join(
        f'<figure><img alt="{esc(t)}" src="data:image/png;base64,'
        f'{base64.b64encode(images[m]).decode("ascii")}"><figcaption>{esc(t)}</figcaption>'
        f"</figure>" for m, t, _ in _MEASURES if m in images)
    info = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in meta.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ComputeCredit scenario grid</title>
<style>
{REPORT_CSS % 1200}
table.grid th {{ vertical-align: bottom; max-width: 8.5em; }}
table.grid td {{ white-space: nowrap; }}
div.wide {{ overflow-x: auto; }}
th {{ background: #f2f2f2; }}
figure {{ margin: 1em 0; }} img {{ max-width: 100%; }}
figcaption {{ font-size: 0.85em; color: #555; }}
p.note {{ font-size: 0.85em; color: #555; }}
</style></head><body>
<h1>Lender's book over the scenario grid</h1>
<table>{info}</table>
<h2>Heatmaps</h2>
<p class="note">Each panel: rent deflation (across) by utilisation (up), for one correlation
regime and BTC drawdown. The 99.9% loss is the portfolio loss quantile with common GPU-price,
BTC and credit factors (Monte Carlo, importance-sampled); the diversification factor divides
its capital (99.9% loss less EL) by the sum of single-loan (fine-grained, ASRF) capital: above 1
the common factors concentrate the book beyond what single-loan capital sees.</p>
{figs}
<h2>The ten scenarios with the largest 99.9% loss</h2>
{table}
<p class="note">Money in the tape's currency. Full tables: book.csv / book.parquet (one row per
scenario) and facilities.csv / facilities.parquet (one row per scenario and facility).</p>
</body></html>
"""


def write_outputs(out: Path, book: pd.DataFrame, facilities: pd.DataFrame,
                  meta: dict[str, str]) -> list[Path]:
    """Write the tables, heatmaps and the report into ``out``; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, df in (("book", book), ("facilities", facilities)):
        p = out / f"{name}.parquet"
        df.to_parquet(p, index=False)
        written.append(p)
        p = out / f"{name}.csv"
        df.to_csv(p, index=False)
        written.append(p)
    images = {}
    for m, title, fmt in _MEASURES:
        png = _heatmap(book, m, title, fmt)
        if png is not None:
            images[m] = png
            p = out / f"heatmap_{m}.png"
            p.write_bytes(png)
            written.append(p)
    p = out / "report.html"
    p.write_text(_html(book, images, meta), encoding="utf-8")
    written.append(p)
    return written


# --------------------------------------------------------------------------------------------
# command line

def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("tape", help="loan tape: .csv, or .xlsx (first worksheet, or --sheet); or, "
                                "with a grid of [inputs], a deal workbook (.xlsx) whose own "
                                "formulas run each scenario")
    p.add_argument("--grid", required=True, help="grid file (TOML): [axes], settings, regimes "
                                                 "over a tape; or [inputs] (names or cells of a "
                                                 "workbook -> values), [[scenario]], [outputs]")
    p.add_argument("-o", "--out", required=True, help="output folder")
    p.add_argument("--sheet", help="worksheet of an .xlsx tape (default: the first)")
    p.add_argument("--dask", metavar="ADDRESS",
                   help="run on a Dask cluster (tcp://host:8786), or 'local' for a "
                        "LocalCluster on this machine")
    p.add_argument("--workers", type=int, default=None,
                   help="local processes (default: one per core), or LocalCluster workers "
                        "with --dask local (default 2)")
    from .engine.recalc import parse_today
    p.add_argument("--today", metavar="DATE", type=parse_today,
                   help="workbook grid: evaluate TODAY() and NOW() as of DATE (YYYY-MM-DD)")
    p.add_argument("--workbooks", action="store_true",
                   help="workbook grid: also write each scenario's recalculated copy into "
                        "OUT/workbooks")


def run(args: argparse.Namespace) -> int:
    from pymodel.errors import ComputeCreditError

    from .executors import executor_for
    t0 = time.perf_counter()
    try:
        data = read_grid_file(args.grid)
    except GridError as exc:
        print(f"computecredit scenarios: {exc}", file=sys.stderr)
        return 2
    from .deal_grid import is_workbook_grid
    if is_workbook_grid(data):
        from .deal_grid import run as run_through_workbook
        return run_through_workbook(args, data)
    try:
        tape = read_tape(args.tape, args.sheet)
        grid = parse_grid(data, str(args.grid))
        with executor_for(args.dask, args.workers) as ex:
            where = ex.describe()
            book, fac = run_grid(tape, grid, ex,
                                 progress=lambda s: print(s, file=sys.stderr))
    except GridError as exc:
        print(f"computecredit scenarios: {exc}", file=sys.stderr)
        return 2
    except ComputeCreditError as exc:
        print(f"computecredit scenarios: {args.tape}: {exc.message}", file=sys.stderr)
        return 2
    secs = time.perf_counter() - t0
    meta = {"tape": Path(args.tape).name, "grid": Path(args.grid).name,
            "scenarios": f"{len(book):,}", "facilities": f"{len(tape):,}",
            "paths per scenario": f"{int(book['loss_paths'].iloc[0]):,} (loss distribution), "
                                  f"{int(book['loan_paths'].iloc[0]):,} (per loan)",
            "seed": str(grid.settings.get("seed", 1)), "executed on": where,
            "run time": f"{secs:,.1f} s"}
    for p in write_outputs(Path(args.out), book, fac, meta):
        print(p)
    return 0
