"""``computecredit recalc``: recalculate deal workbooks without Excel.

Every formula, ours (:data:`addin.registry.REGISTRY`) and Excel's, is evaluated with the
`formulas <https://pypi.org/project/formulas/>`_ engine. The copy written keeps every formula
and gets every formula cell's cached value, so Excel without the add-in, LibreOffice and file
viewers show current numbers. Only the worksheet parts (cached values) and the ``calcPr`` element
of ``xl/workbook.xml`` change; shared strings, defined names, styles, merged cells, drawings and
charts are copied byte for byte. The input is never modified; the output is written atomically.

Pipeline for one file (:func:`recalc_file`):

1. :func:`workbook.engine.package.open_package` checks the package before anything parses it
   (zip, sizes, macros, DTDs, external links).
2. Formulas that Excel saved as external references to the add-in (``[1]!GPU_RV(``,
   ``'C:\\...\\ComputeCredit.xlam'!GPU_RV(``, ``_xldudf_GPU_RV(``) are rewritten to plain names
   in a private temporary copy; unknown functions are refused.
3. The temporary copy is evaluated; our text errors (``"#NUM! deflation must be ..."``) become
   real formula errors so they propagate to dependent cells, and keep their message for the
   report. Circular references are refused (named cells).
4. The cached values are written into a copy of the original package.

Exit status: 0 all formulas evaluated, no error cell, every check TRUE; 1 some error cell or
FALSE check (the copy is still written); 2 a file was refused or could not be read.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable

from .sheetxml import (ErrorValue, FormulaCell, cells_of_range, read_formulas,
                         split_coord, write_values)
from .package import LIMITS, Package, WorkbookRefused, open_package

__all__ = ["add_arguments", "run", "recalc_file", "RecalcResult", "rewrite_formula",
           "evaluate_package", "EXIT_OK", "EXIT_FINDINGS", "EXIT_REFUSED"]

EXIT_OK, EXIT_FINDINGS, EXIT_REFUSED = 0, 1, 2
CHECKS_SHEET = "Checks"
MAX_LISTED = 30  # error cells / FALSE checks printed per file (all are in RecalcResult)
SUMMARY_SHEET = "Summary"
#: calcId of current Excel (365/2019+). A file with an older calcId is recalculated on open,
#: which without the add-in would replace our cached values with #NAME?.
EXCEL_CALC_ID = "191029"
_ERROR_CODES = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NUM!", "#NAME?", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!")


@dataclass
class RecalcResult:
    """What one file's recalculation found (picklable: returned by worker processes)."""
    path: str
    out: str | None = None
    refused: str | None = None                                  # one-line reason
    errors: list[tuple[str, str, str, str]] = field(default_factory=list)  # sheet, cell, code, msg
    false_checks: list[tuple[str, str, str]] = field(default_factory=list)  # sheet, cell, label
    summary: list[tuple[str, Any]] = field(default_factory=list)
    n_formulas: int = 0
    seconds: float = 0.0
    pngs: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        if self.refused:
            return EXIT_REFUSED
        return EXIT_FINDINGS if (self.errors or self.false_checks) else EXIT_OK


# --------------------------------------------------------------------------------------------
# formula text: external references to the add-in, unknown functions

_STRING_OR_QUOTED = re.compile(r'"(?:[^"]|"")*"')
_NAME = r"([A-Za-z_][A-Za-z0-9_.]*)"


def _our_names() -> dict[str, str]:
    from addin import udfs  # noqa: F401  (registers every Excel function)
    from addin.registry import REGISTRY
    return {name.upper(): name for name in REGISTRY}


