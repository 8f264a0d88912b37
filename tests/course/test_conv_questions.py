"""The conv unit's questions: a variant for every student, and the output-size formula read in every
equivalent spelling, its common wrong forms named by their mistakes."""

from pathlib import Path

import pytest

from grader.kit import Mismatch
from grader.kit.questions import answer_key, judge, key_of, parameters, questions_of
from grader.model.course import load_course
from grader.model.messages import render

ROOT = Path(__file__).resolve().parents[2]
CONV = load_course(ROOT).unit("conv")
QUESTIONS = {q.id: q for q in questions_of(CONV)}


def verdict(question_id, answer, student="ada"):
    question = QUESTIONS[question_id]
    numbers = parameters(CONV, question, student)
    try:
        judge(question, answer, key_of(CONV, question, numbers), numbers)
    except Mismatch as failure:
        return False, failure.finding.mistake, render(failure.finding.text)
    return True, None, ""


def test_the_lessons_questions_are_all_there():
    assert set(QUESTIONS) == {
        "fc_parameters", "architecture_nmk", "a_at_stride_1", "a_at_stride_2", "output_size", "output_size_padded",
        "output_size_formula", "output_size_formula_padded", "feature_maps", "lesson_a", "relu_value",
        "relu_derivative", "sigmoid_derivative_max", "fewer_parameters"}
    assert {q.kind for q in QUESTIONS.values()} == {"number", "matrix", "expression", "choice"}


def test_two_students_get_other_numbers_for_every_parameterized_question():
    for question in QUESTIONS.values():
        if question.parameters is None:
            continue
        ada, bob = parameters(CONV, question, "ada"), parameters(CONV, question, "bob")
        assert parameters(CONV, question, "ada") == ada
        # a small space of numbers can meet by chance: some other student differs, most do
        others = [parameters(CONV, question, f"student-{i}") for i in range(20)]
        assert sum(other != ada for other in others) >= 15, question.id
        assert ada != bob or question.id == "lesson_a", question.id
    assert answer_key(CONV, "ada") != answer_key(CONV, "bob")


@pytest.mark.parametrize("spelling", [
    "(W1 - F + 2*P)/S + 1", "1 + (W1 + 2*P - F)/S", "(W1 - F + 2P)/S + 1", "(W1-F+2*P)//S+1",
    "(W1 + 2*P - F + S)/S", "W1/S - F/S + 2*P/S + 1", "(W1 - F + 2 * P) / S + 1.0", "((W1 - F) + 2P) ÷ S + 1",
])
def test_the_padded_output_size_formula_is_right_in_every_equivalent_spelling(spelling):
    assert verdict("output_size_formula_padded", spelling) == (True, None, "")


@pytest.mark.parametrize("spelling, hint", [
    ("(W1 - F)/S + 1", "output_size_without_2p"),
    ("(W1 - F + P)/S + 1", "output_size_without_2p"),
    ("(W1 - F + 2*P)/S", "output_size_formula"),
    ("(W1 + F + 2*P)/S + 1", None),
    ("W1 - F + 2*P + 1", None),
])
def test_common_wrong_formulas_are_rejected_with_their_hint(spelling, hint):
    right, mistake, message = verdict("output_size_formula_padded", spelling)
    assert not right and mistake == hint and "is not the right answer" in message


def test_a_formula_naming_what_the_question_does_not_is_refused_with_the_names_it_may_use():
    right, mistake, message = verdict("output_size_formula", "(W1 - F + 2*P)/S + 1")
    assert not right and mistake is None
    assert "uses P, which is not one of its names (W1, F, S)" in message
