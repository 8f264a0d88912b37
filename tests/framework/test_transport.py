"""What grading reads of a submission (``grader.running.transport``) is the submission itself, to intake: carried
to another machine and landed there, any folder, archive or notebook is carried again as the same records, and
intake's verdict on the landed copy equals its verdict on the original; what travels is bounded however much the
student's folder holds, and a submission past the bounds is refused with the reason."""

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from intake_here import intake_here

from grader.model.messages import render
from grader.running.transport import MAX_ARCHIVE, MAX_SCANNED, Carried, Record, carry, carry_limit, land
from grader.trust.decoding.notebooks import MAX_NOTEBOOK_BYTES

MODULES = ["arith", "arrays"]
SOURCE_KB = 1
LIMIT = carry_limit(MODULES, SOURCE_KB)
TEXT_IDS = ("why",)


def _notebook(cells: list[tuple[str, str, str]]) -> bytes:
    return json.dumps({"cells": [{"cell_type": kind, "metadata": {"nbgrader": {"grade_id": grade_id}},
                                  "source": source} for kind, grade_id, source in cells],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 5}).encode()


# what a file may hold: a module, broken text, an answers file, a notebook, or more than intake reads
sources = st.sampled_from([b"def double(x):\n    return 2 * x\n", b"def (\n", b"\xff\xfe", b"x = 1\n" * 300,
                           b"q1: 3\nq2: [1, 2]\n", b"&a [*a, *a]\n", b""])
notebooks = st.lists(st.tuples(st.sampled_from(["code", "markdown"]),
                               st.sampled_from(["arith", "arrays", "answers", "why", "other"]),
                               st.sampled_from(["def double(x):\n    return x + x\n", "q1: 3\n", "because", "def ("])),
                     max_size=4).map(_notebook)
contents = st.one_of(sources, notebooks, st.binary(max_size=40))
kinds = st.one_of(
    st.tuples(st.just("file"), contents),
    st.tuples(st.just("large"), st.integers(1, 3)),  # larger than intake reads: made sparse, never read
    st.tuples(st.just("link"), st.sampled_from(["file", "folder", "nothing"])),
    st.tuples(st.just("fifo"), st.none()),
)
INNER = ["arith.py", "arrays.py", "answers.yaml", "inner.ipynb", "notes.txt"]
TOP = ["arith.py", "arrays.py", "answers.yaml", "a.ipynb", "b.ipynb", "c.ipynb", ".ipynb", "dir.ipynb", "sub",
       "sub2", "sub3", "readme.txt"]
inner_trees = st.dictionaries(st.sampled_from(INNER), kinds, max_size=4)
trees = st.dictionaries(st.sampled_from(TOP), st.one_of(kinds, st.tuples(st.just("folder"), inner_trees)),
                        max_size=7)


def _make(path: Path, kind: str, value, aside: Path) -> None:
    if kind == "file":
        path.write_bytes(value)
    elif kind == "large":
        with open(path, "wb") as handle:
            handle.truncate(LIMIT + value)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "link":
        target = aside / f"target-{len(list(aside.iterdir()))}"
        if value == "file":
            target.write_text("def double(x):\n    return 2 * x\n")
        elif value == "folder":
            target.mkdir()
            (target / "arith.py").write_text("x = 1\n")
        path.symlink_to(target)
    else:
        path.mkdir()
        for name, (inner_kind, inner_value) in value.items():
            _make(path / name, inner_kind, inner_value, aside)


def verdict(path: Path) -> dict:
    intake = intake_here((MODULES, SOURCE_KB), path, answers=True, texts=TEXT_IDS)
    return {"accepted": intake.accepted, "sources": intake.sources, "code": intake.code, "notes": intake.notes,
            "answers": intake.answers, "answers_problem": intake.answers_problem, "problems": intake.problems,
            "form": intake.form, "shared": intake.shared}


def carried_and_landed(path: Path, place: Path) -> tuple[Carried, Path]:
    carried = carry(path, MODULES, SOURCE_KB)
    place.mkdir(parents=True)
    return carried, land(carried, place)


