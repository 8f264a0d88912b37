"""Questions graded like code: a variant for every student, answers read safely and checked with tolerance,
known wrong answers named; on the quiz unit of the mini fixture course."""

import json
import os
import shutil
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from bounded import within
from intake_here import intake_here, through_the_wire

from grader.kit import Mismatch
from grader.kit.questions import (
    MAX_BITS,
    AnswerError,
    Key,
    answer_key,
    evaluate,
    judge,
    key_of,
    parameters,
    questions_of,
)
from grader.model.course import load_course
from grader.model.messages import render
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites, seed_for
from grader.trust.decoding import answers as decoding_answers
from grader.trust.document import read_answers

MINI = Path(__file__).parent / "fixtures" / "mini"
COURSE = load_course(MINI)
QUIZ = COURSE.unit("quiz")
QUESTIONS = {q.id: q for q in questions_of(QUIZ)}


def numbers(question: str, student: str | None) -> dict:
    return parameters(QUIZ, QUESTIONS[question], student)


def verdict(question: str, answer, student: str | None = "ada") -> tuple[bool, str | None, str]:
    """(right, the mistake named, the message) of ``answer`` to ``question`` for ``student``."""
    params = numbers(question, student)
    try:
        judge(QUESTIONS[question], answer, key_of(QUIZ, QUESTIONS[question], params), params)
    except Mismatch as failure:
        return False, failure.finding.mistake, render(failure.finding.text)
    return True, None, ""


def submission(folder: Path, answers: dict | str | bytes | None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if isinstance(answers, dict):
        (folder / "answers.yaml").write_text(yaml.safe_dump(answers, allow_unicode=True))
    elif isinstance(answers, str):
        (folder / "answers.yaml").write_text(answers)
    elif isinstance(answers, bytes):
        (folder / "answers.yaml").write_bytes(answers)
    return folder


def grade(path: Path, student: str | None):
    run = run_suites(QUIZ, path, seed=seed_for(QUIZ, student), student=student)
    return score_run(QUIZ, run), run


# --- variants ----------------------------------------------------------------------------------


def test_every_student_gets_numbers_of_their_own_and_always_the_same():
    parameterized = [q for q in QUESTIONS.values() if q.parameters]
    assert len(parameterized) == 3
    for question in parameterized:
        ada, bob = numbers(question.id, "ada"), numbers(question.id, "bob")
        assert ada != bob, question.id
        assert numbers(question.id, "ada") == ada  # the same student, the same numbers, always
    many = {numbers("twice", f"student-{i}")["x"] for i in range(40)}
    assert len(many) > 30, "the numbers should spread over the students"


def test_the_key_of_one_student_is_right_for_them_and_wrong_for_another(tmp_path):
    key = answer_key(QUIZ, "ada")
    folder = submission(tmp_path / "ada", key)
    as_ada, run = grade(folder, "ada")
    assert as_ada.score == as_ada.max_score == 6 and run.student == "ada"
    as_bob, _ = grade(folder, "bob")
    # the questions without numbers of their own (mean, pick) still hold for bob: those points stay
    kept = sum(q.weight for q in QUESTIONS.values() if not q.parameters) / sum(q.weight for q in QUESTIONS.values())
    assert as_bob.score == pytest.approx(6 * kept)


def test_the_cli_grade_all_and_the_autograder_grade_each_student_as_themselves(tmp_path, cli):
    key = answer_key(QUIZ, "ada")
    folder = submission(tmp_path / "ada", key)
    graded = cli("grade", str(folder), "--unit", "quiz", "--student", "ada", "--json", str(tmp_path / "r.json"))
    assert graded.returncode == 0 and "Total: 6/6" in graded.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["extra_data"]["student"] == "ada" and data["extra_data"]["seed"] == seed_for(QUIZ, "ada")
    wrong = cli("grade", str(folder), "--unit", "quiz", "--student", "bob")
    assert "Total: 6/6" not in wrong.stdout
    # grade-all: the student is the submission's name
    klass = tmp_path / "class"
    shutil.copytree(folder, klass / "ada")
    shutil.copytree(folder, klass / "bob")
    done = cli("grade-all", str(klass), "--out", str(tmp_path / "out"), "--unit", "quiz")
    assert done.returncode == 0, done.stderr
    scores = {s: json.loads((tmp_path / "out" / s / "results.json").read_text())["score"] for s in ("ada", "bob")}
    assert scores["ada"] == 6 and scores["bob"] < 6


def test_a_quiz_without_a_notebook_is_not_released_and_nothing_is_written(tmp_path, cli):
    out = tmp_path / "release"
    done = cli("release", "--unit", "quiz", "--out", str(out))
    assert done.returncode == 2 and "has no `notebook`" in done.stderr
    assert not out.exists() or not list(out.rglob("*"))


def test_the_autograder_takes_the_student_from_gradescopes_metadata(released_quiz, tmp_path):
    key = answer_key(QUIZ, "ada")
    scores = {}
    for student in ("ada", "bob"):
        root = tmp_path / student
        with zipfile.ZipFile(released_quiz / "autograder.zip") as bundle:
            bundle.extractall(root / "source")
        submission(root / "submission", key)
        # Gradescope's own format: its numeric id no student knows; the roster's Student ID (sid) and email
        metadata = {"users": [{"id": 98765, "sid": student, "email": f"{student}@example.com", "name": "X"}]}
        (root / "submission_metadata.json").write_text(json.dumps(metadata))
        env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable}
        done = subprocess.run(["bash", str(root / "source" / "run_autograder")], capture_output=True, text=True,
                              timeout=600, env=env)
        assert done.returncode == 0, done.stderr
        report = json.loads((root / "results" / "results.json").read_text())
        assert report["extra_data"]["student"] == student
        scores[student] = report["score"]
    assert scores["ada"] == 6 and scores["bob"] < 6


