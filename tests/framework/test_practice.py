"""Practice questions: a variant of numbers of its own, its key shipped as data, judged by ``grader check`` with
the hints, never scored; on the quiz unit of the mini fixture course."""

import json
import string
import zipfile
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from bounded import ends_within, timed
from hypothesis import given
from hypothesis import strategies as st
from intake_here import intake_here

from grader.kit import Mismatch
from grader.kit.practice import (
    PRACTICE_FILE,
    judge_practice,
    load_practice_key,
    practice_key,
    practice_numbers,
    practice_questions,
)
from grader.kit.questions import judge, key_of, parameters, questions_of
from grader.model.course import load_course
from grader.model.messages import render
from grader.model.results import Answers

MINI = Path(__file__).parent / "fixtures" / "mini"
QUIZ = load_course(MINI).unit("quiz")
QUESTIONS = {q.id: q for q in questions_of(QUIZ)}


def test_only_questions_with_numbers_have_a_practice_variant_and_its_numbers_are_its_own():
    # a formula or a choice has one answer for everyone: its practice key would be every student's key
    assert [q.id for q in practice_questions(QUIZ)] == ["twice", "grid_shape", "third"]
    for question in practice_questions(QUIZ):
        mine = practice_numbers(QUIZ, question)
        assert mine == practice_numbers(QUIZ, question)  # the same every time
        assert mine != parameters(QUIZ, question, None)  # not the default variant's
        others = [parameters(QUIZ, question, f"student{n}") for n in range(5)]
        assert any(mine != theirs for theirs in others)


def test_no_student_ever_has_the_practice_variants_numbers():
    """The practice key is in every student's bundle: no student's graded numbers may be the practice variant's.
    The quiz's ``third`` draws from 99 numbers, so about one id in a hundred drew them before."""
    for question in practice_questions(QUIZ):
        practice = practice_numbers(QUIZ, question)
        drawn = [parameters(QUIZ, question, f"s{n}") for n in range(3000)]
        assert practice not in drawn, question.id
        assert drawn == [parameters(QUIZ, question, f"s{n}") for n in range(3000)]  # each id keeps its numbers
        assert len({json.dumps(numbers, sort_keys=True) for numbers in drawn}) > 50  # still spread


@given(student=st.text(max_size=30))
def test_any_id_has_numbers_of_its_own_not_the_practice_variants(student):
    for question in practice_questions(QUIZ):
        assert parameters(QUIZ, question, student) != practice_numbers(QUIZ, question)


def test_a_generator_with_one_variant_is_a_course_error_not_a_loop(mini_copy):
    from grader.model.course import CourseError

    generators = mini_copy / "tests" / "units" / "quiz" / "questions.py"
    generators.write_text(generators.read_text().replace('return {"n": int(rng.integers(1, 100)) * 3 + 1}',
                                                         'return {"n": 4}'))
    unit = load_course(mini_copy).unit("quiz")
    third = next(q for q in practice_questions(unit) if q.id == "third")
    with pytest.raises(CourseError, match="gave the practice variant's numbers 100 times in a row"):
        parameters(unit, third, "ada")


def candidates(question_id, entry):
    """Answers to try against a key: the right one, each known mistake's, and near misses."""
    right = entry["right"]
    answers = [right, *[answer for _, answer in entry["mistakes"]]]
    if isinstance(right, list):
        answers += [[cell + 1 for cell in right], list(reversed(right))]
    else:
        answers += [Fraction(right) + 1, Fraction(right) * 2, "1/3", "x"]
    return [str(a) if isinstance(a, Fraction) else a for a in answers]


def from_code(question, answer, key, numbers):
    """(right, the mistake named) of ``answer`` judged with the course code's key."""
    try:
        judge(question, answer, key, numbers)
    except Mismatch as failure:
        return False, failure.finding.mistake
    return True, None


