"""Every reader of what a student sends, fuzzed: answers and their arithmetic, answers files and notebook cells,
notebooks, archives, submission times (written, in Gradescope's metadata, in a times file, in a repository),
rosters. Whatever the input, each ends within a bound that proves termination (per example, and for the whole
run in a child that is killed past it: ``tests/bounded.py``) and gives either its result or its own one-line
refusal, never another exception.

The budget of examples is fixed and the examples are the same every run (``tests/framework/conftest.py``);
``GRADER_FUZZ=1`` runs many more, drawn afresh.
"""

import io
import json
import os
import shutil
import string
import struct
import subprocess
import zipfile
from datetime import datetime, timedelta, timezone
from fractions import Fraction
from pathlib import Path

import pytest
from bounded import ends_within, timed
from hypothesis import given
from hypothesis import strategies as st
from intake_here import intake_here, through_the_wire

from grader.classwork.lms import RosterError, read_roster
from grader.classwork.times import read_times_file
from grader.kit.diagnosis import Mismatch
from grader.kit.questions import MAX_BITS, MAX_MAGNITUDE, AnswerError, Key, evaluate, judge, questions_of, read_answer
from grader.model.course import load_course
from grader.model.late import EARLIEST, LATEST, LatePolicy, assess, describe_time, parse_time
from grader.model.messages import Text, render
from grader.trust.decoding import commits
from grader.trust.decoding.answers import parse_cell, parse_yaml
from grader.trust.decoding.archives import MAX_ARCHIVE_MEMBERS, open_archive
from grader.trust.decoding.commits import CommitError, apply_delta, commit_time, committer_time
from grader.trust.decoding.notebooks import nesting, notebook_modules
from grader.trust.document import problem_text, read_answers

MINI = Path(__file__).parent / "fixtures" / "mini"
COURSE = load_course(MINI)
UNIT = COURSE.unit()
QUIZ = COURSE.unit("quiz")
QUESTIONS = questions_of(QUIZ)
EXAMPLE_SECONDS = 5  # one example of any reader: generous, it proves termination, not speed
RUN_SECONDS = 3600 if os.environ.get("GRADER_FUZZ") else 120  # a whole property test, in its child

# --- values a student may write -------------------------------------------------------------------

ARITHMETIC = "0123456789+-*/^().eE ×÷_xabP"
numbers = st.one_of(st.integers(-10**40, 10**40), st.integers(0, 70),
                    st.fractions(max_denominator=10**12).map(lambda f: f"{f.numerator}/{f.denominator}"),
                    st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.decimals(allow_nan=False, allow_infinity=False).map(str))