def test_a_student_bundle_renders_the_questions_and_holds_no_answer(released_quiz, tmp_path, cli):
    with zipfile.ZipFile(released_quiz / "student.zip") as bundle:
        names = bundle.namelist()
        texts = {name: bundle.read(name).decode("utf-8", "replace") for name in names}
        bundle.extractall(tmp_path / "bundle")
    assert "tests/units/quiz/questions.yaml" in names and "tests/units/quiz/questions.py" in names
    assert not [n for n in names if n.startswith("tests/") and ("answers" in n or "/code/" in n)]
    answers_source = (MINI / "tests" / "units" / "quiz" / "code" / "answers.py").read_text()
    secrets = [line.strip() for line in answers_source.splitlines() if "Key(" in line]
    key_lines = [f"twice: {answer_key(QUIZ, 'ada')['twice']}", "(a + b)/2"]
    assert len(secrets) == 5
    for name, text in texts.items():
        assert not [s for s in secrets + key_lines if s in text], name
    shown = cli("questions", "--student", "ada", course=tmp_path / "bundle")
    assert shown.returncode == 0 and f"What is twice {numbers('twice', 'ada')['x']}?" in shown.stdout
    zh = cli("questions", "--student", "ada", "--lang", "zh", course=tmp_path / "bundle")
    assert f"{numbers('twice', 'ada')['x']} 的两倍是多少？" in zh.stdout
    (tmp_path / "bundle" / "student_id").write_text("bob\n")  # as the bundle's README asks
    mine = subprocess.run([sys.executable, "-m", "grader", "questions"], cwd=tmp_path / "bundle", capture_output=True,
                          text=True, timeout=120)
    assert f"What is twice {numbers('twice', 'bob')['x']}?" in mine.stdout and "questions for bob" in mine.stdout
    refused = cli("questions", "--student", "ada", "--key", course=tmp_path / "bundle")
    assert refused.returncode == 2 and "no answer key here" in refused.stderr


def test_check_says_which_answers_are_there_and_readable(tmp_path, cli):
    folder = submission(tmp_path / "half", {"twice": 3, "mean": "a + ", "pick": ["a", "c"]})
    shown = cli("check", str(folder), "--unit", "quiz").stdout
    assert "test_answer_is_well_formed[twice]" not in shown  # answered and readable (right or not: no key here)
    assert "mean: your answer cannot be read as arithmetic" in shown
    assert "grid_shape: not answered yet (add it to answers.yaml)" in shown
    # only the form of an answer is checked here: no point of a question is counted as earned
    assert "No public score: the 6 points here are the questions'" in shown and "2/6" not in shown
    # mean is answered, but not readably: the next step is to fix that answer, not to give one
    assert "Next: fix your answer to mean in answers.yaml" in shown, shown
    # the count and the score say what they measure: readable answers, not right ones
    assert "Questions: 2/5 answers are there and can be read" in shown
    assert "only the form of your answers is checked here" in shown
    missing = submission(tmp_path / "none", {"twice": 3})
    assert "Next: answer mean in answers.yaml" in cli("check", str(missing), "--unit", "quiz").stdout


