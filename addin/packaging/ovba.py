"""The VBA project inside an Office file ([MS-OVBA]): compression, the ``dir`` stream, editing.

A VBA project is a compound file (:mod:`.cfb`) holding, under the storage ``VBA``, one stream per
module (its source, MS-OVBA compressed, optionally after a compiled "performance cache"), the
``dir`` stream (compressed records: project name, references, and for each module its name,
stream name, type and the offset of its source in its stream), ``_VBA_PROJECT`` (version and
compiled cache), and at the top the text stream ``PROJECT`` and the name map ``PROJECTwm``.

:class:`VbaProject` loads one, replaces, adds or removes modules and renames the project, and
writes it back **as source only**: edited modules have no performance cache (text offset 0) and
``_VBA_PROJECT`` is reduced to its 7-byte header with version 0xFFFF, which tells Office that no
compiled code is valid, so it compiles every module from source when the file is opened (the way
xlwings builds its own add-in and other writers such as EPPlus create projects). Streams the edit
does not concern are written back byte for byte.

:func:`compress` follows [MS-OVBA] 2.4.1.3 and reproduces the specification's worked examples
(3.2.1 to 3.2.3) byte for byte: a copy token refers to the nearest earlier position in the chunk
*at which a token started* among those giving the longest match. (The pseudocode's literal reading,
every earlier byte as a candidate, gives other but equally valid bytes for example 3.2.2.) Any
conforming decompressor, :func:`decompress` included, reads either.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from . import cfb

__all__ = ["compress", "decompress", "OvbaError", "Module", "VbaProject", "MINIMAL_VBA_PROJECT"]

CHUNK = 4096
#: ``_VBA_PROJECT`` with no compiled code: Reserved1 0x61CC, Version 0xFFFF (no valid p-code:
#: compile from source), Reserved2 0x00, Reserved3 (ignored on read) ([MS-OVBA] 2.3.4.1).
MINIMAL_VBA_PROJECT = b"\xcc\x61\xff\xff\x00\x00\x00"


class OvbaError(ValueError):
    """Bytes that are not a VBA project (or a compressed container) this module understands."""


# --------------------------------------------------------------------------- compression
def _bit_count(difference: int) -> int:
    """Bits of a copy token used for the offset, given the bytes already in the chunk (>= 4)."""
    return max((difference - 1).bit_length(), 4)


def _compress_chunk(data: bytes, start: int, end: int) -> bytes:
    """One CompressedChunk (header included) for ``data[start:end]``, ``end - start <= 4096``."""
    out = bytearray(b"\x00\x00")
    limit = 4098  # CompressedEnd, relative to the chunk start
    pos = start
    starts: dict[bytes, list[int]] = {}  # 3-byte prefix -> positions where a token started
    full = False
    while not full and len(out) < limit and pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for index in range(8):
            if pos >= end or len(out) >= limit:
                break
            best_len, best = 0, -1
            key = data[pos:pos + 3]
            if pos + 3 <= end:
                for cand in reversed(starts.get(key, ())):
                    n = 3
                    while pos + n < end and data[cand + n] == data[pos + n]:
                        n += 1
                    if n > best_len:
                        best_len, best = n, cand
            token_start = pos
            if best_len >= 3:
                if len(out) + 1 < limit:
                    bits = _bit_count(pos - start)
                    length = min(best_len, (0xFFFF >> bits) + 3)
                    offset = pos - best
                    out += struct.pack("<H", ((offset - 1) << (16 - bits)) | (length - 3))
                    flags |= 1 << index
                    pos += length
                else:  # no room for a copy token: the chunk stays raw
                    full = True
                    break
            else:
                out.append(data[pos])
                pos += 1
            if len(key) == 3:
                starts.setdefault(key, []).append(token_start)
        out[flag_at] = flags
    if pos < end:  # incompressible: a raw chunk of exactly 4096 bytes
        raw = data[start:end] + bytes(CHUNK - (end - start))
        return struct.pack("<H", (CHUNK - 1) | 0x3000) + raw
    return struct.pack("<H", (len(out) - 3) | 0x3000 | 0x8000) + bytes(out[2:])


def compress(data: bytes) -> bytes:
    """An MS-OVBA CompressedContainer for ``data`` ([MS-OVBA] 2.4.1.3.1)."""
    data = bytes(data)
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data, start, min(start + CHUNK, len(data)))
    return bytes(out)


def decompress(container: bytes) -> bytes:
    """The data of an MS-OVBA CompressedContainer ([MS-OVBA] 2.4.1.3.1 to 2.4.1.3.5)."""
    if not container or container[0] != 0x01:
        raise OvbaError("not an MS-OVBA compressed container (signature byte)")
    out = bytearray()
    i, n = 1, len(container)
    while i < n:
        if i + 2 > n:
            raise OvbaError("truncated chunk header")
        header = struct.unpack_from("<H", container, i)[0]
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0x7 != 0b011:
            raise OvbaError("bad chunk signature")
        compressed = header & 0x8000
        chunk_end = min(i + size, n)
        i += 2
        chunk_start = len(out)
        if not compressed:
            if size != 4098 or i + CHUNK > n:
                raise OvbaError("bad raw chunk")
            out += container[i:i + CHUNK]
            i += CHUNK
            continue
        while i < chunk_end:
            flags = container[i]
            i += 1
            for bit in range(8):
                if i >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(container[i])
                    i += 1
                    continue
                if i + 2 > chunk_end:
                    raise OvbaError("truncated copy token")
                token = struct.unpack_from("<H", container, i)[0]
                i += 2
                bits = _bit_count(len(out) - chunk_start)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                src = len(out) - offset
                if src < chunk_start:
                    raise OvbaError("copy token points before the chunk")
                for k in range(length):  # may overlap its own output
                    out.append(out[src + k])
    return bytes(out)


# ------------------------------------------------------------------------- dir records
PROJECTNAME, PROJECTVERSION, PROJECTCODEPAGE = 0x0004, 0x0009, 0x0003
PROJECTMODULES, PROJECTCOOKIE, DIR_TERMINATOR = 0x000F, 0x0013, 0x0010
MODULENAME, MODULENAMEUNICODE, MODULESTREAMNAME, MODULESTREAMNAMEUNICODE = 0x19, 0x47, 0x1A, 0x32
MODULEDOCSTRING, MODULEDOCSTRINGUNICODE, MODULEOFFSET, MODULEHELPCONTEXT = 0x1C, 0x48, 0x31, 0x1E
MODULECOOKIE, MODULETYPE_PROCEDURAL, MODULETYPE_OTHER, MODULE_TERMINATOR = 0x2C, 0x21, 0x22, 0x2B

Record = tuple[int, bytes]


def _records(data: bytes, i: int, stop: set[int]) -> tuple[list[Record], int, int]:
    """Records from offset ``i`` up to (excluding) the first with an id in ``stop``."""
    out: list[Record] = []
    while i < len(data):
        if i + 6 > len(data):
            raise OvbaError("truncated dir record")
        rid, size = struct.unpack_from("<HI", data, i)
        if rid in stop:
            return out, i, rid
        if rid == PROJECTVERSION:  # Reserved (=4) is not the size: 4 + 2 bytes follow
            size = 6
        if i + 6 + size > len(data):
            raise OvbaError(f"dir record {rid:#06x} runs past the end")
        out.append((rid, data[i + 6:i + 6 + size]))
        i += 6 + size
    raise OvbaError("dir stream has no terminator")


def _pack(records: list[Record]) -> bytes:
    out = bytearray()
    for rid, payload in records:
        size = 4 if rid == PROJECTVERSION else len(payload)
        out += struct.pack("<HI", rid, size) + payload
    return bytes(out)


@dataclass
class Module:
    """One module of the project: its ``dir`` records and its stream."""
    records: list[Record]
    stream: bytes
    source_changed: bool = False

    def _get(self, rid: int) -> bytes:
        return next(p for r, p in self.records if r == rid)

    @property
    def name(self) -> str:
        return self._get(MODULENAME).decode("latin-1")

    @property
    def stream_name(self) -> str:
        return self._get(MODULESTREAMNAME).decode("latin-1")

    @property
    def procedural(self) -> bool:
        return any(r == MODULETYPE_PROCEDURAL for r, _ in self.records)

    @property
    def text_offset(self) -> int:
        return struct.unpack("<I", self._get(MODULEOFFSET))[0]


@dataclass
class VbaProject:
    """An editable VBA project; :meth:`load` from and :meth:`dump` to ``vbaProject.bin`` bytes."""
    tree: cfb.Storage
    info: list[Record]           # PROJECTINFORMATION and PROJECTREFERENCES records
    modules: list[Module]
    cookie: bytes
    codepage: str = "cp1252"
    _renamed: dict[str, str] = field(default_factory=dict)

    # ------------------------------------------------------------------ load / dump
    @classmethod
    def load(cls, data: bytes) -> "VbaProject":
        tree = cfb.read(data)
        try:
            vba = tree.get("VBA")
            raw = decompress(vba.get("dir").data)
            for required in ("PROJECT", "PROJECTwm"):
                tree.get(required)
        except KeyError as exc:
            raise OvbaError(f"not a VBA project: missing {exc}") from None
        info, i, rid = _records(raw, 0, {PROJECTMODULES})
        count = struct.unpack_from("<H", raw, i + 6)[0]
        i += 8
        rid, size = struct.unpack_from("<HI", raw, i)
        if rid != PROJECTCOOKIE:
            raise OvbaError("dir stream: PROJECTCOOKIE expected")
        cookie = raw[i + 6:i + 6 + size]
        i += 6 + size
        modules = []
        for _ in range(count):
            recs, i, _ = _records(raw, i, {MODULE_TERMINATOR})
            i += 6
            m = Module(recs, b"")
            m.stream = vba.get(m.stream_name).data
            modules.append(m)
        if struct.unpack_from("<H", raw, i)[0] != DIR_TERMINATOR:
            raise OvbaError("dir stream: terminator expected after the modules")
        cp = next((p for r, p in info if r == PROJECTCODEPAGE), b"\xe4\x04")
        return cls(tree, info, modules, cookie, f"cp{struct.unpack('<H', cp)[0]}")

    def dir_stream(self) -> bytes:
        """The uncompressed ``dir`` stream for the current modules."""
        out = bytearray(_pack(self.info))
        out += struct.pack("<HIH", PROJECTMODULES, 2, len(self.modules))
        out += _pack([(PROJECTCOOKIE, self.cookie)])
        for m in self.modules:
            out += _pack(m.records) + struct.pack("<HI", MODULE_TERMINATOR, 0)
        out += struct.pack("<HI", DIR_TERMINATOR, 0)
        return bytes(out)

    def dump(self) -> bytes:
        """The compound file: edited streams rewritten, every other stream byte for byte."""
        vba = self.tree.get("VBA")
        assert isinstance(vba, cfb.Storage)
        keep = {m.stream_name.upper() for m in self.modules} | {"DIR", "_VBA_PROJECT"}
        for c in list(vba.children):
            if isinstance(c, cfb.Stream) and (c.name.upper() not in keep
                                              or c.name.upper().startswith("__SRP_")):
                vba.remove(c.name)  # removed modules, and compiled-code caches (__SRP_n)
        for m in self.modules:
            old = next((c for c in vba.children if c.name.upper() == m.stream_name.upper()),
                       None)
            if old is None or old.data != m.stream:
                vba.put(cfb.Stream(m.stream_name, m.stream))
        new_dir = self.dir_stream()
        if decompress(vba.get("dir").data) != new_dir:
            vba.put(cfb.Stream("dir", compress(new_dir)))
        vp = vba.get("_VBA_PROJECT").data
        if not (len(vp) == 7 and vp[:5] == MINIMAL_VBA_PROJECT[:5]):
            vba.put(cfb.Stream("_VBA_PROJECT", MINIMAL_VBA_PROJECT))
        self._update_project_streams()
        return cfb.write(self.tree)

    # ------------------------------------------------------------------ queries
    @property
    def name(self) -> str:
        return next(p for r, p in self.info if r == PROJECTNAME).decode(self.codepage)

    def module(self, name: str) -> Module:
        for m in self.modules:
            if m.name.upper() == name.upper():
                return m
        raise KeyError(name)

    def source(self, name: str) -> str:
        """A module's source text (attribute lines included), decoded with the project codepage."""
        m = self.module(name)
        return decompress(m.stream[m.text_offset:]).decode(self.codepage)

    # ------------------------------------------------------------------ edits
    def rename(self, new: str) -> None:
        """Set the project name (the ``dir`` record and ``Name=`` in the PROJECT stream)."""
        _check_identifier(new)
        self._renamed["project"] = new
        self.info = [(r, new.encode(self.codepage) if r == PROJECTNAME else p)
                     for r, p in self.info]

    def set_source(self, name: str, text: str) -> None:
        """Replace a module's source; its stream then holds the compressed source only."""
        m = self.module(name)
        m.stream = compress(text.encode(self.codepage))
        m.records = [(r, struct.pack("<I", 0) if r == MODULEOFFSET else p) for r, p in m.records]
        m.source_changed = True

    def add_module(self, name: str, text: str) -> None:
        """Append a standard (procedural) module holding ``text``."""
        _check_identifier(name)
        if any(m.name.upper() == name.upper() for m in self.modules):
            raise OvbaError(f"module {name} already exists")
        mb, uni = name.encode(self.codepage), name.encode("utf-16-le")
        recs: list[Record] = [
            (MODULENAME, mb), (MODULENAMEUNICODE, uni),
            (MODULESTREAMNAME, mb), (MODULESTREAMNAMEUNICODE, uni),
            (MODULEDOCSTRING, b""), (MODULEDOCSTRINGUNICODE, b""),
            (MODULEOFFSET, struct.pack("<I", 0)), (MODULEHELPCONTEXT, struct.pack("<I", 0)),
            (MODULECOOKIE, b"\xff\xff"), (MODULETYPE_PROCEDURAL, b""),
        ]
        self.modules.append(Module(recs, b""))
        self.set_source(name, text)

    def remove_module(self, name: str) -> None:
        m = self.module(name)
        self.modules.remove(m)

    # ------------------------------------------------------------------ PROJECT, PROJECTwm
    def _update_project_streams(self) -> None:
        lines = self.tree.get("PROJECT").data.decode(self.codepage).split("\r\n")
        present = {m.name.upper(): m for m in self.modules}
        kinds = ("Document=", "Module=", "Class=", "BaseClass=")
        out: list[str] = []
        listed: set[str] = set()
        section = ""
        last_module_line = -1
        for line in lines:
            if line.startswith("["):
                section = line
            if not section and line.startswith(kinds):
                mod = line.split("=", 1)[1].split("/", 1)[0]
                if mod.upper() not in present:
                    continue
                listed.add(mod.upper())
                out.append(line)
                last_module_line = len(out) - 1
                continue
            if not section and line.startswith("Name=") and "project" in self._renamed:
                line = f'Name="{self._renamed["project"]}"'
            if section == "[Workspace]" and "=" in line:
                if line.split("=", 1)[0].upper() not in present:
                    continue
            out.append(line)
        new = [m for m in self.modules if m.name.upper() not in listed]
        out[last_module_line + 1:last_module_line + 1] = [f"Module={m.name}" for m in new
                                                          if m.procedural]
        if any(not m.procedural for m in new):
            raise OvbaError("only standard modules can be added")
        if new:
            ws = next((i for i, ln in enumerate(out) if ln == "[Workspace]"), None)
            if ws is not None:
                end = ws + 1
                while end < len(out) and "=" in out[end]:
                    end += 1
                out[end:end] = [f"{m.name}=0, 0, 0, 0, C" for m in new]
        text = "\r\n".join(out).encode(self.codepage)
        if text != self.tree.get("PROJECT").data:
            self.tree.put(cfb.Stream("PROJECT", text))
        wm = b"".join(m.name.encode(self.codepage) + b"\x00" +
                      m.name.encode("utf-16-le") + b"\x00\x00" for m in self.modules) + b"\x00\x00"
        if wm != self.tree.get("PROJECTwm").data:
            self.tree.put(cfb.Stream("PROJECTwm", wm))


def _check_identifier(name: str) -> None:
    ok = (name and len(name) <= 31 and name[0].isascii() and name[0].isalpha()
          and all(c.isascii() and (c.isalnum() or c == "_") for c in name))
    if not ok:
        raise OvbaError(f"{name!r} is not a valid VBA module or project name")
