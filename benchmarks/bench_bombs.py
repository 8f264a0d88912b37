"""What the bombs of a hostile class cost `grader grade-all`: the same class graded with and without them.

A class of the conv unit (in a copy of the course with a late policy, so that commit times matter): 20 honest
students (every correct style, each with their own numbers' answers, each a git repository committed on time),
2 planted copies (a style with the same passage of their own added), and, with ``--bombs``, one submission for
each way a student once hung, crashed or commanded the grader's side:

- ``git_command``: a repository whose settings run a command when git fetches a missing commit lazily;
- ``git_far_future``: a commit dated 10^18 seconds after 1970;
- ``git_odd_zone``: a commit whose zone is ``+2400``;
- ``answer_tower``: ``relu_value: (((((2/3)^64)^64)^64)^64)^64``, 30 characters;
- ``quotes.ipynb``: a quote, then 300,000 escaped quotes (600 KB);
- ``members.zip``: 100,000 members, a zip64 record declaring them and a plain record claiming 4;
- ``malformed.ipynb``: a code cell whose ``metadata`` is a list;
- ``ragged``: ``architecture_nmk: [[1, 2], [1], 2]``.

``build(folder, bombs)`` makes the class (returns what each bomb must be said to be); ``course(folder)`` the
course copy. Grades both classes with ``--submitted-at git`` and similarity on, ``--repeat`` times, interleaved,
and prints each time and their ratio (the goal: at most 2).

    python benchmarks/bench_bombs.py [--repeat 3] [--jobs N]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.kit.questions import answer_key  # noqa: E402
from grader.model.course import Unit, load_course  # noqa: E402

LATE = "    late: {due: 2026-12-01T23:59:00+08:00, penalty: {per: day, percent: 10}}\n"
PLANTED = '''

def _check_the_window_sums(layer, sample):
    """Added by hand, and copied: a passage no one else wrote."""
    totals = []
    for depth in range(len(sample)):
        running = 0.0
        for row in sample[depth]:
            for cell in row:
                running = running + float(cell) * 0.5 + float(cell) * 0.5
        totals.append(running)
    checked = [round(total, 6) for total in totals]
    if any(value != value for value in checked):
        raise ValueError("a window sum is not a number")
    return checked
'''
GIT_ENV = {"PATH": os.environ.get("PATH", ""), "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "s", "GIT_AUTHOR_EMAIL": "s@x",
           "GIT_COMMITTER_NAME": "s", "GIT_COMMITTER_EMAIL": "s@x", "GIT_COMMITTER_DATE": "2026-12-01T20:00:00+08:00",
           "GIT_AUTHOR_DATE": "2026-12-01T20:00:00+08:00"}


def course(folder: Path) -> Path:
    """A copy of the course whose conv unit has a late policy (only what grading reads is copied)."""
    root = folder / "course"
    root.mkdir(parents=True)
    for part in ("solutions", "exercises", "tests/units"):
        shutil.copytree(ROOT / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    text = (ROOT / "course.yaml").read_text(encoding="utf-8")
    (root / "course.yaml").write_text(text.replace("  - id: conv\n", "  - id: conv\n" + LATE, 1), encoding="utf-8")
    return root


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, env=GIT_ENV, check=True, capture_output=True).stdout.decode()


def _commit(repo: Path) -> None:
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "my work")


def _plant_commit(repo: Path, committer: str) -> None:
    """Make HEAD a commit whose committer line ends with ``committer`` (written as a loose object)."""
    tree = _git(repo, "log", "-1", "--format=%T").strip()
    body = f"tree {tree}\nauthor s <s@x> 1764590400 +0800\ncommitter s <s@x> {committer}\n\nwork\n".encode()
    raw = b"commit %d\0" % len(body) + body
    name = hashlib.sha1(raw).hexdigest()
    (repo / ".git" / "objects" / name[:2]).mkdir(exist_ok=True)
    (repo / ".git" / "objects" / name[:2] / name[2:]).write_bytes(zlib.compress(raw))
    (repo / ".git" / "HEAD").write_text(name + "\n")


def _student(unit: Unit, source: Path, target: Path, answers: dict[str, object] | None = None) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "answers.yaml"))
    key = answer_key(unit, target.name)
    key.update(answers or {})
    (target / "answers.yaml").write_text(yaml.safe_dump(key, allow_unicode=True), encoding="utf-8")
    return target


def _members_zip(path: Path, count: int, claimed: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"f{index}", b"")
    data = buffer.getvalue()
    at = data.rindex(b"PK\x05\x06")
    _, _, _, _, _, size, offset, _ = struct.unpack_from("<4s4H2LH", data, at)
    wide = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, claimed, claimed, size, offset, 0)
    path.write_bytes(data[:at] + wide + locator + end)


def build(folder: Path, course_root: Path, bombs: bool) -> dict[str, str]:
    """The class in ``folder``; with ``bombs``, returns each bomb's name and a fragment of what must be said of it
    (on the terminal or in its report)."""
    unit = load_course(course_root).unit("conv")
    styles = course_root / "tests" / "units" / "conv" / "styles"
    sources = [unit.source_dir, *sorted(p for p in styles.iterdir() if p.is_dir())]
    folder.mkdir(parents=True)
    for index in range(20):
        _commit(_student(unit, sources[index % len(sources)], folder / f"honest{index:02}"))
    for name in ("copy_a", "copy_b"):
        target = _student(unit, sources[1], folder / name)
        (target / "conv_layer.py").write_text((target / "conv_layer.py").read_text() + PLANTED)
        _commit(target)
    if not bombs:
        return {}
    trapped = _student(unit, unit.source_dir, folder / "git_command")
    _commit(trapped)
    marker = folder.parent / "PWNED"
    for key, value in (("extensions.partialClone", "origin"), ("remote.origin.promisor", "true"),
                       ("remote.origin.url", "/nonexistent"),
                       ("remote.origin.uploadpack", f"sh -c 'touch {marker}; exit 1' #")):
        _git(trapped, "config", key, value)
    (trapped / ".git" / "HEAD").write_text("1" * 40 + "\n")
    for name, committer in (("git_far_future", "1000000000000000000 +0000"), ("git_odd_zone", "1764590400 +2400")):
        repo = _student(unit, unit.source_dir, folder / name)
        _commit(repo)
        _plant_commit(repo, committer)
    _commit(_student(unit, unit.source_dir, folder / "answer_tower",
                     {"relu_value": "(((((2/3)^64)^64)^64)^64)^64"}))
    _commit(_student(unit, unit.source_dir, folder / "ragged", {"architecture_nmk": [[1, 2], [1], 2]}))
    (folder / "quotes.ipynb").write_text('"' + '\\"' * 300_000)
    _members_zip(folder / "members.zip", 100_000, 4)
    (folder / "malformed.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": [1], "source": "x = 1\n"}], "metadata": {}, "nbformat": 4}))
    return {
        "git_command": "git_command: no usable commit time (the object 111111111111 is not in the repository",
        "git_far_future": "git_far_future: no usable commit time (the commit's time '1000000000000000000' is no "
                          "usable time)",
        "git_odd_zone": "git_odd_zone: no usable commit time (the commit's time zone '+2400' is not one)",
        "answer_tower": "needs numbers of more than 614 digits to work out exactly",
        "ragged": "should have rows of one length",
        "quotes": "cannot be read (JSONDecodeError)",
        "members": "its zip64 record and its end record disagree",
        "malformed": "cells[0].metadata should be an object",
    }


def grade_all(course_root: Path, folder: Path, out: Path,
              jobs: int | None) -> tuple[float, subprocess.CompletedProcess[str]]:
    command = [sys.executable, "-m", "grader", "--course", str(course_root), "grade-all", str(folder), "--out",
               str(out), "--unit", "conv", "--submitted-at", "git", "--similarity-common", "3", "--force"]
    if jobs:
        command += ["--jobs", str(jobs)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
    return time.perf_counter() - started, done


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=None)
    args = parser.parse_args()
    plain_times, bomb_times = [], []
    with tempfile.TemporaryDirectory(prefix="bench-bombs-") as temp:
        root = course(Path(temp))
        build(Path(temp) / "plain", root, bombs=False)
        build(Path(temp) / "bombs", root, bombs=True)
        for _ in range(max(1, args.repeat)):
            for name, times in (("plain", plain_times), ("bombs", bomb_times)):
                seconds, done = grade_all(root, Path(temp) / name, Path(temp) / f"out_{name}", args.jobs)
                if done.returncode != 0:
                    print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                    return 1
                times.append(seconds)
    plain, bombs = statistics.median(plain_times), statistics.median(bomb_times)
    print(f"22 students (20 honest, 2 copies): {plain:.1f} s; with the 8 bombs: {bombs:.1f} s "
          f"(median of {len(plain_times)}; {min(plain_times):.1f} to {max(plain_times):.1f} and "
          f"{min(bomb_times):.1f} to {max(bomb_times):.1f})")
    print(f"ratio: {bombs / plain:.2f} (the goal: at most 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