def rewrite_formula(text: str, addin_links: set[int], ours: dict[str, str] | None = None
                    ) -> str:
    """Rewrite our functions saved as external references to the add-in into plain names.

    ``[N]!GPU_RV(`` (N an external link whose target is an add-in), ``'C:\\path\\X.xlam'!GPU_RV(``,
    ``X.xlam!GPU_RV(``, ``_xldudf_GPU_RV(`` and ``_xll.GPU_RV(`` become ``GPU_RV(`` when GPU_RV is
    one of our functions; anything else is left as it is (string literals are never touched).
    """
    ours = _our_names() if ours is None else ours

    def plain(m: re.Match) -> str:
        name = m.group("name")
        return (ours[name.upper()] + "(") if name.upper() in ours else m.group(0)

    def link(m: re.Match) -> str:
        if int(m.group("n")) in addin_links:
            return plain(m)
        return m.group(0)

    def fix(seg: str) -> str:
        seg = re.sub(rf"(?<![\w.\]])\[(?P<n>\d+)\]!(?P<name>{_NAME[1:-1]})\s*\(", link, seg)
        seg = re.sub(rf"'(?:[^']|'')*?\.xl(?:am|a|l)\]?'!(?P<name>{_NAME[1:-1]})\s*\(", plain,
                     seg, flags=re.I)
        seg = re.sub(rf"(?<![\w.'\]])[^\s'\"!(),;=+\-*/&^<>{{}}]+?\.xl(?:am|a|l)\]?!"
                     rf"(?P<name>{_NAME[1:-1]})\s*\(", plain, seg, flags=re.I)
        seg = re.sub(rf"(?<![\w.])(?:_xldudf_|_xll\.)(?P<name>{_NAME[1:-1]})\s*\(", plain, seg,
                     flags=re.I)
        return seg

    out, pos = [], 0
    for m in _STRING_OR_QUOTED.finditer(text):
        out.append(fix(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(fix(text[pos:]))
    return "".join(out)


def function_names(text: str) -> list[str]:
    """Names called in a formula (outside string literals and quoted sheet names)."""
    names = []
    for seg in re.split(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'', text):
        names += re.findall(rf"(?<![\w.!\]\[]){_NAME}\s*\(", seg)
    return names


# --------------------------------------------------------------------------------------------
# our functions inside the formula engine

_REGISTERED: list[bool] = []


def _engine() -> tuple[Any, dict[str, Any]]:
    """Import ``formulas`` quietly and register every ComputeCredit function once."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    import formulas
    functions = formulas.get_functions()
    if not _REGISTERED:
        from formulas.tokens.operand import Empty
        from addin.registry import REGISTRY
        # A skipped argument, as in =LGD_CORR(pd, cov, vol, 1, 0.5, , 0), compiles to 0 in
        # the engine; Excel gives a UDF an empty argument (the default). Mark it: still 0
        # for Excel's own functions, None for ours.
        Empty.compile = staticmethod(lambda: MISSING)
        _our_names()
        for name, spec in REGISTRY.items():
            functions[name.upper()] = _engine_function(spec.name, spec.func)
            functions["_XLDUDF_" + name.upper()] = functions[name.upper()]
        _REGISTERED.append(True)
    return formulas, functions


class _Missing(int):
    """A skipped formula argument: the number 0 to Excel's functions, an empty cell to ours."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing(0)


def _error_token(code: str, message: str = "") -> Any:
    from formulas.tokens.operand import XlError

    class MsgError(XlError):
        pass

    if code not in ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NUM!", "#NAME?", "#N/A"):
        code = "#VALUE!"
    err = MsgError(code)
    err.message = message
    return err


def _engine_function(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    import numpy as np
    import schedula as sh
    from formulas.functions import wrap_func
    from formulas.tokens.operand import XlError

    def cell_in(v: Any) -> Any:
        if v is sh.EMPTY or isinstance(v, _Missing) or (
                isinstance(v, sh.Token) and str(v) == "empty"):
            return None
        if isinstance(v, XlError):
            return str(v)
        if isinstance(v, np.generic):
            return v.item()
        return v

    def arg_in(x: Any) -> Any:
        if isinstance(x, np.ndarray):
            return [[cell_in(v) for v in row] for row in np.atleast_2d(x).tolist()]
        return cell_in(x)

    def cell_out(v: Any) -> Any:
        if isinstance(v, str) and v.startswith(_ERROR_CODES):
            code = next(c for c in _ERROR_CODES if v.startswith(c))
            return _error_token(code, v)
        return v

    def call(*args: Any) -> Any:
        result = func(*(arg_in(a) for a in args))
        if isinstance(result, list):
            rows = [[cell_out(v) for v in row] for row in result]
        else:
            rows = [[cell_out(result)]]
        out = np.empty((len(rows), len(rows[0]) if rows else 0), dtype=object)
        for i, row in enumerate(rows):
            out[i, :] = row
        return out.view(_fit_array_class())

    call.__name__ = name
    return wrap_func(call)


_FIT_ARRAY: list[type] = []


def _fit_array_class() -> type:
    """An array that fits into its range as Excel does: a table larger than the array-formula
    range is cut to the range, a smaller one is padded with #N/A (the engine's own reshape
    returns #VALUE! for a larger table)."""
    if not _FIT_ARRAY:
        import numpy as np
        from formulas.functions import Array
        from formulas.tokens.operand import Error

        class FitArray(Array):
            def reshape(self, shape: Any, *shapes: Any, order: str = "C") -> Any:
                if (not shapes and isinstance(shape, tuple) and len(shape) == 2
                        and all(isinstance(k, int) and k > 0 for k in shape)
                        and tuple(shape) != self.shape and self.ndim == 2):
                    res = np.empty(shape, dtype=object)
                    res[:, :] = Error.errors["#N/A"]
                    r, c = min(shape[0], self.shape[0]), min(shape[1], self.shape[1])
                    res[:r, :c] = np.asarray(self)[:r, :c]
                    return res
                return super().reshape(shape, *shapes, order=order)

        _FIT_ARRAY.append(FitArray)
    return _FIT_ARRAY[0]


def _plain(v: Any) -> Any:
    """A value from the engine as plain Python: float, bool, str, None or ErrorValue."""
    import numpy as np
    import schedula as sh
    from formulas.tokens.operand import XlError
    if isinstance(v, np.ndarray):
        v = v.ravel()[0] if v.size else None
    if isinstance(v, XlError):
        return ErrorValue(str(v), getattr(v, "message", ""))
    if v is sh.EMPTY or (isinstance(v, sh.Token) and str(v) == "empty"):
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    return v if isinstance(v, str) else str(v)


# --------------------------------------------------------------------------------------------
# evaluation

@dataclass
class Evaluation:
    """Formula cells per sheet and every evaluated value, keyed by (sheet name, cell)."""
    formulas: dict[str, dict[str, FormulaCell]]
    values: dict[tuple[str, str], Any]
    missing: list[tuple[str, str]]


def _sol_index(sol: dict[str, Any], sheet_names: dict[str, str]) -> dict[tuple[str, str], Any]:
    out = {}
    for key, rng in sol.items():
        key = str(key)
        i = key.rfind("'!")
        if not key.startswith("'[") or i < 0:
            continue
        sheet = key[2:i].split("]", 1)[-1].replace("''", "'")
        name = sheet_names.get(sheet.upper())
        if name is None:
            continue
        out[(name, key[i + 2:])] = getattr(rng, "value", rng)
    return out


def _cycles(dmap: Any) -> list[list[str]]:
    """Strongly connected components with more than one node (or a self-loop), iteratively."""
    succ = dmap.succ
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], [0]
    for root in list(succ):
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on.add(nxt)
                    work.append((nxt, iter(succ.get(nxt, ()))))
                    advanced = True
                    break
                if nxt in on:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1 or node in succ.get(node, ()):
                    comps.append(comp)
    return comps


def _cell_label(node: str) -> str:
    node = str(node)
    i = node.rfind("'!")
    if node.startswith("'[") and i > 0:
        return node[2:i].split("]", 1)[-1] + "!" + node[i + 2:]
    return node


def evaluate_package(pkg: Package) -> Evaluation:
    """Evaluate every formula of a checked package (see the module docstring, steps 2-3)."""
    ours = _our_names()
    formulas_mod, functions = _engine()
    addin_links = {i for i, link in pkg.links.items() if link.is_addin}
    per_sheet: dict[str, dict[str, FormulaCell]] = {}
    replaced: dict[str, bytes] = {}
    n_formulas = 0
    for name, part in pkg.sheets:
        xml = pkg.read(part)
        try:
            cells = read_formulas(xml)
        except (UnicodeDecodeError, ValueError) as exc:
            raise WorkbookRefused(f"sheet {name!r} cannot be read ({exc})") from None
        per_sheet[name] = cells
        n_formulas += len(cells)
        if n_formulas > LIMITS["formula_cells"]:
            raise WorkbookRefused(f"the workbook has more than {LIMITS['formula_cells']:,} "
                                  f"formula cells; split it (the engine's time grows with "
                                  f"every cell)")
        changed = False
        unknown = []
        for c in cells.values():
            if c.kind == "dataTable":
                raise WorkbookRefused(f"{name}!{c.coord}: what-if data tables are not supported "
                                      f"by the headless engine; paste them as values")
            if c.text is None:
                continue
            new = rewrite_formula(c.text, addin_links, ours)
            for fn in function_names(new):
                if fn.upper() not in functions:
                    unknown.append(f"{fn} in {name}!{c.coord}")
            if new != c.text:
                changed = True
                c.text = new
        if unknown:
            more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
            raise WorkbookRefused("unknown function " + ", ".join(unknown[:3]) + more +
                                  " (neither an Excel function the engine knows nor a "
                                  "ComputeCredit function)")
        if changed:
            replaced[part] = _rewrite_part(xml, addin_links, ours)
    tmpdir = tempfile.mkdtemp(prefix="computecredit-recalc-")
    try:
        tmp = os.path.join(tmpdir, "book.xlsx")
        _copy_package(pkg, tmp, replaced)
        try:
            model = formulas_mod.ExcelModel().loads(tmp).finish()
            sol = model.calculate()
        except WorkbookRefused:
            raise
        except RecursionError:
            raise WorkbookRefused("the formulas nest too deeply to evaluate") from None
        except Exception as exc:  # the engine's own parse errors: one line, no traceback
            detail = str(exc).splitlines()[0][:160] if str(exc) else ""
            raise WorkbookRefused(f"the formula engine cannot read this workbook "
                                  f"({type(exc).__name__}: {detail})") from None
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    import numpy as np
    names = {n.upper(): n for n, _ in pkg.sheets}
    index = _sol_index(sol, names)
    values: dict[tuple[str, str], Any] = {}
    missing = []
    for (sheet, ref), raw in index.items():
        if ":" not in ref:
            values[(sheet, ref)] = _plain(raw)
    for sheet, cells in per_sheet.items():
        for c in cells.values():
            if c.kind == "array" and c.ref and ":" in c.ref:
                raw = index.get((sheet, c.ref.replace("$", "")))
                if raw is None:
                    missing.append((sheet, c.coord))
                    continue
                arr = np.atleast_2d(np.asarray(raw, dtype=object))
                span = cells_of_range(c.ref)
                r0, q0 = split_coord(span[0])
                for cc in span:
                    r, q = split_coord(cc)
                    i, j = r - r0, q - q0
                    inside = i < arr.shape[0] and j < arr.shape[1]
                    values[(sheet, cc)] = _plain(arr[i, j]) if inside else ErrorValue("#N/A")
            elif (sheet, c.coord) not in values:
                missing.append((sheet, c.coord))
    if missing:
        cycles = _cycles(model.dsp.dmap)
        cells_in_cycles = sorted({_cell_label(n) for comp in cycles for n in comp
                                  if not str(n).startswith("=")})
        if cells_in_cycles:
            shown = ", ".join(cells_in_cycles[:4])
            more = f" and {len(cells_in_cycles) - 4} more" if len(cells_in_cycles) > 4 else ""
            raise WorkbookRefused(f"circular reference through {shown}{more}; the headless "
                                  f"engine does not iterate")
    return Evaluation(per_sheet, values, missing)


def _rewrite_part(xml: bytes, addin_links: set[int], ours: dict[str, str]) -> bytes:
    """The worksheet part with rewritten formula texts (for the private evaluation copy)."""
    import html
    pattern = re.compile(r"(<(?:\w+:)?f(?=[\s>])[^>]*(?<!/)>)(.*?)(</(?:\w+:)?f>)", re.S)

    def repl(m: re.Match) -> str:
        new = rewrite_formula(html.unescape(m.group(2)), addin_links, ours)
        return m.group(1) + html.escape(new, quote=False) + m.group(3)

    return pattern.sub(repl, xml.decode("utf-8")).encode("utf-8")


def _copy_package(pkg: Package, dest: str, replaced: dict[str, bytes],
                  keep: Callable[[str], bool] = lambda n: True) -> None:
    with zipfile.ZipFile(dest, "w") as out:
        for info in pkg.zf.infolist():
            if not keep(info.filename):
                continue
            data = replaced.get(info.filename)
            if data is None:
                data = pkg.read(info.filename)
            copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
            copy.compress_type = info.compress_type
            copy.external_attr, copy.create_system = info.external_attr, info.create_system
            copy.comment, copy.extra = info.comment, info.extra
            out.writestr(copy, data)  # a fresh ZipInfo: writestr updates it in place


def _calc_pr(xml: bytes) -> bytes:
    """workbook.xml with calcPr saying "already calculated by current Excel"."""
    text = xml.decode("utf-8")
    m = re.search(r"<(\w+:)?calcPr\b([^>]*?)(/?)>", text)
    if not m:
        return xml
    attrs = re.sub(r'\s(fullCalcOnLoad|calcId)\s*=\s*"[^"]*"', "", m.group(2))
    new = f'<{m.group(1) or ""}calcPr calcId="{EXCEL_CALC_ID}"{attrs}{m.group(3)}>'
    return (text[:m.start()] + new + text[m.end():]).encode("utf-8")


def _write_output(pkg: Package, ev: Evaluation, out: str) -> None:
    replaced = {}
    for name, part in pkg.sheets:
        cells = ev.formulas[name]
        if not cells:
            continue
        vals, styles = {}, {}
        for c in cells.values():
            if c.kind == "array" and c.ref and ":" in c.ref:
                for cc in cells_of_range(c.ref):
                    if (name, cc) in ev.values:
                        vals[cc] = ev.values[(name, cc)]
                        if c.style:
                            styles[cc] = c.style
            elif (name, c.coord) in ev.values:
                vals[c.coord] = ev.values[(name, c.coord)]
        replaced[part] = write_values(pkg.read(part), vals, styles)
    replaced["xl/workbook.xml"] = _calc_pr(pkg.read("xl/workbook.xml"))
    folder = os.path.dirname(os.path.abspath(out))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".recalc-", suffix=".xlsx.tmp", dir=folder)
    os.close(fd)
    try:
        _copy_package(pkg, tmp, replaced)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the copy is an ordinary file
        os.replace(tmp, out)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------------------------
# one file, end to end

def recalc_file(path: str, out: str | None, png_dir: str | None = None) -> RecalcResult:
    """Recalculate ``path`` into ``out`` (None: evaluate only). Never raises for bad input."""
    t0 = time.perf_counter()
    res = RecalcResult(path)
    pkg = None
    try:
        if out and os.path.exists(out) and os.path.samefile(out, path):
            raise WorkbookRefused("the output would overwrite the input; choose another -o")
        pkg = open_package(path)
        ev = evaluate_package(pkg)
        _report(res, pkg, ev)
        if out:
            _write_output(pkg, ev, out)
            res.out = out
        if png_dir:
            from .charts import draw_charts
            res.pngs = draw_charts(pkg, ev.values, png_dir,
                                   os.path.splitext(os.path.basename(path))[0])
    except WorkbookRefused as exc:
        res.refused = str(exc)
    except MemoryError:
        res.refused = "out of memory while evaluating the workbook"
    except Exception as exc:  # never a traceback for a user's file
        res.refused = f"unexpected {type(exc).__name__}: {str(exc)[:160]}"
    finally:
        if pkg is not None:
            pkg.close()
    res.seconds = time.perf_counter() - t0
    return res


def _report(res: RecalcResult, pkg: Package, ev: Evaluation) -> None:
    n = 0
    for name, _ in pkg.sheets:
        cells = ev.formulas[name]
        coords = []
        for c in cells.values():
            coords += cells_of_range(c.ref) if (c.kind == "array" and c.ref) else [c.coord]
        n += len(cells)
        for cc in sorted(set(coords), key=split_coord):
            v = ev.values.get((name, cc))
            if isinstance(v, ErrorValue):
                res.errors.append((name, cc, v.code, v.message))
            elif v is False and name.lower() == CHECKS_SHEET.lower():
                row = split_coord(cc)[0]
                label = ev.values.get((name, f"A{row}"))
                res.false_checks.append((name, cc, str(label) if label else ""))
    for (sheet, cc) in ev.missing:
        res.errors.append((sheet, cc, "#N/A", "not evaluated by the headless engine"))
    res.n_formulas = n
    summary = next((s for s, _ in pkg.sheets if s.lower() == SUMMARY_SHEET.lower()), None)
    if summary:
        rows = sorted({split_coord(c)[0] for c in ev.formulas[summary] if c.startswith("B")})
        for r in rows[:40]:
            label, value = ev.values.get((summary, f"A{r}")), ev.values.get((summary, f"B{r}"))
            unit = ev.values.get((summary, f"C{r}"))
            if isinstance(label, str) and label and value is not None and value != "":
                res.summary.append((label + (f" ({unit})" if isinstance(unit, str) and unit
                                             else ""), value))


# --------------------------------------------------------------------------------------------
# command line

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="workbooks (.xlsx) to "
                        "recalculate; never modified")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="output file (one input) or folder (default: FILE_recalc.xlsx "
                             "next to each input)")
    parser.add_argument("--png", metavar="DIR", help="also draw each workbook's charts as PNG "
                                                     "into DIR (matplotlib)")
    parser.add_argument("-j", "--jobs", type=int, default=0,
                        help="parallel processes (default: one per core, at most one per file)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary, only findings")


