"""Open an .xlsx package defensively, before any parser sees it, and read and copy its parts.

A deal file may come from anywhere (e-mail, a shared drive, a data room). Before the formula
engine reads it, :func:`open_package` checks:

* it is a regular file (not a folder, pipe, device or socket), opened once without blocking;
* it is a zip file at all, not truncated (the central directory reads and every member's CRC
  is checked), not encrypted or multi-volume, without two parts of the same name (part names
  are case-insensitive);
* sizes: the file, the number of parts, every part's declared size, the total declared size and
  the compression ratio of every large part are within :data:`LIMITS` (a zip bomb declares huge
  sizes or ratios; :mod:`zipfile` never reads past a member's declared size, so checking the
  declared sizes bounds the memory used);
* it is a spreadsheet package (``[Content_Types].xml`` and ``xl/workbook.xml``);
* it holds no macros or ActiveX, found by name, content type, relationship type (any case) and
  by content (a compound file holding a VBA project): nothing from the file is ever run.
  A reader that only reports on the workbook (``computecredit audit``) may pass
  ``macros="skip"``: a macro-enabled ``.xlsm`` is then read for its cells, its macro and ActiveX
  parts are neither parsed nor run (their names are listed in :attr:`Package.macros`), and
  everything else is checked as usual; what writes or computes a workbook keeps refusing;
* no XML part declares a DTD or entities, found by parsing each part in its own encoding
  (UTF-8 or UTF-16, wherever the declaration is); a part in an encoding that cannot be checked
  is refused;
* sheet names are unique ignoring case, as Excel requires;
* external links: a link to an add-in (``.xlam``/``.xla``/``.xll``) is how Excel saves our
  functions; a link to another workbook is read only from the values cached in the link part
  (the file it names is never opened); DDE and OLE links are refused.

Every refusal is a :class:`WorkbookRefused` whose message is one plain line.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import struct
import xml.parsers.expat as expat
import zipfile
import zlib
from dataclasses import dataclass, field
from posixpath import basename, dirname, join, normpath
from xml.etree import ElementTree as ET

__all__ = ["WorkbookRefused", "Package", "ExternalLink", "open_package", "LIMITS",
           "ADDIN_EXTENSIONS"]

#: Limits. Generous for real deal files (a few MB, tens of thousands of formulas), tight for
#: bombs. Sizes in bytes; the cell limits are checked while the sheets are read, before the
#: engine expands anything.
LIMITS = {
    "file_bytes": 200 * 2**20,        # the .xlsx on disk
    "parts": 5_000,                   # members in the zip
    "part_bytes": 300 * 2**20,        # declared uncompressed size of one member
    "total_bytes": 600 * 2**20,       # declared uncompressed size of all members
    "ratio": 200.0,                   # uncompressed / compressed, for members above ratio_from
    "ratio_from": 2 * 2**20,
    "formula_cells": 100_000,         # formula cells in the workbook (bounds the engine's time)
    "cells": 1_000_000,               # non-empty cells, all sheets and link caches together
    "array_cells": 200_000,           # cells covered by array formulas, beyond which the
                                      # file must hold as many non-empty cells (a tape's
                                      # output columns are as long as its input columns)
    "table_cells": 200_000,           # cells of what-if data tables (one evaluation each)
    "merges": 100_000,                # merged ranges
    "range_cells": 1_000_000,         # cells of the distinct ranges formulas refer to, after
                                      # whole columns and rows are bounded by the used range
    "seconds": 300.0,                 # time one workbook's evaluation may take
    "memory_bytes": 3 * 2**30,        # memory one workbook's evaluation may add
    "text_chars": 32_767,             # characters in a text result (Excel's cell limit)
    "formula_chars": 8_192,           # characters in a formula (Excel's limit)
    "regex_seconds": 1.0,             # time one regular-expression function may take
}

ADDIN_EXTENSIONS = (".xlam", ".xla", ".xll")

_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MACRO_TYPES = ("macroenabled", "vbaproject", "vnd.ms-excel.sheet.binary", "activex",
                "vnd.ms-excel.intlmacrosheet", "vnd.ms-excel.macrosheet", "vbadata")
_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_VBA_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"), "VBA".encode("utf-16-le") + b"\0\0",
                "PROJECTwm".encode("utf-16-le"))


class WorkbookRefused(Exception):
    """The input cannot be recalculated safely; ``str(exc)`` is one plain line."""


#: Deflate level of the parts a copy rewrites (the worksheets with new cached values). Level 1
#: deflates a large worksheet about three times faster than zlib's default (6) into a part
#: about a quarter larger (a 5,000-row tape: 8.5 MB of XML into 2.05 MB instead of 1.65 MB);
#: every reader inflates any level alike.
REPLACED_LEVEL = 1


@dataclass
class ExternalLink:
    index: int          # the N of [N]! in formulas
    part: str           # xl/externalLinks/externalLinkN.xml
    target: str         # the path Excel recorded (never opened)
    is_addin: bool


@dataclass
class Package:
    """A checked workbook package: the zip (kept open) and what we learnt from its parts."""
    path: str
    zf: zipfile.ZipFile
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet name, part path)
    links: dict[int, ExternalLink] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)
    macros: list[str] = field(default_factory=list)   # macro parts left unread (macros="skip")

    def read(self, name: str) -> bytes:
        """The bytes of a part, as stored."""
        return _read_member(self.zf, name)

    def xml_bytes(self, name: str) -> bytes:
        """An XML part as UTF-8 (a part stored in UTF-16 is re-encoded, its declaration too)."""
        return to_utf8(self.read(name), name)

    def xml(self, name: str) -> ET.Element:
        """An XML part, parsed (the package check has refused DTDs in every part)."""
        try:
            return ET.fromstring(self.xml_bytes(name))
        except ET.ParseError as exc:
            raise WorkbookRefused(f"the part {name} is not well-formed XML ({_short(exc)})") \
                from None

    def part_of_type(self, source: str, type_suffix: str) -> str | None:
        """The first part that ``source`` relates to with a relationship type ending in
        ``type_suffix`` (e.g. ``"/sharedStrings"``)."""
        for typ, target, mode in _rels(self.zf, source).values():
            if typ.endswith(type_suffix) and mode != "External" and target in self.zf.NameToInfo:
                return target
        return None

    def parts_of_type(self, source: str, type_suffix: str) -> list[str]:
        """Every part that ``source`` relates to with a relationship type ending in
        ``type_suffix`` (e.g. a sheet's ``"/table"`` parts)."""
        return [target for typ, target, mode in _rels(self.zf, source).values()
                if typ.endswith(type_suffix) and mode != "External"
                and target in self.zf.NameToInfo]

    def write_copy(self, dest: str, replaced: dict[str, bytes]) -> None:
        """Write the package's parts to ``dest`` (a new zip) with the ``replaced`` parts
        swapped in; every other part keeps its bytes, name, date and attributes. The parts
        replaced are deflated at :data:`REPLACED_LEVEL`."""
        with zipfile.ZipFile(dest, "w") as out:
            for info in self.zf.infolist():
                data = replaced.get(info.filename)
                level = None if data is None else REPLACED_LEVEL
                if data is None:
                    data = self.read(info.filename)
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr, copy.create_system = info.external_attr, info.create_system
                copy.comment, copy.extra = info.comment, info.extra
                # a fresh ZipInfo: writestr updates it in place
                out.writestr(copy, data, compresslevel=level)

    def close(self) -> None:
        self.zf.close()


_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError,
               NotImplementedError, RuntimeError, ValueError, struct.error)


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        return zf.read(name)
    except KeyError:
        raise WorkbookRefused(f"the package has no part {name}") from None
    except _ZIP_ERRORS as exc:
        raise WorkbookRefused(f"the part {name} is damaged or compressed in a way that cannot "
                              f"be read ({_damage(exc)})") from None


