"""What the bombs of a hostile class cost `grader grade-all`: the same class graded with and without them.

A class of the conv unit (in a copy of the course with a late policy, so that commit times matter): 40 honest
students (every correct style, each with their own numbers' answers, each a git repository committed on time),
2 planted copies (a style with the same passage of their own added), and, with ``--bombs``, one submission for
each way a student once hung, crashed, commanded the grader's side or got a wrong grade:

- ``git_command``: a repository whose settings run a command when git fetches a missing commit lazily;
- ``git_far_future``: a commit dated 10^18 seconds after 1970;
- ``git_odd_zone``: a commit whose zone is ``+2400``;
- ``git_packs``: 254 sparse pack indexes claiming 2^31 objects each, and a commit that is a delta of itself;
- ``answer_tower``: ``relu_value: (((((2/3)^64)^64)^64)^64)^64``, 30 characters;
- ``answer_tag``: ``relu_value: !!timestamp "x"`` (it zeroed the whole submission);
- ``answer_digits``: ``fewer_parameters:`` 4,000 digits, and an open answer of 4,000 hex digits;
- ``surrogates``: a lone surrogate in an open answer and in the message of an exception the code raises (it
  stopped the grader);
- ``quotes.ipynb``: a quote, then 300,000 escaped quotes (600 KB);
- ``members.zip``: 100,000 members, a zip64 record declaring them and a plain record claiming 4;
- ``bzip2.zip``, ``lzma.zip``: a member of a few hundred bytes that declares 10 and inflates to 64 MiB;
- ``huge.zip``: 65 MiB (sparse);
- ``malformed.ipynb``: a code cell whose ``metadata`` is a list;
- ``ragged``: ``architecture_nmk: [[1, 2], [1], 2]``;
- ``data_beside``: the exercise folder beside a data folder of 2,000 files and 40 sparse files of 64 MiB;
- ``future.ipynb``: the notebook, each cell beginning with ``from __future__ import annotations`` (it scored 28);
- ``data_zip.zip``: the exercise folder zipped beside 60 MiB of data that does not compress (under the 64 MiB an
  archive may have, it scored 0: sending it to the sandbox took time growing with the square of its size).

``build(folder, bombs)`` makes the class (returns what each bomb must be said to be, and which bombs must
score full marks all the same); ``course(folder)`` the course copy. Grades both classes with ``--submitted-at
git`` and similarity on, ``--repeat`` times, interleaved, and prints each time and their ratio (the goal: at
most 2).

    python benchmarks/bench_bombs.py [--repeat 3] [--jobs N] [--honest 40]
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


def _student(unit: Unit, source: Path, target: Path, answers: dict[str, object] | None = None,
             student: str | None = None) -> Path:
    """``source`` as the submission ``target`` of ``student`` (default: the folder's name), with their answers."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "answers.yaml"))
    key = answer_key(unit, student or target.name)
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


def _declaring(data: bytes, size: int) -> bytes:
    """A one-member archive whose member now declares ``size`` bytes (local header and directory)."""
    patched = bytearray(data)
    struct.pack_into("<L", patched, patched.find(b"PK\x03\x04") + 22, size)
    struct.pack_into("<L", patched, patched.find(b"PK\x01\x02") + 24, size)
    return bytes(patched)


def _packed_bomb(path: Path, method: int) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as archive:
        archive.writestr("activators.py", b"\0" * (64 << 20))
    path.write_bytes(_declaring(buffer.getvalue(), 10))


def _hostile_packs(repo: Path, packs: int = 254) -> None:
    """HEAD: a commit stored as a delta based on itself, in a pack sorted after ``packs`` sparse indexes that
    claim 2^31 objects each (every lookup bisects each of them)."""
    tree = _git(repo, "log", "-1", "--format=%T").strip()
    body = f"tree {tree}\nauthor s <s@x> 1764590400 +0800\ncommitter s <s@x> 1764590400 +0800\n\nwork\n".encode()
    name = hashlib.sha1(b"commit %d\0" % len(body) + body).hexdigest()
    delta = bytes([len(body) & 0x7F]) + bytes([len(body) & 0x7F]) if len(body) < 128 else b""
    record = bytes([(7 << 4) | (len(delta) & 15)]) + bytes.fromhex(name) + zlib.compress(delta)
    pack = b"PACK" + struct.pack(">2L", 2, 1) + record
    pack += hashlib.sha1(pack).digest()
    fanout = [0 if byte < int(name[:2], 16) else 1 for byte in range(256)]
    index = b"\xfftOc" + struct.pack(">L", 2) + struct.pack(">256L", *fanout) + bytes.fromhex(name)
    index += struct.pack(">L", zlib.crc32(record)) + struct.pack(">L", 12) + pack[-20:]
    index += hashlib.sha1(index).digest()
    folder = repo / ".git" / "objects" / "pack"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"pack-{'f' * 40}.pack").write_bytes(pack)
    (folder / f"pack-{'f' * 40}.idx").write_bytes(index)
    claimed = 1 << 31
    for number in range(packs):
        stem = folder / f"pack-{number:040x}"
        with open(stem.with_suffix(".idx"), "wb") as handle:
            fake = [0 if byte < int(name[:2], 16) else claimed for byte in range(256)]
            handle.write(b"\xfftOc" + struct.pack(">L", 2) + struct.pack(">256L", *fake))
            handle.truncate(8 + 1024 + claimed * 28 + 40)
        stem.with_suffix(".pack").write_bytes(b"PACK" + struct.pack(">2L", 2, 0))
    (repo / ".git" / "HEAD").write_text(name + "\n")


