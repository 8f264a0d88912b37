"""The committer time of a repository's last commit, read from the repository's files by this module alone,
in the sandbox: a worker started for one student's repository, bound read-only (``grader.classwork.times``),
under a deadline and the worker's limits. A hostile repository costs that student's time, no one else's.

No program runs and nothing of the repository configures anything: its ``config``, hooks, attributes,
alternates, remotes and promisors are never read, and a ``.git`` that is a file pointing elsewhere, or a link
anywhere inside ``.git``, is refused. What is read is ``HEAD``, the ref it names (a loose ref file, else
``packed-refs``) and the commit object (a loose object, else an entry of a pack, through its ``.idx``, with
delta chains resolved). Every step is bounded in the work it does, not only in the bytes it reads:

- a ref file is at most ``MAX_REF_BYTES``; symbolic refs are followed at most ``MAX_REF_HOPS`` times; a ref
  name is a plain relative path below ``refs/``; ``packed-refs`` is searched, not parsed, and at most
  ``MAX_PACKED_REFS`` bytes of it;
- an object is inflated to at most ``MAX_OBJECT_BYTES`` (a commit is a few hundred bytes), from at most
  ``MAX_COMPRESSED_BYTES`` read; a pack index is searched by bisection (a few dozen reads, whatever its size);
  at most ``MAX_PACKS`` packs are looked in, each object once; at most ``MAX_READS`` reads of pack files in
  all; a delta chain is at most ``MAX_DELTA_DEPTH`` long, each delta applied in one pass over its
  instructions;
- the time is at most ``MAX_STAMP_DIGITS`` digits and must be usable (from 1970 to before 9000, as
  ``grader.model.late.usable`` says); the zone is ``+hhmm`` with hours below 24.

Anything else is a ``CommitError`` with a one-line reason.
"""

from __future__ import annotations

import os
import re
import stat
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

MAX_REF_BYTES = 4096
MAX_REF_HOPS = 5
MAX_PACKED_REFS = 8 << 20
MAX_OBJECT_BYTES = 256 << 10
MAX_COMPRESSED_BYTES = MAX_OBJECT_BYTES + 4096  # deflate may grow incompressible bytes a little
MAX_DELTA_BYTES = 1 << 20  # delta instructions applied along one chain, in all
MAX_PACKS = 256
MAX_DELTA_DEPTH = 64
MAX_READS = 10_000  # reads of pack files for one commit: a repository needs a few dozen
MAX_STAMP_DIGITS = 15
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)  # as grader.model.late's: a time from then on is no usable time

_HEX = {40: re.compile(rb"[0-9a-f]{40}"), 64: re.compile(rb"[0-9a-f]{64}")}
_REF_PART = re.compile(r"[A-Za-z0-9_+=@,%-][A-Za-z0-9_.+=@,%-]*")
_ZONE = re.compile(rb"([+-])([0-9]{2})([0-9]{2})")
_COMMIT, _TREE, _BLOB, _TAG, _OFS_DELTA, _REF_DELTA = 1, 2, 3, 4, 6, 7


class CommitError(ValueError):
    """Why no commit time can be read (one line)."""


