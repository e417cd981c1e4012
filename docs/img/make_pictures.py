"""Regenerate the pictures of docs/guide.md and README.md (run from the repository root).

    python docs/img/make_pictures.py            # charts and sheet pictures
    python docs/img/make_pictures.py --charts   # charts only (no browser needed)

* **Charts**: each shipped template is recalculated with ``computecredit recalc FILE -o DIR
  --png DIR`` (the public command, exactly as a user runs it) and its chart PNGs are copied
  here under their own names (``<template>_<nn>_<title>.png``).
* **Sheets**: the recalculated copy is read back (formulas and cached values) and a range of a
  sheet is drawn as Excel shows it (column letters, row numbers, the template's fills, bold
  headers and number formats, a formula bar for one cell), as HTML rendered by headless
  Chromium. Nothing is recomputed here: every number is a value the engine wrote.
* **Errors**: a few cells with bad input, each evaluated by calling the Excel function
  (``addin.udfs``) with the arguments of the formula shown: the reason ``CC_WHY`` returns (and
  the text an xlwings Lite cell shows).

Sheet pictures need ``chromium`` (or ``chromium-browser``/``google-chrome``) on the PATH; without
one they are skipped with a message and the charts are still made. Look at every picture before
committing it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMG = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMPLATES = ("neocloud_facility", "miner_convertible", "portfolio")

#: Sheet pictures: (file name, template, sheet, function whose formula anchors the picture or a
#: cell address, rows below the anchor to show, columns: the first N or letters "A:B,O:Z").
SHEETS = [
    ("sheet_neocloud_summary.png", "neocloud_facility", "Summary", "B4", 21, 3),
    ("sheet_neocloud_inputs.png", "neocloud_facility", "Inputs", "B6", 24, 4),
    ("sheet_neocloud_tenants.png", "neocloud_facility", "Inputs", "F7", 3, "F:Q"),
    ("sheet_neocloud_collateral.png", "neocloud_facility", "Collateral", "GPU_RV_CURVE", 8, 6),
    ("sheet_neocloud_coverage.png", "neocloud_facility", "Coverage", "DSCR_TABLE", 8, 11),
    ("sheet_neocloud_loss.png", "neocloud_facility", "Loss", "LGD_CORR", 12, 3),
    ("sheet_neocloud_structure.png", "neocloud_facility", "Structure", "TENANT_CONCENTRATION", 12,
     9),
    ("sheet_neocloud_waterfall.png", "neocloud_facility", "Coverage", "DSCR_TABLE", 16,
     "A:B,J:K,R:AC"),
    ("sheet_neocloud_checks.png", "neocloud_facility", "Checks", "B4", 24, 2),
    ("sheet_miner_loss.png", "miner_convertible", "Loss", "LGD_MC", 12, 6),
    ("sheet_portfolio_tape.png", "portfolio", "Tape", "LGD_CORR", 10, "A:B,E:F,O:Z"),
]

#: Error pictures: (function, arguments). The formula shown is built from the same arguments; a
#: deal block is given as Deal(note, changes to the shipped sample deal, fields to leave out).
class Deal:
    def __init__(self, note, changes=None, drop=()):
        self.note, self.changes, self.drop = note, changes or {}, drop

    def block(self):
        from pymodel import dscr
        d = {k: v for k, v in dscr.sample_deal().items() if k not in self.drop}
        d.update(self.changes)
        return [[k, v] for k, v in d.items()]


ERRORS = [
    ("GPU_RV", (2.35, 0.85, 0.50, 1.2, 0.10)),
    ("GPU_RV", ("abc", 0.85, 0.50, 0.30, 0.10)),
    ("GPU_ECON_LIFE", (2.35, 0.85, -0.5, 0.30)),
    ("LGD_CORR", (1.5, 1.2, 0.4, 1, 0.5)),
    ("IRB_RW", (0.01, 0.45, 2.5, None, 1.2)),
    ("DSCR_MIN", (Deal("the sample deal with payments_per_year = 3",
                       {"payments_per_year": 3}),)),
    ("DSCR_MIN", (Deal("the sample deal without its debt amount", drop=("debt",)),)),
    ("DSCR_MIN", (Deal("the sample deal with the field gpus typed as gpu",
                       {"gpu": 1024}, drop=("gpus",)),)),
    ("DSCR_BREAKEVEN", (Deal("the sample deal, the whole fleet on a 6-year contract at 3.50",
                             {"contracted_share": 1, "contract_rate": 3.5,
                              "contract_years": 6}),)),
    ("DSCR_TABLE", (Deal("the sample deal with a 6-month reserve and no debt",
                         {"dsra_months": 6, "debt": 0.0}),)),
]


# ---- charts --------------------------------------------------------------------------------

def recalc_templates(out: Path) -> dict[str, Path]:
    """Recalculate every template with the public command; return the recalculated copies."""
    copies = {}
    for name in TEMPLATES:
        src = ROOT / "workbook" / f"{name}.xlsx"
        run = subprocess.run([sys.executable, "-m", "workbook.cli", "recalc", str(src), "-o",
                              str(out), "--png", str(out / "charts"), "-q"], cwd=ROOT,
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise SystemExit(f"recalc {src} failed ({run.returncode}):\n{run.stdout}{run.stderr}")
        copies[name] = out / f"{name}.xlsx"
    return copies


def copy_charts(out: Path) -> list[Path]:
    for old in IMG.glob("*.png"):
        if any(old.name.startswith(t + "_") for t in TEMPLATES):
            old.unlink()
    made = []
    for png in sorted((out / "charts").glob("*.png")):
        shutil.copyfile(png, IMG / png.name)
        made.append(IMG / png.name)
    return made


# ---- sheets as Excel shows them --------------------------------------------------------------

def _rgb(color) -> str | None:
    try:
        value = color.rgb
    except AttributeError:
        return None
    if isinstance(value, str) and re.fullmatch(r"[0-9A-Fa-f]{8}", value) and value[2:] != "000000":
        return "#" + value[2:]
    return None


def format_value(v, number_format: str) -> str:
    """A cached value with its Excel number format (the formats the templates use)."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, (dt.datetime, dt.date)):
        return v.strftime("%Y-%m-%d")
    if not isinstance(v, (int, float)):
        return str(v)
    nf = number_format or "General"
    if nf == "General":  # Excel shows whole numbers in full, others to about 10 digits
        if float(v).is_integer() and abs(v) < 1e11:
            return str(int(v))
        return next(t for t in (f"{v:.{d}g}" for d in range(10, 0, -1)) if len(t) <= 11)
    suffix = "".join(re.findall(r'"([^"]*)"', nf))
    core = re.sub(r'"[^"]*"', "", nf).split(";")[0]
    decimals = len(re.search(r"\.(0*)", core).group(1)) if "." in core else 0
    if "%" in core:
        return f"{v * 100:,.{decimals}f}%{suffix}"
    if "0" in core:
        sep = "," if "#,##" in core else ""
        return f"{v:{sep}.{decimals}f}{suffix}"
    return f"{v:.6g}"


