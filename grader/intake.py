"""Intake: take the expected files of a submission, checked, into the grader's hands.

Only the course's modules are taken, each checked here, in the trusted
process, without running it: a regular file (no symlink), not too large,
UTF-8, valid Python. A module that fails a check is left out and its problem
is recorded; the other modules are still graded. The sources are kept in
memory; they are written to a fresh private folder only for a worker that
reads files (a worker forked from a zygote receives them over its pipe).
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .messages import Text, t

PACKAGE = "submission"


@dataclass
class Intake:
    """The accepted sources of a submission, and the private folder they are written to when a worker needs files."""

    package: str
    problems: dict[str, Text] = field(default_factory=dict)  # module name -> message
    accepted: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> checked source text
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
    """(source, None) when acceptable, else (None, problem)."""
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
        source = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, t("intake.not_utf8", module=name, offset=error.start)
    try:
        compile(source, f"{name}.py", "exec", dont_inherit=True)
    except SyntaxError as error:
        return None, t("intake.syntax", module=name, line=error.lineno, error=error.msg)
    except (ValueError, RecursionError, MemoryError) as error:
        return None, t("intake.compile", module=name, error=type(error).__name__)
    return source, None


def take(submission: Path, modules: list[str], max_source_kb: int = 256) -> Intake:
    """Read and check ``modules`` of ``submission``; nothing of it runs (see the module's docstring)."""
    intake = Intake(package=PACKAGE)
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
        intake.sources[name] = source
        intake.accepted.append(name)
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
