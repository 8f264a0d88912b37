"""``grader review OUT``: a page in the browser where a person grades a class's open answers with their rubric.

One question at a time, across every student (the order that is fastest for
a person); students who gave the same answer are one group, and one decision
grades them all. Each decision is saved as it is made
(``grader.model.reviews``), tied to the answer's content: a save names its
answer, carries the whole review the reviewer sees, and the version of it they
saw; a save against a version another reviewer has replaced is refused (409,
with the review as it now is) and the page asks. The class is read again
whenever its reports change, so the page picks up regrades and other
reviewers' decisions while it is open.

The page is served by Tornado (it comes with nbgrader's Jupyter stack) on
127.0.0.1 only. Every request must carry the session's secret token (in the
page's address, then in a header for each call of the API) and name this
machine as its host, so neither another user's page nor a site the browser
visits can read or change reviews. Every answer and name is put on the page as
text (``textContent``), never as HTML, and in a box of its own writing
direction, so what a student wrote is shown exactly and does nothing.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..model.errors import Whole
from ..model.files import folders_below, read_below
from ..model.questions import Question, open_questions, open_score
from ..model.reviews import (
    MAX_COMMENT,
    MAX_REASON,
    MAX_VERSION,
    Conflict,
    Review,
    ReviewsError,
    load_versions,
    save_review,
    stamp_of,
    version_of,
)
from .outputs import RESULTS, graded_sources, unsound

MAX_REPORT_BYTES = 8 * 1024 * 1024  # of one results.json read for its open answers
MAX_BODY = 64 * 1024  # of one request to the API


@dataclass
class Group:
    """The students who gave one answer to one question."""

    digest: str
    text: str
    cut: bool
    students: list[str] = field(default_factory=list)


@dataclass
class Class:
    """The open answers of a graded class, by question and then by answer."""

    unit: Unit
    out: Path
    questions: list[Question]
    groups: dict[str, dict[str, Group]]  # question id -> digest -> group
    unanswered: dict[str, int]  # question id -> students who left it unanswered
    problems: list[str]
    scores: dict[str, tuple[float, float]] = field(default_factory=dict)  # student -> automatic score, maximum
    stamp: tuple[Any, ...] = ()  # what the reports were when read (``stamp``): read again when it changes


def stamp(out: Path) -> tuple[Any, ...]:
    """What ``out``'s reports are now, cheaply (each student's results.json: its size, time and inode)."""
    seen = []
    for student in folders_below(out):
        try:
            status = (out / student / RESULTS).lstat()
        except OSError:
            continue
        seen.append((student, status.st_size, status.st_mtime_ns, status.st_ino))
    return tuple(seen)


def read_class(unit: Unit, out: Path, only: list[str] | None = None) -> Class:
    """The open answers kept in ``out``'s reports (``extra_data.open``), grouped."""
    now = stamp(out)
    questions = [q for q in open_questions(unit) if only is None or q.id in only]
    groups: dict[str, dict[str, Group]] = {q.id: {} for q in questions}
    unanswered = {q.id: 0 for q in questions}
    problems = []
    scores = {}
    for student, *_ in now:
        text = read_below(out, (student, RESULTS), MAX_REPORT_BYTES)
        try:
            if text is None:
                raise ValueError(f"a link, not a regular file, not UTF-8, or larger than "
                                 f"{MAX_REPORT_BYTES // 1024 // 1024} MiB")
            report = json.loads(text)
            why = unsound(report)
            if why is not None:
                raise ValueError(why)
            extra = report["extra_data"]
            scores[student] = (float(report["score"]), float(report["max_score"]))
        except (ValueError, RecursionError) as error:
            problems.append(f"{student}: its report cannot be read ({error})")
            continue
        if extra.get("unit", unit.id) != unit.id:
            scores.pop(student)
            continue
        answers = extra.get("open") or {}
        for question in questions:
            entry = answers.get(question.id) if isinstance(answers, dict) else None
            if not isinstance(entry, dict) or not entry.get("answered") or not isinstance(entry.get("text"), str):
                unanswered[question.id] += 1
                continue
            digest = str(entry.get("digest", ""))
            group = groups[question.id].setdefault(digest, Group(digest, entry["text"], bool(entry.get("cut"))))
            group.students.append(student)
    return Class(unit, out, questions, groups, unanswered, problems, scores, now)


def fresh(group_class: Class) -> Class:
    """``group_class`` as its folder now holds it: read again when a report was written since (a regrade)."""
    if stamp(group_class.out) == group_class.stamp:
        return group_class
    return read_class(group_class.unit, group_class.out, [q.id for q in group_class.questions])


def _keywords(item: Any) -> list[str]:
    """An item's keywords in every language of the course (an answer may be written in any)."""
    return list(dict.fromkeys(word for words in item.keywords.values() for word in words if word.strip()))