def _damage(exc: BaseException) -> str:
    if isinstance(exc, zlib.error):
        return "its compressed data is corrupt"
    if isinstance(exc, NotImplementedError):
        return "unsupported compression method"
    if isinstance(exc, RuntimeError) and "encrypt" in str(exc).lower():
        return "it is encrypted"
    if isinstance(exc, (zipfile.BadZipFile, EOFError, struct.error)):
        return "its zip entry is truncated or corrupt"
    return _short(exc)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


# --------------------------------------------------------------------------------------------
# XML: encodings and DTDs

_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _encoding(data: bytes) -> str:
    """The encoding an XML document is in (BOM, then declaration, else UTF-8)."""
    if data[:3] == codecs.BOM_UTF8:
        return "utf-8"
    if data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        return "utf-16"
    if data[:4] == b"<\x00?\x00":
        return "utf-16-le"
    if data[:4] == b"\x00<\x00?":
        return "utf-16-be"
    m = _DECL.match(data[:200])
    return m.group(1).decode("ascii").lower() if m else "utf-8"


def to_utf8(data: bytes, name: str) -> bytes:
    """An XML part re-encoded as UTF-8 (unchanged when it already is)."""
    enc = _encoding(data)
    if enc.replace("_", "-") in ("utf-8", "utf8"):
        return data
    if enc not in ("utf-16", "utf-16-le", "utf-16-be", "utf16", "us-ascii", "ascii",
                   "iso-8859-1", "latin-1", "latin1"):
        raise WorkbookRefused(f"the part {name} is in the encoding {enc!r}; spreadsheets use "
                              f"UTF-8 or UTF-16")
    try:
        text = data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        raise WorkbookRefused(f"the part {name} is not valid {enc.upper()} text") from None
    text = text.lstrip("\ufeff")
    text = re.sub(r"""^(<\?xml[^>]*?encoding\s*=\s*)["'][^"']*["']""", r'\1"UTF-8"', text)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise WorkbookRefused(f"the part {name} holds a lone surrogate character, which is "
                              f"not valid text") from None


