"""A class of the conv unit holding one of each bomb that once hung, crashed, commanded the grader's side or got a
wrong grade, 20 honest students and 2 planted copies (``benchmarks/bench_bombs.py`` builds it, with 40 honest
students, and measures what the bombs cost): ``grade-all`` grades every honest one as it should, names every
bomb with its reason, grades the harmless ones fully, flags the copies, and ends (within a bound that proves
it, not a timing: the benchmark times it)."""

import csv
import importlib.util
import io
import json
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_bombs", ROOT / "benchmarks" / "bench_bombs.py")
assert _spec is not None and _spec.loader is not None
bench_bombs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_bombs)
HONEST = 20


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    temp = tmp_path_factory.mktemp("bombs")
    root = bench_bombs.course(temp)
    said, full = bench_bombs.build(temp / "class", root, bombs=True, honest=HONEST)
    started = time.monotonic()
    seconds, done = bench_bombs.grade_all(root, temp / "class", temp / "out", jobs=2)
    return temp, (said, full), done, time.monotonic() - started


def test_the_class_is_graded_and_ends(graded):
    temp, _, done, seconds = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert seconds < 600  # a bound that proves it ends; bench_bombs.py measures the cost (about 1.2x)
    assert not (temp / "PWNED").exists()  # the repository's command never ran


def test_every_honest_student_and_every_copy_gets_full_marks_on_time(graded):
    temp, _, _, _ = graded
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((temp / "out" / "grades.csv").read_text()))}
    said, full = graded[1]
    assert len(rows) == HONEST + 2 + len(said) + len(full)
    honest = [name for name in rows if name.startswith(("honest", "copy_"))]
    assert len(honest) == HONEST + 2
    for name in honest:
        assert (rows[name]["score"], rows[name]["late_by"], rows[name]["status"]) == ("100", "0", "graded"), name


def test_every_bomb_is_named_with_its_reason(graded):
    temp, (said, full), done, _ = graded
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((temp / "out" / "grades.csv").read_text()))}
    for name, reason in said.items():
        report = json.loads((temp / "out" / name / "results.json").read_text())
        told = done.stderr + report["output"] + "".join(test["output"] for test in report["tests"])
        assert reason in told, (name, reason)
        assert rows[name]["status"] == "graded"
    # what cannot be read scores 0; a bad answer, or code that raises, costs its own tests; a bad time costs no
    # penalty; what is beside the code, or a notebook as Jupyter runs it, costs nothing
    unread = ("quotes", "members", "malformed", "bzip2", "lzma", "huge")
    assert {name: float(rows[name]["score"]) for name in unread} == dict.fromkeys(unread, 0)
    for name in ("answer_tower", "ragged", "answer_tag", "answer_digits", "surrogates"):
        assert 70 < float(rows[name]["score"]) < 100, name
    assert all(rows[name]["score"] == "100" and rows[name]["late_by"] == "" for name in
               ("git_command", "git_far_future", "git_odd_zone", "git_packs", *full))
    opened = json.loads((temp / "out" / "answer_digits" / "results.json").read_text())["extra_data"]["open"]
    assert opened["forward_pass"]["text"] == "0x" + "f" * 4000
    opened = json.loads((temp / "out" / "surrogates" / "results.json").read_text())["extra_data"]["open"]
    assert opened["forward_pass"]["text"].startswith("\ufffd convolve")


def test_the_planted_copies_are_flagged_and_nothing_else(graded):
    temp, _, done, _ = graded
    pairs = list(csv.DictReader(io.StringIO((temp / "out" / "similarity.csv").read_text())))
    assert [(pair["student_a"], pair["student_b"]) for pair in pairs] == [("copy_a", "copy_b")]
    assert "1 pair at or above 60% alike among" in done.stdout
