"""Workbooks for the speed work, shared by tests/workbook/engine/test_speed.py and
benchmarks/bench_speed.py: the loan tape written the way credit officers write it, one formula
per cell filled down."""

from __future__ import annotations

from pathlib import Path

#: The formula columns of the filled-down tape (row 5 shown; each is filled down the tape):
#: our functions, nested, and arithmetic, reading the facility's inputs in the same row and
#: the common inputs by name.
FILLED_COLUMNS = [
    ("economic value", "=GPU_RV(G{r},H{r},I{r},J{r},discount_rate,salvage,physical_life)"),
    ("coverage", "=D{r}*O{r}*(1-workout_haircut)/E{r}"),
    ("LGD", "=LGD_CORR(F{r},P{r},K{r},workout_years,L{r})"),
    ("EL", "=EXPECTED_LOSS(F{r},Q{r},E{r})"),
    ("capital K", "=IRB_K(F{r},LGD_DOWNTURN(F{r},P{r},K{r},workout_years,L{r}),M{r})"),
    ("capital", "=S{r}*E{r}"),
]
INPUT_COLUMNS = ["facility", "borrower", "sku", "gpus", "ead", "pd", "rent0", "utilization",
                 "cash_cost", "deflation", "collateral_vol", "rho_collateral", "maturity",
                 "margin"]
FIRST_ROW = 5


def filled_down_tape(path: Path, n: int, shared: bool = False) -> Path:
    """The portfolio tape of ``n`` facilities (inputs in A:N) with six formula columns (O:T),
    one formula per cell; ``shared``: saved as Excel saves a fill-down (shared formulas), else
    each cell holds its own text (as openpyxl and many generators write)."""
    import openpyxl

    from workbook.templates.portfolio import tape
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Inputs"
    common = {"discount_rate": 0.12, "salvage": 1000.0, "physical_life": 6.0,
              "workout_haircut": 0.25, "workout_years": 1.0}
    from openpyxl.workbook.defined_name import DefinedName
    for i, (name, value) in enumerate(common.items(), start=1):
        ws.cell(i, 1, name)
        ws.cell(i, 2, value)
        wb.defined_names[name] = DefinedName(name, attr_text=f"Inputs!$B${i}")
    ts = wb.create_sheet("Tape")
    ts.cell(1, 1, f"Loan tape: {n} facilities, one formula per cell")
    head = FIRST_ROW - 1
    keys = ["id", "borrower", "sku", "gpus", "ead", "pd", "rent0", "utilization", "cash_cost",
            "deflation", "collateral_vol", "rho_collateral", "maturity", "margin"]
    for j, k in enumerate(INPUT_COLUMNS, start=1):
        ts.cell(head, j, k)
    for j, (label, _) in enumerate(FILLED_COLUMNS, start=len(keys) + 1):
        ts.cell(head, j, label)
    for i, row in enumerate(tape(n)):
        r = FIRST_ROW + i
        for j, k in enumerate(keys, start=1):
            ts.cell(r, j, row[k])
        for j, (_, text) in enumerate(FILLED_COLUMNS, start=len(keys) + 1):
            ts.cell(r, j, text.format(r=r))
    wb.save(path)
    if shared:
        _share(path, len(keys) + 1, n)
    return path


def _share(path: Path, first_col: int, n: int) -> None:
    """Rewrite the formula columns as Excel saves a fill-down: the first cell holds the text
    and the range (``t="shared" ref= si=``), the others only the group's index."""
    import re
    import zipfile

    from workbook.engine.sheetxml import coord, split_coord
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i.filename) for i in z.infolist()}
    name = "xl/worksheets/sheet2.xml"
    xml = parts[name].decode()
    last = FIRST_ROW + n - 1

    def repl(m: re.Match) -> str:
        ref, body = m.group(1), m.group(2)
        r, c = split_coord(ref)
        k = c - first_col
        if k < 0 or r < FIRST_ROW:
            return m.group(0)
        if r == FIRST_ROW:
            rng = f"{ref}:{coord(last, c)}"
            return (f'<c r="{ref}"><f t="shared" ref="{rng}" si="{k}">{body}</f></c>')
        return f'<c r="{ref}"><f t="shared" si="{k}"/></c>'
    xml = re.sub(r'<c r="([A-Z]+[0-9]+)"><f>([^<]*)</f><v\s*/?>(?:</v>)?</c>', repl, xml)
    parts[name] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in parts.items():
            z.writestr(k, v)