def test_check_and_questions_say_once_that_without_a_student_id_the_numbers_are_the_default(tmp_path, cli):
    folder = submission(tmp_path / "mine", {"twice": 3})
    for command in (["check", str(folder)], ["questions"]):
        done = cli(*command, "--unit", "quiz", cwd=tmp_path)
        assert done.stderr.count("no student_id file here") == 1, done.stderr
        named = cli(*command, "--unit", "quiz", "--student", "ada", cwd=tmp_path)
        assert "student_id" not in named.stderr
    (tmp_path / "student_id").write_text("ada\n")
    assert "student_id" not in cli("questions", "--unit", "quiz", cwd=tmp_path).stderr
    done = cli("check", str(folder), "--unit", "mini", cwd=tmp_path / "mine")  # a unit without questions: no note
    assert "student_id" not in done.stderr


# --- each kind, read and compared ---------------------------------------------------------------


@pytest.mark.parametrize("answer", ["(a + b)/2", "a/2 + b/2", "0.5*a + 0.5*b", "(b+a)/2", "(a + b) * 1/2",
                                    "(2a + 2b)/4", "((a)+(b))÷2", "a*0.5+b*.5"])
def test_an_expression_is_right_in_every_equivalent_spelling(answer):
    assert verdict("mean", answer) == (True, None, "")


@pytest.mark.parametrize("answer, hint", [("a + b", "half_forgotten"), ("a + b/2", "half_forgotten"),
                                          ("(a - b)/2", None), ("a*b/2", None), ("(a + b)/3", None)])
def test_a_wrong_expression_is_wrong_with_the_hint_of_its_mistake(answer, hint):
    right, mistake, message = verdict("mean", answer)
    assert not right and mistake == hint and f"mean: {answer} is not the right answer" == message