def _formula_text(cell) -> str:
    from openpyxl.worksheet.formula import ArrayFormula
    v = cell.value
    if isinstance(v, ArrayFormula):
        return "{" + v.text + "}"
    return str(v) if v is not None else ""


def _anchor(ws_f, key: str):
    """The cell a picture starts from: an address, or the first formula calling ``key``."""
    if re.fullmatch(r"[A-Z]+[0-9]+", key):
        return ws_f[key]
    for row in ws_f.iter_rows():
        for cell in row:
            if re.search(rf"\b{key}\(", _formula_text(cell)):
                return cell
    raise SystemExit(f"{ws_f.title}: no formula calls {key}")


def _columns(spec, anchor_col: int, max_col: int) -> list[int]:
    from openpyxl.utils import column_index_from_string
    if isinstance(spec, int):
        return list(range(1, min(max(spec, anchor_col), max_col) + 1))
    cols = []
    for part in spec.split(","):
        a, _, b = part.partition(":")
        cols += range(column_index_from_string(a), column_index_from_string(b or a) + 1)
    return [c for c in cols if c <= max_col]


def sheet_html(copy: Path, sheet: str, key: str, rows_after: int, cols_spec):
    """An HTML picture of a sheet range and the browser width it needs."""
    import openpyxl
    from openpyxl.utils import get_column_letter
    ws_f = openpyxl.load_workbook(copy)[sheet]
    ws_v = openpyxl.load_workbook(copy, data_only=True)[sheet]
    anchor = _anchor(ws_f, key)
    last_row = min(anchor.row + rows_after, ws_v.max_row)
    cols = _columns(cols_spec, anchor.column, ws_v.max_column)
    widths = [int((ws_f.column_dimensions[get_column_letter(c)].width or 9) * 7 + 5)
              for c in cols]
    head = "".join(f'<th style="width:{w}px">{get_column_letter(c)}</th>'
                   for c, w in zip(cols, widths))
    body = []
    for r in range(1, last_row + 1):
        tds = []
        texts = [format_value(ws_v.cell(r, c).value, ws_v.cell(r, c).number_format)
                 for c in cols]
        k = -1
        while k < len(cols) - 1:
            k += 1
            c = cols[k]
            cf, cv = ws_f.cell(r, c), ws_v.cell(r, c)
            text = texts[k]
            span = 1  # text spills into empty cells on its right, as in Excel
            if isinstance(cv.value, str):
                while k + span < len(cols) and not texts[k + span] and not (
                        ws_f.cell(r, cols[k + span]).fill is not None
                        and ws_f.cell(r, cols[k + span]).fill.fill_type):
                    span += 1
            style = []
            fill = _rgb(cf.fill.fgColor) if cf.fill is not None and cf.fill.fill_type else None
            if fill:
                style.append(f"background:{fill}")
            font = _rgb(cf.font.color) if cf.font is not None and cf.font.color else None
            if font:
                style.append(f"color:{font}")
            if cf.font is not None and cf.font.b:
                style.append("font-weight:bold")
            if isinstance(cv.value, (int, float)) and not isinstance(cv.value, bool):
                style.append("text-align:right")
            if isinstance(cv.value, bool):
                style.append("text-align:center")
            cls = ' class="sel"' if (r, c) == (anchor.row, anchor.column) else ""
            colspan = f' colspan="{span}"' if span > 1 else ""
            tds.append(f'<td{cls}{colspan} style="{";".join(style)}">{html.escape(text)}</td>')
            k += span - 1
        body.append(f"<tr><th>{r}</th>{''.join(tds)}</tr>")
    bar = (f'<div class="bar"><span class="ref">{anchor.coordinate}</span><span class="fx">fx'
           f'</span><span>{html.escape(_formula_text(anchor))}</span></div>')
    title = f'<div class="tab">{html.escape(copy.name)} &middot; sheet {html.escape(sheet)}</div>'
    table = (f'<table style="width:{sum(widths) + 34}px"><colgroup><col style="width:34px">'
             + "".join(f'<col style="width:{w}px">' for w in widths)
             + f"</colgroup><tr><th></th>{head}</tr>{''.join(body)}</table>")
    return _page(title + bar + table, sum(widths) + 34), sum(widths) + 120