def test_the_key_as_data_judges_every_answer_as_the_course_code_does():
    key = json.loads(json.dumps(practice_key(QUIZ)))  # as practice.json carries it
    assert sorted(key["questions"]) == ["grid_shape", "third", "twice"]
    tried = 0
    for question_id, entry in key["questions"].items():
        question = QUESTIONS[question_id]
        numbers = practice_numbers(QUIZ, question)
        code_key = key_of(QUIZ, question, numbers)
        for answer in candidates(question_id, entry):
            judged = judge_practice(QUIZ, Answers({question_id: answer}), key)
            [result] = [r for r in judged if r.question == question_id]
            from_data = (result.right, result.finding.mistake if result.finding else None)
            assert from_data == from_code(question, answer, code_key, numbers), (question_id, answer)
            tried += 1
    assert tried >= 15


def test_a_third_to_three_figures_is_right_in_practice_as_in_grading():
    key = practice_key(QUIZ)
    n = practice_numbers(QUIZ, QUESTIONS["third"])["n"]
    assert judge_practice(QUIZ, Answers({"third": round(n / 3, 3)}), key)[2].right
    assert not judge_practice(QUIZ, Answers({"third": n // 3}), key)[2].right


@pytest.mark.parametrize(("question", "answer"), [("twice", 0), ("twice", 0.0), ("twice", "0"), ("third", 0),
                                                ("twice", False), ("grid_shape", [0, 0]), ("twice", "")])
def test_an_answer_of_zero_or_false_is_an_answer_judged_never_one_left_out(question, answer):
    """Only a question missing from practice.yaml (or written ``null``) is not answered: ``0``, ``0.0``, ``false``
    and an empty text are answers, judged right or wrong (here wrong: no practice key is zero)."""
    key = practice_key(QUIZ)
    assert all(entry["right"] not in (0, [0, 0]) for entry in key["questions"].values())
    [judged] = [r for r in judge_practice(QUIZ, Answers({question: answer}), key) if r.question == question]
    assert judged.answered and not judged.right
    assert judged.finding is not None and judged.finding.text.code != "practice.missing", render(judged.finding.text)
    [left_out] = [r for r in judge_practice(QUIZ, Answers({question: None}), key) if r.question == question]
    assert not left_out.answered and left_out.finding.text.code == "practice.missing"


@pytest.fixture
def bundle(released_quiz, tmp_path):
    folder = tmp_path / "bundle"
    with zipfile.ZipFile(released_quiz / "student.zip") as archive:
        archive.extractall(folder)
    return folder


def test_a_student_bundle_carries_the_practice_key_as_data_and_no_answer_of_its_own(bundle):
    shipped = json.loads((bundle / "tests" / "units" / "quiz" / "practice.json").read_text(encoding="utf-8"))
    assert shipped == json.loads(json.dumps(practice_key(QUIZ)))
    assert not (bundle / "tests" / "units" / "quiz" / "code").exists()
    assert "mean" not in shipped["questions"] and "pick" not in shipped["questions"]
    unit = load_course(bundle).unit("quiz")
    assert unit.content("code") is None and load_practice_key(unit) == shipped


def test_check_in_a_bundle_judges_the_practice_answers_with_hints_and_the_score_stays_the_public_one(bundle, cli):
    key = practice_key(QUIZ)["questions"]
    x = practice_numbers(QUIZ, QUESTIONS["twice"])["x"]
    rows, columns = key["grid_shape"]["right"]
    (bundle / "exercises" / PRACTICE_FILE).write_text(yaml.safe_dump({"twice": 2 * x, "grid_shape": [columns, rows]}))
    done = cli("check", "exercises", "--unit", "quiz", course=bundle, cwd=bundle)
    shown = done.stdout
    assert "Practice questions (not scored): 1/3 right" in shown, shown
    assert f"grid_shape: [{columns}, {rows}] is not the right answer" in shown
    assert "Hint: a shape gives the rows first, then the columns." in shown
    assert "third: not answered in practice.yaml" in shown
    assert "twice:" not in shown.split("Practice questions")[1]  # a right answer is counted, not listed
    assert "No public score" in shown and done.returncode == 1  # the stubs' answers: practice adds nothing
    zh = cli("check", "exercises", "--unit", "quiz", "--lang", "zh", course=bundle, cwd=bundle).stdout
    assert "练习题（不计分）：3 题中答对 1 题" in zh and "形状先写行数，再写列数。" in zh


def test_questions_practice_shows_the_practice_numbers_and_says_where_to_answer(bundle, cli):
    shown = cli("questions", "--practice", "--unit", "quiz", course=bundle, cwd=bundle)
    x = practice_numbers(QUIZ, QUESTIONS["twice"])["x"]
    assert shown.returncode == 0 and f"What is twice {x}?" in shown.stdout
    assert "practice.yaml" in shown.stdout and "[mean]" not in shown.stdout and "[pick]" not in shown.stdout
    refused = cli("questions", "--practice", "--student", "ada", "--unit", "quiz", course=bundle)
    assert refused.returncode == 2 and "--practice" in refused.stderr
    none = cli("questions", "--practice", "--unit", "mini")
    assert none.returncode == 2


def test_check_offers_practice_until_a_practice_file_is_there(tmp_path, cli):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "answers.yaml").write_text("twice: 3\n")
    assert "grader questions --practice" in cli("check", str(folder), "--unit", "quiz").stdout
    (folder / PRACTICE_FILE).write_text("twice: 3\n")
    shown = cli("check", str(folder), "--unit", "quiz").stdout
    assert "grader questions --practice" not in shown and "Practice questions (not scored): 0/3 right" in shown


@pytest.mark.parametrize(("content", "reason"), [
    (b"twice: &a 3\nthird: *a\n", "anchors or aliases"),
    (b"- 1\n- 2\n", "must map each question's id to its answer"),
    (b"twice: [\n", "is not valid YAML"),
    (b"x" * (64 * 1024 + 1), "the limit is 64 KiB"),
])
def test_a_hostile_practice_file_gets_one_line_and_the_checks_still_run(tmp_path, cli, content, reason):
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / PRACTICE_FILE).write_bytes(content)
    done = cli("check", str(folder), "--unit", "quiz")
    line = [text for text in done.stdout.splitlines() if "practice.yaml cannot be read" in text]
    assert len(line) == 1 and reason in line[0], done.stdout
    assert "No public score" in done.stdout and "Traceback" not in done.stdout + done.stderr


def test_a_link_in_place_of_the_practice_file_is_not_followed(tmp_path):
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text("twice: 3\n")
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / PRACTICE_FILE).symlink_to(secret)
    intake = intake_here(QUIZ, folder, answers=False, practice=True)
    assert intake.practice is None and "not a regular file" in render(intake.practice_problem)