def _notebook(unit: Unit, path: Path, student: str) -> None:
    """The unit's notebook as a student fills it in: each module's answer cell as the solutions write it (each
    beginning with ``from __future__ import annotations``), and the answers cell."""
    cells = []
    for module in unit.modules:
        source = (unit.source_dir / f"{module}.py").read_text(encoding="utf-8")
        cells.append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": module, "solution": True}},
                      "source": source, "outputs": [], "execution_count": None})
    answers = f"ANSWERS = {answer_key(unit, student)!r}\n"
    cells.append({"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "answers", "solution": True}},
                  "source": answers, "outputs": [], "execution_count": None})
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


def build(folder: Path, course_root: Path, bombs: bool, honest: int = 40) -> tuple[dict[str, str], set[str]]:
    """The class in ``folder``; with ``bombs``, each bomb's name and a fragment of what must be said of it (on the
    terminal or in its report), and the bombs that must get full marks all the same."""
    unit = load_course(course_root).unit("conv")
    styles = course_root / "tests" / "units" / "conv" / "styles"
    sources = [unit.source_dir, *sorted(p for p in styles.iterdir() if p.is_dir())]
    folder.mkdir(parents=True)
    for index in range(honest):
        _commit(_student(unit, sources[index % len(sources)], folder / f"honest{index:02}"))
    for name in ("copy_a", "copy_b"):
        target = _student(unit, sources[1], folder / name)
        (target / "conv_layer.py").write_text((target / "conv_layer.py").read_text() + PLANTED)
        _commit(target)
    if not bombs:
        return {}, set()
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
    packs = _student(unit, unit.source_dir, folder / "git_packs")
    _commit(packs)
    _hostile_packs(packs)
    _commit(_student(unit, unit.source_dir, folder / "answer_tower",
                     {"relu_value": "(((((2/3)^64)^64)^64)^64)^64"}))
    _commit(_student(unit, unit.source_dir, folder / "ragged", {"architecture_nmk": [[1, 2], [1], 2]}))
    tagged = _student(unit, unit.source_dir, folder / "answer_tag")
    text = (tagged / "answers.yaml").read_text(encoding="utf-8")
    (tagged / "answers.yaml").write_text(text.replace("relu_value:", 'relu_value: !!timestamp "x"\nunused:', 1))
    _commit(tagged)
    digits = _student(unit, unit.source_dir, folder / "answer_digits")
    with open(digits / "answers.yaml", "a", encoding="utf-8") as answers:
        answers.write("fewer_parameters: " + "9" * 4000 + "\nforward_pass: 0x" + "f" * 4000 + "\n")
    _commit(digits)
    surrogates = _student(unit, unit.source_dir, folder / "surrogates")
    with open(surrogates / "answers.yaml", "a", encoding="utf-8") as answers:
        answers.write('forward_pass: "\\ud800 convolve, add the bias, apply ReLU"\n')
    relu = surrogates / "activators.py"
    relu.write_text(relu.read_text().replace("        return max(0, weighted_input)",
                                             "        raise ValueError('\\ud800 no')", 1))
    _commit(surrogates)
    (folder / "quotes.ipynb").write_text('"' + '\\"' * 300_000)
    _members_zip(folder / "members.zip", 100_000, 4)
    _packed_bomb(folder / "bzip2.zip", zipfile.ZIP_BZIP2)
    _packed_bomb(folder / "lzma.zip", zipfile.ZIP_LZMA)
    with open(folder / "huge.zip", "wb") as handle:
        handle.truncate(65 << 20)
    (folder / "malformed.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": [1], "source": "x = 1\n"}], "metadata": {}, "nbformat": 4}))
    beside = folder / "data_beside"
    beside.mkdir()
    _student(unit, unit.source_dir, beside / "exercises", student=beside.name)
    (beside / "data").mkdir()
    for index in range(2000):
        (beside / "data" / f"{index:04}.txt").write_text("x")
    for index in range(40):
        with open(beside / f"big{index:02}.bin", "wb") as handle:
            handle.truncate(64 << 20)
    _notebook(unit, folder / "future.ipynb", "future")
    data_zip = _student(unit, unit.source_dir, folder / "data_zip_files" / "exercises", student="data_zip")
    with zipfile.ZipFile(folder / "data_zip.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(data_zip.iterdir()):
            archive.write(path, f"exercises/{path.name}")
        archive.writestr(zipfile.ZipInfo("weights.npy"), os.urandom(60 << 20), zipfile.ZIP_STORED)
    shutil.rmtree(folder / "data_zip_files")
    said = {
        "git_command": "git_command: no usable commit time (the object 111111111111 is not in the repository",
        "git_far_future": "git_far_future: no usable commit time (the commit's time '1000000000000000000' is no "
                          "usable time)",
        "git_odd_zone": "git_odd_zone: no usable commit time (the commit's time zone '+2400' is not one)",
        "git_packs": "git_packs: no usable commit time (a delta chain is longer than 64)",
        "answer_tower": "needs numbers of more than 614 digits to work out exactly",
        "answer_tag": "relu_value: your answer cannot be read in answers.yaml (AttributeError)",
        "answer_digits": "fewer_parameters: your answer holds a number of more than 200 digits",
        "surrogates": "raised ValueError: \ufffd no",
        "ragged": "should have rows of one length",
        "quotes": "cannot be read (JSONDecodeError)",
        "members": "its zip64 record and its end record disagree",
        "bzip2": "holds activators.py compressed with bzip2, which the grader does not read",
        "lzma": "holds activators.py compressed with LZMA, which the grader does not read",
        "huge": "the archive huge.zip is 65 MiB; the grader reads archives of at most 64 MiB",
        "malformed": "cells[0].metadata should be an object",
    }
    return said, {"data_beside", "future", "data_zip"}


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
    parser.add_argument("--honest", type=int, default=40, help="honest students in the class (default: 40)")
    args = parser.parse_args()
    plain_times, bomb_times = [], []
    with tempfile.TemporaryDirectory(prefix="bench-bombs-") as temp:
        root = course(Path(temp))
        build(Path(temp) / "plain", root, bombs=False, honest=args.honest)
        said, full = build(Path(temp) / "bombs", root, bombs=True, honest=args.honest)
        for _ in range(max(1, args.repeat)):
            for name, times in (("plain", plain_times), ("bombs", bomb_times)):
                seconds, done = grade_all(root, Path(temp) / name, Path(temp) / f"out_{name}", args.jobs)
                if done.returncode != 0:
                    print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                    return 1
                times.append(seconds)
    plain, bombs = statistics.median(plain_times), statistics.median(bomb_times)
    print(f"{args.honest + 2} students ({args.honest} honest, 2 copies): {plain:.1f} s; with the "
          f"{len(said) + len(full)} bombs: {bombs:.1f} s "
          f"(median of {len(plain_times)}; {min(plain_times):.1f} to {max(plain_times):.1f} and "
          f"{min(bomb_times):.1f} to {max(bomb_times):.1f})")
    print(f"ratio: {bombs / plain:.2f} (the goal: at most 2)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
