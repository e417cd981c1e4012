"""The xlwings Lite bundle (``computecredit lite-bundle OUT_DIR``): it imports on its own and its
functions give the same results as :mod:`addin.udfs`."""

import importlib
import json
import math
import pathlib
import subprocess
import sys
import textwrap

import pytest

import addin.udfs  # noqa: F401  (registers every function)
import pymodel
from addin.packaging import lite
from workbook import cli
from addin.registry import REGISTRY
from pymodel.schema import SCHEMA as PARAMS
from pymodel.fields import FieldSet

ROOT = pathlib.Path(__file__).resolve().parents[3]
SPECS = [REGISTRY[k] for k in sorted(REGISTRY) if not k.startswith("TEST_")]


def _field_sets():
    import pkgutil
    out = {}
    for m in pkgutil.iter_modules(pymodel.__path__):
        mod = importlib.import_module(f"pymodel.{m.name}")
        out.update({v.label: v for v in vars(mod).values() if isinstance(v, FieldSet)})
    return out


FIELD_SETS = _field_sets()


def _number(name):
    p = PARAMS.get(name)
    if p is not None and isinstance(p.default, (int, float)) and not isinstance(p.default, bool):
        return float(p.default)
    if p is not None and p.domain is not None:
        d = p.domain
        lo = d.lo if d.lo is not None else 0.0
        return (lo + d.hi) / 2 if d.hi is not None else lo + 1.0
    return 0.5


def sample_value(a):
    """A plausible input for argument ``a`` (the functions may still answer with an error)."""
    p = PARAMS.get(a.name)
    if a.kind == "pairs":
        fs = FIELD_SETS.get(a.name)
        rows = [[f.name, f.default] for f in fs if isinstance(f.default, (int, float))] if fs \
            else []
        return rows[:5] or [["field", 1.0]]
    if a.kind == "text":
        return p.choices[0] if p is not None and p.choices else "abc"
    if a.kind == "bool":
        return True
    x = _number(a.name)
    if a.kind == "int":
        return float(round(x))
    if a.kind in ("vector", "matrix"):
        return [[x], [x], [x]]
    return x


def cases():
    """(function name, argument list) pairs: plausible inputs, empty cells, text."""
    out = []
    for s in SPECS:
        plausible = [sample_value(a) for a in s.args]
        out.append((s.name, plausible))
        out.append((s.name, [None] * len(s.args)))
        if s.args:
            out.append((s.name, ["abc"] + plausible[1:]))
            out.append((s.name, [[[v] if not isinstance(v, list) else v for v in [plausible[0]]]]
                        + [None] * (len(s.args) - 1)))
    return out


RUNNER = textwrap.dedent("""
    import json, sys
    out_dir = sys.argv[1]
    sys.path.insert(0, out_dir)
    import main
    cases = json.load(sys.stdin)
    results = [getattr(main, name)(*args) for name, args in cases]
    ours = sorted({m: getattr(mod, "__file__", "") for m, mod in sys.modules.items()
                   if m.split(".")[0] in ("pymodel", "addin")}.items())
    # a damaged unpacked file is rewritten at the next start
    import os
    target = os.path.join(main._unpack(), "pymodel", "__init__.py")
    with open(target, "w") as fh:
        fh.write("damaged")
    restored = open(os.path.join(main._unpack(), "pymodel", "__init__.py")).read() == \
        main._FILES["pymodel/__init__.py"]
    json.dump({"results": results, "modules": ours, "restored": restored, "names": sorted(
        n for n in dir(main) if n.isupper() and callable(getattr(main, n)))}, sys.stdout)
""")


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("lite")
    assert cli.main(["lite-bundle", str(out / "bundle")]) == 0
    return out / "bundle"


