"""``computecredit recalc``: recalculate deal workbooks without Excel (one file end to end, and
the command line).

Every formula, ours (:data:`addin.registry.REGISTRY`) and Excel's, is evaluated with the
`formulas <https://pypi.org/project/formulas/>`_ engine. The copy written keeps every formula
and gets every formula cell's cached value, so Excel without the add-in, LibreOffice and file
viewers show current numbers. Only the worksheet parts (cached values) and the ``calcPr`` element
of ``xl/workbook.xml`` change; shared strings, defined names, styles, merged cells, drawings and
charts are copied byte for byte. The input is never modified; the output is written atomically.

One file (:func:`recalc_file`): :mod:`.package` checks the package, :mod:`.evaluate` computes
it, :mod:`.report` collects what it found, :mod:`.output` writes the copy, :mod:`.charts` draws
the charts (``--png``).

Error cells are listed with their reason (the message our functions give, which the engine's
error value carries, also to dependent cells); ``--errors CSV`` writes all of them, and the
add-in's ``CC_WHY(cell)`` returns a cell's reason inside the workbook as it does in Excel.

A formula the engine cannot evaluate keeps the value Excel saved, as do the cells that depend
on it; the report lists them with the reason (``--strict`` refuses such a workbook instead).
TODAY() and NOW() read the real date unless ``--today`` fixes it.

Exit status: 0 every formula recomputed, no error cell, every check TRUE; 1 some error cell or
FALSE check (the copy is still written); 2 a file was refused or could not be read; 3 partial:
some cells kept Excel's saved values (the copy is written; 1 and 2 take precedence).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import os
import sys
import time
from typing import Iterator

from .report import (EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL, EXIT_REFUSED, MAX_LISTED,
                     RecalcResult, print_result)

__all__ = ["add_arguments", "run", "recalc_file", "output_path", "RecalcResult", "EXIT_OK",
           "EXIT_FINDINGS", "EXIT_REFUSED", "EXIT_PARTIAL", "MAX_LISTED", "parse_today",
           "refusal", "memory_ceiling", "volatile_note"]

EXIT_HELP = """exit status:
  0  every formula recomputed, no error cell, every check TRUE
  1  some error cell or FALSE check (the copy is still written)
  2  a file was refused or could not be read (nothing written for it)
  3  partial: some formula cells kept the values Excel saved, because the headless engine
     cannot evaluate them or they depend on such a cell (the copy is written and the report
     lists them with the reason); 1 and 2 take precedence over 3
With several files, the most severe status of them (2, then 1, then 3)."""

#: Severity of each exit status, for several files.
_SEVERITY = {EXIT_OK: 0, EXIT_PARTIAL: 1, EXIT_FINDINGS: 2, EXIT_REFUSED: 3}


def parse_today(text: str) -> dt.date:
    """``--today``: an ISO date (2025-06-30)."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") \
            from None


def recalc_file(path: str, out: str | None, png_dir: str | None = None, strict: bool = False,
                today: dt.date | None = None) -> RecalcResult:
    """Recalculate ``path`` into ``out`` (None: evaluate only). Never raises for bad input.

    ``strict``: refuse a workbook with anything the engine cannot evaluate (instead of keeping
    Excel's saved values for those cells); ``today``: the date TODAY() and NOW() see."""
    from .evaluate import evaluate_package
    from .excelfns import Stopped
    from .output import write_output
    from .package import WorkbookRefused, open_package
    from .report import build_report
    from .xlfunctions import set_today
    from .xlfunctions import today as clock

    t0 = time.perf_counter()
    res = RecalcResult(path)
    pkg = ev = None
    set_today(today)
    collecting = gc.isenabled()
    try:
        if out and os.path.exists(out) and os.path.samefile(out, path):
            raise WorkbookRefused("the output would overwrite the input; choose another -o")
        pkg = open_package(path)
        with memory_ceiling():
            ev = evaluate_package(pkg, strict=strict)
        if collecting:
            # What the evaluation left in reference cycles is freed now, in one pass; then
            # the collector pauses while the report and the copy are made, as it does during
            # the evaluation (see evaluate_package): its passes would walk the evaluation's
            # objects, all alive, and find nothing.
            gc.collect(0)
            gc.disable()
        build_report(res, [name for name, _ in pkg.sheets], ev)
        volatile_note(res, ev.volatile, today, clock())
        if out:
            write_output(pkg, ev, out)
            res.out = out
        if png_dir:
            _draw(res, pkg, ev, png_dir, path)
    except (Stopped, Exception) as exc:  # never a traceback for a user's file
        res.refused = refusal(exc)
    finally:
        set_today(None)
        if pkg is not None:
            pkg.close()
        pkg = ev = None
        if collecting:
            gc.enable()
    res.seconds = time.perf_counter() - t0
    return res


def refusal(exc: BaseException) -> str:
    """The one-line reason a workbook could not be evaluated, for an exception raised while
    evaluating it (never a traceback for a user's file)."""
    from .excelfns import Stopped
    from .package import WorkbookRefused
    if isinstance(exc, WorkbookRefused):
        return str(exc)
    if isinstance(exc, MemoryError):
        return ("the workbook needs more memory than this machine has to evaluate; nothing "
                "was written")
    if isinstance(exc, Stopped):
        return "the evaluation was stopped (time or memory limit)"
    if isinstance(exc, RecursionError):
        return "the formulas nest too deeply to evaluate"
    return (f"the workbook could not be recalculated because of an internal error "
            f"({type(exc).__name__}); the input is unchanged and nothing was written")


