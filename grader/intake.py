"""Intake: copy the expected files of a submission into a fresh private folder.

Only the course's modules are taken, each checked here, in the trusted
process, without running it: a regular file (no symlink), not too large,
UTF-8, valid Python. A module that fails a check is left out and its problem
is recorded; the other modules are still graded.
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
    root: Path  # holds the package folder ``PACKAGE``
    package: str
    problems: dict[str, Text] = field(default_factory=dict)  # module name -> message
    accepted: list[str] = field(default_factory=list)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


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
    """Copy ``modules`` of ``submission`` into a new private folder.

    Raises ``OSError`` with a readable message when the grader cannot write
    its own copy (a full disk): that is no fault of the submission.
    """
    root = Path(tempfile.mkdtemp(prefix="grader-sub-"))
    intake = Intake(root=root, package=PACKAGE)
    try:
        _copy(intake, submission, modules, max_source_kb)
    except OSError as error:
        intake.cleanup()
        raise OSError(error.errno, f"cannot copy the submission for grading ({error.strerror})", str(root)) from None
    return intake


def _copy(intake: Intake, submission: Path, modules: list[str], max_source_kb: int) -> None:
    os.chmod(intake.root, 0o755)  # the sandbox's unprivileged user must be able to read it
    package = intake.root / PACKAGE
    package.mkdir(mode=0o755)
    (package / "__init__.py").write_text("", encoding="utf-8")
    if not submission.is_dir():
        for name in modules:
            intake.problems[name] = t("intake.not_folder", path=str(submission))
        return
    for name in modules:
        source, problem = _check(submission / f"{name}.py", name, max_source_kb * 1024)
        if problem is not None:
            intake.problems[name] = problem
            continue
        assert source is not None
        target = package / f"{name}.py"
        target.write_text(source, encoding="utf-8")
        os.chmod(target, 0o644)
        intake.accepted.append(name)