def state(group_class: Class, blind: bool, lang: str) -> dict[str, Any]:
    """What the page shows, as data: the questions with their rubrics, and per question its groups of answers
    (largest first), each with its review as saved."""
    questions = []
    for question in group_class.questions:
        groups = sorted(group_class.groups[question.id].values(), key=lambda g: (-len(g.students), g.digest))
        saved, forgotten = load_versions(group_class.out, question.id)
        questions.append({
            "id": question.id,
            "text": question.text.get(lang) or question.text["en"],  # type: ignore[call-overload]
            "points": question.points,
            "rubric": [{"id": item.id, "points": item.points,
                        "text": item.text.get(lang) or item.text["en"],  # type: ignore[call-overload]
                        "keywords": _keywords(item)} for item in question.rubric],
            "unanswered": group_class.unanswered[question.id],
            "groups": [{"digest": g.digest, "text": g.text, "cut": g.cut, "count": len(g.students),
                        "students": [] if blind else g.students,
                        "version": version_of(saved, forgotten, g.digest),
                        "stamp": stamp_of(saved.get(g.digest), version_of(saved, forgotten, g.digest)),
                        "review": _review_data(question, saved.get(g.digest))} for g in groups],
        })
    return {"unit": group_class.unit.name(lang), "blind": blind, "lang": lang, "questions": questions,
            "problems": len(group_class.problems)}  # how many reports cannot be read: their names only on the terminal


def _review_data(question: Question, review: Review | None) -> dict[str, Any] | None:
    if review is None:
        return None
    return {**review.as_data(), "score": open_score(question, list(review.items), review.adjust)}


class RequestError(Whole, ValueError):
    """A request the API refuses: its status, reason and what the page needs to know besides."""

    def __init__(self, status: int, reason: str, **more: Any) -> None:
        super().__init__(reason)
        self.status, self.more = status, more


def apply(group_class: Class, body: bytes, by: str) -> dict[str, Any]:
    """Save the review a request of the page sends: ``{"question", "digest", "version", "seen", "items",
    "comment", "adjust", "reason"}`` (``items`` null forgets the review; ``version`` is the one the reviewer saw,
    0 for none, and ``seen`` what they saw of it, its ``stamp_of``; ``adjust`` points outside the rubric, with a
    ``reason``; ``made`` the page's id for this save, and ``after`` the id of its save this one follows, when it
    could not wait for that one's reply). Returns the group's review as saved, its version and stamp; a save
    against another review than the one seen is refused (409) with the review as it now is. A refusal carries a
    ``code`` the page says in the reviewer's language."""
    if len(body) > MAX_BODY:
        raise RequestError(413, "the request is too large", code="too_large")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RequestError(400, "the request is not JSON") from None
    if not isinstance(data, dict):
        raise RequestError(400, "the request is not an object")
    question = next((q for q in group_class.questions if q.id == data.get("question")), None)
    if question is None:
        raise RequestError(404, "no such question here", code="gone")
    digest = data.get("digest")
    if not isinstance(digest, str) or digest not in group_class.groups[question.id]:
        raise RequestError(404, "no such answer to this question (a regrade may have changed it)", code="gone")
    items, comment = data.get("items"), data.get("comment", "")
    if items is not None and (not isinstance(items, list) or not all(isinstance(i, str) for i in items)):
        raise RequestError(400, "items must be a list of rubric item ids")
    known = {item.id for item in question.rubric}
    if items is not None and not set(items) <= known:
        raise RequestError(400, "an item is not in this question's rubric")
    if not isinstance(comment, str) or len(comment) > MAX_COMMENT:
        raise RequestError(400, f"the comment must be text of at most {MAX_COMMENT} characters", code="comment")
    version, seen = data.get("version"), data.get("seen")
    adjust, reason = data.get("adjust", 0), data.get("reason", "")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= MAX_VERSION:
        raise RequestError(400, "the version of the review seen must be given (0 for none)")
    made, after = data.get("made", ""), data.get("after")
    if seen is not None and not isinstance(seen, str):
        raise RequestError(400, "what was seen of the review is its stamp, as text")
    if not isinstance(made, str) or len(made) > 64 or (after is not None and (not isinstance(after, str)
                                                                               or len(after) > 64)):
        raise RequestError(400, "a save's id, and the id of the save it follows, are short texts")
    limit = float(question.points or 0.0)
    if not isinstance(adjust, (int, float)) or isinstance(adjust, bool) or not -limit <= adjust <= limit:
        raise RequestError(400, f"an adjustment is a number of points within ±{limit:g}", code="adjust",
                           limit=limit)
    if not isinstance(reason, str) or len(reason) > MAX_REASON:
        raise RequestError(400, f"the reason must be text of at most {MAX_REASON} characters", code="reason")
    if adjust and not reason.strip():
        raise RequestError(400, "an adjustment needs its reason, for the student", code="reason")
    review = None if items is None else Review(
        tuple(item.id for item in question.rubric if item.id in items), comment, by,
        datetime.now(timezone.utc).replace(microsecond=0).isoformat(), round(float(adjust), 2),
        reason if adjust else "", made=made)
    try:
        saved = save_review(group_class.out, question.id, [digest], review, expected=version, seen=seen,
                            after=after or None)
    except Conflict as conflict:
        raise RequestError(409, "another reviewer changed this review meanwhile", code="conflict",
                           review=_review_data(question, conflict.current), version=conflict.version,
                           stamp=stamp_of(conflict.current, conflict.version)) from None
    now = saved[digest].version if digest in saved else version + 1
    return {"review": _review_data(question, saved.get(digest)), "version": now,
            "stamp": stamp_of(saved.get(digest), now)}