class _DTD(Exception):
    pass


def _check_xml(name: str, data: bytes) -> None:
    """Refuse a DTD or entity declaration anywhere in an XML part, in any encoding."""
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"<\x00\x00\x00",
                    b"\x00\x00\x00<"):   # UTF-32, which the XML parser cannot read
        raise WorkbookRefused(f"the part {name} is in an encoding that cannot be checked "
                              f"(UTF-32; spreadsheets use UTF-8 or UTF-16)")
    p = expat.ParserCreate()

    def refuse(*_: object) -> None:
        raise _DTD()

    p.StartDoctypeDeclHandler = refuse
    p.EntityDeclHandler = refuse
    p.UnparsedEntityDeclHandler = refuse
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        p.Parse(data, True)
    except _DTD:
        raise WorkbookRefused(f"the part {name} declares a DTD or entities, which a "
                              f"spreadsheet never needs (possible XML attack)") from None
    except (ValueError, LookupError):   # e.g. UTF-32: "multi-byte encodings are not supported"
        raise WorkbookRefused(f"the part {name} is in an encoding that cannot be checked "
                              f"(spreadsheets use UTF-8 or UTF-16)") from None
    except expat.ExpatError as exc:
        if exc.code in (expat.errors.codes[expat.errors.XML_ERROR_UNKNOWN_ENCODING],
                        expat.errors.codes[expat.errors.XML_ERROR_INCORRECT_ENCODING]):
            raise WorkbookRefused(f"the part {name} is in an encoding that cannot be checked "
                                  f"(spreadsheets use UTF-8 or UTF-16)") from None
        # other damage: the parts we read report it in words when they are read


def _looks_like_xml(name: str, data: bytes) -> bool:
    if name.lower().endswith((".xml", ".rels", ".vml")):
        return True
    head = data[:8].lstrip(b"\xef\xbb\xbf\xff\xfe \t\r\n")
    return head.startswith((b"<", b"\x00<", b"<\x00"))


def _is_vba(data: bytes) -> bool:
    """A compound file (OLE) holding a VBA project, whatever the part is called."""
    return data[:8] == _CFB_MAGIC and any(m in data for m in _VBA_MARKERS)


# --------------------------------------------------------------------------------------------
# relationships and checks

def _xml(zf: zipfile.ZipFile, name: str) -> ET.Element:
    data = to_utf8(_read_member(zf, name), name)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise WorkbookRefused(f"the part {name} is not well-formed XML ({_short(exc)})") \
            from None
    except (ValueError, LookupError):   # an encoding the parser cannot read
        raise WorkbookRefused(f"the part {name} is in an encoding that cannot be read "
                              f"(spreadsheets use UTF-8 or UTF-16)") from None


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str, str]]:
    """rId -> (type, target resolved against the part's folder, target mode)."""
    rels_name = join(dirname(part), "_rels", basename(part) + ".rels")
    if rels_name not in zf.NameToInfo:
        return {}
    out = {}
    for r in _xml(zf, rels_name).iter(f"{{{_NS_REL}}}Relationship"):
        target, mode = r.get("Target", ""), r.get("TargetMode", "")
        if mode != "External":
            target = target.lstrip("/") if target.startswith("/") else \
                normpath(join(dirname(part), target))
        out[r.get("Id", "")] = (r.get("Type", ""), target, mode)
    return out


