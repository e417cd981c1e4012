"""Add parts to a checked package without re-saving it: a new worksheet (with its drawing and
charts), defined names and cell styles, by editing the package parts.

:class:`PackageEditor` collects new parts and edits of existing ones and writes a copy
(:meth:`PackageEditor.write`). Every existing part that is not edited keeps its bytes; the edits
are insertions at positions an XML parser found (``[Content_Types].xml``, ``xl/workbook.xml``,
``xl/_rels/workbook.xml.rels``, ``xl/styles.xml``: new elements appended inside their
containers, ``count`` attributes updated), so every original element, attribute and byte
around them stays as it was.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
import xml.parsers.expat as expat
import zipfile
from dataclasses import dataclass
from posixpath import basename, dirname, join, normpath, relpath
from typing import Any

from .package import Package, WorkbookRefused
from .sheetxml import new_parser, set_attribute

__all__ = ["PackageEditor", "Element", "locate", "CT", "REL", "Style"]

NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
NS_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
NS_CT = "http://schemas.openxmlformats.org/package/2006/content-types"

#: Content types of the parts added.
CT = {
    "worksheet": "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml",
    "drawing": "application/vnd.openxmlformats-officedocument.drawing+xml",
    "chart": "application/vnd.openxmlformats-officedocument.drawingml.chart+xml",
    "styles": "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml",
}
#: Relationship types.
REL = {
    "worksheet": NS_R + "/worksheet",
    "drawing": NS_R + "/drawing",
    "chart": NS_R + "/chart",
    "styles": NS_R + "/styles",
}


@dataclass
class Element:
    """Where an element sits in a part (byte offsets) and its namespace prefix."""
    start: int          # "<"
    tag_end: int        # just after the start tag
    close: int          # start of "</...>" (== tag_end for an empty element)
    end: int            # just after the element
    prefix: str         # "" or "x:" as written
    empty: bool


def locate(xml: bytes, path: tuple[str, ...], ns: str = NS_MAIN) -> list[Element]:
    """Elements at ``path`` (local names from the root, in namespace ``ns``), with offsets."""
    found: list[Element] = []
    stack: list[tuple[str, int, int]] = []   # local name (or ""), start, tag end
    p = new_parser()
    tag_re = re.compile(rb"<[^>\"']*(?:(?:\"[^\"]*\"|'[^']*')[^>\"']*)*>")

    def start(name: str, attrs: dict[str, str]) -> None:
        uri, _, local = name.rpartition(" ")
        i = p.CurrentByteIndex
        m = tag_re.match(xml, i)
        stack.append((local if uri == ns else "", i, m.end() if m else i))

    def end(name: str) -> None:
        local, s, te = stack.pop()
        here = tuple(x[0] for x in stack) + (local,)
        if here != path:
            return
        i = p.CurrentByteIndex
        empty = xml[te - 2:te] == b"/>"
        if empty:
            close, stop = te, te
        else:
            close, stop = i, xml.index(b">", i) + 1
        pm = re.match(rb"<([A-Za-z_][\w.-]*:)?", xml[s:s + 80])
        prefix = (pm.group(1) or b"").decode() if pm else ""
        found.append(Element(s, te, close, stop, prefix, empty))

    p.StartElementHandler, p.EndElementHandler = start, end
    try:
        p.Parse(xml, True)
    except expat.ExpatError as exc:
        raise WorkbookRefused(f"a package part is not well-formed XML "
                              f"({expat.ErrorString(exc.code)})") from None
    return found


def _attr(tag: bytes, name: str) -> str | None:
    m = re.search(rb"\s" + re.escape(name.encode()) + rb"\s*=\s*(\"[^\"]*\"|'[^']*')", tag)
    return html.unescape(m.group(1)[1:-1].decode("utf-8")) if m else None


def _splice(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out, pos = [], 0
    for a, b, new in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [data[pos:a], new]
        pos = b
    out.append(data[pos:])
    return b"".join(out)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


@dataclass(frozen=True)
class Style:
    """A cell format to append: font, fill and number format (None = the default)."""
    bold: bool = False
    italic: bool = False
    size: float | None = None
    color: str | None = None      # RRGGBB
    fill: str | None = None       # RRGGBB
    number_format: str | None = None
    wrap: bool = False


class PackageEditor:
    """New and edited parts of a package, written as a copy (see the module docstring)."""

    def __init__(self, pkg: Package):
        self.pkg = pkg
        self.new: dict[str, bytes] = {}
        self.replaced: dict[str, bytes] = {}
        self._ct_overrides: list[tuple[str, str]] = []
        self._names = {n.lower() for n in pkg.zf.NameToInfo}

    # -- parts -------------------------------------------------------------------------------
    def read(self, part: str) -> bytes:
        if part in self.replaced:
            return self.replaced[part]
        if part in self.new:
            return self.new[part]
        return self.pkg.read(part)

    def exists(self, part: str) -> bool:
        return part.lower() in self._names or part in self.new

    def free_name(self, pattern: str) -> str:
        """The first part name ``pattern.format(k)`` (k = 1, 2, ...) not in the package."""
        k = 1
        while self.exists(pattern.format(k)):
            k += 1
        return pattern.format(k)

    def add_part(self, name: str, data: bytes, content_type: str | None = None) -> None:
        if self.exists(name):
            raise ValueError(f"part {name} exists")
        self.new[name] = data
        self._names.add(name.lower())
        if content_type:
            self._ct_overrides.append(("/" + name, content_type))

    def relate(self, source: str, rel_type: str, target: str) -> str:
        """Add a relationship from part ``source`` to part ``target``; return its id."""
        rels = join(dirname(source), "_rels", basename(source) + ".rels")
        rel_target = relpath(target, dirname(source)) if dirname(source) else target
        if self.exists(rels):
            data = self.read(rels)
            ids = set(re.findall(rb'\sId\s*=\s*"([^"]*)"', data))
            k = 1
            while f"rId{k}".encode() in ids:
                k += 1
            rid = f"rId{k}"
            root = locate(data, ("Relationships",), NS_REL)
            if not root:
                raise WorkbookRefused(f"{rels} is not a relationships part")
            el = root[0]
            new = (f'<{el.prefix}Relationship Id="{rid}" Type="{_esc(rel_type)}" '
                   f'Target="{_esc(rel_target)}"/>').encode()
            self._put(rels, _insert(data, el, new))
        else:
            rid = "rId1"
            data = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                    f'<Relationships xmlns="{NS_REL}"><Relationship Id="{rid}" '
                    f'Type="{_esc(rel_type)}" Target="{_esc(rel_target)}"/>'
                    f'</Relationships>').encode()
            self.new[rels] = data
            self._names.add(rels.lower())
        return rid

    def _put(self, part: str, data: bytes) -> None:
        if part in self.new:
            self.new[part] = data
        else:
            self.replaced[part] = data

    # -- workbook ----------------------------------------------------------------------------
    def add_sheet(self, name: str, part: str, xml: bytes) -> str:
        """A new last worksheet ``name`` (part ``part``); returns its relationship id."""
        self.add_part(part, xml, CT["worksheet"])
        rid = self.relate("xl/workbook.xml", REL["worksheet"], part)
        wb = self.read("xl/workbook.xml")
        sheets = locate(wb, ("workbook", "sheets"))
        if not sheets:
            raise WorkbookRefused("xl/workbook.xml has no <sheets> element")
        el = sheets[0]
        ids = [int(x) for x in re.findall(rb'\ssheetId\s*=\s*"(\d+)"', wb[el.start:el.end])]
        sheet_id = max(ids, default=0) + 1
        r_prefix = _prefix_of(wb, NS_R)
        rattr = f'{r_prefix}:id' if r_prefix else f'xmlns:cc_r="{NS_R}" cc_r:id'
        new = (f'<{el.prefix}sheet name="{_esc(name)}" sheetId="{sheet_id}" '
               f'{rattr}="{rid}"/>').encode()
        self._put("xl/workbook.xml", _insert(wb, el, new))
        return rid

    def add_defined_names(self, names: list[tuple[str, str]]) -> None:
        """Workbook-level defined names (name, reference text)."""
        if not names:
            return
        wb = self.read("xl/workbook.xml")
        body = "".join(f'<{{p}}definedName name="{_esc(n)}">{_esc(t)}</{{p}}definedName>'
                       for n, t in names)
        found = locate(wb, ("workbook", "definedNames"))
        if found:
            el = found[0]
            new = _insert(wb, el, body.replace("{p}", el.prefix).encode())
        else:
            after = None
            for tag in ("externalReferences", "functionGroups", "sheets"):
                got = locate(wb, ("workbook", tag))
                if got:
                    after = got[0]
                    break
            if after is None:
                raise WorkbookRefused("xl/workbook.xml has no <sheets> element")
            p = after.prefix
            block = f"<{p}definedNames>{body.replace('{p}', p)}</{p}definedNames>".encode()
            new = wb[:after.end] + block + wb[after.end:]
        self._put("xl/workbook.xml", new)

    def defined_names(self) -> set[str]:
        wb = self.read("xl/workbook.xml")
        return {html.unescape(m.decode("utf-8")).lower() for m in
                re.findall(rb'<(?:\w+:)?definedName\b[^>]*\sname\s*=\s*"([^"]*)"', wb)}

    def set_calc_on_load(self) -> None:
        """Ask Excel to recalculate when the copy is opened (new formulas have no values)."""
        wb = self.read("xl/workbook.xml")
        found = locate(wb, ("workbook", "calcPr"))
        if found:
            el = found[0]
            tag = set_attribute(wb[el.start:el.tag_end], "fullCalcOnLoad", "1")
            self._put("xl/workbook.xml", wb[:el.start] + tag + wb[el.tag_end:])
            return
        root = locate(wb, ("workbook",))[0]
        after = None
        for t in ("definedNames", "externalReferences", "functionGroups", "sheets"):
            got = locate(wb, ("workbook", t))
            if got:
                after = got[0]
                break
        if after is None:
            return
        p = root.prefix
        self._put("xl/workbook.xml", wb[:after.end] + f'<{p}calcPr fullCalcOnLoad="1"/>'
                  .encode() + wb[after.end:])

    # -- styles ------------------------------------------------------------------------------
    def add_styles(self, styles: list[Style]) -> list[int] | None:
        """Append cell formats; return their ``s=`` indices (None: the workbook's styles part
        cannot take them, and cells keep the default format)."""
        part = self._styles_part()
        if part is None:
            return None
        data = self.read(part)
        fonts = locate(data, ("styleSheet", "fonts"))
        fills = locate(data, ("styleSheet", "fills"))
        xfs = locate(data, ("styleSheet", "cellXfs"))
        borders = locate(data, ("styleSheet", "borders"))
        if not (fonts and fills and xfs and borders) or any(e.empty for e in
                                                            (fonts[0], fills[0], xfs[0])):
            return None
        fonts, fills, xfs = fonts[0], fills[0], xfs[0]
        n_fonts = _children(data, fonts, "font")
        n_fills = _children(data, fills, "fill")
        n_xfs = _children(data, xfs, "xf")
        numfmts = locate(data, ("styleSheet", "numFmts"))
        used_ids = {int(x) for x in re.findall(rb'numFmtId\s*=\s*"(\d+)"', data)}
        existing = {}
        for m in re.finditer(rb'<(?:\w+:)?numFmt\b[^>]*>', data):
            fid, code = _attr(m.group(0), "numFmtId"), _attr(m.group(0), "formatCode")
            if fid and fid.isdigit() and code is not None:
                existing[code] = int(fid)
        p = fonts.prefix
        new_fonts, new_fills, new_fmts, new_xfs = [], [], [], []
        font_ix: dict[tuple, int] = {}
        fill_ix: dict[str, int] = {}
        fmt_ix: dict[str, int] = {}
        next_fmt = max([163] + [i for i in used_ids if i >= 164]) + 1
        out = []
        for st in styles:
            fkey = (st.bold, st.italic, st.size, st.color)
            if fkey == (False, False, None, None):
                font_id = 0
            elif fkey in font_ix:
                font_id = font_ix[fkey]
            else:
                font_id = n_fonts + len(new_fonts)
                font_ix[fkey] = font_id
                new_fonts.append(
                    f"<{p}font>" + (f"<{p}b/>" if st.bold else "") +
                    (f"<{p}i/>" if st.italic else "") +
                    f'<{p}sz val="{st.size or 11:g}"/>' +
                    (f'<{p}color rgb="FF{st.color}"/>' if st.color else
                     f'<{p}color theme="1"/>') +
                    f'<{p}name val="Calibri"/><{p}family val="2"/></{p}font>')
            if st.fill is None:
                fill_id = 0
            elif st.fill in fill_ix:
                fill_id = fill_ix[st.fill]
            else:
                fill_id = n_fills + len(new_fills)
                fill_ix[st.fill] = fill_id
                new_fills.append(f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor '
                                 f'rgb="FF{st.fill}"/><{p}bgColor indexed="64"/>'
                                 f'</{p}patternFill></{p}fill>')
            code = st.number_format
            if code is None:
                fmt_id = 0
            elif code in _BUILTIN_FORMATS:
                fmt_id = _BUILTIN_FORMATS[code]
            elif code in existing:
                fmt_id = existing[code]
            elif code in fmt_ix:
                fmt_id = fmt_ix[code]
            else:
                fmt_id = next_fmt
                next_fmt += 1
                fmt_ix[code] = fmt_id
                new_fmts.append(f'<{p}numFmt numFmtId="{fmt_id}" formatCode="{_esc(code)}"/>')
            align = f'<{p}alignment wrapText="1" vertical="top"/>' if st.wrap else ""
            new_xfs.append(
                f'<{p}xf numFmtId="{fmt_id}" fontId="{font_id}" fillId="{fill_id}" '
                f'borderId="0" xfId="0"' + (' applyNumberFormat="1"' if fmt_id else "") +
                (' applyFont="1"' if font_id else "") + (' applyFill="1"' if fill_id else "") +
                (' applyAlignment="1">' + align + f"</{p}xf>" if align else "/>"))
            out.append(n_xfs + len(new_xfs) - 1)
        edits = []
        for el, items, count in ((fonts, new_fonts, n_fonts), (fills, new_fills, n_fills),
                                 (xfs, new_xfs, n_xfs)):
            if items:
                tag = set_attribute(data[el.start:el.tag_end], "count", str(count + len(items)))
                edits.append((el.start, el.tag_end, tag))
                edits.append((el.close, el.close, "".join(items).encode()))
        if new_fmts:
            if numfmts and not numfmts[0].empty:
                el = numfmts[0]
                n = _children(data, el, "numFmt")
                edits.append((el.start, el.tag_end, set_attribute(
                    data[el.start:el.tag_end], "count", str(n + len(new_fmts)))))
                edits.append((el.close, el.close, "".join(new_fmts).encode()))
            elif numfmts:  # <numFmts/>
                el = numfmts[0]
                edits.append((el.start, el.end, f'<{p}numFmts count="{len(new_fmts)}">'
                               f'{"".join(new_fmts)}</{p}numFmts>'.encode()))
            else:
                edits.append((fonts.start, fonts.start, f'<{p}numFmts count="{len(new_fmts)}">'
                              f'{"".join(new_fmts)}</{p}numFmts>'.encode()))
        self._put(part, _splice(data, edits))
        return out

    def _styles_part(self) -> str | None:
        rels = "xl/_rels/workbook.xml.rels"
        if not self.exists(rels):
            return None
        data = self.read(rels)
        for m in re.finditer(rb"<(?:\w+:)?Relationship\b[^>]*>", data):
            tag = m.group(0)
            if (_attr(tag, "Type") or "").endswith("/styles"):
                target = _attr(tag, "Target") or ""
                part = target.lstrip("/") if target.startswith("/") else \
                    normpath(join("xl", target))
                return part if self.exists(part) else None
        return None

    # -- writing -----------------------------------------------------------------------------
    def _content_types(self) -> bytes:
        data = self.read("[Content_Types].xml")
        root = locate(data, ("Types",), NS_CT)
        if not root:
            raise WorkbookRefused("[Content_Types].xml is not a content-types part")
        el = root[0]
        new = "".join(f'<{el.prefix}Override PartName="{_esc(n)}" ContentType="{_esc(t)}"/>'
                      for n, t in self._ct_overrides)
        return _insert(data, el, new.encode())

    def write(self, dest: str) -> None:
        """Write the copy to ``dest`` atomically: every original part in its order with its
        bytes (or its edit), then the new parts."""
        replaced = dict(self.replaced)
        if self._ct_overrides:
            replaced["[Content_Types].xml"] = self._content_types()
        folder = os.path.dirname(os.path.abspath(dest))
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".retrofit-", suffix=".xlsx.tmp", dir=folder)
        os.close(fd)
        try:
            with zipfile.ZipFile(tmp, "w") as out:
                stamp = None
                for info in self.pkg.zf.infolist():
                    data = replaced.get(info.filename)
                    if data is None:
                        data = self.pkg.read(info.filename)
                    copy = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                    copy.compress_type = info.compress_type
                    copy.external_attr, copy.create_system = info.external_attr, \
                        info.create_system
                    out.writestr(copy, data)
                    stamp = stamp or info.date_time
                for name, data in self.new.items():
                    info = zipfile.ZipInfo(name, date_time=stamp or (1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    out.writestr(info, data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, dest)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


_BUILTIN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9,
                    "0.00%": 10}


def _insert(data: bytes, el: Element, new: bytes) -> bytes:
    """``new`` appended as the last children of ``el`` (an empty element is opened)."""
    if el.empty:
        tag = data[el.start:el.tag_end]
        opened = tag[:-2].rstrip() + b">"
        name = re.match(rb"<([^\s/>]+)", tag).group(1)
        return data[:el.start] + opened + new + b"</" + name + b">" + data[el.end:]
    return data[:el.close] + new + data[el.close:]


def _children(data: bytes, el: Element, local: str) -> int:
    """Number of direct children ``local`` of ``el`` (the count attribute is not trusted)."""
    body = data[el.start:el.end]
    depth = 0
    n = 0

    def start(name: str, attrs: dict[str, str]) -> None:
        nonlocal depth, n
        depth += 1
        if depth == 2 and name.rpartition(" ")[2] == local:
            n += 1

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1

    # the fragment may use prefixes declared on the root: parse it without namespaces
    q = expat.ParserCreate()
    q.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    q.StartElementHandler = lambda name, attrs: start(name.rpartition(":")[2], attrs)
    q.EndElementHandler = end
    q.Parse(body, True)
    return n


def _prefix_of(xml: bytes, uri: str) -> str | None:
    """The prefix the root element binds to ``uri`` (None if none)."""
    head = xml[:4096]
    m = re.search(rb"<(?:\w+:)?workbook\b[^>]*>", head)
    if not m:
        return None
    for pm in re.finditer(rb'xmlns:([\w.-]+)\s*=\s*"([^"]*)"', m.group(0)):
        if pm.group(2).decode() == uri:
            return pm.group(1).decode()
    return None