@settings(max_examples=300, deadline=None)
@given(trees)
def test_intake_reads_a_landed_folder_as_it_reads_the_folder(tree):
    with tempfile.TemporaryDirectory() as temp:
        root, aside = Path(temp) / "here" / "alice", Path(temp) / "aside"
        root.parent.mkdir()
        aside.mkdir()
        _make(root, "folder", tree, aside)
        carried, landed = carried_and_landed(root, Path(temp) / "there")
        assert landed.name == "alice" and not landed.is_relative_to(root.parent)
        assert carry(landed, MODULES, SOURCE_KB).digest() == carried.digest()
        assert verdict(landed) == verdict(root)
        assert carried.size <= sum(MAX_NOTEBOOK_BYTES if record.path.lower().endswith(".ipynb") else LIMIT
                                   for record in carried.records)
        assert all(record.path.count("/") <= 1 for record in carried.records)


members = st.lists(st.tuples(st.sampled_from(["arith.py", "sub/arrays.py", "answers.yaml", "x/nb.ipynb",
                                              "deep/er/arith.py"]), contents), max_size=5,
                   unique_by=lambda member: member[0])


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([".zip", ".ipynb"]), members, contents)
def test_intake_reads_a_landed_archive_or_notebook_as_it_reads_the_original(suffix, inside, alone):
    with tempfile.TemporaryDirectory() as temp:
        original = Path(temp) / f"bob{suffix}"
        if suffix == ".zip":
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as archive:
                for name, data in inside:
                    archive.writestr(name, data)
            original.write_bytes(buffer.getvalue())
        else:
            original.write_bytes(alone)
        carried, landed = carried_and_landed(original, Path(temp) / "there")
        assert landed.name == original.name and landed.read_bytes() == original.read_bytes()
        assert verdict(landed) == verdict(original)


def test_what_travels_is_bounded_however_much_the_folder_holds(tmp_path):
    student = tmp_path / "carol"
    student.mkdir()
    (student / "arith.py").write_text("def double(x):\n    return 2 * x\n")
    (student / "data.bin").write_bytes(os.urandom(1 << 20))  # nothing intake reads: left behind
    for index in range(30):  # notebooks and folders of modules: their few bytes travel, the rest does not
        (student / f"n{index:02}.ipynb").write_bytes(_notebook([("code", "arith", "x = 1\n")]))
        (student / f"copy{index:02}").mkdir()
        (student / f"copy{index:02}" / "arrays.py").write_text("y = 2\n")
        (student / f"copy{index:02}" / "data.bin").write_bytes(b"\0" * 4096)
    with open(student / "arrays.py", "wb") as handle:
        handle.truncate(10 << 30)  # 10 GiB, sparse: intake refuses it by its size, and so is it carried
    carried, landed = carried_and_landed(student, tmp_path / "there")
    assert carried.size < 64 * 1024, carried.size
    assert sorted(record.path for record in carried.records) == sorted(
        ["arith.py", "arrays.py", *(f"copy{index:02}{inner}" for index in range(30) for inner in ("", "/arrays.py")),
         *(f"n{index:02}.ipynb" for index in range(30))])
    assert verdict(landed) == verdict(student)
    assert "10485760 KiB" in str(verdict(landed)["problems"]["arrays"])  # the size it names is the original's


def test_an_archive_too_large_to_carry_is_refused_unread_with_the_reason(tmp_path):
    big = tmp_path / "dave.zip"
    with open(big, "wb") as handle:
        handle.truncate(MAX_ARCHIVE + (1 << 20))
    carried = carry(big, MODULES, SOURCE_KB)
    assert carried.records == () and carried.digest() is None
    assert "dave.zip is 65 MiB; the grader reads archives of at most 64 MiB" in render(carried.refused)
    assert all("dave.zip is 65 MiB" in str(problem) for problem in verdict(big)["problems"].values())


