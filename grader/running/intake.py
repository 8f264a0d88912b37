"""Intake: take the expected files of a submission, checked, into the grader's hands.

Only the course's modules are taken, each checked here, in the trusted
process, without running it: a regular file (no symlink), not too large,
UTF-8, valid Python. A module that fails a check is left out and its problem
is recorded; the other modules are still graded. The sources are kept in
memory; they are written to a fresh private folder only for a worker that
reads files (a worker forked from a zygote receives them over its pipe, with
the code compiled here, so that it need not compile them again).
"""

from __future__ import annotations

import json
import marshal
import os
import re
import shutil
import stat
import struct
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..model.messages import Text, t
from .answers import ANSWERS_FILE, Answers, parse_notebook_cell, parse_yaml, read_answers_file
from .answers import MAX_BYTES as MAX_ANSWER_BYTES
from .answers import NOTEBOOK_CELL as ANSWERS_CELL

PACKAGE = "submission"
# what reading a notebook or an archive may cost, checked before it is parsed: a notebook saved by Jupyter nests
# about ten levels and holds hundreds of cells; an exercise folder zipped holds tens of files
MAX_NOTEBOOK_DEPTH = 64
MAX_NOTEBOOK_CELLS = 5000
MAX_ARCHIVE_MEMBERS = 5000
MAX_ARCHIVE_DIRECTORY = 2 * 1024 * 1024  # bytes of the archive's central directory, read whole by zipfile
# A JSON string, or an unterminated one up to the end of the text. Written so that a match never gives back what
# it took: whatever follows the escapes and plain runs is a quote, the end, or a backslash at the very end, so
# every quote starts at most one scan and the whole text is read once (a pattern that had to find the closing
# quote rescanned the rest of the text from every quote of an unterminated string: 80 KB took a minute).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")


class Refused(Exception):
    """A notebook or archive that is not read, and why (a message for the student)."""

    def __init__(self, problem: Text) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass
class Intake:
    """The accepted sources of a submission, and the private folder they are written to when a worker needs files."""

    package: str
    notes: dict[str, str] = field(default_factory=dict)  # a notebook's graded Markdown cells: grade id -> text
    accepted: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> checked source text
    code: dict[str, bytes] = field(default_factory=dict)  # module name -> its code as checked, marshalled
    answers: Answers | None = None  # the answers to the unit's questions (None: none were given)
    answers_problem: Text | None = None  # why the answers given cannot be read
    problems: dict[str, Text] = field(default_factory=dict)  # module name -> message
    _root: Path | None = None

    @property
    def root(self) -> Path:
        """The private folder holding the package folder ``PACKAGE`` (written on first use)."""
        if self._root is None:
            self._root = _write(self)
        return self._root

    def cleanup(self) -> None:
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)