def errors_html():
    import addin.udfs as x

    def arg(a):
        if a is None:
            return ""
        if isinstance(a, str):
            return f'"{a}"'
        if isinstance(a, list):
            return f"Deal!A2:B{len(a) + 1}"
        return f"{a:g}" if isinstance(a, float) else str(a)

    rows = []
    for name, args in ERRORS:
        deal = next((a for a in args if isinstance(a, Deal)), None)
        call = [a.block() if isinstance(a, Deal) else a for a in args]
        shown = getattr(x, name)(*call)
        formula = f"={name}({', '.join(arg(a) for a in call)})".replace(", )", ")")
        note = deal.note if deal else ""
        rows.append(f"<tr><td class='f'>{html.escape(formula)}</td>"
                     f"<td class='n'>{html.escape(note)}</td>"
                     f"<td class='e'>{html.escape(str(shown))}</td></tr>")
    table = ("<table class='err'><tr><th>formula typed</th><th>deal block</th>"
             "<th>=CC_WHY(cell): the reason (the cell text in xlwings Lite)</th></tr>" + "".join(rows) + "</table>")
    return _page(table, 1180), 1300


def _page(inner: str, width: int) -> str:
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
body {{ margin: 12px; background: #fff; font-family: "DejaVu Sans", Arial, sans-serif;
       font-size: 12px; width: {width + 30}px; }}
