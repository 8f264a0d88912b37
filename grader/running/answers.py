"""A student's answers to a unit's questions, as the grader holds them once decoded.

They come as ``answers.yaml`` (question id -> answer) beside the modules, or, in a notebook, as the answer cell
``answers`` holding ``ANSWERS = {...}``; practice answers as ``practice.yaml``. Each is untrusted data, decoded
in the sandbox (``grader.trust.decoding.answers``: bounded before it is parsed, every answer read on its own,
never run) and checked on the way back (``grader.trust.document``): what reaches the grader is an ``Answers``,
plain values by question id and, for each answer that could not be read, why.
"""

from __future__ import annotations

import json

from ..model.questions import MAX_OPEN_CHARACTERS, OPEN_PLACEHOLDER, Question, open_answer_digest
from ..model.results import Answers, OpenAnswer
from ..trust.decoding.answers import ANSWERS_FILE, PRACTICE_FILE
from ..trust.decoding.answers import MAX_ANSWER_BYTES as MAX_BYTES
from ..trust.decoding.notebooks import ANSWERS_CELL as NOTEBOOK_CELL

__all__ = ["ANSWERS_FILE", "MAX_BYTES", "NOTEBOOK_CELL", "PRACTICE_FILE", "Answers", "open_answers_of"]


def open_answers_of(questions: list[Question], answers: Answers | None, notes: dict[str, str]) -> dict[str, OpenAnswer]:
    """Each open question's answer: its text in ``answers.yaml`` (or the notebook's answers cell), else the
    notebook's Markdown cell of the question's id; at most ``MAX_OPEN_CHARACTERS`` of it. An answer that is not
    text (a list, say) is kept as its JSON, for the reviewer to see as it was given."""
    found = {}
    values = answers.values if answers is not None else {}
    for question in questions:
        given = values.get(question.id)
        if given is None:
            given = notes.get(question.id)
        if given is None:
            text = ""
        elif isinstance(given, str):
            text = given
        else:
            text = json.dumps(given, ensure_ascii=False)
        text = text.strip()
        if text == OPEN_PLACEHOLDER:  # the notebook's cell as the student was given it
            text = ""
        cut = len(text) > MAX_OPEN_CHARACTERS
        text = text[:MAX_OPEN_CHARACTERS]
        found[question.id] = OpenAnswer(question.id, text, open_answer_digest(text) if text else "",
                                        float(question.points or 0.0), cut)
    return found
