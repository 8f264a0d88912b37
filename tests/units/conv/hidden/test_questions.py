"""Hidden tests, the questions: each answer against the key of the student's own numbers."""

from grader.kit.questions import test_question  # noqa: F401 - pytest collects it here