def _run_isolated(bundle, code, stdin, tmp):
    """Run ``code`` with -I (no PYTHONPATH, no cwd, no user site): only the bundle folder and
    the interpreter's site-packages are importable; TMPDIR keeps the unpacked files in tmp."""
    env = {"TMPDIR": str(tmp), "PATH": "/usr/bin:/bin", "HOME": str(tmp)}
    proc = subprocess.run([sys.executable, "-I", "-c", code, str(bundle)], input=stdin,
                          capture_output=True, text=True, cwd=tmp, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_bundle_files(bundle):
    assert sorted(p.name for p in bundle.iterdir()) == ["main.py", "requirements.txt"]
    reqs = [ln for ln in (bundle / "requirements.txt").read_text().splitlines()
            if ln and not ln.startswith("#")]
    assert set(reqs) <= set(lite.ALLOWED_THIRD_PARTY.values())
    assert "xlwings<1.0.0" in reqs and "numpy" in reqs
    text = (bundle / "main.py").read_text()
    compile(text, "main.py", "exec")
    assert f"_VERSION = {pymodel.__version__!r}" in text


def test_bundle_imports_alone_and_matches_addin_udfs(bundle, tmp_path):
    todo = cases()
    out = json.loads(_run_isolated(bundle, RUNNER, json.dumps(todo), tmp_path))
    # same function names
    assert out["names"] == sorted(s.name for s in SPECS)
    assert out["restored"] is True
    # every ComputeCredit module came from the unpacked bundle, none from the repository
    files = dict(out["modules"])
    assert "addin.udfs" in files
    for mod, path in files.items():
        assert path.startswith(str(tmp_path)), f"{mod} imported from {path}"
        assert not path.startswith(str(ROOT))
    # same results, bit for bit
    expected = [REGISTRY[name].func(*args) for name, args in todo]
    assert len(out["results"]) == len(expected)
    ok = 0
    for (name, args), got, want in zip(todo, out["results"], expected):
        assert got == json.loads(json.dumps(want)), (name, args)
        ok += not (isinstance(want, str) and want.startswith("#"))
    assert ok >= len(SPECS) // 2, "too few cases reached the model (only errors compared)"


FAKE_LITE = textwrap.dedent('''
    """Stand-in for xlwings Lite's decorators: the documented keyword arguments only."""
    REGISTERED = {}

    def func(f=None, *, name=None, namespace=None, volatile=False, cache=False,
             help_url=None, required_roles=None):
        def inner(fn):
            meta = fn.__dict__.setdefault("__xlfunc__", {"args": {}})
            meta.update(name=name or fn.__name__.upper(), volatile=volatile, doc=fn.__doc__)
            REGISTERED[meta["name"]] = fn
            return fn
        return inner(f) if f is not None else inner

    def arg(arg, convert=None, *, doc=None, ndim=None, **options):
        assert not options, options
        def inner(fn):
            import inspect
            assert arg in inspect.signature(fn).parameters, arg
            fn.__dict__.setdefault("__xlfunc__", {"args": {}})["args"][arg] = {
                "doc": doc, "ndim": ndim}
            return fn
        return inner
''')

META_RUNNER = textwrap.dedent("""
    import inspect, json, sys
    sys.path.insert(0, sys.argv[1] + "/../fake")
    sys.path.insert(0, sys.argv[1])
    import xlwings, main
    out = {}
    for name, fn in xlwings.REGISTERED.items():
        sig = inspect.signature(fn)
        out[name] = {"params": [[p.name, p.default is None] for p in sig.parameters.values()],
                     "doc": fn.__xlfunc__["doc"], "volatile": fn.__xlfunc__["volatile"],
                     "args": fn.__xlfunc__["args"]}
    json.dump(out, sys.stdout)
""")


def test_bundle_uses_only_lite_decorator_options_and_same_metadata(bundle, tmp_path):
    fake = bundle.parent / "fake" / "xlwings"
    fake.mkdir(parents=True, exist_ok=True)
    (fake / "__init__.py").write_text(FAKE_LITE)
    meta = json.loads(_run_isolated(bundle, META_RUNNER, "", tmp_path))
    assert sorted(meta) == sorted(s.name for s in SPECS)
    for s in SPECS:
        m = meta[s.name]
        assert m["params"] == [[a.name, a.optional] for a in s.args]
        assert m["doc"] == s.doc and m["volatile"] is False
        for a in s.args:
            assert m["args"][a.name] == {"doc": a.doc, "ndim": 2 if a.is_range else None}


def test_closure_covers_what_addin_udfs_loads():
    code = ("import sys, addin.udfs; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('pymodel', 'addin')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=ROOT, check=True).stdout
    mods, third = lite.closure()
    assert set(eval(loaded)) <= set(mods)  # noqa: S307 (our own printed list)
    assert third <= set(lite.ALLOWED_THIRD_PARTY)


def test_requirements_reject_an_unsupported_import(monkeypatch):
    monkeypatch.setattr(lite, "closure", lambda entry=lite.ENTRY: ([], {"numpy", "openpyxl"}))
    with pytest.raises(RuntimeError, match="openpyxl"):
        lite.requirements_txt()


def test_requirements_reject_a_module_pyodide_cannot_run(monkeypatch):
    assert "hashlib" in lite.stdlib_imports() or "math" in lite.stdlib_imports()
    monkeypatch.setattr(lite, "stdlib_imports", lambda: {"math", "multiprocessing"})
    with pytest.raises(RuntimeError, match="multiprocessing"):
        lite.requirements_txt()


def test_literal_round_trips_awkward_sources():
    for text in ["a\\nb '''x''' \\\\", "ends with backslash\\", "plain\n", "cr\r\nlf"]:
        assert eval(lite._literal(text)) == text  # noqa: S307


def test_cli_registers_lite_bundle():
    assert cli.COMMANDS["lite-bundle"][0] == "addin.packaging.lite"
    assert math.isfinite(len(cli.build_parser().format_help()))