def test_numbers_within_tolerance_choices_in_any_order_and_matrices_by_shape():
    n = numbers("third", "ada")["n"]
    assert verdict("third", round(n / 3, 3))[0] and verdict("third", f"{n}/3")[0]
    assert not verdict("third", n // 3)[0]
    x = numbers("twice", "ada")["x"]
    assert verdict("twice", 2 * x)[0] and verdict("twice", float(2 * x))[0] and verdict("twice", f"{x}*2")[0]
    assert verdict("twice", x + 2)[1] == "added_instead" and verdict("twice", x * x)[1] == "squared_instead"
    assert verdict("pick", ["c", "a"])[0] and verdict("pick", ["A", " c"])[0]
    assert verdict("pick", "a")[1] == "only_one" and not verdict("pick", ["a", "b", "c"])[0]
    grid = numbers("grid_shape", "ada")
    assert verdict("grid_shape", [grid["rows"], grid["columns"]])[0]
    assert verdict("grid_shape", [grid["columns"], grid["rows"]])[1] == "shape_swapped"
    assert not verdict("grid_shape", [[grid["rows"], grid["columns"]]])[0]  # the shape is part of the answer


@pytest.mark.parametrize("question, answer, reason", [
    ("twice", "9**9**9", "raises to a power that is not a small whole number"),
    ("twice", "10**31", "is too large to be an answer here"),
    ("twice", "1e400", "is not a finite number"),
    ("twice", float("inf"), "is not a finite number"),
    ("twice", "-" * 150 + "1", "is nested too deeply"),
    ("twice", "(" * 60 + "1" + ")" * 60, "is not the right answer"),  # brackets alone are no nesting: it reads 1
    ("twice", "1" * 300, "is longer than 200 characters"),
    ("twice", "__import__('os').system('touch /tmp/PWNED')", "may use only numbers, its names"),
    ("twice", "x.__class__", "may use only numbers, its names"),
    ("twice", True, "is not a number"),
    ("twice", {"a": 1}, "is not a number"),
    ("twice", "1/0", "divides by zero"),
    # a word where a number is asked for is not a name the question forgot to list
    ("twice", "minus", "cannot be read as a number (minus is a word)"),
    ("twice", "five", "cannot be read as a number (five is a word)"),
    ("twice", "x", "cannot be read as a number (x is a word)"),
    ("twice", "负一", "cannot be read as a number (负一 is a word)"),
    ("mean", "a + c", "uses c, which is not one of its names (a, b)"),
    ("mean", 3, "should be a formula in a, b, written as text"),
    ("pick", ["a", "z"], "names options that do not exist: z"),
    ("pick", [], "should be one option or a list of options"),
    ("grid_shape", "3x4", "should be a list of numbers"),
    ("grid_shape", [[[1]]], "should be a list of numbers"),
    # only numbers and names are read: a string or None written as a constant is no number
    ("twice", "'1722'", "may use only numbers, its names"),
    ("twice", "None", "may use only numbers, its names"),
    ("twice", "[1722][0]", "may use only numbers, its names"),
    # % is no operator of an answer: neither 7 % 4 (3) nor 1 % 0 (Python's ZeroDivisionError), in a number or a
    # formula
    ("twice", "7 % 4", "may use only numbers, its names, + - * / // ** and brackets"),
    ("twice", "1 % 0", "may use only numbers, its names, + - * / // ** and brackets"),
    ("mean", "(a + b) % 2", "may use only numbers, its names, + - * / // ** and brackets"),
    # a ragged matrix says so (it once said "TypeError: argument should be a string or a Rational instance")
    ("grid_shape", [[1, 2], [1], 2], "should have rows of one length"),
    ("grid_shape", [[1, 2], [1]], "should have rows of one length"),
    ("grid_shape", [1, [2, 3]], "should have rows of one length"),
    ("grid_shape", [[]], "should have rows of one length"),
    ("grid_shape", [], "should be a list of numbers"),
    ("grid_shape", [[1] * 40] * 40, "holds more than 1000 numbers"),
])
def test_malformed_answers_get_a_clear_message_and_never_crash(question, answer, reason):
    right, mistake, message = verdict(question, answer)
    assert not right and mistake is None and reason in message, message
    if reason != "is not the right answer":
        assert "your answer" in message
    assert not Path("/tmp/PWNED").exists()


@pytest.mark.parametrize("answer", [
    "(((((2/3)^64)^64)^64)^64)^64",  # 30 characters: its numerator and denominator grow 64-fold a level
    "((1/3 + 1/7)^64)^64", "(10^30)^64", "((9^64)^64)/(9^64)^64", "(2^64)^64 - (2^64)^64 + 1",
])
def test_an_answer_that_needs_huge_numbers_is_refused_at_once(answer):
    # in a child with a deadline: before the fix, the first one ran for hours inside one C call
    right, mistake, message = within(20, verdict, "twice", answer)
    assert not right and mistake is None
    assert "your answer" in message and ("digits to work out exactly" in message or "too large" in message), message


def test_exact_arithmetic_stays_exact_up_to_its_bound():
    assert evaluate("(2/3)^64") == Fraction(2, 3) ** 64  # about 100 bits: read exactly
    assert evaluate("(1/3)^10 * 3^10") == 1
    assert MAX_BITS == 2048
    assert evaluate("((2/3)^64)^16") == Fraction(2, 3) ** 1024  # 1,624 bits: within the bound, read exactly
    with pytest.raises(AnswerError, match="more than 614 digits"):
        evaluate("((2/3)^64)^32")  # 3,248 bits: refused before it is computed


def test_a_hint_is_given_only_when_one_known_mistake_explains_the_answer():
    question = QUESTIONS["twice"]
    one = Key(10, [("added_instead", 12), ("squared_instead", 25)])
    with pytest.raises(Mismatch) as failure:
        judge(question, 12, one, {})
    assert failure.value.finding.mistake == "added_instead"
    both = Key(10, [("added_instead", 12), ("squared_instead", 12)])  # two mistakes, one answer: say neither
    with pytest.raises(Mismatch) as failure:
        judge(question, 12, both, {})
    assert failure.value.finding.mistake is None and "is not the right answer" in render(failure.value.finding.text)


def test_evaluate_is_exact_and_reads_what_people_write():
    assert evaluate("1/3 + 1/3 + 1/3") == 1 and evaluate("2^3") == 8 and evaluate("3 × 4") == 12
    with pytest.raises(AnswerError):
        evaluate("lambda: 1")


# --- the answers file, read as data --------------------------------------------------------------


BILLION_LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n" \
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"


def read(data: bytes):
    """The answers of an answers file's bytes, as the grader gets them: decoded, through the wire, checked."""
    answers, problem, _ = read_answers(through_the_wire(
        {"answers": decoding_answers.parse_yaml(data, "answers.yaml"), "notes": {}}))
    return answers, problem


@pytest.mark.parametrize("data, reason", [
    (BILLION_LAUGHS.encode(), "uses YAML anchors or aliases"),
    (b"twice: \xff\xfe\n", "is not UTF-8 text"),
    (b"twice: " + b"[" * 100 + b"]" * 100 + b"\n", "nested more than 6 levels deep"),
    (b"- 1\n- 2\n", "must map each question's id to its answer"),
    (b"twice: [1, 2\n", "is not valid YAML (line"),
    (b"x: 1\n" * 20000, "KiB; the limit is 64 KiB"),
    (b"a: 1\nb: \x0c\n", "is not valid YAML (line 2: special characters are not allowed)"),  # found by fuzzing
])
def test_a_hostile_answers_file_is_refused_with_a_reason(data, reason):
    answers, problem = read(data)
    assert answers is None and problem is not None and reason in render(problem), render(problem)


@pytest.mark.parametrize("value, reason", [
    pytest.param(b"9" * 60_000, "cannot be read in answers.yaml (ValueError)", id="60000_digits"),
    pytest.param(b"0x" + b"f" * 4000, "holds a number of more than 200 digits", id="4000_hex_digits"),
    (b"2024-02-30", "cannot be read in answers.yaml (ValueError)"),
    (b'!!timestamp "x"', "cannot be read in answers.yaml (AttributeError)"),
    (b'!!bool "maybe"', "cannot be read in answers.yaml (KeyError)"),
    (b'!!int ""', "cannot be read in answers.yaml"),
    (b'!!float ""', "cannot be read in answers.yaml"),
    (b"!!python/object/apply:os.system [ls]", "could not determine a constructor for the tag"),
    (b"!!binary aGVsbG8=", "is binary data, which is not read as an answer"),
    (b"!!set {a, b}", "is a set, which is not read as an answer"),
    (b"{2020-01-01: 1}", "holds a mapping whose keys are not all text"),
    (b"{[1]: 1}", "cannot be read in answers.yaml"),
])
def test_an_answer_that_cannot_be_read_costs_that_answer_only(value, reason):
    answers, problem = read(b"twice: " + value + b"\nmean: 2.5\n")
    assert problem is None and answers is not None
    assert answers.values == {"mean": 2.5} and set(answers.refused) == {"twice"}
    assert reason in render(answers.refused["twice"]), render(answers.refused["twice"])


def test_an_open_answer_is_text_whatever_it_was_written_as():
    texts = ("essay", "other", "tagged")
    data = b"essay: 0x" + b"f" * 4000 + b"\nother: {2020-01-01: 1}\ntagged: !!timestamp x\nplain: 1\n"
    answers, problem, _ = read_answers(through_the_wire(
        {"answers": decoding_answers.parse_yaml(data, "answers.yaml", texts), "notes": {}}))
    assert problem is None and not answers.refused
    assert answers.values == {"essay": "0x" + "f" * 4000, "other": "{2020-01-01: 1}", "tagged": "!!timestamp x",
                              "plain": 1}


# valid and broken answer files alike: libyaml's reading must never change what PyYAML's would give
ANSWER_FILES = [
    b"", b"# nothing yet\n", b"twice: 4\nmean: 2.5\nshape: [3, 4]\n", b"matrix:\n  - [1, 2]\n  - [3, 4]\n",
    b"text: 'a: b'\nyes: yes\nno: ~\nexp: 1e3\nhex: 0x1f\ndate: 2024-01-01\n", "name: \u00e9t\u00e9\n".encode(),
    b"twice: [1, 2\n", b"twice: {a: 1\n", b"\ttwice: 1\n", b"a: 1\na: 2\n", b"- 1\n- 2\n", b"twice: 'open\n",
    b"key: value: other\n", b"%YAML 1.1\n---\ntwice: 1\n", b"---\na: 1\n---\nb: 2\n", BILLION_LAUGHS.encode(),
    b"twice: " + b"[" * 100 + b"]" * 100 + b"\n", b"twice: !!python/object/apply:os.system [ls]\n",
    b"twice: " + b"9" * 60_000 + b"\n", b"when: 2024-02-30\n", b'when: !!timestamp "x"\n',
]
ANSWER_FILE_IDS = [f"file{index}" for index in range(len(ANSWER_FILES))]


@pytest.mark.parametrize("data", ANSWER_FILES, ids=ANSWER_FILE_IDS)
def test_answers_read_with_libyaml_are_what_pyyaml_reads(data, monkeypatch):
    fast = decoding_answers.parse_yaml(data, "answers.yaml")
    monkeypatch.setattr(decoding_answers, "_loaders", lambda yaml_module: (yaml_module.SafeLoader,))
    assert fast == decoding_answers.parse_yaml(data, "answers.yaml")


@pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML is built without libyaml here")
def test_a_valid_answers_file_is_read_by_libyaml(monkeypatch):
    def pure(*args, **kwargs):
        raise AssertionError("read by PyYAML's own parser")

    monkeypatch.setattr(yaml.SafeLoader, "get_single_node", pure)
    assert read(b"twice: 4\nshape: [3, 4]\n")[0].values == {"twice": 4, "shape": [3, 4]}


def test_a_graded_submission_with_a_hostile_answers_file_gets_zero_with_the_reason(tmp_path):
    folder = submission(tmp_path / "bomb", BILLION_LAUGHS)
    score, run = grade(folder, "ada")
    assert score.score == 0 and run.outcomes
    assert all("uses YAML anchors or aliases" in o.message for o in run.outcomes.values())


def test_a_notebook_answers_cell_is_read_as_a_literal_never_run(tmp_path):
    key = answer_key(QUIZ, "ada")
    cell = "import os\nos.system('touch /tmp/PWNED-nb')\nANSWERS = " + json.dumps(key) + "\n"
    notebook = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "answers"}},
                           "source": cell, "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "ada.ipynb"
    path.write_text(json.dumps(notebook))
    taken = intake_here(QUIZ, path)
    assert taken.answers.values == key and taken.answers_problem is None
    assert not Path("/tmp/PWNED-nb").exists()
    assert grade(path, "ada")[0].score == 6
    assert "with plain values only" in render(read_answers(through_the_wire({"answers": decoding_answers.parse_cell(
        "ANSWERS = compute()\n", "cell"), "notes": {}}))[1])
    answers = read_answers(through_the_wire({"answers": decoding_answers.parse_cell(
        "ANSWERS = {'twice': compute(), 'mean': 2.5, b'k': 1, 'z': 1j}\n", "cell"), "notes": {}}))[0]
    assert answers.values == {"mean": 2.5} and set(answers.refused) == {"twice", "z"}
    assert "is not a value written out" in render(answers.refused["twice"])
    assert "is a complex number" in render(answers.refused["z"])