table {{ border-collapse: collapse; table-layout: fixed; }}
th {{ background: #f3f3f3; color: #555; font-weight: normal; border: 1px solid #d4d4d4;
      padding: 2px 4px; }}
td {{ border: 1px solid #e1e1e1; padding: 2px 4px; white-space: nowrap; overflow: hidden;
      height: 17px; }}
td.sel {{ outline: 2px solid #217346; outline-offset: -2px; }}
.bar {{ border: 1px solid #d4d4d4; padding: 3px 6px; margin-bottom: 4px; font-family:
        "DejaVu Sans Mono", monospace; white-space: nowrap; overflow: hidden; }}
.bar .ref {{ display: inline-block; width: 60px; color: #333; }}
.bar .fx {{ color: #888; font-style: italic; margin-right: 10px; }}
.tab {{ color: #217346; font-weight: bold; margin-bottom: 4px; }}
table.err {{ width: 1140px; }}
table.err td {{ white-space: normal; overflow: visible; vertical-align: top; }}
table.err td.f {{ font-family: "DejaVu Sans Mono", monospace; width: 330px; }}
table.err td.n {{ width: 260px; color: #555; }}
table.err td.e {{ width: 540px; color: #9c0006; background: #ffeef0; }}
</style></head><body>{inner}</body></html>"""


def find_browser() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(browser: str, page: str, png: Path, tmp: Path, width: int) -> None:
    """Render an HTML page with headless Chromium, then crop the white margin."""
    from PIL import Image, ImageChops
    src = tmp / (png.stem + ".html")
    src.write_text(page, encoding="utf-8")
    profile = tmp / f"profile_{png.stem}"
    profile.mkdir()
    raw = tmp / (png.stem + "_raw.png")
    run = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                          "--no-first-run", "--disable-background-networking",
                          "--disable-component-update", "--disable-sync",
                          "--hide-scrollbars", f"--user-data-dir={profile}",
                          f"--window-size={max(width, 800)},1400", f"--screenshot={raw}",
                          src.as_uri()], capture_output=True, text=True, timeout=120)
    if not raw.exists():
        raise SystemExit(f"{browser} wrote no screenshot:\n{run.stderr[-2000:]}")
    img = Image.open(raw).convert("RGB")
    box = ImageChops.difference(img, Image.new("RGB", img.size, "white")).getbbox()
    if box:
        img = img.crop((max(box[0] - 8, 0), max(box[1] - 8, 0),
                        min(box[2] + 8, img.width), min(box[3] + 8, img.height)))
    img.save(png, optimize=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--charts", action="store_true", help="charts only")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        copies = recalc_templates(tmp)
        for png in copy_charts(tmp):
            print(f"chart: {png.relative_to(ROOT)}")
        if args.charts:
            return 0
        browser = find_browser()
        if browser is None:
            print("no chromium on the PATH: sheet pictures skipped (charts made)")
            return 0
        for name, template, sheet, key, rows_after, cols in SHEETS:
            page, width = sheet_html(copies[template], sheet, key, rows_after, cols)
            screenshot(browser, page, IMG / name, tmp, width)
            print(f"sheet: {(IMG / name).relative_to(ROOT)}")
        page, width = errors_html()
        screenshot(browser, page, IMG / "errors.png", tmp, width)
        print(f"errors: {(IMG / 'errors.png').relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