def test_a_folder_of_too_many_entries_is_refused_unread_with_the_reason(tmp_path):
    crowded = tmp_path / "erin"
    crowded.mkdir()
    for index in range(MAX_SCANNED + 1):
        (crowded / f"{index}").touch()
    carried = carry(crowded, MODULES, SOURCE_KB)
    assert carried.records == () and f"holds more than {MAX_SCANNED} files and folders" in render(carried.refused)


@pytest.mark.parametrize("name, path", [("../up", ""), ("a/b", ""), ("ok", "../x"), ("ok", "a/b/c/d"), ("ok", "/abs"),
                                        ("", "")])
def test_landing_refuses_a_path_that_leaves_its_folder(tmp_path, name, path):
    with pytest.raises(ValueError):
        land(Carried(name, (Record(path or "x", "file", 1, b"x"),) if path else ()), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_any_name_a_linux_folder_may_have_travels(tmp_path):
    """A student's folder named with a backslash, a newline or a quote is graded there as here."""
    for name in ("a\\b", "new\nline", "it's \"quoted\"", "名字"):
        student = tmp_path / "here" / name
        student.mkdir(parents=True)
        (student / "arith.py").write_text("def double(x):\n    return 2 * x\n")
        carried, landed = carried_and_landed(student, tmp_path / "there" / str(len(name)))
        assert landed.name == name and verdict(landed) == verdict(student)


def test_an_archive_is_carried_whole_up_to_its_own_limit_whatever_the_case_of_its_suffix(tmp_path):
    import zipfile

    for name in ("bob.zip", "bob.ZIP"):
        path = tmp_path / name
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
            archive.writestr("data.bin", os.urandom(LIMIT + 1))  # past what a module or a notebook may be
            archive.writestr("arith.py", "x = 1\n")
        carried = carry(path, MODULES, SOURCE_KB)
        assert carried.refused is None and carried.records[0].data == path.read_bytes(), name
        assert path.stat().st_size < MAX_ARCHIVE


def test_folders_below_the_top_are_looked_into_two_levels_down(tmp_path):
    """Down to two folders below the top, however many entries a folder holds (a folder of 2,001 data files
    beside the modules is read like any other); a hidden folder is not looked into, nor is a third level."""
    student = tmp_path / "erin"
    for place in ("a/b/c", ".ipynb_checkpoints", "data"):
        (student / place).mkdir(parents=True)
    for place in ("a/b", "a/b/c", ".ipynb_checkpoints", "data"):
        (student / place / "arith.py").write_text("x = 1\n")
    for index in range(2001):
        (student / "data" / f"{index}.csv").touch()
    for index in range(220):
        (student / "more" / f"f{index:04}").mkdir(parents=True)
    (student / "more" / "f0219" / "arith.py").write_text("x = 3\n")
    carried = carry(student, MODULES, SOURCE_KB)
    assert {record.path for record in carried.records if record.path.endswith(".py")} == {
        "a/b/arith.py", "data/arith.py", "more/f0219/arith.py"}
    assert verdict(student)["sources"]["arith"] == "x = 1\n"  # the shallowest folder that holds a module


def test_the_entries_looked_at_are_bounded_in_all(tmp_path, monkeypatch):
    """Folders are looked into shallowest first, then by name, while the entries seen in all stay within
    ``MAX_SCANNED``: a folder whose entries would pass it is not looked into, the next smaller one still is."""
    import grader.running.transport as transport

    student = tmp_path / "erin"
    for place, count in (("a", 30), ("b", 3)):
        (student / place).mkdir(parents=True)
        (student / place / "arith.py").write_text(f"x = {count}\n")
        for index in range(count - 1):
            (student / place / f"{index}.csv").touch()
    def carried_modules(most):
        monkeypatch.setattr(transport, "MAX_SCANNED", most)
        return {record.path for record in carry(student, MODULES, SOURCE_KB).records if record.path.endswith(".py")}

    assert carried_modules(2 + 29) == {"b/arith.py"}  # the top's 2; a's 30 do not fit, b's 3 do
    assert carried_modules(2 + 30) == {"a/arith.py"}  # a's fit, and nothing is left for b's
    assert carried_modules(2 + 33) == {"a/arith.py", "b/arith.py"}

