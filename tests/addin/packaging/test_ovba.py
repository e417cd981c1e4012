"""MS-OVBA compression ([MS-OVBA] 2.4.1): the specification's worked examples byte for byte, and
round trips through real module streams of xlwings' quickstart add-in (read with oletools too)."""

import pathlib

import pytest
from hypothesis import given, settings, strategies as st

from addin.packaging import cfb
from addin.packaging.ovba import OvbaError, _bit_count, compress, decompress

# [MS-OVBA] 3.2.1 "No Compression", 3.2.2 "Normal Compression", 3.2.3 "Maximum Compression"
SPEC_EXAMPLES = [
    (b"abcdefghijklmnopqrstuv.",
     "01 19 B0 00 61 62 63 64 65 66 67 68 00 69 6A 6B 6C 6D 6E 6F 70 00 71 72 73 74 75 76 2E"),
    (b"#aaabcdefaaaaghijaaaaaklaaamnopqaaaaaaaaaaaarstuvwxyzaaa",
     "01 2F B0 00 23 61 61 61 62 63 64 65 82 66 00 70 61 67 68 69 6A 01 38 08 61 6B 6C 00 30 "
     "6D 6E 6F 70 06 71 02 70 04 10 72 73 74 75 76 10 77 78 79 7A 00 3C"),
    (b"a" * 73, "01 03 B0 02 61 45 00"),
]


@pytest.mark.parametrize("plain,packed", SPEC_EXAMPLES, ids=["none", "normal", "maximum"])
def test_specification_examples_byte_for_byte(plain, packed):
    assert compress(plain) == bytes.fromhex(packed)
    assert decompress(bytes.fromhex(packed)) == plain


def test_copy_token_bit_count_follows_the_position_in_the_chunk():
    # BitCount = max(ceil(log2(difference)), 4)  ([MS-OVBA] 2.4.1.3.19.1)
    assert [_bit_count(d) for d in (1, 2, 16, 17, 32, 33, 64, 65, 2048, 2049, 4095)] == \
        [4, 4, 4, 5, 5, 6, 6, 7, 11, 12, 12]


def _xlwings_vba_project() -> bytes:
    import io
    import zipfile
    import xlwings
    path = pathlib.Path(xlwings.__file__).parent / "quickstart_addin.xlam"
    return zipfile.ZipFile(io.BytesIO(path.read_bytes())).read("xl/vbaProject.bin")


@pytest.fixture(scope="module")
def real_streams():
    """(name, compressed source container) of every module of xlwings' add-in, plus ``dir``."""
    from addin.packaging.ovba import VbaProject
    project = VbaProject.load(_xlwings_vba_project())
    out = [(m.name, m.stream[m.text_offset:]) for m in project.modules]
    out.append(("dir", project.tree.get("VBA/dir").data))
    return out


def test_real_streams_decompress_like_oletools(real_streams):
    from oletools.olevba import decompress_stream
    assert len(real_streams) == 6
    for name, packed in real_streams:
        plain = decompress(packed)
        assert plain == bytes(decompress_stream(bytearray(packed))), name
        assert len(plain) > 100, name
        again = compress(plain)
        assert decompress(again) == plain, name
        assert bytes(decompress_stream(bytearray(again))) == plain, name
        assert len(again) < len(plain), name


def test_office_compressed_modules_are_reproduced_exactly(real_streams):
    """The small modules Excel itself compressed come out byte for byte the same (the large ones
    were written by xlwings' build or Excel with another, equally valid choice of matches)."""
    by_name = dict(real_streams)
    for name in ("ThisWorkbook", "Sheet2", "Module1"):
        assert compress(decompress(by_name[name])) == by_name[name], name


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=9000))
def test_round_trip_any_bytes(data):
    out = decompress(compress(data))
    # an incompressible last chunk is stored raw, and a raw chunk always holds 4096 bytes
    assert out[:len(data)] == data
    assert out[len(data):] == bytes(len(out) - len(data))
    assert len(out) in (len(data), -(-len(data) // 4096) * 4096)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from([b"Dim ", b"x", b" As Long\r\n", b"End Function\r\n", b"a", b"'"]),
                max_size=2500).map(b"".join))
def test_round_trip_text(data):
    packed = compress(data)
    assert decompress(packed) == data
    if len(data) > 200:
        assert len(packed) < len(data)


def test_chunk_boundaries():
    text = (b"Function F(x)\r\n    F = x * 2\r\nEnd Function\r\n" * 400)[:4096 * 3 + 5]
    packed = compress(text)
    assert decompress(packed) == text
    # four chunks, each with its own header; matches never reach into the previous chunk
    assert packed[0] == 1


@pytest.mark.parametrize("bad", [b"", b"\x00\x01\x02", b"\x01\x19", b"\x01\x19\x40\x00abc",
                                 b"\x01\xff\x3f" + b"x" * 10, b"\x01\x03\xb0\x02\x61\x45"])
def test_decompress_rejects_malformed_containers(bad):
    with pytest.raises(OvbaError):
        decompress(bad)


def test_decompress_rejects_copy_before_chunk_start():
    # one literal then a copy token with offset 2 (only one byte is there to copy from)
    with pytest.raises(OvbaError):
        decompress(bytes.fromhex("01 03 B0 02 61 00 10"))


def test_template_is_a_compound_file():
    assert _xlwings_vba_project()[:8] == cfb.MAGIC
