"""The compound-file reader/writer, checked against olefile in strict mode."""

import io
import pathlib
import zipfile

import olefile
import pytest
from hypothesis import given, settings, strategies as st

from addin.packaging import cfb


def strict(data: bytes) -> olefile.OleFileIO:
    """Parse with olefile, raising on any defect it can detect (even "unsure" ones)."""
    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_UNSURE)
    assert ole.parsing_issues == []
    return ole


def ole_streams(ole: olefile.OleFileIO) -> dict[str, bytes]:
    return {"/".join(p): ole.openstream(p).read() for p in ole.listdir()}


def template() -> bytes:
    import xlwings
    path = pathlib.Path(xlwings.__file__).parent / "quickstart_addin.xlam"
    return zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("xl/vbaProject.bin")


def test_reads_what_olefile_reads():
    data = template()
    tree = cfb.read(data)
    assert tree.streams() == ole_streams(olefile.OleFileIO(data))
    assert [c.name for c in tree.get("VBA").children][:2] == ["dir", "Sheet2"]  # id order


def test_rewrite_is_strict_identical_and_deterministic():
    tree = cfb.read(template())
    out = cfb.write(tree)
    assert ole_streams(strict(out)) == tree.streams()
    assert cfb.write(cfb.read(out)) == out
    assert len(out) % 512 == 0


def test_streams_around_the_mini_stream_cutoff_and_nested_storages():
    sizes = [0, 1, 63, 64, 65, 4095, 4096, 4097, 10_000, 70_000]
    root = cfb.Storage("Root Entry", [cfb.Stream(f"s{n}", bytes([n % 251]) * n) for n in sizes])
    inner = cfb.Storage("Inner", [cfb.Stream("a", b"x" * 5000), cfb.Stream("B", b"y" * 10)],
                        clsid=bytes(range(16)))
    root.children.append(cfb.Storage("Outer", [inner, cfb.Stream("leaf", b"z")]))
    out = cfb.write(root)
    ole = strict(out)
    got = ole_streams(ole)
    assert got == root.streams()
    assert ole.getclsid("Outer/Inner") == "03020100-0504-0706-0809-0A0B0C0D0E0F"  # GUID byte order
    assert cfb.read(out).streams() == root.streams()


def test_directory_is_a_sorted_binary_tree():
    names = ["PROJECT", "PROJECTwm", "a", "bb", "Zz", "_VBA_PROJECT", "dir", "ThisWorkbook",
             "xlwings_udfs", "ComputeCreditErrors", "c"]
    root = cfb.Storage("Root Entry", [cfb.Stream(n, n.encode()) for n in names])
    ole = strict(cfb.write(root))
    entries = {e.name: e for e in ole.direntries if e is not None}

    def inorder(sid):
        if sid == cfb.NOSTREAM:
            return []
        e = ole.direntries[sid]
        return inorder(e.sid_left) + [e.name] + inorder(e.sid_right)
    order = inorder(entries["Root Entry"].sid_child)
    assert order == sorted(names, key=lambda n: (len(n), n.upper()))


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_0123456789", min_size=1,
                               max_size=31),
                       st.integers(0, 9000), max_size=12))
def test_any_tree_of_streams_reads_back(spec):
    # names compare case-insensitively in a compound file
    spec = {k: v for k, v in spec.items() if k.upper() not in
            {o.upper() for o in spec if o != k and o < k}}
    root = cfb.Storage("Root Entry", [cfb.Stream(k, (k.encode() * (v + 1))[:v])
                                      for k, v in spec.items()])
    out = cfb.write(root)
    assert ole_streams(strict(out)) == root.streams()
    assert cfb.read(out).streams() == root.streams()


@pytest.mark.parametrize("bad", ["", "a/b", "x" * 32])
def test_invalid_names_are_refused(bad):
    with pytest.raises(cfb.CfbError):
        cfb.write(cfb.Storage("Root Entry", [cfb.Stream(bad, b"1")]))


def test_duplicate_names_are_refused():
    with pytest.raises(cfb.CfbError):
        cfb.write(cfb.Storage("Root Entry", [cfb.Stream("Dir", b"1"), cfb.Stream("DIR", b"2")]))


@pytest.mark.parametrize("bad", [b"", b"PK\x03\x04" + bytes(600), cfb.MAGIC + bytes(504),
                                 template()[:1024]])
def test_garbage_is_refused(bad):
    with pytest.raises(cfb.CfbError):
        cfb.read(bad)


def test_storage_get_put_remove():
    tree = cfb.read(template())
    assert tree.get("vba/DIR").name == "dir"
    tree.get("VBA").put(cfb.Stream("Module1", b"new"))
    assert tree.get("VBA/Module1").data == b"new"
    tree.get("VBA").remove("module1")
    with pytest.raises(KeyError):
        tree.get("VBA/Module1")
    with pytest.raises(KeyError):
        tree.get("VBA").remove("Module1")
