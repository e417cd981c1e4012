"""A small reader and writer for Compound File Binary files ([MS-CFB]), version 3.

The add-in's VBA project (``xl/vbaProject.bin``) is a compound file: a little FAT file system of
storages (folders) and streams (files). :func:`read` loads one into a tree of :class:`Storage` and
:class:`Stream`; :func:`write` lays a tree out as a new file (512-byte sectors, streams under
4096 bytes in the mini stream, directory as a sorted binary tree). Written here because the one
permissively licensed Python library that parses these files (olefile, BSD) cannot add streams or
change their size; the tests check every file written here with olefile in strict mode.

Only what a VBA project needs is supported: version 3 files (512-byte sectors) of at most
109 FAT sectors (about 6.8 MB) on write; reading also accepts version 4 and DIFAT chains.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

__all__ = ["Stream", "Storage", "read", "write", "CfbError", "MAGIC"]

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FREESECT, ENDOFCHAIN, FATSECT, DIFSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC
NOSTREAM = 0xFFFFFFFF
MAXREGSECT = 0xFFFFFFFA
SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
ENTRY = 128
HEADER_DIFAT = 109
EMPTY, STORAGE, STREAM, ROOT = 0, 1, 2, 5
BLACK = 1
ZERO_CLSID = bytes(16)


class CfbError(ValueError):
    """The bytes are not a compound file this module can read, or a tree it cannot write."""


@dataclass
class Stream:
    name: str
    data: bytes
    clsid: bytes = ZERO_CLSID
    state: int = 0


@dataclass
class Storage:
    name: str
    children: list["Storage | Stream"] = field(default_factory=list)
    clsid: bytes = ZERO_CLSID
    state: int = 0
    created: int = 0
    modified: int = 0

    def get(self, path: str) -> "Storage | Stream":
        """The entry at ``path`` (``/``-separated, names compared as CFB does: ignoring case)."""
        node: Storage | Stream = self
        for part in path.split("/"):
            if not isinstance(node, Storage):
                raise KeyError(path)
            node = next((c for c in node.children if _fold(c.name) == _fold(part)), None)
            if node is None:
                raise KeyError(path)
        return node

    def remove(self, name: str) -> None:
        kept = [c for c in self.children if _fold(c.name) != _fold(name)]
        if len(kept) == len(self.children):
            raise KeyError(name)
        self.children = kept

    def put(self, entry: "Storage | Stream") -> None:
        """Replace the child of the same name in place, or append a new one."""
        for i, c in enumerate(self.children):
            if _fold(c.name) == _fold(entry.name):
                self.children[i] = entry
                return
        self.children.append(entry)

    def streams(self, prefix: str = "") -> dict[str, bytes]:
        """Every stream below this storage by path (``VBA/dir``)."""
        out: dict[str, bytes] = {}
        for c in self.children:
            path = prefix + c.name
            if isinstance(c, Stream):
                out[path] = c.data
            else:
                out.update(c.streams(path + "/"))
        return out


def _fold(name: str) -> str:
    return name.upper()


def _order_key(name: str) -> tuple[int, str]:
    """[MS-CFB] 2.6.4: shorter names first, then code points of the upper-cased names."""
    return len(name), name.upper()


# ------------------------------------------------------------------------------------ read
def _chain(table: list[int], start: int, limit: int) -> list[int]:
    out: list[int] = []
    s = start
    while s != ENDOFCHAIN:
        if s > MAXREGSECT or s >= limit or len(out) > limit:
            raise CfbError(f"broken sector chain at {s:#x}")
        out.append(s)
        s = table[s] if s < len(table) else ENDOFCHAIN + 1
        if s == ENDOFCHAIN + 1:
            raise CfbError("sector chain runs past the allocation table")
    return out


def read(data: bytes) -> Storage:
    """Parse a compound file into its root :class:`Storage` (named ``Root Entry``)."""
    if len(data) < SECTOR or data[:8] != MAGIC:
        raise CfbError("not a compound file (bad signature)")
    (minor, major, order, sshift, mshift) = struct.unpack_from("<HHHHH", data, 24)
    if order != 0xFFFE or major not in (3, 4) or sshift != (9 if major == 3 else 12) \
            or mshift != 6:
        raise CfbError("unsupported compound file header")
    ssize = 1 << sshift
    (ndirsec, nfat, dir_start, _tx, cutoff, minifat_start, nminifat, difat_start,
     ndifat) = struct.unpack_from("<IIIIIIIII", data, 40)
    if cutoff != MINI_CUTOFF:
        raise CfbError("unsupported mini stream cutoff")
    nsect = (len(data) - ssize) // ssize
    body = data[ssize:]

    def sector(i: int) -> bytes:
        if i >= nsect:
            raise CfbError(f"sector {i} beyond the end of the file")
        return body[i * ssize:(i + 1) * ssize]

    fat_ids = [x for x in struct.unpack_from("<109I", data, 76) if x != FREESECT]
    s, seen = difat_start, 0
    while s not in (ENDOFCHAIN, FREESECT) and seen < ndifat:
        vals = struct.unpack(f"<{ssize // 4}I", sector(s))
        fat_ids += [x for x in vals[:-1] if x != FREESECT]
        s, seen = vals[-1], seen + 1
    if len(fat_ids) != nfat:
        raise CfbError("FAT sector count does not match the header")
    fat: list[int] = []
    for i in fat_ids:
        fat += struct.unpack(f"<{ssize // 4}I", sector(i))

    def read_chain(start: int, size: int | None = None) -> bytes:
        out = b"".join(sector(i) for i in _chain(fat, start, nsect))
        return out if size is None else out[:size]

    raw_dir = read_chain(dir_start)
    entries = [raw_dir[i:i + ENTRY] for i in range(0, len(raw_dir), ENTRY)]
    minifat: list[int] = []
    if nminifat:
        m = read_chain(minifat_start)
        minifat = list(struct.unpack(f"<{len(m) // 4}I", m))

    def entry(sid: int) -> tuple:
        e = entries[sid]
        nlen = struct.unpack_from("<H", e, 64)[0]
        if nlen > 64 or nlen % 2:
            raise CfbError(f"bad name length in directory entry {sid}")
        name = e[:max(nlen - 2, 0)].decode("utf-16-le")
        etype, _color, left, right, child = struct.unpack_from("<BBIII", e, 66)
        clsid = e[80:96]
        state, created, modified, start, size = struct.unpack_from("<IQQIQ", e, 96)
        if major == 3:
            size &= 0xFFFFFFFF
        return name, etype, left, right, child, clsid, state, created, modified, start, size

    root = entry(0)
    if root[1] != ROOT:
        raise CfbError("first directory entry is not the root")
    mini_stream = read_chain(root[9], root[10]) if root[10] else b""

    def stream_data(start: int, size: int) -> bytes:
        if size == 0:
            return b""
        if size < MINI_CUTOFF:
            chain = _chain(minifat, start, len(mini_stream) // MINI_SECTOR + 1)
            out = b"".join(mini_stream[i * MINI_SECTOR:(i + 1) * MINI_SECTOR] for i in chain)
        else:
            out = read_chain(start)
        if len(out) < size:
            raise CfbError("stream shorter than its directory entry says")
        return out[:size]

    visited: set[int] = set()

    def siblings(sid: int) -> list[int]:
        """In-order walk of one storage's red-black tree of children."""
        out: list[int] = []
        stack: list[int] = []
        node = sid
        while stack or node != NOSTREAM:
            while node != NOSTREAM:
                if node in visited or node >= len(entries):
                    raise CfbError("directory tree has a loop or a bad sibling id")
                visited.add(node)
                stack.append(node)
                node = entry(node)[2]
            node = stack.pop()
            out.append(node)
            node = entry(node)[3]
        return out

    def build(e: tuple) -> Storage:
        st = Storage(e[0], clsid=e[5], state=e[6], created=e[7], modified=e[8])
        # children in directory-id order (the file's own layout), not the tree's sorted order
        for cid in sorted(siblings(e[4])):
            ce = entry(cid)
            if ce[1] == STREAM:
                st.children.append(Stream(ce[0], stream_data(ce[9], ce[10]), ce[5], ce[6]))
            elif ce[1] == STORAGE:
                st.children.append(build(ce))
            else:
                raise CfbError(f"unexpected directory entry type {ce[1]}")
        return st

    visited.add(0)
    return build(root)