def expressions(names: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Formulas as people write them: numbers and names, the four operations, powers, brackets, nested."""
    leaves = st.one_of(numbers.map(str), *(st.just(name) for name in names))
    return st.recursive(leaves, lambda inner: st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "//", "^", "**", " ", "×", "÷"]), inner).map(
            lambda parts: f"{parts[0]}{parts[1]}{parts[2]}"),
        inner.map(lambda text: f"({text})"), inner.map(lambda text: f"-{text}"),
        st.tuples(inner, st.integers(-70, 70)).map(lambda parts: f"({parts[0]})^{parts[1]}")), max_leaves=40)


# powers of powers: each level multiplies the size of the exact numbers by its exponent while the value may stay
# small, the shape of the answer that once ran for hours
towers = st.tuples(st.integers(1, 99), st.integers(1, 99), st.lists(st.integers(2, 64), min_size=1, max_size=5)).map(
    lambda parts: "(" * len(parts[2]) + f"{parts[0]}/{parts[1]}" + "".join(f")^{e}" for e in parts[2]))

plain = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**50, 10**50), st.floats(), st.text(max_size=40),
              expressions()),
    lambda inner: st.one_of(st.lists(inner, max_size=6), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=30)


def one_line(text: Text) -> None:
    """A refusal is our own message: it renders in every language, on one line."""
    for lang in ("en", "zh"):
        shown = render(text, lang)
        assert shown and "\n" not in shown and "Traceback" not in shown


@ends_within(RUN_SECONDS)
@given(text=st.one_of(towers, st.text(alphabet=ARITHMETIC, max_size=220), st.text(max_size=220), expressions()))
def test_arithmetic_is_exact_bounded_or_refused(text):
    try:
        value = timed(EXAMPLE_SECONDS, evaluate, text)
    except AnswerError as error:
        one_line(error.text)
        return
    assert isinstance(value, Fraction) and abs(value) <= MAX_MAGNITUDE
    assert max(value.numerator.bit_length(), value.denominator.bit_length()) <= MAX_BITS


@ends_within(RUN_SECONDS)
@given(text=expressions(("a", "b")), a=st.integers(1, 30), b=st.integers(1, 30))
def test_a_formula_in_names_is_exact_bounded_or_refused(text, a, b):
    try:
        value = timed(EXAMPLE_SECONDS, evaluate, text, {"a": Fraction(a), "b": Fraction(b)})
    except AnswerError as error:
        one_line(error.text)
        return
    assert isinstance(value, Fraction)


@ends_within(RUN_SECONDS)
@given(given_answer=plain, index=st.integers(0, len(QUESTIONS) - 1), right=plain)
def test_any_answer_to_any_question_is_read_and_judged_or_refused(given_answer, index, right):
    question = QUESTIONS[index]
    try:
        timed(EXAMPLE_SECONDS, read_answer, question, given_answer)
    except AnswerError as error:
        one_line(error.text)
    keys = {"number": Key(Fraction(7)), "matrix": Key([[1, 2], [3, 4]], [("swapped", [[1, 3], [2, 4]])]),
            "choice": Key({"a", "c"}), "expression": Key("(a + b) / 2")}
    try:
        timed(EXAMPLE_SECONDS, judge, question, given_answer, keys[question.kind], {})
    except Mismatch as failure:
        one_line(failure.finding.text)


yaml_text = st.one_of(
    st.binary(max_size=2000),
    st.text(alphabet=string.printable + "é学\u202e", max_size=2000).map(str.encode),
    plain.map(lambda value: json.dumps({"answer": value}, default=str).encode()),  # JSON is YAML
    st.lists(st.tuples(st.text(alphabet=string.ascii_letters, min_size=1, max_size=8),
                       st.text(alphabet=string.printable, max_size=30)), max_size=20).map(
        lambda rows: "".join(f"{key}: {value}\n" for key, value in rows).encode()),
)


def checked_answers(decoded):
    """What the grader makes of a decoder's answers: read through the wire and the document's schema."""
    answers, problem, _ = read_answers(through_the_wire({"answers": decoded, "notes": {}}))
    assert (answers is None) != (problem is None)
    if problem is not None:
        one_line(problem)
    else:
        assert all(isinstance(key, str) for key in answers.values)
        for refusal in answers.refused.values():
            one_line(refusal)
    return answers


@ends_within(RUN_SECONDS)
@given(data=yaml_text)
def test_an_answers_file_is_read_or_refused_with_one_line(data):
    checked_answers(timed(EXAMPLE_SECONDS, parse_yaml, data, "answers.yaml"))


@ends_within(RUN_SECONDS)
@given(source=st.one_of(st.text(max_size=2000), plain.map(lambda value: f"ANSWERS = {value!r}"),
                        st.text(alphabet="ANSWERS={}[]()'\":,0123456789 \n#*", max_size=500)))
def test_a_notebook_answers_cell_is_read_as_a_literal_or_refused(source):
    checked_answers(timed(EXAMPLE_SECONDS, parse_cell, source, "cell"))


# --- notebooks ----------------------------------------------------------------------------------------


def reference_nesting(text: str) -> int:
    """The depth of brackets outside JSON strings, one character at a time (the slow, obvious way)."""
    depth = deepest = 0
    inside = escaped = False
    for char in text:
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


@ends_within(RUN_SECONDS)
@given(text=st.one_of(st.text(alphabet='[]{}"\\ax\n', max_size=3000), plain.map(json.dumps)))
def test_nesting_counts_as_the_obvious_way_does(text):
    counted = timed(EXAMPLE_SECONDS, nesting, text)
    assert counted == reference_nesting(text) or counted <= 0 and reference_nesting(text) <= 0


cells = st.fixed_dictionaries({"cell_type": st.sampled_from(["code", "markdown", 7])}, optional={
    "metadata": st.one_of(plain, st.fixed_dictionaries({"nbgrader": st.one_of(plain, st.fixed_dictionaries(
        {"grade_id": st.one_of(st.sampled_from(["arith", "arrays", "answers"]), plain)}))})),
    "source": st.one_of(st.text(max_size=200), st.lists(st.one_of(st.text(max_size=40), plain), max_size=5), plain),
})
notebooks = st.one_of(
    st.binary(max_size=3000),
    plain.map(json.dumps).map(str.encode),
    st.fixed_dictionaries({"cells": st.one_of(st.lists(st.one_of(cells, plain), max_size=8), plain)},
                          optional={"metadata": plain, "nbformat": plain}).map(json.dumps).map(str.encode),
)


@ends_within(RUN_SECONDS)
@given(data=notebooks)
def test_a_notebook_is_read_or_refused_with_one_line(data):
    sources, shared, preludes, problem = timed(EXAMPLE_SECONDS, notebook_modules, data, "n.ipynb",
                                               ["arith", "arrays"], 4096)
    assert isinstance(sources, dict) and all(isinstance(s, str) for s in sources.values())
    assert set(preludes) <= set(sources) and all(isinstance(cell, str) for cells in preludes.values()
                                                 for cell in cells)
    assert sum(len(cell.encode("utf-8")) for cells in preludes.values() for cell in cells) <= 4096
    if problem is not None:
        one_line(problem_text(through_the_wire(problem)))
        assert not sources


# --- archives -----------------------------------------------------------------------------------------


def archive_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


HONEST = archive_of({f"{m}.py": (UNIT.source_dir / f"{m}.py").read_bytes() for m in UNIT.modules})


@st.composite
def damaged_archives(draw: st.DrawFn) -> bytes:
    """An honest archive with bytes changed where the records are (its end, its directory), cut, or extended."""
    data = bytearray(draw(st.sampled_from([HONEST, archive_of({f"f{i}": b"x" * i for i in range(30)})])))
    end = data.rfind(b"PK\x05\x06")
    for _ in range(draw(st.integers(1, 6))):
        where = draw(st.one_of(st.integers(max(0, end - 60), len(data) - 1), st.integers(0, len(data) - 1)))
        data[where] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        struct.pack_into("<HH", data, end + 8, *draw(st.tuples(st.integers(0, 65535), st.integers(0, 65535))))
    how = draw(st.sampled_from(["as is", "cut", "grown", "zip64"]))
    if how == "cut":
        data = data[:draw(st.integers(0, len(data)))]
    elif how == "grown":
        data += draw(st.binary(max_size=100))
    elif how == "zip64":
        count, size = draw(st.integers(0, 2**64 - 1)), draw(st.integers(0, 2**64 - 1))
        wide = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, 0)
        locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, draw(st.sampled_from([end, 0, end + 1])), 1)
        data = data[:end] + wide + locator + data[end:]
    return bytes(data)


@ends_within(RUN_SECONDS)
@given(data=st.one_of(damaged_archives(), st.binary(max_size=400)))
def test_an_archive_is_read_within_its_bounds_or_refused_with_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("zip") / "s.zip"
    path.write_bytes(data)
    try:
        with open_archive(data, path.name) as archive:
            assert len(archive.infolist()) <= MAX_ARCHIVE_MEMBERS
    except Exception:  # noqa: BLE001 - what the intake turns into its line, checked below
        pass
    intake = timed(EXAMPLE_SECONDS, intake_here, UNIT, path)
    for problem in intake.problems.values():
        one_line(problem)
    assert set(intake.problems) | set(intake.accepted) == set(UNIT.modules)


# --- times ------------------------------------------------------------------------------------------------

ZONES = st.one_of(st.none(), st.just(timezone.utc), st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))))
written_times = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789-:T.+Z ", max_size=40),
    st.datetimes(timezones=ZONES).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat(sep=" ")),
)


def usable(moment: datetime) -> bool:
    return moment.tzinfo is not None and EARLIEST <= moment < LATEST


POLICY = LatePolicy.model_validate({"due": "2026-12-01T23:59:00+08:00", "timezone": "Asia/Shanghai",
                                    "penalty": {"per": "day", "percent": 10}})


@ends_within(RUN_SECONDS)
@given(text=written_times, zone=ZONES)
def test_a_written_time_is_usable_or_refused(text, zone):
    try:
        moment = timed(EXAMPLE_SECONDS, parse_time, text, zone)
    except ValueError as error:
        assert "\n" not in str(error)
        return
    assert usable(moment)
    late = assess(POLICY, moment, 8, 10)  # every sum and difference the policy and the reports make
    assert 0 <= late.score <= 8
    describe_time(moment, POLICY.zone)


@ends_within(RUN_SECONDS)
@given(rows=st.lists(st.lists(st.one_of(st.text(max_size=30), written_times), max_size=4), max_size=30),
       raw=st.text(max_size=500))
def test_a_times_file_gives_usable_times_and_one_line_per_problem(tmp_path_factory, rows, raw):
    # found by a long run: an id holding a line break, given twice, made a problem line of two lines
    path = tmp_path_factory.mktemp("times") / "times.csv"
    buffer = io.StringIO()
    import csv
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue() + raw, encoding="utf-8")
    found = timed(EXAMPLE_SECONDS, read_times_file, path, POLICY)
    assert all(usable(moment) for moment in found.times.values())
    assert all("\n" not in problem for problem in found.problems)


@ends_within(RUN_SECONDS)
@given(rows=st.lists(st.lists(st.text(max_size=20), max_size=5), max_size=20), raw=st.text(max_size=300),
       id_column=st.sampled_from(["SIS Login ID", "id", ""]))
def test_a_roster_is_read_or_refused_with_one_line(tmp_path_factory, rows, raw, id_column):
    import csv
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue() + raw, encoding="utf-8")
    try:
        roster = timed(EXAMPLE_SECONDS, read_roster, path, id_column)
    except RosterError as error:
        assert "\n" not in str(error)
        return
    assert all(student and isinstance(row, dict) for student, row in roster.rows.items())
    assert all("\n" not in problem for problem in roster.problems)


@ends_within(RUN_SECONDS)
@given(metadata=st.one_of(plain, st.fixed_dictionaries({"created_at": st.one_of(written_times, plain),
                                                        "users": plain})))
def test_gradescope_metadata_gives_a_usable_time_or_none(tmp_path_factory, metadata):
    from grader.cli import common as cli

    path = tmp_path_factory.mktemp("meta") / "submission_metadata.json"
    path.write_text(json.dumps(metadata, default=str))
    read = timed(EXAMPLE_SECONDS, cli.read_metadata, path)
    assert isinstance(read, dict)
    created = read.get("created_at")
    if isinstance(created, str):
        try:
            assert usable(POLICY.read_time(created))
        except ValueError:
            pass
    student = timed(EXAMPLE_SECONDS, cli.metadata_student, path)
    assert student is None or isinstance(student, str)


# --- repositories -------------------------------------------------------------------------------------------


@ends_within(RUN_SECONDS)
@given(commit=st.one_of(
    st.binary(max_size=400),
    st.tuples(st.text(max_size=30), st.one_of(st.integers(-10, 10**25).map(str), st.text(max_size=12)),
              st.one_of(st.from_regex(r"[+-][0-9]{4}", fullmatch=True), st.text(max_size=6))).map(
        lambda parts: f"tree x\ncommitter {parts[0]} <a@x> {parts[1]} {parts[2]}\n\nmessage\n".encode()),
))
def test_a_commit_gives_a_usable_time_or_one_line(commit):
    try:
        moment = timed(EXAMPLE_SECONDS, committer_time, commit)
    except CommitError as error:
        assert "\n" not in str(error)
        return
    assert usable(moment)


@ends_within(RUN_SECONDS)
@given(base=st.binary(max_size=300), delta=st.binary(max_size=300))
def test_a_delta_is_applied_or_refused(base, delta):
    try:
        result = timed(EXAMPLE_SECONDS, apply_delta, base, delta)
    except CommitError as error:
        assert "\n" not in str(error)
        return
    assert len(result) <= commits.MAX_OBJECT_BYTES


@pytest.fixture(scope="module")
def a_repository(tmp_path_factory):
    """A repository with loose objects and a pack, from which each example damages one file."""
    if shutil.which("git") is None:
        pytest.fail("git builds the repository (CI has it)")
    repo = tmp_path_factory.mktemp("repo") / "r"
    repo.mkdir()
    env = {"PATH": os.environ["PATH"], "HOME": "/nonexistent", "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x",
           "GIT_COMMITTER_NAME": "a", "GIT_COMMITTER_EMAIL": "a@x"}
    run = lambda *args: subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    for index in range(6):
        (repo / "f").write_text("line\n" * index)
        run("add", "f")
        run("commit", "-q", "-m", f"c{index}")
        if index == 3:
            run("gc", "-q")
    run("pack-refs", "--all")
    return repo


@ends_within(RUN_SECONDS)
@given(which=st.integers(0, 1000), how=st.sampled_from(["random", "flip", "cut", "grow"]),
       data=st.binary(max_size=200), where=st.integers(0, 10**6))
def test_a_damaged_repository_gives_a_time_or_one_line(a_repository, tmp_path_factory, which, how, data, where):
    repo = tmp_path_factory.mktemp("damaged") / "r"
    shutil.copytree(a_repository, repo, symlinks=True)
    files = sorted(p for p in (repo / ".git").rglob("*") if p.is_file() and
                   (p.name in ("HEAD", "packed-refs") or "objects" in p.parts or "refs" in p.parts))
    target = files[which % len(files)]
    target.chmod(0o644)
    content = bytearray(target.read_bytes())
    if how == "random":
        content = bytearray(data)
    elif how == "flip" and content:
        content[where % len(content)] ^= (data[:1] or b"\x01")[0] or 1
    elif how == "cut":
        content = content[:where % (len(content) + 1)]
    else:
        content += data
    target.write_bytes(bytes(content))
    try:
        moment = timed(EXAMPLE_SECONDS, commit_time, repo)
    except CommitError as error:
        assert "\n" not in str(error)
        return
    assert usable(moment)