def _check_sizes(zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > LIMITS["parts"]:
        raise WorkbookRefused(f"the package has {len(infos)} parts (limit {LIMITS['parts']})")
    total = 0
    seen: set[str] = set()
    for info in infos:
        key = info.filename.lower()
        if key in seen:
            raise WorkbookRefused(f"the package holds two parts named {info.filename!r} "
                                  f"(part names ignore case)")
        seen.add(key)
        if info.flag_bits & 0x1:
            raise WorkbookRefused("the package is encrypted (password-protected files are "
                                  "not supported; save a copy without a password)")
        if info.file_size > LIMITS["part_bytes"]:
            raise WorkbookRefused(f"the part {info.filename} would decompress to "
                                  f"{info.file_size:,} bytes (limit {LIMITS['part_bytes']:,})")
        if (info.file_size > LIMITS["ratio_from"]
                and info.file_size > LIMITS["ratio"] * max(info.compress_size, 1)):
            raise WorkbookRefused(f"the part {info.filename} has a compression ratio of "
                                  f"{info.file_size / max(info.compress_size, 1):,.0f}:1 "
                                  f"(limit {LIMITS['ratio']:.0f}:1; possible zip bomb)")
        total += info.file_size
    if total > LIMITS["total_bytes"]:
        raise WorkbookRefused(f"the package would decompress to {total:,} bytes "
                              f"(limit {LIMITS['total_bytes']:,}; possible zip bomb)")


def _check_parts(zf: zipfile.ZipFile, skip_macros: bool = False) -> list[str]:
    """Every part read once: CRC, macros by name and content, DTDs by parsing. With
    ``skip_macros``, macro and ActiveX parts are not parsed (returned by name) instead of
    refused."""
    skipped: list[str] = []
    for info in zf.infolist():
        n = info.filename
        low = n.lower()
        if basename(low) in ("vbaproject.bin", "vbaprojectsignature.bin", "vbadata.xml") or \
                low.startswith(("xl/activex/", "xl/macrosheets/")):
            if not skip_macros:
                raise WorkbookRefused(f"the workbook contains macros or ActiveX ({n}); nothing "
                                      f"from the file is run: save the deal as .xlsx without "
                                      f"macros")
            skipped.append(n)
        data = _read_member(zf, n)  # checks the CRC (a truncated or damaged file)
        if _is_vba(data):
            if not skip_macros:
                raise WorkbookRefused(f"the part {n} holds a VBA macro project; nothing from "
                                      f"the file is run: save the deal as .xlsx without macros")
            if n not in skipped:
                skipped.append(n)
            continue
        if _looks_like_xml(n, data):   # (a skipped XML part is still checked for DTDs)
            _check_xml(n, data)
            if low.endswith(".rels") and not skip_macros:
                text = to_utf8(data, n).decode("utf-8", "replace").lower()
                if any(m in text for m in ("/vbaproject", "/activexcontrol", "/xlmacrosheet",
                                           "/xlintlmacrosheet")):
                    raise WorkbookRefused(f"the workbook relates a macro or ActiveX part "
                                          f"({n}); nothing from the file is run: save the "
                                          f"deal as .xlsx without macros")
    return skipped


def _open_regular(path: str) -> zipfile.ZipFile:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise WorkbookRefused("no such file") from None
    except OSError as exc:
        raise WorkbookRefused(f"cannot read the file ({exc.strerror or _short(exc)})") from None
    if stat.S_ISDIR(st.st_mode):
        raise WorkbookRefused("is a folder, not a workbook")
    if not stat.S_ISREG(st.st_mode):
        raise WorkbookRefused("is not a regular file (a pipe, device or socket); give a "
                              "workbook file")
    if st.st_size > LIMITS["file_bytes"]:
        raise WorkbookRefused(f"the file has {st.st_size:,} bytes "
                              f"(limit {LIMITS['file_bytes']:,})")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                     | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise WorkbookRefused(f"cannot read the file ({exc.strerror or _short(exc)})") from None
    f = os.fdopen(fd, "rb")
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced between the checks
            raise WorkbookRefused("is not a regular file (a pipe, device or socket)")
        return zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        f.close()
        raise WorkbookRefused("not an Excel workbook (not a zip package, or the file is "
                              "truncated)") from None
    except WorkbookRefused:
        f.close()
        raise
    except _ZIP_ERRORS as exc:
        f.close()
        raise WorkbookRefused(f"not an Excel workbook (the zip directory is damaged: "
                              f"{_damage(exc)})") from None


def open_package(path: str, macros: str = "refuse") -> Package:
    """Check ``path`` as described in the module docstring and return an open :class:`Package`.

    ``macros``: ``"refuse"`` (the default: anything that computes or writes a workbook), or
    ``"skip"`` for a read-only report: macro parts are left unread and listed in
    :attr:`Package.macros`. Raises :class:`WorkbookRefused` with a one-line reason.
    """
    if macros not in ("refuse", "skip"):
        raise ValueError(f"macros must be 'refuse' or 'skip', not {macros!r}")
    skip = macros == "skip"
    lower = path.lower()
    if lower.endswith(".xlam") or lower.endswith((".xlsm", ".xltm")) and not skip:
        raise WorkbookRefused("macro-enabled workbooks are refused (nothing from the file is "
                              "run); save the deal as .xlsx")
    if lower.endswith(".xlsb"):
        raise WorkbookRefused("binary .xlsb workbooks are not supported; save as .xlsx")
    if lower.endswith(".xls"):
        raise WorkbookRefused("legacy .xls workbooks are not supported; save as .xlsx")
    zf = _open_regular(path)
    try:
        return _inspect(path, zf, skip)
    except BaseException:
        zf.close()
        raise


def _inspect(path: str, zf: zipfile.ZipFile, skip_macros: bool = False) -> Package:
    _check_sizes(zf)
    names = set(zf.NameToInfo)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookRefused("not an Excel workbook (no [Content_Types].xml or "
                              "xl/workbook.xml in the package)")
    skipped = _check_parts(zf, skip_macros)
    ctypes = to_utf8(_read_member(zf, "[Content_Types].xml"), "[Content_Types].xml")
    ctypes_low = ctypes.decode("utf-8", "replace").lower()
    for marker in _MACRO_TYPES:
        if marker in ctypes_low and (not skip_macros or marker == "vnd.ms-excel.sheet.binary"):
            raise WorkbookRefused(f"the workbook is macro-enabled or binary ({marker} content "
                                  f"type); save the deal as .xlsx")
    pkg = Package(path, zf)
    pkg.macros = skipped
    wb = _xml(zf, "xl/workbook.xml")
    rels = _rels(zf, "xl/workbook.xml")
    seen: dict[str, str] = {}
    for s in wb.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = s.get(f"{{{_NS_R}}}id", "")
        name = s.get("name", "")
        if name.upper() in seen:
            raise WorkbookRefused(f"two sheets are named {seen[name.upper()]!r} and {name!r}; "
                                  f"Excel requires sheet names that differ ignoring case")
        seen[name.upper()] = name
        if rid in rels and rels[rid][0].endswith("/worksheet"):
            part = rels[rid][1]
            if part not in names:
                raise WorkbookRefused(f"sheet {name!r} points at a missing part {part}")
            if part in skipped:
                raise WorkbookRefused(f"sheet {name!r} points at a macro part {part}")
            pkg.sheets.append((name, part))
    if not pkg.sheets:
        raise WorkbookRefused("the workbook has no worksheets")
    ext_refs = [e.get(f"{{{_NS_R}}}id", "") for e in wb.iter(f"{{{_NS_MAIN}}}externalReference")]
    for i, rid in enumerate(ext_refs, start=1):
        if rid not in rels or rels[rid][1] not in names:
            continue
        part = rels[rid][1]
        pkg.links[i] = _external_link(zf, i, part)
    pkg.charts = sorted((n for n in names if re.match(r"^xl/charts/chart\d+\.xml$", n)),
                        key=lambda n: int(re.sub(r"\D", "", basename(n))))
    return pkg


def _external_link(zf: zipfile.ZipFile, index: int, part: str) -> ExternalLink:
    """The link's target: the relationship its ``externalBook`` names (not the first one)."""
    root = _xml(zf, part)
    for kind in ("ddeLink", "oleLink"):
        if root.find(f"{{{_NS_MAIN}}}{kind}") is not None:
            raise WorkbookRefused(f"the workbook has a {kind[:3].upper()} link ({part}); such "
                                  f"links fetch data from other programs and are refused")
    book = root.find(f"{{{_NS_MAIN}}}externalBook")
    target = ""
    if book is not None:
        rid = book.get(f"{{{_NS_R}}}id", "")
        rel = _rels(zf, part).get(rid)
        if rel is not None:
            target = rel[1]
    is_addin = target.lower().rstrip("/\\ ").endswith(ADDIN_EXTENSIONS)
    return ExternalLink(index, part, target, is_addin)