def cell_answers(source: str):
    return read_answers(through_the_wire({"answers": decoding_answers.parse_cell(source, "cell"), "notes": {}}))


def test_an_answers_cell_is_read_as_python_would_run_it(tmp_path):
    """The last ``ANSWERS = {...}`` counts, with what the cell adds to it after (``ANSWERS[...] = ...``,
    ``ANSWERS.update(...)``); what comes before it, Python would never reach."""
    key = answer_key(QUIZ, "ada")
    (first, one), *rest = key.items()
    cell = "ANSWERS['early'] = 1\nANSWERS = {'stale': 0}\nANSWERS = {}\n" + f"ANSWERS[{first!r}] = {one!r}\n"
    cell += "ANSWERS.update({" + ", ".join(f"{k!r}: {v!r}" for k, v in rest[:1]) + "}"
    cell += "".join(f", {k}={v!r}" for k, v in rest[1:] if k.isidentifier()) + ")\n"
    cell += "".join(f"ANSWERS[{k!r}] = {v!r}\n" for k, v in rest[1:] if not k.isidentifier())
    answers, problem, _ = cell_answers(cell)
    assert problem is None and answers.values == key and not answers.refused, (cell, answers)
    answers, _, _ = cell_answers("ANSWERS = {'a': 1}\nANSWERS['b'] = f()\nANSWERS['a'] = 2\n")
    assert answers.values == {"a": 2} and set(answers.refused) == {"b"}
    assert "line 2, changes ANSWERS" in render(cell_answers("ANSWERS = {'a': 1}\nANSWERS.update(x)\n")[1])
    assert "with plain values only" in render(cell_answers("ANSWERS['a'] = 1\n")[1])  # never given a dict
    answers, _, _ = cell_answers("%load_ext autoreload\nANSWERS = {'a': 1, 'b': 2, 'c': 3}\nANSWERS |= {'a': 4}\n"
                                 "del ANSWERS['b']\nprint(ANSWERS)\n")
    assert answers.values == {"a": 4, "c": 3}
    for change in ("ANSWERS['a'] += 1", "for k in 'ab':\n    ANSWERS[k] = 5", "ANSWERS, x = {'a': 5}, 0",
                   "ANSWERS.setdefault('d', 1)", "ANSWERS.update(**more)", "ANSWERS |= more"):
        said = render(cell_answers(f"ANSWERS = {{'a': 1}}\n{change}\n")[1])
        assert said.startswith("cell, line 2, changes ANSWERS in a way the grader does not read"), (change, said)
    notebook = {"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "answers"}},
                           "source": cell, "outputs": [], "execution_count": None}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "ada.ipynb"
    path.write_text(json.dumps(notebook))
    assert grade(path, "ada")[0].score == 6