def output_path(path: str, output: str | None, n_files: int) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    if not output:
        return os.path.join(os.path.dirname(path) or ".", f"{stem}_recalc.xlsx")
    is_dir = (n_files > 1 or os.path.isdir(output) or output.endswith(("/", os.sep))
              or not output.lower().endswith((".xlsx", ".xlsm", ".xltx")))
    return os.path.join(output, f"{stem}.xlsx") if is_dir else output


def _fmt(v: Any) -> str:
    if isinstance(v, ErrorValue):
        return v.message or v.code
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        if abs(v) >= 1000:
            return f"{v:,.0f}"
        if v != 0 and abs(v) < 1e-3:
            return f"{v:.4g}"
        return f"{v:,.4f}".rstrip("0").rstrip(".") if abs(v) < 100 else f"{v:,.2f}"
    return str(v)


def _print_result(res: RecalcResult, quiet: bool) -> None:
    out = sys.stdout
    if res.refused:
        print(f"{res.path}: refused: {res.refused}", file=sys.stderr)
        return
    status = "OK" if res.exit_code == EXIT_OK else "FINDINGS"
    print(f"{res.path}: {status}: {res.n_formulas} formulas in {res.seconds:.2f} s"
          + (f" -> {res.out}" if res.out else ""), file=out)
    if not quiet:
        width = max((len(k) for k, _ in res.summary), default=0)
        for label, value in res.summary:
            print(f"  {label:<{width}}  {_fmt(value)}", file=out)
        for p in res.pngs:
            print(f"  chart: {p}", file=out)
    for sheet, cell, code, msg in res.errors[:MAX_LISTED]:
        print(f"  ERROR {sheet}!{cell}: {msg or code}", file=out)
    if len(res.errors) > MAX_LISTED:
        print(f"  ... and {len(res.errors) - MAX_LISTED} more error cells", file=out)
    for sheet, cell, label in res.false_checks[:MAX_LISTED]:
        print(f"  CHECK FALSE {sheet}!{cell}: {label}", file=out)
    if len(res.false_checks) > MAX_LISTED:
        print(f"  ... and {len(res.false_checks) - MAX_LISTED} more FALSE checks", file=out)


