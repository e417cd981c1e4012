"""Open an .xlsx package defensively, before any parser sees it.

A deal file may come from anywhere (e-mail, a shared drive, a data room). Before the formula
engine reads it, :func:`open_package` checks, without decompressing anything first:

* it is a zip file at all, not truncated (the central directory reads and every member's CRC
  is checked when read), and not an encrypted or multi-volume zip;
* sizes: the file, the number of parts, every part's declared size, the total declared size and
  the compression ratio of every large part are within :data:`LIMITS` (a zip bomb declares huge
  sizes or ratios; :mod:`zipfile` never reads past a member's declared size, so checking the
  declared sizes bounds the memory used);
* it is a spreadsheet package (``[Content_Types].xml`` and ``xl/workbook.xml``);
* it holds no macros (``vbaProject.bin``, a macro-enabled content type, ``.xlsm``/``.xlsb``):
  nothing from the file is ever run, and we refuse rather than silently strip code;
* no XML part declares a DTD or entities (``<!DOCTYPE``/``<!ENTITY``: OOXML never needs them,
  and they are the vector of "billion laughs" and external-entity attacks);
* external links point only at add-ins (``.xlam``/``.xla``/``.xll``); a link to another
  workbook would make the result depend on a file we cannot see.

Every refusal is a :class:`WorkbookRefused` whose message is one plain line.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass, field
from posixpath import basename, dirname, join, normpath
from xml.etree import ElementTree as ET

__all__ = ["WorkbookRefused", "Package", "open_package", "LIMITS", "ADDIN_EXTENSIONS"]

#: Size limits (bytes unless stated). Generous for real deal files (a few MB), tight for bombs.
LIMITS = {
    "file_bytes": 200 * 2**20,        # the .xlsx on disk
    "parts": 5_000,                   # members in the zip
    "part_bytes": 300 * 2**20,        # declared uncompressed size of one member
    "total_bytes": 600 * 2**20,       # declared uncompressed size of all members
    "ratio": 200.0,                   # uncompressed / compressed, for members above ratio_from
    "ratio_from": 2 * 2**20,
    "formula_cells": 100_000,         # formula cells in the workbook (bounds the engine's time)
}

ADDIN_EXTENSIONS = (".xlam", ".xla", ".xll")

_NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_MACRO_TYPES = ("macroEnabled", "vbaProject", "vnd.ms-excel.sheet.binary", "activeX",
                "vnd.ms-office.vbaProject")


class WorkbookRefused(Exception):
    """The input cannot be recalculated safely; ``str(exc)`` is one plain line."""


@dataclass
class ExternalLink:
    index: int          # the N of [N]! in formulas
    part: str           # xl/externalLinks/externalLinkN.xml
    target: str         # the path Excel recorded
    is_addin: bool


@dataclass
class Package:
    """A checked workbook package: the zip (kept open) and what we learnt from its parts."""
    path: str
    zf: zipfile.ZipFile
    sheets: list[tuple[str, str]] = field(default_factory=list)  # (sheet name, part path)
    links: dict[int, ExternalLink] = field(default_factory=dict)
    charts: list[str] = field(default_factory=list)

    def read(self, name: str) -> bytes:
        return _read_member(self.zf, name)

    def write_copy(self, dest: str, replaced: dict[str, bytes]) -> None:
        """Write the package's parts to ``dest`` (a new zip) with the ``replaced`` parts
        swapped in; every other part keeps its bytes, name, date and attributes."""
        with zipfile.ZipFile(dest, "w") as out:
            for info in self.zf.infolist():
                data = replaced.get(info.filename)
                if data is None:
                    data = self.read(info.filename)
                copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                copy.compress_type = info.compress_type
                copy.external_attr, copy.create_system = info.external_attr, info.create_system
                copy.comment, copy.extra = info.comment, info.extra
                out.writestr(copy, data)  # a fresh ZipInfo: writestr updates it in place

    def close(self) -> None:
        self.zf.close()


def _read_member(zf: zipfile.ZipFile, name: str) -> bytes:
    try:
        data = zf.read(name)
    except KeyError:
        raise WorkbookRefused(f"the package has no part {name}") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError,
            NotImplementedError, RuntimeError) as exc:
        raise WorkbookRefused(f"the part {name} is damaged or unsupported ({_short(exc)})") \
            from None
    if name.endswith((".xml", ".rels", ".vml")):
        head = data[:4096] if len(data) > 4096 else data
        if b"<!DOCTYPE" in head or b"<!ENTITY" in data:
            raise WorkbookRefused(f"the part {name} declares a DTD or entities, which a "
                                  f"spreadsheet never needs (possible XML attack)")
    return data


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:120]


def _xml(pkg_zf: zipfile.ZipFile, name: str) -> ET.Element:
    data = _read_member(pkg_zf, name)
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise WorkbookRefused(f"the part {name} is not well-formed XML ({_short(exc)})") \
            from None


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


def _check_sizes(path: str, zf: zipfile.ZipFile) -> None:
    infos = zf.infolist()
    if len(infos) > LIMITS["parts"]:
        raise WorkbookRefused(f"the package has {len(infos)} parts (limit {LIMITS['parts']})")
    total = 0
    for info in infos:
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


def open_package(path: str) -> Package:
    """Check ``path`` as described in the module docstring and return an open :class:`Package`.

    Raises :class:`WorkbookRefused` with a one-line reason.
    """
    if not os.path.exists(path):
        raise WorkbookRefused("no such file")
    if os.path.isdir(path):
        raise WorkbookRefused("is a folder, not a workbook")
    size = os.path.getsize(path)
    if size > LIMITS["file_bytes"]:
        raise WorkbookRefused(f"the file has {size:,} bytes (limit {LIMITS['file_bytes']:,})")
    lower = path.lower()
    if lower.endswith((".xlsm", ".xltm", ".xlam")):
        raise WorkbookRefused("macro-enabled workbooks are refused (nothing from the file is "
                              "run); save the deal as .xlsx")
    if lower.endswith(".xlsb"):
        raise WorkbookRefused("binary .xlsb workbooks are not supported; save as .xlsx")
    if lower.endswith(".xls"):
        raise WorkbookRefused("legacy .xls workbooks are not supported; save as .xlsx")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise WorkbookRefused("not an Excel workbook (not a zip package, or the file is "
                              "truncated)") from None
    except (OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise WorkbookRefused(f"cannot read the file ({_short(exc)})") from None
    try:
        return _inspect(path, zf)
    except BaseException:
        zf.close()
        raise


def _inspect(path: str, zf: zipfile.ZipFile) -> Package:
    _check_sizes(path, zf)
    names = set(zf.NameToInfo)
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise WorkbookRefused("not an Excel workbook (no [Content_Types].xml or "
                              "xl/workbook.xml in the package)")
    bad = zf.testzip()  # reads every member once: CRC errors of a truncated/damaged file
    if bad is not None:
        raise WorkbookRefused(f"the part {bad} is damaged (CRC error; truncated file?)")
    for n in names:
        if basename(n).lower() in ("vbaproject.bin", "vbaprojectsignature.bin") or \
                n.lower().startswith(("xl/activex/", "xl/macrosheets/")):
            raise WorkbookRefused(f"the workbook contains macros or ActiveX ({n}); nothing "
                                  f"from the file is run: save the deal as .xlsx without "
                                  f"macros")
    ctypes = _read_member(zf, "[Content_Types].xml").decode("utf-8", "replace")
    for marker in _MACRO_TYPES:
        if marker in ctypes:
            raise WorkbookRefused(f"the workbook is macro-enabled or binary ({marker} content "
                                  f"type); save the deal as .xlsx")
    pkg = Package(path, zf)
    wb = _xml(zf, "xl/workbook.xml")
    rels = _rels(zf, "xl/workbook.xml")
    for s in wb.iter(f"{{{_NS_MAIN}}}sheet"):
        rid = s.get(f"{{{_NS_R}}}id", "")
        if rid in rels and rels[rid][0].endswith("/worksheet"):
            part = rels[rid][1]
            if part not in names:
                raise WorkbookRefused(f"sheet {s.get('name')!r} points at a missing part "
                                      f"{part}")
            pkg.sheets.append((s.get("name", ""), part))
        elif rid in rels and rels[rid][0].endswith("/chartsheet"):
            continue
    if not pkg.sheets:
        raise WorkbookRefused("the workbook has no worksheets")
    ext_refs = [e.get(f"{{{_NS_R}}}id", "") for e in wb.iter(f"{{{_NS_MAIN}}}externalReference")]
    for i, rid in enumerate(ext_refs, start=1):
        if rid not in rels:
            continue
        part = rels[rid][1]
        targets = [t for (typ, t, mode) in _rels(zf, part).values()
                   if typ.endswith(("/externalLinkPath", "/xlExternalLinkPath/xlPathMissing"))
                   or mode == "External"]
        target = targets[0] if targets else ""
        is_addin = target.lower().rstrip("/\\").endswith(ADDIN_EXTENSIONS)
        pkg.links[i] = ExternalLink(i, part, target, is_addin)
        if not is_addin:
            shown = target or "an unnamed source"
            raise WorkbookRefused(f"the workbook links to another workbook ({shown}); "
                                  f"external links are refused: paste the linked values in "
                                  f"(Data > Edit Links > Break Link) and try again")
    pkg.charts = sorted((n for n in names if re.match(r"^xl/charts/chart\d+\.xml$", n)),
                        key=lambda n: int(re.sub(r"\D", "", basename(n))))
    return pkg