def _check(path: Path, name: str, max_bytes: int) -> tuple[str | None, Text | None]:
    """(source, None) when the file is there and readable as text, else (None, problem)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None, t("intake.missing", module=name)
    except OSError as error:
        return None, t("intake.unreadable", module=name, reason=error.strerror)
    if stat.S_ISLNK(info.st_mode):
        return None, t("intake.symlink", module=name)
    if not stat.S_ISREG(info.st_mode):
        return None, t("intake.not_regular", module=name)
    if info.st_size > max_bytes:
        return None, t("intake.too_large", module=name, size=info.st_size // 1024, limit=max_bytes // 1024)
    try:
        with open(path, "rb") as handle:  # no O_NOFOLLOW race matters: checked a regular file above
            raw = handle.read(max_bytes + 1)
    except OSError as error:
        return None, t("intake.unreadable", module=name, reason=error.strerror)
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as error:
        return None, t("intake.not_utf8", module=name, offset=error.start)


def _accept(intake: Intake, name: str, source: str, max_bytes: int) -> None:
    """Take ``source`` as the module ``name`` if it compiles; else record why not."""
    checked = _check_text(source, name, max_bytes)
    if isinstance(checked, Text):
        intake.problems[name] = checked
        return
    intake.sources[name] = source
    if checked:
        intake.code[name] = checked
    intake.accepted.append(name)


def _check_text(source: str, name: str, max_bytes: int) -> bytes | Text:
    """The module's code, marshalled (a worker forked warm runs it without compiling it again; empty when the
    compiler warned), or why ``source`` cannot be a module. Compiled as a worker would: no optimization, no
    inherited future flags."""
    if len(source.encode("utf-8")) > max_bytes:
        return t("intake.too_large", module=name, size=len(source.encode("utf-8")) // 1024, limit=max_bytes // 1024)
    try:
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            code = compile(source, f"{name}.py", "exec", dont_inherit=True, optimize=0)
    except SyntaxError as error:
        return t("intake.syntax", module=name, line=error.lineno, error=error.msg)
    except (ValueError, RecursionError, MemoryError) as error:
        return t("intake.compile", module=name, error=type(error).__name__)
    # A warning of the compiler (an invalid escape, say) is for the student to see: the worker compiles that
    # module itself, and what it prints is the student's output.
    return b"" if warned else marshal.dumps(code)


def locate(submission: Path, modules: list[str]) -> Path:
    """Where the modules are: the folder itself, else its one notebook, else its one sub-folder holding them.

    Students upload in many shapes (the files, the ``exercises`` folder, a notebook); all are graded the same.
    """
    if not submission.is_dir() or any((submission / f"{name}.py").exists() for name in modules):
        return submission
    notebooks = [p for p in submission.iterdir() if p.suffix == ".ipynb" and p.is_file() and not p.is_symlink()]
    folders = [p for p in submission.iterdir() if p.is_dir() and not p.is_symlink()
               and any((p / f"{name}.py").exists() for name in modules)]
    if len(notebooks) == 1 and not folders:
        return notebooks[0]
    if len(folders) == 1 and not notebooks:
        return folders[0]
    return submission


def _notebook_sources(path: Path, modules: list[str], max_bytes: int) -> tuple[dict[str, str], Text | None]:
    """The modules a notebook holds: code cells whose nbgrader ``grade_id`` is a module's name, in order.

    In a notebook every cell shares one namespace; as modules, each one gets the
    names of the modules before it (``from .activators import *``).
    """
    try:
        size, limit = os.lstat(path).st_size, max_bytes * len(modules)
        if size > limit:
            return {}, t("intake.too_large", module=path.stem, size=size // 1024, limit=limit // 1024)
        data = path.read_bytes()
    except OSError as error:
        return {}, t("intake.notebook", path=path.name, error=type(error).__name__)
    return _notebook_cells(data, path.name, modules)


def nesting(text: str) -> int:
    """How deep the arrays and objects of the JSON ``text`` nest, counted without parsing it (brackets inside
    strings do not count): the decoder recurses once per level, and a few thousand levels exhaust its stack.
    Linear in the length of the text, whatever it holds (see ``_JSON_STRING``)."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for run in re.finditer(r"[\[{]+|[\]}]+", brackets):  # runs, not characters: a bomb is one long run
        step = len(run.group())
        depth += step if run.group()[0] in "[{" else -step
        deepest = max(deepest, depth)
    return deepest


def _notebook_cells(data: bytes, name: str, modules: list[str], kind: str = "code") -> tuple[dict[str, str],
                                                                                           Text | None]:
    """The answer cells of the notebook ``data`` (named ``name`` in messages), as module sources.

    Its size and nesting are checked before it is parsed; then the fields read of each code cell are checked to
    be of the types nbformat gives them (``metadata`` and ``nbgrader`` objects, ``grade_id`` text, ``source``
    text or a list of texts): a notebook that breaks one is refused, naming the cell and the field.
    """
    try:
        text = data.decode("utf-8")
        if nesting(text) > MAX_NOTEBOOK_DEPTH:
            return {}, t("intake.notebook_deep", path=name, limit=MAX_NOTEBOOK_DEPTH)
        notebook = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return {}, t("intake.notebook", path=name, error=type(error).__name__)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return {}, t("intake.notebook_form", path=name, where="cells", expected=t("json.list"))
    if len(cells) > MAX_NOTEBOOK_CELLS:
        return {}, t("intake.notebook_cells", path=name, count=len(cells), limit=MAX_NOTEBOOK_CELLS)
    parts: dict[str, list[str]] = {}
    for number, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != kind:
            continue
        found = _answer_cell(cell)
        if isinstance(found, Malformed):
            return {}, t("intake.notebook_form", path=name, where=f"cells[{number}].{found.field}",
                         expected=t(f"json.{found.expected}"))
        if found is not None and found.grade_id in modules:
            parts.setdefault(found.grade_id, []).append(found.source)
    if kind != "code":  # text cells (open answers): their text, as it is
        return {grade_id: "\n\n".join(texts) for grade_id, texts in parts.items()}, None
    sources = {}
    for index, module in enumerate(modules):
        if module in parts:
            prelude = "".join(f"from .{before} import *  # noqa\n" for before in modules[:index] if before in parts)
            sources[module] = prelude + "\n\n".join(parts[module]) + "\n"
    return sources, None


