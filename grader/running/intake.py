"""Intake: what a submission holds, decoded where its code will run, into the grader's hands as checked data.

The grader reads a submission only as bytes, without interpreting them: ``grader.running.transport.carry``
takes the few files grading needs, each bounded (the modules, the answers files, the notebooks, an archive),
and lists nothing more. Everything else happens in the sandbox: the submission's worker decodes those bytes
(``grader.trust.decoding``: the layout, archives, notebooks, UTF-8, Python's syntax, YAML, literals) one part
per request, before any of the student's code is loaded there, under the limits that code has. What comes back
is checked against a strict schema (``grader.trust.document``) before anything reads it. A part whose decoding
fails (its reader raised, ran out of memory or time, or answered outside the schema) costs that part only: the
modules, or the answers, or the practice answers; never the grader, and never the other parts.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.errors import Whole
from ..model.messages import Text, t
from ..model.results import Answers
from ..trust.document import DocumentError, read_answers, read_modules, read_practice
from .transport import Carried, Record, carry

PACKAGE = "submission"


@dataclass
class Intake:
    """A submission as decoded: how its modules came (``folder``, ``notebook`` or ``archive``), each accepted
    module's source (and the code it compiled to), the problem of each module that is not, in a notebook the
    modules whose names each one sees and the student's own cells run before it, its answers and a notebook's
    open answers (``notes``), and its practice answers (``grader check``)."""

    package: str = PACKAGE
    form: str = "folder"
    accepted: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # module name -> checked source text
    code: dict[str, bytes] = field(default_factory=dict)  # module name -> its code, marshalled (may be absent)
    shared: dict[str, tuple[str, ...]] = field(default_factory=dict)  # notebook: module -> modules before it
    preludes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # notebook: module -> student cells first
    problems: dict[str, Text] = field(default_factory=dict)  # module name -> why it is not graded
    answers: Answers | None = None  # the answers to the unit's questions (None: none were given)
    answers_problem: Text | None = None  # why the answers given cannot be read
    notes: dict[str, str] = field(default_factory=dict)  # a notebook's open answers: question id -> text
    practice: Answers | None = None
    practice_problem: Text | None = None

    def written(self) -> dict[str, str]:
        """What the student wrote of each accepted module, for comparing submissions: its source, after the
        student's own cells run before it in a notebook (code moved up a cell is code all the same)."""
        return {name: "\n\n".join([*self.preludes.get(name, ()), source]) for name, source in self.sources.items()}

    @property
    def decoded(self) -> bool:
        """Whether the modules part has been read (the worker may be given the sources)."""
        return bool(self.accepted or self.problems)


def refused(modules: list[str], problem: Text) -> Intake:
    """The intake of a submission none of whose modules can be read, each for ``problem``."""
    return Intake(problems=dict.fromkeys(modules, problem))


Decoder = Callable[[dict[str, Any]], Any]  # a request to the submission's worker -> its answer


def _records(carried: Carried, keep: Callable[[Record], bool]) -> list[dict[str, Any]]:
    """The records a part needs, as the request carries them (bytes in base64)."""
    return [{"path": record.path, "kind": record.kind, "size": record.size, "target": record.target,
             "data": base64.b64encode(record.data).decode("ascii") if record.data is not None else None}
            for record in carried.records if keep(record)]


def _for_modules(record: Record) -> bool:
    name = record.path.rpartition("/")[2]
    return not record.path or record.kind == "folder" or name.endswith(".py") or name.lower().endswith(".ipynb")


def _for_answers(record: Record) -> bool:
    name = record.path.rpartition("/")[2]
    return not record.path or record.kind == "folder" or name.endswith((".py", ".yaml")) or \
        name.lower().endswith(".ipynb")


def _for_practice(record: Record) -> bool:
    """What finds ``practice.yaml`` where ``answers.yaml`` is found: beside the modules (or the notebook)."""
    return _for_answers(record)


def take(decode: Decoder, carried: Carried, modules: list[str], max_bytes: int, answers: bool = False,
         texts: tuple[str, ...] = (), practice: bool = False) -> Intake:
    """The intake of ``carried``: its ``modules`` (each of at most ``max_bytes``), and with ``answers`` its
    answers (and the notebook's Markdown cells of the open questions ``texts``), and with ``practice`` its
    practice answers, each part decoded by ``decode`` (a request to the submission's worker; it raises
    ``DecodeFailed`` when the worker cannot answer) and checked here. See the module's docstring."""
    if carried.refused is not None:
        return refused(modules, carried.refused)
    base = {"name": carried.name, "modules": modules, "source_bytes": max_bytes, "texts": list(texts)}
    try:
        found = read_modules(decode({**base, "part": "modules", "records": _records(carried, _for_modules)}),
                             modules, max_bytes)
    except (DecodeFailed, DocumentError) as error:
        intake = refused(modules, t("intake.decoder", reason=_reason(error)))
    else:
        intake = Intake(form=found.form, accepted=[name for name in modules if name in found.sources],
                        sources=found.sources, code=found.code, shared=found.shared, preludes=found.preludes,
                        problems=found.problems)
    if answers:
        try:
            intake.answers, intake.answers_problem, intake.notes = read_answers(
                decode({**base, "part": "answers", "records": _records(carried, _for_answers)}))
        except (DecodeFailed, DocumentError) as error:
            intake.answers_problem = t("answers.decoder", reason=_reason(error))
    if practice:
        try:
            intake.practice, intake.practice_problem = read_practice(
                decode({**base, "part": "practice", "records": _records(carried, _for_practice)}))
        except (DecodeFailed, DocumentError) as error:
            intake.practice_problem = t("answers.decoder", reason=_reason(error))
    return intake


class DecodeFailed(Whole, Exception):
    """The worker could not decode a part: it died, timed out, raised or answered garbage (``reason``)."""

    def __init__(self, reason: Text | str) -> None:
        super().__init__(str(reason))
        self.reason = reason


def _reason(error: Exception) -> Text | str:
    return error.reason if isinstance(error, DecodeFailed) else str(error)


def carry_of(unit: Unit, submission: Path, practice: bool = False) -> Carried:
    """What grading reads of ``submission`` (see ``grader.running.transport``)."""
    return carry(submission, list(unit.modules), unit.limits.source_kb, practice)


def take_for(decode: Decoder, carried: Carried, unit: Unit, answers: bool = False, texts: tuple[str, ...] = (),
             practice: bool = False) -> Intake:
    """``take`` for ``unit``'s modules and limits."""
    return take(decode, carried, list(unit.modules), unit.limits.source_kb * 1024, answers, texts, practice)