def _progress(done: int, total: int) -> None:
    if total < 2:
        return
    width = 30
    fill = int(width * done / total)
    sys.stderr.write(f"\rrecalc [{'#' * fill}{'.' * (width - fill)}] {done}/{total} files")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def run(args: argparse.Namespace) -> int:
    files = list(args.files)
    outs = [output_path(f, args.output, len(files)) for f in files]
    if len(set(map(os.path.abspath, outs))) < len(outs):
        print("recalc: two inputs would write the same output file; give them different "
              "names or use separate runs", file=sys.stderr)
        return EXIT_REFUSED
    jobs = args.jobs or min(len(files), os.cpu_count() or 1)
    results: list[RecalcResult | None] = [None] * len(files)
    _progress(0, len(files))
    if jobs <= 1 or len(files) == 1:
        for i, (f, o) in enumerate(zip(files, outs)):
            results[i] = recalc_file(f, o, args.png)
            _progress(i + 1, len(files))
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            futs = {pool.submit(recalc_file, f, o, args.png): i
                    for i, (f, o) in enumerate(zip(files, outs))}
            for k, fut in enumerate(as_completed(futs), start=1):
                results[futs[fut]] = fut.result()
                _progress(k, len(files))
    for res in results:
        _print_result(res, args.quiet)
    return max(r.exit_code for r in results)