@contextlib.contextmanager
def memory_ceiling() -> Iterator[None]:
    """While evaluating, the process may allocate at most the evaluation's memory budget
    (:data:`~.package.LIMITS` ``memory_bytes``) beyond what it holds now: one huge array built
    inside a function (``MUNIT(30000)``, a column times a row) fails at once instead of
    taking the machine's memory (the budget's watchdog cannot stop a single allocation).
    Linux only (the data segment limit); elsewhere nothing changes."""
    from .package import LIMITS
    try:
        import resource
        with open("/proc/self/status", "rb") as f:
            data = next(int(ln.split()[1]) * 1024 for ln in f if ln.startswith(b"VmData:"))
        old = resource.getrlimit(resource.RLIMIT_DATA)
    except (ImportError, OSError, ValueError, StopIteration, AttributeError):
        yield
        return
    want = data + int(LIMITS["memory_bytes"]) + 2**29
    if old[1] != resource.RLIM_INFINITY:
        want = min(want, old[1])
    if old[0] != resource.RLIM_INFINITY and old[0] <= want:
        yield   # already tighter
        return
    resource.setrlimit(resource.RLIMIT_DATA, (want, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_DATA, old)


def volatile_note(res: RecalcResult, volatile: list[str], today: dt.date | None,
                   now: dt.datetime) -> None:
    dated = [f for f in volatile if f in ("TODAY", "NOW")]
    if dated:
        calls = "/".join(f"{f}()" for f in dated)
        if today is not None:
            res.notes.append(f"{calls} evaluated as of {today.isoformat()} (--today)")
        else:
            res.notes.append(f"volatile {calls} recomputed as of today, {now.date().isoformat()}"
                             f" (use --today DATE for a reproducible run)")
    rand = [f for f in volatile if f.startswith("RAND")]
    if rand:
        res.notes.append(f"{', '.join(rand)} drew new random numbers, as Excel does on every "
                         f"recalculation")


def _draw(res: RecalcResult, pkg: object, ev: object, png_dir: str, path: str) -> None:
    """Draw the charts; a failure is a warning (the recalculated copy stands)."""
    from .charts import draw_charts
    try:
        res.pngs = draw_charts(pkg, ev.values, png_dir,
                               os.path.splitext(os.path.basename(path))[0])
    except MemoryError:
        res.warnings.append("the charts were not drawn: not enough memory")
    except OSError as exc:
        res.warnings.append(f"the charts were not drawn: cannot write into {png_dir} "
                            f"({exc.strerror or type(exc).__name__})")
    except Exception as exc:  # a chart part we cannot read or draw
        res.warnings.append(f"the charts were not drawn: a chart could not be read or drawn "
                            f"({type(exc).__name__})")


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
    parser.add_argument("--errors", metavar="CSV",
                        help="also write every error cell with its reason to CSV (file, "
                             "sheet, cell, error, reason; cells kept at Excel's values too)")
    parser.add_argument("--strict", action="store_true",
                        help="refuse a workbook with anything the engine cannot evaluate, "
                             "instead of keeping Excel's saved values for those cells (exit 3)")
    parser.add_argument("--today", metavar="DATE", type=parse_today,
                        help="evaluate TODAY() and NOW() as of DATE (YYYY-MM-DD) for a "
                             "reproducible run (default: the real date)")
    parser.epilog = EXIT_HELP
    parser.formatter_class = argparse.RawDescriptionHelpFormatter


def output_path(path: str, output: str | None, n_files: int) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    if not output:
        return os.path.join(os.path.dirname(path) or ".", f"{stem}_recalc.xlsx")
    is_dir = (n_files > 1 or os.path.isdir(output) or output.endswith(("/", os.sep))
              or not output.lower().endswith((".xlsx", ".xlsm", ".xltx")))
    return os.path.join(output, f"{stem}.xlsx") if is_dir else output


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
    from .output import cleanup_on_signals
    cleanup_on_signals()
    try:
        return _run(args)
    except BaseException as exc:
        if type(exc).__name__ == "_Terminated":
            print("recalc: stopped by a signal; temporary copies removed", file=sys.stderr)
            return 128 + int(exc.args[0]) if exc.args else EXIT_REFUSED
        if isinstance(exc, KeyboardInterrupt):
            print("recalc: interrupted; temporary copies removed", file=sys.stderr)
            return 130
        raise


def _run(args: argparse.Namespace) -> int:
    from .output import cleanup_on_signals
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
            results[i] = recalc_file(f, o, args.png, args.strict, args.today)
            _progress(i + 1, len(files))
    else:
        from concurrent.futures import ProcessPoolExecutor, as_completed
        with ProcessPoolExecutor(max_workers=jobs, initializer=cleanup_on_signals) as pool:
            futs = {pool.submit(recalc_file, f, o, args.png, args.strict, args.today): i
                    for i, (f, o) in enumerate(zip(files, outs))}
            for k, fut in enumerate(as_completed(futs), start=1):
                results[futs[fut]] = fut.result()
                _progress(k, len(files))
    for res in results:
        print_result(res, args.quiet)
    if args.errors:
        from .report import write_errors_csv
        try:
            write_errors_csv(results, args.errors)
        except OSError as exc:
            print(f"recalc: cannot write {args.errors}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_REFUSED
    return max((r.exit_code for r in results), key=lambda c: _SEVERITY.get(c, 4))