class AnswerCell(NamedTuple):
    grade_id: str
    source: str


class Malformed(NamedTuple):
    field: str
    expected: str


def _answer_cell(cell: dict[str, Any]) -> AnswerCell | Malformed | None:
    """A code cell's grade id and source when nbgrader marks it, None when it does not, or the field that is not
    of its type."""
    metadata = cell.get("metadata", {})
    if not isinstance(metadata, dict):
        return Malformed("metadata", "object")
    marks = metadata.get("nbgrader", {})
    if not isinstance(marks, dict):
        return Malformed("metadata.nbgrader", "object")
    grade_id = marks.get("grade_id")
    if grade_id is None:
        return None
    if not isinstance(grade_id, str):
        return Malformed("metadata.nbgrader.grade_id", "text")
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    if not isinstance(source, str):
        return Malformed("source", "source")
    return AnswerCell(grade_id, source)


_END = struct.Struct("<4s4H2LH")  # the end of central directory record
_LOCATOR = struct.Struct("<4sLQL")  # the zip64 end record's locator, just before the end record
_END64 = struct.Struct("<4sQ2H2L4Q")  # the zip64 end record (without extensible data), just before its locator


def end_record(handle: BinaryIO, name: str) -> tuple[int, int]:
    """(members, bytes of the central directory) that the archive in ``handle`` declares, found where
    ``zipfile`` finds them and cross-checked before they are trusted:

    - the end record is at the very end when it has no comment, else the last one within a comment's reach
      (``zipfile``'s order), and its comment must end exactly where the archive does (so the signature spelled
      inside another record's fields is never taken for it);
    - a zip64 record (just before its locator, which must point at it) must agree with the plain record, each of
      whose counts is either the same or the "see zip64" mark; one archive, on one disk.

    Raises ``Refused`` when the records disagree, ``zipfile.BadZipFile`` when there is no end record.
    """
    size = handle.seek(0, os.SEEK_END)
    start = max(0, size - _END.size - 65535)  # the end record, then a comment of up to 64 KiB
    handle.seek(start)
    tail = handle.read()
    if len(tail) >= _END.size and tail[-_END.size:-_END.size + 4] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = len(tail) - _END.size
    else:
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END.size:
            raise zipfile.BadZipFile("no end of central directory record")
    _, disk, first_disk, here, members, directory, offset, comment = _END.unpack_from(tail, at)
    if at + _END.size + comment != len(tail):
        raise Refused(t("intake.archive_inconsistent", path=name, why=t("archive.end_misplaced")))
    record_at = start + at
    if record_at >= _LOCATOR.size:
        handle.seek(record_at - _LOCATOR.size)
        locator = handle.read(_LOCATOR.size)
        if locator[:4] == b"PK\x06\x07":
            wide_at = record_at - _LOCATOR.size - _END64.size
            if wide_at < 0 or _LOCATOR.unpack(locator)[2] != wide_at:
                raise Refused(t("intake.archive_inconsistent", path=name, why=t("archive.locator")))
            handle.seek(wide_at)
            (signature, _, _, _, disk64, first64, here64, members64, directory64,
             offset64) = _END64.unpack(handle.read(_END64.size))
            pairs = ((disk, 0xFFFF, disk64), (first_disk, 0xFFFF, first64), (here, 0xFFFF, here64),
                     (members, 0xFFFF, members64), (directory, 0xFFFFFFFF, directory64),
                     (offset, 0xFFFFFFFF, offset64))
            if signature != b"PK\x06\x06" or not all(plain in (mark, wide) for plain, mark, wide in pairs):
                raise Refused(t("intake.archive_inconsistent", path=name,
                                why=t("archive.zip64")))
            disk, first_disk, here, members, directory = disk64, first64, here64, members64, directory64
    if disk or first_disk or here != members:
        raise Refused(t("intake.archive_inconsistent", path=name, why=t("archive.disks")))
    return members, directory


