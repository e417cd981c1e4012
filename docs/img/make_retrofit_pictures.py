"""Regenerate the pictures of "Bring your own deal" (README.md, docs/retrofit.md, docs/guide.md).

    python docs/img/make_retrofit_pictures.py

An arranger-style deal spreadsheet is built (the corpus deal of the tests,
``tests/workbook/deal_corpus.py``: annual periods, ``SLN`` depreciation, flat rent, PMT debt
service, DSCR and LTV rows, a fixed recovery rate; here with 14,000,000 of debt over four years),
then the public commands run on it exactly as a user runs them::

    computecredit audit DEAL.xlsx --html audit.html
    computecredit retrofit DEAL.xlsx --draft-map map.toml
    computecredit retrofit DEAL.xlsx --map map.toml -o deal_cc.xlsx
    computecredit recalc deal_cc.xlsx -o out/ --png out/

Pictures written (every number is a value the commands computed; nothing is drawn by hand):

* ``retrofit_before_after.png``: the deal's Model sheet as it came (before) next to the key
  results of the ComputeCredit sheet and its DSCR chart (after);
* ``retrofit_audit.png``: the top of the audit's HTML page;
* ``retrofit_dscr.png``, ``retrofit_value.png``: two of the sheet's charts.

Needs ``chromium`` (or chromium-browser/google-chrome) for the sheet and page pictures; look at
every picture before committing it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMG = Path(__file__).resolve().parent
for p in (ROOT, IMG):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

DEBT, YEARS = 14_000_000, 4


def _run(*args: str) -> str:
    run = subprocess.run([sys.executable, "-m", "workbook.cli", *args], cwd=ROOT,
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):  # recalc exits 1 when a check is FALSE: that is the point
        raise SystemExit(f"computecredit {' '.join(args)} failed ({run.returncode}):\n"
                         f"{run.stdout}{run.stderr}")
    return run.stdout


def _compose(before: Path, after: Path, chart: Path, out: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont
    a, b, c = (Image.open(x).convert("RGB") for x in (before, after, chart))
    scale = min(1.0, 560 / c.width)
    c = c.resize((int(c.width * scale), int(c.height * scale)))
    right_w = max(b.width, c.width)
    head = 34
    w = a.width + right_w + 60
    h = head + max(a.height, b.height + c.height + 10) + 10
    img = Image.new("RGB", (w, h), "white")
    draw = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype("DejaVuSans-Bold.ttf", 16)
    except OSError:
        font = ImageFont.load_default()
    draw.text((10, 8), "Before: the deal's own sheet (flat rent, SLN)", fill="#1F4E79",
              font=font)
    draw.text((a.width + 50, 8), "After: retrofit + recalc, the ComputeCredit sheet",
              fill="#1F4E79", font=font)
    img.paste(a, (0, head))
    draw.line([(a.width + 25, head), (a.width + 25, h - 10)], fill="#BBBBBB", width=2)
    img.paste(b, (a.width + 40, head))
    img.paste(c, (a.width + 40, head + b.height + 10))
    img.save(out, optimize=True)


def main() -> int:
    from make_pictures import find_browser, screenshot, sheet_html  # docs/img/make_pictures.py
    from tests.workbook.deal_corpus import annual_sln
    browser = find_browser()
    if browser is None:
        print("no chromium on the PATH: nothing drawn")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        deal = annual_sln(tmp / "deal.xlsx", debt=DEBT, years=YEARS)
        _run("audit", str(deal), "--html", str(tmp / "audit.html"))
        _run("retrofit", str(deal), "--draft-map", str(tmp / "map.toml"))
        _run("retrofit", str(deal), "--map", str(tmp / "map.toml"), "-o",
             str(tmp / "deal_cc.xlsx"))
        out = tmp / "out"
        print(_run("recalc", str(tmp / "deal_cc.xlsx"), "-o", str(out), "--png", str(out)))
        copy = out / "deal_cc.xlsx"
        charts = sorted(out.glob("deal_cc_*.png"))
        dscr = next(p for p in charts if "dscr" in p.name)
        value = next(p for p in charts if "collateral" in p.name)
        shutil.copyfile(dscr, IMG / "retrofit_dscr.png")
        shutil.copyfile(value, IMG / "retrofit_value.png")
        view = tmp / "view"
        view.mkdir()
        shutil.copyfile(copy, view / "deal.xlsx")    # the deal's own sheet, with its values
        page, width = sheet_html(view / "deal.xlsx", "Model", "A3", 16, "A:F")
        screenshot(browser, page, tmp / "before.png", tmp, width)
        page, width = sheet_html(copy, "ComputeCredit", "F6", 14, "F:H")
        page = page.replace("<tr><th>1</th>", "<tr style='display:none'><th>1</th>", 1)
        screenshot(browser, page, tmp / "after.png", tmp, width)
        _compose(tmp / "before.png", tmp / "after.png", dscr, IMG / "retrofit_before_after.png")
        audit = (tmp / "audit.html").read_text(encoding="utf-8")
        screenshot(browser, audit.replace("max-width:1280px", "max-width:1180px"),
                   IMG / "retrofit_audit.png", tmp, 1240)
    for name in ("retrofit_before_after.png", "retrofit_audit.png", "retrofit_dscr.png",
                 "retrofit_value.png"):
        print(f"picture: {(IMG / name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