def test_per_student_seeds_draw_the_random_cases_of_the_code_tests_too(mini):
    assert seed_for(mini, "ada") != seed_for(mini, "bob") and seed_for(mini, "ada") == seed_for(mini, "ada")
    assert seed_for(mini, None) == 1234 and seed_for(mini, "ada", forced=7) == 7
    run = run_suites(mini, mini.source_dir, seed=seed_for(mini, "ada"), student="ada")
    assert run.seed == seed_for(mini, "ada") and score_run(mini, run).score == 10


def test_the_solutions_answer_every_question_of_the_default_variant():
    given = yaml.safe_load((MINI / "solutions" / "answers.yaml").read_text())
    assert given == answer_key(QUIZ, None)
    assert grade(MINI / "solutions", None)[0].score == 6
    assert os.path.isfile(MINI / "tests" / "units" / "quiz" / "questions.py")


def test_a_questions_file_is_read_once_per_text(mini_copy, monkeypatch):
    """Grading asks for the questions on every submission: an unchanged file is not parsed again, a changed one
    is."""
    from grader.model import questions as model

    path = mini_copy / "tests" / "units" / "quiz" / "questions.yaml"
    parsed = []
    real = model.read
    monkeypatch.setattr(model, "read", lambda *args: parsed.append(1) or real(*args))
    first = model.load_questions(path)
    assert model.load_questions(path) == first and len(parsed) == 1
    path.write_text(path.read_text().replace("What is twice {x}?", "What is two times {x}?"))
    assert model.load_questions(path)[0].text["en"] == "What is two times {x}?" and len(parsed) == 2