def open_archive(path: Path) -> zipfile.ZipFile:
    """The zip archive at ``path``, opened once its end records (``end_record``) show a directory of bounded size
    (``zipfile`` reads the whole directory into objects when it opens an archive), and kept only when the
    directory holds as many members as the records declare. Raises ``Refused``, or the errors of a broken
    archive."""
    with open(path, "rb") as handle:
        members, directory = end_record(handle, path.name)
        finder = getattr(zipfile, "_EndRecData", None)  # where zipfile's own reading can be asked, it must agree
        if finder is not None:
            theirs = finder(handle)
            if theirs is None or (theirs[4], theirs[5]) != (members, directory):
                raise Refused(t("intake.archive_inconsistent", path=path.name, why=t("archive.two_ways")))
    if members > MAX_ARCHIVE_MEMBERS or directory > MAX_ARCHIVE_DIRECTORY:
        raise Refused(t("intake.archive_members", path=path.name, limit=MAX_ARCHIVE_MEMBERS))
    archive = zipfile.ZipFile(path)
    if len(archive.infolist()) != members:
        found = len(archive.infolist())
        archive.close()
        raise Refused(t("intake.archive_inconsistent", path=path.name,
                        why=t("archive.count", found=found, declared=members)))
    return archive


def read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bytes:
    """The bytes of ``member``, inflated no further than the size it declares (checked against its limit by the
    caller): ``ZipFile.read`` inflates up to 2 GiB before it cuts to that size, so a member that lies about its
    size would cost that much memory. One that inflates to more, or to other bytes, fails its CRC check."""
    with archive.open(member) as handle:
        data = handle.read(member.file_size + 1)
        if len(data) > member.file_size or handle.read(1):
            raise zipfile.BadZipFile(f"{member.filename} holds more than it declares")
    return data


def _zip_sources(path: Path, modules: list[str], max_bytes: int) -> tuple[dict[str, str | Text], Text | None]:
    """The modules of a zip archive, read in memory (nothing is extracted): for each, the shallowest member
    named ``<module>.py``, or else a notebook's answer cells. Oversized members and broken archives are refused.
    A member is inflated no further than the size it declares (see ``read_member``).
    """
    try:
        with open_archive(path) as archive:
            members = [m for m in archive.infolist()[:1000] if not m.is_dir()]
            found: dict[str, zipfile.ZipInfo] = {}
            for member in sorted(members, key=lambda m: m.filename.count("/")):
                base = member.filename.rpartition("/")[2]
                if base.endswith(".py") and base[:-3] in modules and base[:-3] not in found:
                    found[base[:-3]] = member
            notebooks = [m for m in members if m.filename.endswith(".ipynb")]
            if not found and len(notebooks) == 1 and notebooks[0].file_size <= max_bytes * len(modules):
                cells, problem = _notebook_cells(read_member(archive, notebooks[0]), notebooks[0].filename, modules)
                return dict(cells), problem
            sources: dict[str, str | Text] = {}
            for name, member in found.items():  # one module too large is that module's problem, as in a folder
                if member.file_size > max_bytes:
                    sources[name] = t("intake.too_large", module=name, size=member.file_size // 1024,
                                      limit=max_bytes // 1024)
                else:
                    sources[name] = read_member(archive, member).decode("utf-8")
    except Refused as refused:
        return {}, refused.problem
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError, RuntimeError, ValueError, EOFError) as error:
        return {}, t("intake.archive", path=path.name, error=type(error).__name__)
    return sources, None