def decode_commit(repository: str) -> dict[str, Any]:
    """Answer a ``commit`` request of the worker protocol: ``{"seconds": <since 1970>, "offset": <minutes east
    of UTC>}`` of the last commit of the repository whose work tree is ``repository``, or ``{"problem": <one
    line>}``."""
    try:
        moment = commit_time(Path(repository))
    except CommitError as error:
        return {"problem": " ".join(str(error).split())[:300]}
    offset = moment.utcoffset() or timedelta(0)
    return {"seconds": int((moment - EPOCH).total_seconds()), "offset": int(offset.total_seconds() // 60)}


def commit_time(repository: Path) -> datetime:
    """The committer time of the commit ``HEAD`` names in the repository whose work tree is ``repository``."""
    git = repository / ".git"
    try:
        info = os.lstat(git)
    except OSError:
        raise CommitError("not a git repository") from None
    if stat.S_ISLNK(info.st_mode) or stat.S_ISREG(info.st_mode):
        raise CommitError("its .git is a link to another place, which is not read")
    if not stat.S_ISDIR(info.st_mode):
        raise CommitError("not a git repository")
    store = _Store(git)
    return committer_time(store.commit(store.head()))


def committer_time(commit: bytes) -> datetime:
    """The time on a raw commit's ``committer`` line: ``committer Name <mail> 1764000000 +0800``."""
    header = commit.split(b"\n\n", 1)[0]
    for line in header.split(b"\n"):
        if line.startswith(b"committer "):
            _, bracket, rest = line.rpartition(b"> ")
            parts = rest.split(b" ")
            if not bracket or len(parts) != 2:
                raise CommitError("the commit's committer line has no time and zone")
            stamp, zone = parts
            if not stamp.isdigit() or len(stamp) > MAX_STAMP_DIGITS:
                raise CommitError(f"the commit's time {_shown(stamp)} is no usable time")
            found = _ZONE.fullmatch(zone)
            if found is None or int(found.group(2)) > 23 or int(found.group(3)) > 59:
                raise CommitError(f"the commit's time zone {_shown(zone)} is not one")
            seconds = int(stamp)
            if seconds >= (LATEST - EPOCH) // timedelta(seconds=1):
                raise CommitError(f"the commit's time {_shown(stamp)} is no usable time (after the year 9000)")
            sign = -1 if found.group(1) == b"-" else 1
            offset = sign * timedelta(hours=int(found.group(2)), minutes=int(found.group(3)))
            return (EPOCH + timedelta(seconds=seconds)).astimezone(timezone(offset))
    raise CommitError("the commit has no committer line")


def _shown(value: bytes) -> str:
    return repr(value[:40].decode("ascii", "replace"))


class _Store:
    """The objects and refs of one ``.git`` folder, read with every bound of the module's docstring."""

    def __init__(self, git: Path) -> None:
        self.git = git
        self.width = 40  # hex digits of an object name: 40 (SHA-1) or 64 (SHA-256), as HEAD's name says
        self._packs: list[_Pack] | None = None
        self._found: dict[bytes, tuple[_Pack, int] | None] = {}  # object name -> where it is in the packs
        self.delta_bytes = 0  # delta instructions applied so far (at most MAX_DELTA_BYTES)
        self.reads = 0  # reads of pack files so far (at most MAX_READS)

    # -- files --------------------------------------------------------------------------------

    def read(self, relative: str, limit: int, missing_ok: bool = False) -> bytes | None:
        """The bytes of a file below ``.git``, no link followed on the way; None when missing and allowed."""
        path = self.git
        parts = relative.split("/")
        for index, part in enumerate(parts):
            path = path / part
            try:
                info = os.lstat(path)
            except FileNotFoundError:
                if missing_ok:
                    return None
                raise CommitError(f".git/{relative} is missing") from None
            except OSError as error:
                raise CommitError(f".git/{relative} cannot be read ({error.strerror})") from None
            if stat.S_ISLNK(info.st_mode):
                raise CommitError(f".git/{'/'.join(parts[:index + 1])} is a link, which is not followed")
            last = index == len(parts) - 1
            if last and not stat.S_ISREG(info.st_mode) or not last and not stat.S_ISDIR(info.st_mode):
                raise CommitError(f".git/{relative} is not a {'file' if last else 'folder'}")
        if info.st_size > limit:
            raise CommitError(f".git/{relative} is larger than {limit} bytes")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
            with os.fdopen(fd, "rb") as handle:
                return handle.read(limit)
        except OSError as error:
            raise CommitError(f".git/{relative} cannot be read ({error.strerror})") from None

    # -- refs ---------------------------------------------------------------------------------

    def head(self) -> str:
        """The object name ``HEAD`` leads to (hex)."""
        target = "HEAD"
        for _ in range(MAX_REF_HOPS + 1):
            data = self.read(target, MAX_REF_BYTES, missing_ok=target != "HEAD")
            if data is None:
                data = self._packed(target)
            line = data.split(b"\n", 1)[0].strip()
            if line.startswith(b"ref:"):
                target = _ref_name(line[4:].strip())
                continue
            if len(line) in _HEX and _HEX[len(line)].fullmatch(line):
                self.width = len(line)
                return line.decode("ascii")
            raise CommitError(f".git/{target} names no commit")
        raise CommitError(f"HEAD leads through more than {MAX_REF_HOPS} symbolic refs")

    def _packed(self, ref: str) -> bytes:
        text = b"\n" + (self.read("packed-refs", MAX_PACKED_REFS, missing_ok=True) or b"") + b"\n"
        at = text.find(b" " + ref.encode() + b"\n")  # the line "<name> <ref>", found in one search
        if at < 0:
            raise CommitError(f"the branch {ref} has no commit yet")
        return text[text.rfind(b"\n", 0, at) + 1:at]

    # -- objects ------------------------------------------------------------------------------

    def commit(self, name: str) -> bytes:
        kind, body = self.object(name, 0)
        if kind != _COMMIT:
            raise CommitError("HEAD does not name a commit")
        return body

    def object(self, name: str, depth: int) -> tuple[int, bytes]:
        """(type, bytes) of the object ``name``: loose, else in a pack."""
        loose = self.read(f"objects/{name[:2]}/{name[2:]}", MAX_COMPRESSED_BYTES, missing_ok=True)
        if loose is not None:
            return _loose(loose)
        raw = bytes.fromhex(name)
        if raw not in self._found:  # each object is looked for once: a delta chain may name one again and again
            self._found[raw] = next(((pack, offset) for pack in self.packs()
                                     if (offset := pack.find(raw)) is not None), None)
        found = self._found[raw]
        if found is None:
            raise CommitError(f"the object {name[:12]} is not in the repository (nothing elsewhere is read)")
        return found[0].object_at(found[1], depth, self)

    def packs(self) -> list[_Pack]:
        if self._packs is None:
            folder = self.git / "objects" / "pack"
            try:
                if os.path.islink(self.git / "objects") or os.path.islink(folder):
                    raise CommitError(".git/objects is a link, which is not followed")
                with os.scandir(folder) as listing:
                    names = sorted(entry.name for _, entry in zip(range(4 * MAX_PACKS), listing)
                                   if entry.name.endswith(".idx"))
            except FileNotFoundError:
                names = []
            except OSError as error:
                raise CommitError(f".git/objects/pack cannot be read ({error.strerror})") from None
            self._packs = [_Pack(self, name[:-4]) for name in names[:MAX_PACKS]]
        return self._packs


def _ref_name(raw: bytes) -> str:
    """A ref name that is a plain relative path below ``refs/`` (nothing else is followed)."""
    try:
        name = raw.decode("ascii")
    except UnicodeDecodeError:
        raise CommitError("HEAD names a branch that is not plain text") from None
    parts = name.split("/")
    if parts[0] != "refs" or len(parts) < 2 or len(name) > 250 or not all(_REF_PART.fullmatch(p) for p in parts):
        raise CommitError(f"HEAD names {name[:60]!r}, which is not a branch")
    return name


def _inflate(data: bytes, limit: int) -> bytes:
    """``data`` inflated, at most ``limit`` bytes of it (more is an error: no object here is that large)."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise CommitError("an object is damaged (it does not inflate)") from None
    if len(out) > limit:
        raise CommitError(f"an object is larger than {limit} bytes")
    return out


def _loose(data: bytes) -> tuple[int, bytes]:
    raw = _inflate(data, MAX_OBJECT_BYTES + 32)
    header, nul, body = raw.partition(b"\0")
    kind, _, size = header.partition(b" ")
    kinds = {b"commit": _COMMIT, b"tree": _TREE, b"blob": _BLOB, b"tag": _TAG}
    if not nul or kind not in kinds or not size.isdigit() or len(size) > 8 or int(size) != len(body):
        raise CommitError("an object is damaged (its header does not match its content)")
    return kinds[kind], body


class _Pack:
    """One pack: its index (version 2) searched by bisection, its objects read at their offsets."""

    def __init__(self, store: _Store, stem: str) -> None:
        self.store, self.stem = store, stem
        self._fanout: list[int] | None = None

    def _file(self, suffix: str) -> tuple[Path, int]:
        relative = f"objects/pack/{self.stem}{suffix}"
        path = self.store.git / relative
        try:
            info = os.lstat(path)
        except OSError:
            raise CommitError(f".git/{relative} cannot be read") from None
        if not stat.S_ISREG(info.st_mode):
            raise CommitError(f".git/{relative} is not a file")
        return path, info.st_size

    def _at(self, suffix: str, offset: int, size: int) -> bytes:
        self.store.reads += 1
        if self.store.reads > MAX_READS:
            raise CommitError(f"its packs take more than {MAX_READS} reads to find one commit")
        path, total = self._file(suffix)
        if offset < 0 or offset + size > total:
            raise CommitError(f"a pack file is damaged (it ends before byte {offset + size})")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
            with os.fdopen(fd, "rb") as handle:
                handle.seek(offset)
                return handle.read(size)
        except OSError as error:
            raise CommitError(f"a pack file cannot be read ({error.strerror})") from None

    def find(self, raw: bytes) -> int | None:
        """The offset in the pack of the object named ``raw``, or None."""
        width = len(raw)
        if self._fanout is None:
            head = self._at(".idx", 0, 8 + 1024)
            if head[:8] != b"\xfftOc\x00\x00\x00\x02":
                raise CommitError("a pack index is not of version 2")
            fanout = [int.from_bytes(head[8 + 4 * i:12 + 4 * i], "big") for i in range(256)]
            if any(a > b for a, b in zip(fanout, fanout[1:])):
                raise CommitError("a pack index is damaged (its fan-out decreases)")
            _, size = self._file(".idx")
            if size < 8 + 1024 + fanout[-1] * (width + 8) + 2 * width:
                raise CommitError("a pack index is damaged (shorter than it says)")
            self._fanout = fanout
        fanout, count = self._fanout, self._fanout[-1]
        low, high = (fanout[raw[0] - 1] if raw[0] else 0), fanout[raw[0]]
        while low < high:  # bisection: a few dozen reads whatever the index's size
            middle = (low + high) // 2
            name = self._at(".idx", 8 + 1024 + middle * width, width)
            if name == raw:
                base = 8 + 1024 + count * (width + 4)
                offset = int.from_bytes(self._at(".idx", base + middle * 4, 4), "big")
                if offset & 0x80000000:
                    large = base + count * 4 + (offset & 0x7FFFFFFF) * 8
                    offset = int.from_bytes(self._at(".idx", large, 8), "big")
                return offset
            low, high = (middle + 1, high) if name < raw else (low, middle)
        return None

    def object_at(self, offset: int, depth: int, store: _Store) -> tuple[int, bytes]:
        if depth > MAX_DELTA_DEPTH:
            raise CommitError(f"a delta chain is longer than {MAX_DELTA_DEPTH}")
        if offset < 12:
            raise CommitError("a pack file is damaged (an object before its header)")
        _, total = self._file(".pack")
        chunk = self._at(".pack", offset, min(total - offset, MAX_COMPRESSED_BYTES))
        at, byte = 1, chunk[0] if chunk else 0
        kind, size, shift = (byte >> 4) & 7, byte & 15, 4
        while byte & 0x80:
            if at >= min(len(chunk), 10):
                raise CommitError("a pack file is damaged (an object's header)")
            byte = chunk[at]
            size |= (byte & 0x7F) << shift
            shift, at = shift + 7, at + 1
        if kind in (_COMMIT, _TREE, _BLOB, _TAG):
            if size > MAX_OBJECT_BYTES:
                raise CommitError(f"an object is larger than {MAX_OBJECT_BYTES} bytes")
            body = _inflate(chunk[at:], size)
            if len(body) != size:
                raise CommitError("a pack file is damaged (an object is shorter than it says)")
            return kind, body
        if kind == _OFS_DELTA:
            byte = chunk[at] if at < len(chunk) else 0
            back, at = byte & 0x7F, at + 1
            while byte & 0x80:
                if at >= min(len(chunk), 20):
                    raise CommitError("a pack file is damaged (a delta's base offset)")
                byte = chunk[at]
                back, at = ((back + 1) << 7) | (byte & 0x7F), at + 1
            if not 0 < back < offset:
                raise CommitError("a pack file is damaged (a delta's base is not before it)")
            base_kind, base = self.object_at(offset - back, depth + 1, store)
        elif kind == _REF_DELTA:
            name = chunk[at:at + store.width // 2]
            at += store.width // 2
            base_kind, base = store.object(name.hex(), depth + 1)
        else:
            raise CommitError(f"a pack file is damaged (an object of type {kind})")
        store.delta_bytes += size
        if store.delta_bytes > MAX_DELTA_BYTES:
            raise CommitError(f"its deltas hold more than {MAX_DELTA_BYTES} bytes")
        return base_kind, apply_delta(base, _inflate(chunk[at:], size))


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise CommitError("a delta is damaged (a size)")
        byte = data[at]
        value |= (byte & 0x7F) << shift
        shift, at = shift + 7, at + 1
        if not byte & 0x80:
            return value, at


def apply_delta(base: bytes, delta: bytes) -> bytes:
    """``base`` changed by git's ``delta`` (copies from the base and inserts), in one pass."""
    source, at = _varint(delta, 0)
    target, at = _varint(delta, at)
    if source != len(base):
        raise CommitError("a delta is damaged (its base has another size)")
    if target > MAX_OBJECT_BYTES:
        raise CommitError(f"an object is larger than {MAX_OBJECT_BYTES} bytes")
    out = bytearray()
    while at < len(delta):
        op = delta[at]
        at += 1
        if op & 0x80:  # copy: which of the offset's and size's bytes follow is in the op's bits
            offset = size = 0
            for bit in range(4):
                if op & (1 << bit):
                    if at >= len(delta):
                        raise CommitError("a delta is damaged (a copy)")
                    offset |= delta[at] << (8 * bit)
                    at += 1
            for bit in range(3):
                if op & (1 << (4 + bit)):
                    if at >= len(delta):
                        raise CommitError("a delta is damaged (a copy)")
                    size |= delta[at] << (8 * bit)
                    at += 1
            size = size or 0x10000
            if offset + size > len(base):
                raise CommitError("a delta is damaged (a copy beyond its base)")
            out += base[offset:offset + size]
        elif op:  # insert the next ``op`` bytes
            if at + op > len(delta):
                raise CommitError("a delta is damaged (an insert)")
            out += delta[at:at + op]
            at += op
        else:
            raise CommitError("a delta is damaged (a reserved instruction)")
        if len(out) > target:
            raise CommitError("a delta is damaged (longer than it says)")
    if len(out) != target:
        raise CommitError("a delta is damaged (shorter than it says)")
    return bytes(out)
