"""Intake without a worker, for tests that try many inputs: the decoders (``grader.trust.decoding``) run in this
process, and each request and reply crosses the wire's JSON both ways, as it does to and from the worker, before
the document is checked against its schema (``grader.trust.document``). What grading does in the sandbox, the
same code doing the same work; the sandbox's own part (limits, a crash costing one part) is tested through real
workers in ``tests/framework/test_intake.py``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from grader.model.course import Unit
from grader.model.messages import t
from grader.running.intake import DecodeFailed, Intake, take
from grader.running.transport import Carried, carry
from grader.trust import decoding, wire


def through_the_wire(value: Any) -> Any:
    """``value`` as the other side of the wire reads it."""
    return wire.parse(wire.frame(value)[wire.HEADER.size:])


def decode_here(request: dict[str, Any]) -> Any:
    """A decode request answered here as the worker answers it: a decoder that raises fails its part, as an
    error reply does (``LiveSubmission.decode``)."""
    sent = through_the_wire(wire.request("decode", **request))
    sent.pop("op")
    try:
        answer = decoding.decode(sent)
    except Exception as error:  # noqa: BLE001 - in the worker, an error reply: the part's problem
        raise DecodeFailed(t("intake.decode_raised", kind=type(error).__name__)) from None
    return through_the_wire(answer)


def intake_here(unit: Unit | tuple[list[str], int], submission: Path | Carried, answers: bool = True,
                texts: tuple[str, ...] = (), practice: bool = False) -> Intake:
    """The intake of ``submission`` (a path, or what ``carry`` took of one) for ``unit`` (or its modules and
    ``source_kb``), decoded in this process."""
    modules, source_kb = unit if isinstance(unit, tuple) else (list(unit.modules), unit.limits.source_kb)
    carried = submission if isinstance(submission, Carried) else carry(submission, modules, source_kb, practice)
    return take(decode_here, carried, modules, source_kb * 1024, answers=answers, texts=texts, practice=practice)