def _answers_of(given: Path, located: Path) -> tuple[Answers | None, Text | None]:
    """The answers a submission holds (``answers.yaml`` at its root, or a notebook's answers cell)."""
    try:
        if located.is_file() and located.suffix == ".ipynb" and not located.is_symlink():
            if located.stat().st_size > 64 * MAX_ANSWER_BYTES:
                return None, None  # the modules' reading has said the notebook is too large
            cells, problem = _notebook_cells(located.read_bytes(), located.name, [ANSWERS_CELL])
            if problem is not None or ANSWERS_CELL not in cells:
                return None, None
            return parse_notebook_cell(cells[ANSWERS_CELL], f"{located.name}: {ANSWERS_CELL}")
        if located.is_file() and located.suffix == ".zip" and not located.is_symlink():
            with open_archive(located) as archive:
                members = [m for m in archive.infolist()[:1000] if m.filename.rpartition("/")[2] == ANSWERS_FILE]
                if not members:
                    return None, None
                member = min(members, key=lambda m: m.filename.count("/"))
                if member.file_size > MAX_ANSWER_BYTES:
                    return None, t("answers.large", where=ANSWERS_FILE, size=member.file_size // 1024,
                                   limit=MAX_ANSWER_BYTES // 1024)
                return parse_yaml(read_member(archive, member))
        for folder in dict.fromkeys((given, located)):
            path = folder / ANSWERS_FILE
            if folder.is_dir() and (path.exists() or path.is_symlink()):
                return read_answers_file(path)
    except Refused:
        return None, None  # the modules' reading says why
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError, RecursionError):
        return None, t("answers.unreadable", where=ANSWERS_FILE)
    return None, None


def take(submission: Path, modules: list[str], max_source_kb: int = 256, answers: bool = False,
         text_ids: tuple[str, ...] = ()) -> Intake:
    """Read and check ``modules`` of ``submission`` (and, with ``answers``, its answers to the unit's
    questions); nothing of it runs (see the module's docstring). A submission that cannot be read at all, for
    a reason no check foresaw (an error of a reader included), is one problem for every module: it scores 0 and
    says why; grading goes on."""
    try:
        return _take(submission, modules, max_source_kb, answers, text_ids)
    except Exception as error:  # noqa: BLE001 - whatever a submission makes a reader raise is that submission's
        intake = Intake(package=PACKAGE)
        for name in modules:
            intake.problems[name] = t("intake.failed", error=type(error).__name__)
        return intake


def _take(submission: Path, modules: list[str], max_source_kb: int, answers: bool,
          text_ids: tuple[str, ...]) -> Intake:
    intake = Intake(package=PACKAGE)
    given = submission
    submission = locate(submission, modules)
    if answers:
        intake.answers, intake.answers_problem = _answers_of(given, submission)
        if submission.suffix == ".ipynb" and submission.is_file() and not submission.is_symlink() and \
                submission.stat().st_size <= 64 * MAX_ANSWER_BYTES:
            intake.notes = _notebook_cells(submission.read_bytes(), submission.name, list(text_ids), "markdown")[0]
    packed = submission.suffix in (".ipynb", ".zip") and submission.is_file() and not submission.is_symlink()
    if packed:
        sources: dict[str, str | Text]
        if submission.suffix == ".zip":
            sources, problem = _zip_sources(submission, modules, max_source_kb * 1024)
        else:
            notebook, problem = _notebook_sources(submission, modules, max_source_kb * 1024)
            sources = dict(notebook)
        for name in modules:
            found = sources.get(name)
            if problem is not None:
                intake.problems[name] = problem
            elif isinstance(found, Text):
                intake.problems[name] = found
            elif found is None and submission.suffix == ".zip":
                intake.problems[name] = t("intake.missing", module=name)
            elif found is None:
                intake.problems[name] = t("intake.notebook_missing", module=name, path=submission.name)
            else:
                _accept(intake, name, found, max_source_kb * 1024)
        return intake
    if not submission.is_dir():
        for name in modules:
            intake.problems[name] = t("intake.not_folder", path=str(submission))
        return intake
    for name in modules:
        source, problem = _check(submission / f"{name}.py", name, max_source_kb * 1024)
        if problem is not None:
            intake.problems[name] = problem
            continue
        assert source is not None
        _accept(intake, name, source, max_source_kb * 1024)
    return intake


def _write(intake: Intake) -> Path:
    """Copy the accepted sources into a new private folder, readable by the sandbox's unprivileged user.

    Raises ``OSError`` with a readable message when the grader cannot write
    its own copy (a full disk): that is no fault of the submission.
    """
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    try:
        os.chmod(root, 0o755)
        package = root / intake.package
        package.mkdir(mode=0o755)
        (package / "__init__.py").write_text("", encoding="utf-8")
        for name, source in intake.sources.items():
            target = package / f"{name}.py"
            target.write_text(source, encoding="utf-8")
            os.chmod(target, 0o644)
    except OSError as error:
        shutil.rmtree(root, ignore_errors=True)
        raise OSError(error.errno, f"cannot copy the submission for grading ({error.strerror})", str(root)) from None
    return root