def test_gradescopes_own_id_never_chooses_a_students_numbers(tmp_path, cli):
    """Gradescope's ``users[].id`` is its internal number: grading by it gave every student numbers they never saw
    (3/6 for a right answer key). The Student ID (``sid``) chooses, else the email; with neither, the default
    variant, and it is said."""
    folder = submission(tmp_path / "ada", answer_key(QUIZ, "ada"))
    for users, student, score in (([{"id": 1234, "sid": "ada", "email": "a@x.org"}], "ada", 6),
                                  ([{"id": 1234, "email": "ada"}], "ada", 6),
                                  ([{"id": 1234, "name": "Ada"}], None, None)):
        (tmp_path / "meta.json").write_text(json.dumps({"users": users}))
        done = cli("grade", str(folder), "--unit", "quiz", "--metadata", str(tmp_path / "meta.json"), "--json",
                   str(tmp_path / "r.json"))
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["extra_data"]["student"] == student, done.stderr
        if score is not None:
            assert report["score"] == score
        else:
            assert "names no student (users[0].sid or .email); grading the default variant" in done.stderr


def test_answers_an_archive_holds_in_a_way_they_cannot_be_read_say_why(tmp_path):
    """Not "no answers": an ``answers.yaml`` compressed with bzip2, in an archive whose modules are read, is
    refused for that reason, and a student knows what to do."""
    key = answer_key(QUIZ, "ada")
    path = tmp_path / "ada.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.txt", "hello")
        archive.writestr("answers.yaml", yaml.safe_dump(key), compress_type=zipfile.ZIP_BZIP2)
    taken = intake_here(QUIZ, path)
    assert taken.answers is None and "answers.yaml compressed with bzip2" in render(taken.answers_problem)
    score, run = grade(path, "ada")
    assert score.score == 0 and all("compressed with bzip2" in o.message for o in run.outcomes.values())