# ----------------------------------------------------------------------------------- write
def _check_names(st: Storage) -> None:
    seen: set[str] = set()
    for c in st.children:
        if not c.name or len(c.name) > 31 or any(ch in c.name for ch in "/\\:!"):
            raise CfbError(f"invalid entry name {c.name!r}")
        if _fold(c.name) in seen:
            raise CfbError(f"duplicate entry name {c.name!r}")
        seen.add(_fold(c.name))
        if isinstance(c, Storage):
            _check_names(c)


def write(root: Storage) -> bytes:
    """Lay out ``root`` as a version-3 compound file. Deterministic: same tree, same bytes."""
    _check_names(root)
    nodes: list[Storage | Stream] = []  # directory ids in depth-first order, root first

    def collect(st: Storage) -> None:
        for c in st.children:
            nodes.append(c)
        for c in st.children:
            if isinstance(c, Storage):
                collect(c)
    nodes.append(root)
    collect(root)
    sid = {id(n): i for i, n in enumerate(nodes)}

    # ------------------------------------------------------------ stream placement
    mini = bytearray()
    minifat: list[int] = []
    big: list[tuple[int, bytes]] = []  # (node index, data) for streams >= cutoff
    start = {i: ENDOFCHAIN for i in range(len(nodes))}
    for i, n in enumerate(nodes):
        if not isinstance(n, Stream) or not n.data:
            continue
        if len(n.data) < MINI_CUTOFF:
            count = -(-len(n.data) // MINI_SECTOR)
            first = len(mini) // MINI_SECTOR
            start[i] = first
            minifat += [first + k + 1 for k in range(count - 1)] + [ENDOFCHAIN]
            mini += n.data + bytes(count * MINI_SECTOR - len(n.data))
        else:
            big.append((i, n.data))

    def nsec(size: int) -> int:
        return -(-size // SECTOR)

    dir_sectors = nsec(len(nodes) * ENTRY)
    mini_sectors = nsec(len(mini))
    minifat_sectors = nsec(len(minifat) * 4)
    big_sectors = sum(nsec(len(d)) for _, d in big)
    data_sectors = dir_sectors + mini_sectors + minifat_sectors + big_sectors
    nfat = 1
    while nfat * (SECTOR // 4) < data_sectors + nfat:
        nfat += 1
    if nfat > HEADER_DIFAT:
        raise CfbError("compound file too large for this writer (needs DIFAT sectors)")

    fat: list[int] = []
    body = bytearray()

    def place(payload: bytes, count: int) -> int:
        first = len(fat)
        fat.extend(first + k + 1 for k in range(count - 1))
        fat.append(ENDOFCHAIN)
        body.extend(payload + bytes(count * SECTOR - len(payload)))
        return first

    dir_start = len(fat)
    fat.extend(dir_start + k + 1 for k in range(dir_sectors - 1))
    fat.append(ENDOFCHAIN)
    body.extend(bytes(dir_sectors * SECTOR))  # filled in below
    mini_start = place(bytes(mini), mini_sectors) if mini else ENDOFCHAIN
    minifat_raw = struct.pack(f"<{len(minifat)}I", *minifat)
    minifat_start = place(minifat_raw + b"\xff" * (minifat_sectors * SECTOR - len(minifat_raw)),
                          minifat_sectors) if minifat else ENDOFCHAIN
    for i, d in big:
        start[i] = place(d, nsec(len(d)))
    fat_start = len(fat)
    fat.extend([FATSECT] * nfat)
    fat.extend([FREESECT] * (nfat * (SECTOR // 4) - len(fat)))
    body.extend(struct.pack(f"<{len(fat)}I", *fat))

    # ------------------------------------------------------------ directory
    links = {i: [NOSTREAM, NOSTREAM, NOSTREAM] for i in range(len(nodes))}  # left, right, child

    def tree_of(ids: list[int]) -> int:
        """A balanced binary search tree over sorted sibling ids; returns its root id."""
        if not ids:
            return NOSTREAM
        mid = len(ids) // 2
        top = ids[mid]
        links[top][0] = tree_of(ids[:mid])
        links[top][1] = tree_of(ids[mid + 1:])
        return top

    for i, n in enumerate(nodes):
        if isinstance(n, Storage):
            kids = sorted((sid[id(c)] for c in n.children),
                          key=lambda k: _order_key(nodes[k].name))
            links[i][2] = tree_of(kids)

    raw_dir = bytearray()
    for i, n in enumerate(nodes):
        name = (n.name if i else "Root Entry").encode("utf-16-le")
        etype = ROOT if i == 0 else (STORAGE if isinstance(n, Storage) else STREAM)
        if i == 0:
            first, size = (mini_start, len(mini)) if mini else (ENDOFCHAIN, 0)
        elif isinstance(n, Stream):
            first, size = start[i], len(n.data)
        else:
            first, size = 0, 0
        created = n.created if isinstance(n, Storage) and i else 0
        modified = n.modified if isinstance(n, Storage) else 0
        raw_dir += (name + bytes(64 - len(name)) +
                    struct.pack("<HBBIII", len(name) + 2, etype, BLACK, *links[i]) +
                    n.clsid + struct.pack("<IQQIQ", n.state, created, modified, first, size))
    empty = bytes(64) + struct.pack("<HBBIII", 0, EMPTY, 0, NOSTREAM, NOSTREAM, NOSTREAM) + \
        bytes(48)
    while len(raw_dir) < dir_sectors * SECTOR:
        raw_dir += empty
    body[dir_start * SECTOR:(dir_start + dir_sectors) * SECTOR] = raw_dir

    difat = [fat_start + k for k in range(nfat)] + [FREESECT] * (HEADER_DIFAT - nfat)
    header = (MAGIC + ZERO_CLSID +
              struct.pack("<HHHHH", 0x003E, 3, 0xFFFE, 9, 6) + bytes(6) +
              struct.pack("<IIIIIIIII", 0, nfat, dir_start, 0, MINI_CUTOFF,
                          minifat_start, len(minifat) and minifat_sectors, ENDOFCHAIN, 0) +
              struct.pack(f"<{HEADER_DIFAT}I", *difat))
    assert len(header) == SECTOR
    return bytes(header + body)
