"""A class of the conv unit holding one of each bomb that once hung, crashed or commanded the grader's side, 20
honest students and 2 planted copies (``benchmarks/bench_bombs.py`` builds it and measures what the bombs cost):
``grade-all`` grades every honest one as it should, names every bomb with its reason, flags the copies, and
ends (within a bound that proves it, not a timing: the benchmark times it)."""

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


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    temp = tmp_path_factory.mktemp("bombs")
    root = bench_bombs.course(temp)
    said = bench_bombs.build(temp / "class", root, bombs=True)
    started = time.monotonic()
    seconds, done = bench_bombs.grade_all(root, temp / "class", temp / "out", jobs=2)
    return temp, said, done, time.monotonic() - started


def test_the_class_is_graded_and_ends(graded):
    temp, _, done, seconds = graded
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert seconds < 600  # a bound that proves it ends; bench_bombs.py measures the cost (about 1.2x)
    assert not (temp / "PWNED").exists()  # the repository's command never ran


def test_every_honest_student_and_every_copy_gets_full_marks_on_time(graded):
    temp, _, _, _ = graded
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((temp / "out" / "grades.csv").read_text()))}
    assert len(rows) == 30
    honest = [name for name in rows if name.startswith(("honest", "copy_"))]
    assert len(honest) == 22
    for name in honest:
        assert (rows[name]["score"], rows[name]["late_by"], rows[name]["status"]) == ("100", "0", "graded"), name


def test_every_bomb_is_named_with_its_reason(graded):
    temp, said, done, _ = graded
    rows = {row["student"]: row for row in csv.DictReader(io.StringIO((temp / "out" / "grades.csv").read_text()))}
    for name, reason in said.items():
        report = json.loads((temp / "out" / name / "results.json").read_text())
        told = done.stderr + report["output"] + "".join(test["output"] for test in report["tests"])
        assert reason in told, (name, reason)
        assert rows[name]["status"] == "graded"
    # what cannot be read scores 0; a bad answer costs its question; a bad time costs no penalty
    assert {name: float(rows[name]["score"]) for name in ("quotes", "members", "malformed")} == dict.fromkeys(
        ("quotes", "members", "malformed"), 0)
    assert 0 < float(rows["answer_tower"]["score"]) < 100 and 0 < float(rows["ragged"]["score"]) < 100
    assert all(rows[name]["score"] == "100" and rows[name]["late_by"] == "" for name in
               ("git_command", "git_far_future", "git_odd_zone"))


def test_the_planted_copies_are_flagged_and_nothing_else(graded):
    temp, _, done, _ = graded
    pairs = list(csv.DictReader(io.StringIO((temp / "out" / "similarity.csv").read_text())))
    assert [(pair["student_a"], pair["student_b"]) for pair in pairs] == [("copy_a", "copy_b")]
    assert "1 pair at or above 60% alike among 30 submissions" in done.stdout
