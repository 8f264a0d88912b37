"""The trusted side of the proxy: student objects as seen from the tests.

``LiveSubmission`` owns the worker of one submission: it starts it on demand, starts
a fresh one after a crash or a timeout, remembers which modules cannot be
imported, and enforces the submission's overall time budget. ``Remote`` is a
student object that stays in the worker; using it sends a request. Answers
come back as plain data only (see ``grader.trust.wire``).
"""

from __future__ import annotations

import base64
import contextlib
import importlib.util
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model.course import Limits, Unit
from ..model.errors import Whole
from ..model.messages import Text, t
from ..model.questions import open_questions
from ..model.results import Printed
from ..trust import policy, wire
from ..trust.child import WorkerFailure, joined_output
from ..trust.portable import PortableWorker
from ..trust.worker import Worker, start
from ..trust.zygote import Zygote
from .intake import PACKAGE, DecodeFailed, Intake, carry_of, take_for
from .transport import Carried


class StudentError(Whole, Exception):
    """Student code raised an exception (or cannot be reached).

    ``text`` is the message; ``hidden`` the same without anything the student's
    code put in it (an exception's message may echo a hidden test's input).
    """

    def __init__(self, text: Text, hidden: Text | None = None) -> None:
        super().__init__(str(text))
        self.text = text
        self.hidden = hidden or text
        self.mistake: str | None = None  # set by a test that recognises a known mistake in the error


class NotImplementedYet(StudentError):
    """Student code still raises ``NotImplementedError``."""