def student_view(group_class: Class, name: str, lang: str) -> dict[str, Any]:
    """One student's whole submission in context: their automatic score, every open answer with its review as
    saved, and the modules they were graded with."""
    if name not in group_class.scores:
        raise RequestError(404, "no such student in this class")
    answers = []
    for question in group_class.questions:
        group = next((g for g in group_class.groups[question.id].values() if name in g.students), None)
        saved = load_versions(group_class.out, question.id)[0]
        answers.append({"question": question.id,
                        "text": question.text.get(lang) or question.text["en"],  # type: ignore[call-overload]
                        "points": question.points, "answer": group.text if group else None,
                        "digest": group.digest if group else None,
                        "review": _review_data(question, saved.get(group.digest)) if group else None})
    score, maximum = group_class.scores[name]
    return {"student": name, "score": score, "max_score": maximum, "answers": answers,
            "sources": graded_sources(group_class.out, name, MAX_REPORT_BYTES) or {}}


def serve(group_class: Class, *, port: int, blind: bool, by: str, lang: str,
          ready: Callable[[str], None], refresh: float = 5.0) -> None:
    """Serve the page on 127.0.0.1 until interrupted; ``ready`` gets its address (with the token) once it
    listens. The page asks for the class again every ``refresh`` seconds (0: only when its window gets the
    focus), to show regrades and other reviewers' decisions."""
    import tornado.httpserver
    import tornado.ioloop
    import tornado.netutil
    import tornado.web

    token = secrets.token_urlsafe(24)
    page = (Path(__file__).with_name("review.html")).read_text(encoding="utf-8")

    class Guarded(tornado.web.RequestHandler):
        def prepare(self) -> None:
            host = self.request.host_name
            if host not in ("127.0.0.1", "localhost"):  # a name that rebinds to this machine is not this page
                raise tornado.web.HTTPError(403)
            given = self.request.headers.get("X-Review-Token") or self.get_query_argument("token", "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                raise tornado.web.HTTPError(403)

        def set_default_headers(self) -> None:
            self.set_header("Cache-Control", "no-store")
            self.set_header("X-Content-Type-Options", "nosniff")
            self.set_header("Referrer-Policy", "no-referrer")
            self.set_header("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "
                            "style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; "
                            "form-action 'none'; frame-ancestors 'none'")

    class Page(Guarded):
        def get(self) -> None:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.finish(page)

    current = [group_class]

    def live() -> Class:
        current[0] = fresh(current[0])
        return current[0]

    class State(Guarded):
        def get(self) -> None:
            try:
                self.finish({**state(live(), blind, lang), "refresh": refresh})
            except ReviewsError as error:
                self.set_status(500)
                self.finish({"error": str(error)})

    class Student(Guarded):
        def get(self) -> None:
            if blind:  # names are hidden: no one's submission is shown by name
                raise tornado.web.HTTPError(403)
            try:
                self.finish(student_view(live(), self.get_query_argument("name", ""), lang))
            except RequestError as error:
                self.set_status(error.status)
                self.finish({"error": str(error)})
            except ReviewsError as error:
                self.set_status(500)
                self.finish({"error": str(error)})

    class Save(Guarded):
        def post(self) -> None:
            if not self.request.headers.get("X-Review-Token"):  # a form elsewhere cannot set a header
                raise tornado.web.HTTPError(403)
            try:
                self.finish(apply(live(), self.request.body, by))
            except RequestError as error:
                self.set_status(error.status)
                self.finish({"error": str(error), **error.more})
            except (ReviewsError, OSError) as error:
                self.set_status(500)
                self.finish({"error": str(error)})

    application = tornado.web.Application([(r"/", Page), (r"/api/state", State), (r"/api/review", Save),
                                           (r"/api/student", Student)],
                                          xsrf_cookies=False, autoreload=False, debug=False)
    sockets = tornado.netutil.bind_sockets(port, address="127.0.0.1")
    server = tornado.httpserver.HTTPServer(application, max_body_size=4 * MAX_BODY)  # apply says 413 beyond MAX_BODY
    server.add_sockets(sockets)
    ready(f"http://127.0.0.1:{sockets[0].getsockname()[1]}/?token={token}")
    try:
        tornado.ioloop.IOLoop.current().start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