values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**40, 10**40), st.floats(), st.text(max_size=30),
              st.sampled_from(["1/3", "2*(3+4)", "((9/7)^64)^64", "x", "负一", "1e400"])),
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=20)
practice_files = st.one_of(
    st.binary(max_size=1500),
    st.text(alphabet=string.printable + "é学\u202e", max_size=1500).map(str.encode),
    st.dictionaries(st.sampled_from(["twice", "grid_shape", "third", "mean", "other"]), values, max_size=5).map(
        lambda answers: json.dumps(answers, default=str).encode()))


@ends_within(240)
@given(content=practice_files)
def test_any_practice_file_is_judged_or_refused_in_one_line(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("practice")
    (folder / PRACTICE_FILE).write_bytes(content)
    key = practice_key(QUIZ)
    intake = timed(5, intake_here, QUIZ, folder, False, (), True)
    answers, problem = intake.practice, intake.practice_problem
    if problem is not None:
        assert answers is None
        for lang in ("en", "zh"):
            assert "\n" not in render(problem, lang)
        return
    results = timed(5, judge_practice, QUIZ, answers, key)
    assert [r.question for r in results] == ["twice", "grid_shape", "third"]
    for result in results:
        assert result.right == (result.finding is None)
        if result.finding is not None:
            for lang in ("en", "zh"):
                assert "\n" not in render(result.finding.text, lang)