class Remote:
    """A student object living in the worker (a module, an instance, a function...). What a suite may do with one:

    - ``obj.name``: read an attribute. Plain data (numbers, strings, ``None``, lists, tuples, dicts, NumPy arrays)
      comes back as a copy; anything else as another remote object.
    - ``obj.name = value``: set an attribute in the worker (``value``: plain data, or a remote object).
    - ``obj(*args, **kwargs)``: call it; arguments cross as plain data or remote objects, the result as an
      attribute's does. A method call (``layer.forward(x)``) is one round trip.
    - ``obj[key]``, ``len(obj)``, ``for item in obj``: each a request to the worker.
    - ``fetch(obj)``: its value as plain data (an array the student filled in place); ``student_repr(obj)``: its
      ``repr``, computed in the worker; ``submission.put(array)``: a copy in the worker, for student code to change.

    It belongs to the worker that made it: once that worker has ended (a crash, a timeout), using it fails with a
    message that says so.
    """

    __slots__ = ("_session", "_id", "_type", "_label", "_generation", "_shape")
    _id: int

    def __init__(self, session: LiveSubmission, ident: int, type_name: str, label: str,
                 shape: tuple[int, ...] | None = None) -> None:
        object.__setattr__(self, "_session", session)
        object.__setattr__(self, "_id", ident)
        object.__setattr__(self, "_type", type_name)
        object.__setattr__(self, "_label", label)
        object.__setattr__(self, "_generation", session.generation)
        object.__setattr__(self, "_shape", shape)  # of an array the tests put there, to describe a call with it

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        key = (self._ident(), name)
        if self._type == "module" and key in self._session.module_attributes:
            # a module's classes and functions are looked up once per worker: tests reach them constantly
            return self._session.module_attributes[key]
        label = self._session.methods.get((self._type, name))
        if label is not None and self._type != "module":
            return Method(self, name, label)  # looked up when called, in the same round trip
        value = self._lookup(name)
        if self._type == "module" and isinstance(value, Remote):
            self._session.module_attributes[key] = value
        elif isinstance(value, Remote) and value._type == "method":
            self._session.methods[(self._type, name)] = value._label
        return value

    def _lookup(self, name: str) -> Any:
        return self._session.request(
            wire.request("getattr", obj=self._ident(), name=name, q=self._label),
            t("doing.reading", what=f"{self._label}.{name}"),
        )

    def __setattr__(self, name: str, value: Any) -> None:
        self._session.request(
            wire.request("setattr", obj=self._ident(), name=name, value=self._session.encode(value)),
            f"setting {self._label}.{name}",
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._session.request(
            wire.request("call", obj=self._ident(), args=self._session.encode(list(args)),
                         kwargs=self._session.encode(dict(kwargs))),
            self._label, call=(args, kwargs),
        )

    def __getitem__(self, key: Any) -> Any:
        return self._session.request(
            wire.request("getitem", obj=self._ident(), key=self._session.encode(key)),
            f"{self._label}[{key!r}]",
        )

    def __len__(self) -> int:
        value = self._session.request(wire.request("len", obj=self._ident()), f"len({self._label})")
        if type(value) is not int:
            raise StudentError(t("session.len", label=self._label))
        return int(value)

    def __iter__(self) -> Iterator[Any]:
        for index in range(len(self)):
            yield self[index]

    def __repr__(self) -> str:
        return f"<student {self._type} {self._label}>"

    def _ident(self) -> int:
        if self._generation != self._session.generation:
            raise StudentError(t("session.lost", label=self._label))
        return self._id


class Method(Remote):
    """A method of a student object, once its type is known to have one of that name: ``obj.forward(x)`` is then
    one round trip, the worker looking the method up and calling it at once, instead of two. Used any other way
    (passed as an argument, its attributes read), it is looked up first, as any attribute is."""

    __slots__ = ("_owner", "_name")

    def __init__(self, owner: Remote, name: str, label: str) -> None:
        super().__init__(owner._session, 0, "method", label)
        object.__setattr__(self, "_owner", owner)
        object.__setattr__(self, "_name", name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        owner = self._owner
        return self._session.request(
            wire.request("callattr", obj=owner._ident(), name=self._name, q=owner._label,
                         args=self._session.encode(list(args)), kwargs=self._session.encode(dict(kwargs))),
            self._label, call=(args, kwargs), reading=t("doing.reading", what=f"{owner._label}.{self._name}"),
        )

    def _ident(self) -> int:
        if self._id == 0:
            found = self._owner._lookup(self._name)
            if not isinstance(found, Remote):  # no longer a method: a value now (the object changed)
                raise StudentError(t("session.lost", label=self._label))
            object.__setattr__(self, "_id", found._ident())
            object.__setattr__(self, "_generation", found._generation)
        return super()._ident()


def _shape_of(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, np.ndarray):
        return tuple(int(n) for n in value.shape)
    if isinstance(value, Remote):
        shape: tuple[int, ...] | None = value._shape
        return shape
    return None


def _scalar(value: Any) -> str | None:
    """A short literal of a number or string argument, or None for anything else."""
    if isinstance(value, (bool, int, float, str, np.generic)) and not isinstance(value, np.ndarray):
        text = repr(value.item() if isinstance(value, np.generic) else value)
        return text if len(text) <= 24 else text[:21] + "..."
    return None


def describe_call(label: str, args: tuple[Any, ...], kwargs: dict[str, Any],
                  names: list[str] | None) -> tuple[Text | str, Text | str]:
    """What a failed call was made on, in code terms: ``(shown, hidden)``.

    Shown: ``padding(input_array, 1)`` with ``input_array.shape = (5, 6)``;
    hidden (for tests that hide their data): ``padding(input_array, zp)`` with
    ``input_array.ndim = 2``. Without parameter names, arrays are described in place.
    """
    if names is not None and len(names) < len(args):
        names = None
    shown, hidden, shapes, ranks = [], [], [], []
    items = [(names[i] if names else None, value) for i, value in enumerate(args)]
    items += [(key, value) for key, value in kwargs.items()]
    for index, (name, value) in enumerate(items):
        keyword = f"{name}=" if index >= len(args) else ""
        shape, literal = _shape_of(value), _scalar(value)
        if shape is not None and name:
            shown.append(keyword + name)
            hidden.append(keyword + name)
            shapes.append(f"{name}.shape = {shape}")
            ranks.append(f"{name}.ndim = {len(shape)}")
        elif shape is not None:
            shown.append(f"<array {shape}>")
            hidden.append(f"<{len(shape)}-D array>")
        elif literal is not None:
            shown.append(keyword + literal)
            hidden.append(keyword + ("…" if keyword else name or "…"))
        else:
            shown.append(keyword + ("…" if keyword else name or f"<{type_name(value)}>"))
            hidden.append(keyword + ("…" if keyword else name or "…"))
    visible_call, hidden_call = f"{label}({', '.join(shown)})", f"{label}({', '.join(hidden)})"
    if not shapes:
        return visible_call, hidden_call
    return (t("call.with", call=visible_call, details=", ".join(shapes)),
            t("call.with", call=hidden_call, details=", ".join(ranks)))


def type_name(value: Any) -> str:
    """The student type name of a remote object, or the Python type of plain data."""
    return value._type if isinstance(value, Remote) else type(value).__name__


def student_repr(value: Remote) -> str:
    """``repr()`` of a student object, computed in the worker."""
    result = value._session.request(wire.request("repr", obj=value._ident()), f"repr({value._label})")
    if type(result) is not str:
        raise StudentError(t("session.repr"))
    return result


def fetch(value: Remote | Any) -> Any:
    """The plain-data value of a student object (e.g. an array filled in place). Plain data (what an attribute read
    already gave, say) is returned as it is."""
    if not isinstance(value, Remote):
        return value
    return value._session.request(wire.request("value", obj=value._ident()), t("doing.reading", what=value._label))


@dataclass
class LiveSubmission:
    """The running submission of one student, reached through its worker: first to decode what it holds
    (``decode``, before any of its code is loaded there), then to run its code (its sources sent to every worker
    it starts, forked or cold, over the worker's pipe)."""

    limits: Limits
    mode: policy.SandboxMode = "auto"
    intake: Intake = field(default_factory=Intake)
    generation: int = 0
    broken_modules: dict[str, StudentError] = field(default_factory=dict)
    _worker: Worker | PortableWorker | None = None
    _modules: dict[str, Remote] = field(default_factory=dict)
    _deadline: float | None = None
    _output: list[tuple[bytes, int]] = field(default_factory=list)  # each finished worker's, as captured
    layers: list[str] = field(default_factory=list)
    zygote: Zygote | None = None  # start workers as forks of this warm process (one at a time)
    helpers: str | None = None  # the unit's helper module, sent into every worker it starts
    module_attributes: dict[tuple[int, str], Remote] = field(default_factory=dict)
    methods: dict[tuple[str, str], str] = field(default_factory=dict)  # (type, name) -> the method's label
    helper_handles: dict[str, Remote] = field(default_factory=dict)  # the helpers looked up in this worker
    printed: list[Printed] = field(default_factory=list)  # what each request printed, in order (``_keep_printed``)
    _printed_kept: int = 0
    _installed: int = 0  # the generation of worker that was given the submission's sources

    def __post_init__(self) -> None:
        self._cold: policy.Plan | None = None
        self._workdir: Path | None = None
        self.layers = list(self.zygote.layers if self.zygote else self._plan.layers)

    @property
    def _plan(self) -> policy.Plan:
        """How to start a worker cold (outside bubblewrap, in an empty private folder of its own)."""
        if self._cold is None:
            if self._workdir is None:
                self._workdir = Path(tempfile.mkdtemp(prefix="grader-run-"))
            self._cold = policy.plan(None, PACKAGE, self.limits, self.mode, workdir=self._workdir)
        return self._cold

    # -- the worker's life ----------------------------------------------------

    def _ensure_worker(self, run: bool = True) -> Worker | PortableWorker:
        """The submission's worker, started if there is none; with ``run`` (the student's code is about to run),
        the submission's time budget starts and the worker has its sources."""
        if run and self._deadline is None:
            self._deadline = time.monotonic() + self.limits.submission_seconds
        if self._worker is None or self._worker.dead:
            if self._worker is not None:
                self._keep_output(self._worker)
            self.generation += 1
            self._modules.clear()
            self.module_attributes.clear()
            self.helper_handles.clear()
            if self.zygote is not None:
                self._worker = self._forked_worker(self.zygote)
            else:
                self._worker = start(self._plan, self._room())
            # a worker forked from a zygote that ran these very helpers has them already
            warm = self.zygote is not None and self.zygote.helpers == self.helpers
            if self.helpers is not None and not warm:
                self._install_helpers(self._worker)
        if run and self._installed != self.generation and self.intake.decoded:
            self._install_sources(self._worker)
            self._installed = self.generation
        return self._worker

    def decode(self, request: dict[str, Any]) -> Any:
        """One part of what the submission holds, decoded by its worker (see ``grader.running.intake``); raises
        ``DecodeFailed`` when the worker cannot answer, and kills a worker that fails (the next request, or the
        student's code, gets a fresh one). It does not count against the submission's time budget."""
        try:
            worker = self._ensure_worker(run=False)
            reply = worker.request(wire.request("decode", **request), self.limits.import_seconds,
                                   t("doing.decoding"))
        except StudentError as error:
            raise DecodeFailed(error.text) from None
        except WorkerFailure as failure:
            raise DecodeFailed(failure.text or t("worker.gone")) from None
        if "error" not in reply:
            return reply["ok"]
        record = wire.ErrorRecord.read(reply["error"])
        worker.kill()
        raise DecodeFailed(t("intake.decode_raised", kind=record.type if record else "?"))

    def _install_helpers(self, worker: Worker | PortableWorker) -> None:
        try:
            reply = worker.request(wire.request("helpers", source=self.helpers), self.limits.import_seconds,
                                   t("doing.starting"))
        except WorkerFailure as failure:
            raise StudentError(failure.text or t("worker.gone")) from None
        if "error" in reply:  # the course's helpers run before any student code: the student broke nothing yet
            worker.kill()
            raise StudentError(t("worker.garbled", doing=t("doing.starting")))

    def _forked_worker(self, zygote: Zygote) -> Worker | PortableWorker:
        """A worker from the zygote; cold when the zygote is gone."""
        try:
            return Worker.forked(zygote, self._room())
        except (WorkerFailure, OSError):
            # the zygote was stopped or killed (perhaps by an earlier submission): start cold instead
            self.zygote = None
            self.layers = list(self._plan.layers)
            return start(self._plan, self._room())

    def _install_sources(self, worker: Worker | PortableWorker) -> None:
        """Give the worker the submission's sources (and their code, as decoded), to import from memory."""
        try:
            code = {name: base64.b64encode(data).decode("ascii") for name, data in self.intake.code.items()}
            shared = {name: list(before) for name, before in self.intake.shared.items()}
            preludes = {name: list(cells) for name, cells in self.intake.preludes.items()}
            reply = worker.request(wire.request("install", sources=self.intake.sources, code=code, shared=shared,
                                                preludes=preludes, cell_seconds=self.limits.import_seconds / 2,
                                                magic=base64.b64encode(importlib.util.MAGIC_NUMBER).decode("ascii")),
                                   self.limits.import_seconds, t("doing.starting"))
        except WorkerFailure as failure:
            raise StudentError(failure.text or t("worker.gone")) from None
        if "error" in reply:
            worker.kill()
            raise StudentError(t("worker.garbled", doing=t("doing.starting")))

    @property
    def _output_cap(self) -> int:
        return self.limits.output_kb << 10

    def _room(self) -> int:
        """How much more output the submission may keep: the cap is for all its workers together."""
        return max(self._output_cap - sum(len(kept) for kept, _ in self._output), 0)

    def _keep_output(self, worker: Worker | PortableWorker) -> None:
        kept, dropped = worker.captured
        room = self._room()
        if kept or dropped:  # what is past the cap is only counted
            self._output.append((kept[:room], dropped + len(kept) - len(kept[:room])))

    def close(self) -> None:
        if self._worker is not None:
            self._worker.kill()
            self._keep_output(self._worker)
            self._worker = None
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    @property
    def output(self) -> str:
        """What the student's code printed, over every worker so far: at most the output cap in all."""
        parts = list(self._output)
        if self._worker is not None:
            parts.append(self._worker.captured)
        return joined_output(parts, self._output_cap)

    # -- requests -----------------------------------------------------------

    def request(self, message: dict[str, Any], doing: Text | str, timeout: float | None = None,
                call: tuple[tuple[Any, ...], dict[str, Any]] | None = None, reading: Text | str = "") -> Any:
        """Send ``message``; ``doing`` names it in messages, ``call`` (its arguments) says on what it failed;
        ``reading`` names the lookup of a method called in the same request, should that lookup fail."""
        worker = self._ensure_worker()
        assert self._deadline is not None
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise StudentError(t("session.budget", seconds=self.limits.submission_seconds))
        limit = min(timeout or self.limits.call_seconds, left)
        try:
            reply = worker.request(message, limit, doing)
        except WorkerFailure as failure:
            raise StudentError(failure.text or t("worker.garbled", doing=doing)) from None
        if "printed" in reply:
            self._keep_printed(doing, *wire.printed(reply))
        if "error" in reply:
            record = wire.ErrorRecord.read(reply["error"])
            if record is None:
                return self._garbled(worker, doing)
            if reading and record.stage == "lookup":
                raise self._student_error(record, reading)
            raise self._student_error(record, doing, call)
        try:
            return wire.decode(reply["ok"], self._make_remote)
        except Exception:  # anything malformed is the worker's fault, never a pass
            worker.kill()
            raise StudentError(t("session.not_plain")) from None

    def _keep_printed(self, doing: Text | str, text: str, more: int) -> None:
        """Keep what a request printed, up to the output cap over the whole submission; past it, only counted."""
        room = max(self._output_cap - self._printed_kept, 0)
        if not text and not more:
            return
        kept = text[:room]
        self._printed_kept += len(kept)
        self.printed.append(Printed(doing, kept, more + len(text) - len(kept)))

    @staticmethod
    def _garbled(worker: Worker | PortableWorker, doing: Text | str) -> Any:
        worker.kill()
        raise StudentError(t("worker.garbled", doing=doing))

    def _make_remote(self, ident: int, type_name: str, label: str) -> Remote:
        return Remote(self, ident, type_name, label)

    def _place(self, place: str) -> Text | str:
        """Where in the student's code: ``filter.py:12``, or in a notebook, the cell and its line (the cell is
        the module's source line for line: nothing is added to it)."""
        module, _, line = place.rpartition(":")
        if self.intake.form == "notebook" and module.endswith(".py") and line.isdigit():
            return t("session.cell_place", module=module[:-3], line=int(line))
        return place

    def _student_error(self, error: wire.ErrorRecord, doing: Text | str,
                       call: tuple[tuple[Any, ...], dict[str, Any]] | None = None) -> StudentError:
        # the function of the student's code the error came from: what to change
        place, _, function = error.where.partition(" in ")
        at: Text | str = t("session.at", place=self._place(place), function=function) if function else ""
        if error.not_implemented:
            # name the stub that raised (e.g. Filter.__init__ when the test called Filter(...))
            return NotImplementedYet(t("session.not_implemented", function=function or doing, at=at))
        if error.exit:
            status = error.message[:20] or "-"
            return StudentError(t("session.exit", status=status, doing=doing, at=at, function=function))
        shown: Text | str = doing
        hidden: Text | str = doing
        if call is not None:
            shown, hidden = describe_call(str(doing), *call, error.params)  # a call's doing is its label
        kind = error.type
        bare = t("session.raised_bare", doing=hidden, kind=kind, at=at, function=function)
        if not error.message:
            return StudentError(t("session.raised_bare", doing=shown, kind=kind, at=at, function=function), bare)
        return StudentError(t("session.raised", doing=shown, kind=kind, detail=error.message, at=at,
                              function=function), bare)

    def encode(self, value: Any) -> Any:
        if isinstance(value, Remote):
            return {"$h": value._ident()}
        if isinstance(value, (list, tuple)) and any(isinstance(v, Remote) for v in value):
            items = [self.encode(v) for v in value]
            return items if isinstance(value, list) else {"$tuple": items}
        if isinstance(value, dict):
            return {"$dict": [[str(k), self.encode(v)] for k, v in value.items()]}
        return wire.encode_plain(value)

    # -- what the tests use ---------------------------------------------------

    def module(self, name: str) -> Remote:
        if name in self.broken_modules:
            known = self.broken_modules[name]
            raise StudentError(known.text, known.hidden)  # a fresh one: re-raising would pile up tracebacks
        problem = self.intake.problems.get(name)
        if problem is not None:
            raise StudentError(problem)
        self._ensure_worker()
        if name not in self._modules:
            cell = self.intake.form == "notebook"  # a notebook's student wrote a cell, never saw a file
            try:
                module = self.request(wire.request("import", module=name),
                                      t("doing.running_cell" if cell else "doing.importing", module=name),
                                      timeout=self.limits.import_seconds)
            except StudentError as error:
                # A module that fails once fails the same way again: do not pay its time twice.
                said = "session.import_cell" if cell else "session.import"
                self.broken_modules[name] = StudentError(t(said, module=name, reason=error.text),
                                                         t(said, module=name, reason=error.hidden))
                raise StudentError(self.broken_modules[name].text, self.broken_modules[name].hidden) from None
            if not isinstance(module, Remote):
                raise StudentError(t("session.no_module", module=name))
            self._modules[name] = module
        return self._modules[name]

    def put(self, value: Any) -> Remote:
        """A copy of ``value`` that lives in the worker (to observe in-place changes)."""
        result = self.request(wire.request("put", value=self.encode(value)), t("doing.sending"))
        assert isinstance(result, Remote)
        if isinstance(value, np.ndarray):
            object.__setattr__(result, "_shape", tuple(value.shape))
        return result

    def helper(self, name: str) -> Remote:
        """One of the unit's helpers in the worker (a class, a function...), to call or hand to student code."""
        known = self.helper_handles.get(name)
        if known is not None:
            return known  # the same object of the same worker: suites ask for helpers again and again
        result = self.request(wire.request("helper", name=name), t("doing.helper", name=name))
        if not isinstance(result, Remote):
            raise StudentError(t("worker.garbled", doing=t("doing.helper", name=name)))
        self.helper_handles[name] = result
        return result


class Submission:
    """What a test sees as the ``submission`` fixture: modules by attribute."""

    def __init__(self, session: LiveSubmission) -> None:
        self._session = session

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._session.module(name)

    def put(self, value: Any) -> Remote:
        return self._session.put(value)

    def helper(self, name: str) -> Remote:
        """The unit's helper ``name`` in the worker (``helpers`` in course.yaml): ``submission.helper("Offset")(1)``."""
        return self._session.helper(name)


def helpers_of(unit: Unit) -> str | None:
    """The source of the unit's worker-side helpers, sent into every worker (see ``LiveSubmission``)."""
    path = unit.content("helpers")
    return path.read_text(encoding="utf-8") if path is not None else None


def decoded(unit: Unit, submission: Path, sandbox_mode: policy.SandboxMode = "auto") -> Intake:
    """What a submission's modules are, decoded by a worker of their own, in which none of its code runs: for a
    pass that reads a class's code without grading it (similarity)."""
    session = LiveSubmission(unit.limits, sandbox_mode)
    try:
        return take_for(session.decode, carry_of(unit, submission), unit)
    finally:
        session.close()


@contextlib.contextmanager
def open_submission(unit: Unit, submission: Path | Carried, sandbox_mode: policy.SandboxMode = "auto",
                    zygote: Zygote | None = None, helpers: str | None = None,
                    practice: bool = False) -> Iterator[LiveSubmission]:
    """The pipeline's first steps, the same for every way of grading: intake (what grading reads of the
    submission, carried as bytes and decoded by its worker before any of its code is loaded), then the session
    that runs its code; closed, with every process of it, on the way out. ``practice``: read ``practice.yaml``
    too (``grader check``)."""
    texts = tuple(question.id for question in open_questions(unit))
    session = LiveSubmission(unit.limits, sandbox_mode, zygote=zygote,
                             helpers=helpers if helpers is not None else helpers_of(unit))
    try:
        carried = submission if isinstance(submission, Carried) else carry_of(unit, submission, practice)
        session.intake = take_for(session.decode, carried, unit, answers=unit.has_questions or bool(texts), texts=texts,
                              practice=practice)
        yield session
    finally:
        session.close()
