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
import tempfile
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..model.messages import Text, t
from .answers import ANSWERS_FILE, Answers, parse_notebook_cell, parse_yaml
from .answers import MAX_BYTES as MAX_ANSWER_BYTES
from .answers import NOTEBOOK_CELL as ANSWERS_CELL

PACKAGE = "submission"
# what reading a notebook or an archive may cost, checked before it is parsed: a notebook saved by Jupyter nests
# about ten levels and holds hundreds of cells; an exercise folder zipped holds tens of files
MAX_NOTEBOOK_DEPTH = 64
MAX_NOTEBOOK_CELLS = 5000
MAX_ARCHIVE_MEMBERS = 5000
MAX_ARCHIVE_DIRECTORY = 2 * 1024 * 1024  # bytes of the archive's central directory, read whole by zipfile
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
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
    problems: dict[str, Text] = field(default_factory=dict)  # module name -> message
    accepted: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> checked source text
    code: dict[str, bytes] = field(default_factory=dict)  # module name -> its code as checked, marshalled
    answers: Answers | None = None  # the answers to the unit's questions (None: none were given)
    answers_problem: Text | None = None  # why the answers given cannot be read
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
    strings do not count): the decoder recurses once per level, and a few thousand levels exhaust its stack."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    depth = deepest = 0
    for run in re.finditer(r"[\[{]+|[\]}]+", brackets):  # runs, not characters: a bomb is one long run
        step = len(run.group())
        depth += step if run.group()[0] in "[{" else -step
        deepest = max(deepest, depth)
    return deepest


def _notebook_cells(data: bytes, name: str, modules: list[str]) -> tuple[dict[str, str], Text | None]:
    """The answer cells of the notebook ``data`` (named ``name`` in messages), as module sources."""
    try:
        text = data.decode("utf-8")
        if nesting(text) > MAX_NOTEBOOK_DEPTH:
            return {}, t("intake.notebook_deep", path=name, limit=MAX_NOTEBOOK_DEPTH)
        cells = json.loads(text)["cells"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError) as error:
        return {}, t("intake.notebook", path=name, error=type(error).__name__)
    if isinstance(cells, list) and len(cells) > MAX_NOTEBOOK_CELLS:
        return {}, t("intake.notebook_cells", path=name, count=len(cells), limit=MAX_NOTEBOOK_CELLS)
    parts: dict[str, list[str]] = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        grade_id = ((cell.get("metadata") or {}).get("nbgrader") or {}).get("grade_id")
        if grade_id in modules:
            text = cell.get("source", "")
            parts.setdefault(grade_id, []).append("".join(text) if isinstance(text, list) else str(text))
    sources = {}
    for index, name in enumerate(modules):
        if name in parts:
            prelude = "".join(f"from .{before} import *  # noqa\n" for before in modules[:index] if before in parts)
            sources[name] = prelude + "\n\n".join(parts[name]) + "\n"
    return sources, None


def open_archive(path: Path) -> zipfile.ZipFile:
    """The zip archive at ``path``, opened once its end record shows a directory of bounded size (``zipfile``
    reads the whole directory into objects when it opens an archive). Raises ``Refused``, or the errors of a
    broken archive."""
    with open(path, "rb") as handle:
        size = handle.seek(0, os.SEEK_END)
        handle.seek(max(0, size - 22 - 65535))  # the end record: 22 bytes, then a comment of up to 64 KiB
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at >= 0 and len(tail) - at >= 22:
        members = int.from_bytes(tail[at + 10:at + 12], "little")
        directory = int.from_bytes(tail[at + 12:at + 16], "little")
        if members > MAX_ARCHIVE_MEMBERS or directory > MAX_ARCHIVE_DIRECTORY:
            raise Refused(t("intake.archive_members", path=path.name, limit=MAX_ARCHIVE_MEMBERS))
    return zipfile.ZipFile(path)


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
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode):
                    return None, t("answers.not_regular", where=ANSWERS_FILE)
                if info.st_size > MAX_ANSWER_BYTES:
                    return None, t("answers.large", where=ANSWERS_FILE, size=info.st_size // 1024,
                                   limit=MAX_ANSWER_BYTES // 1024)
                return parse_yaml(path.read_bytes())
    except Refused:
        return None, None  # the modules' reading says why
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError, EOFError, RecursionError):
        return None, t("answers.unreadable", where=ANSWERS_FILE)
    return None, None


def take(submission: Path, modules: list[str], max_source_kb: int = 256, answers: bool = False) -> Intake:
    """Read and check ``modules`` of ``submission`` (and, with ``answers``, its answers to the unit's
    questions); nothing of it runs (see the module's docstring). A submission that cannot be read at all, for
    a reason no check foresaw, is one problem for every module: it scores 0 and says why; grading goes on."""
    try:
        return _take(submission, modules, max_source_kb, answers)
    except (OSError, ValueError, RecursionError, MemoryError, zipfile.BadZipFile, EOFError) as error:
        intake = Intake(package=PACKAGE)
        for name in modules:
            intake.problems[name] = t("intake.failed", error=type(error).__name__)
        return intake


def _take(submission: Path, modules: list[str], max_source_kb: int, answers: bool) -> Intake:
    intake = Intake(package=PACKAGE)
    given = submission
    submission = locate(submission, modules)
    if answers:
        intake.answers, intake.answers_problem = _answers_of(given, submission)
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
