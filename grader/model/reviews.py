"""Reviews of open answers: what a person decided, kept beside a graded class (``OUT/reviews/``).

A review belongs to a question and to an answer's *content* (its digest, see
``grader.model.questions.open_answer_digest``), not to a student: students who
gave the same answer share it, a regrade of an unchanged answer keeps it, and a
changed answer has none until someone looks again. Each question has a file of
its own (``OUT/reviews/<question id>.json``), so two people who split a class's
questions never write the same file; each save replaces the file atomically,
under a lock, after reading it again (two tabs on one question keep each
other's reviews).

Every save of an answer's review has a version (1, 2, …, counting forgetting
it too): a reviewer saves against the version they saw, and a save against an
older one is refused (``Conflict``, with the review as it now is), so that two
reviewers of one answer never overwrite each other unseen.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import Whole
from .files import open_below, read_below, write_below

FOLDER = "reviews"
FORMAT = 2  # 1: no versions (each review read as version 1), no adjustments
MAX_COMMENT = 4000  # characters of a reviewer's comment
MAX_REASON = 500  # characters of the reason for an adjustment


@dataclass(frozen=True)
class Review:
    items: tuple[str, ...]  # the rubric items given
    comment: str = ""
    by: str = ""  # who reviewed (as they named themselves)
    at: str = ""  # when (ISO 8601, UTC)
    adjust: float = 0.0  # points added (or, below 0, taken) outside the rubric
    reason: str = ""  # why, for the student: required with an adjustment
    version: int = 0  # the save of this answer's review that made it (0: not saved yet)
    made: str = ""  # the id the page gave that save: its next save may build on it (``save_review``'s ``after``)

    def as_data(self) -> dict[str, Any]:
        return {"items": list(self.items), "comment": self.comment, "by": self.by, "at": self.at,
                "adjust": self.adjust, "reason": self.reason, "version": self.version, "made": self.made}


class Conflict(Whole, Exception):
    """A save against a version of an answer's review that is no longer the last: ``current`` is the review as
    it now is (None: not reviewed), ``version`` its version."""

    def __init__(self, current: Review | None, version: int) -> None:
        super().__init__(f"the review was changed meanwhile (now version {version})")
        self.current, self.version = current, version


Reviews = dict[str, dict[str, Review]]  # question id -> answer digest -> its review


def _file(out: Path, question: str) -> tuple[str, str]:
    """The reviews file of ``question`` below ``out``, as its parts."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", question):
        raise ValueError(f"not a question id: {question!r}")
    return FOLDER, f"{question}.json"


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) \
        and abs(value) < 1e9 else 0.0


def _read(out: Path, parts: tuple[str, str]) -> dict[str, Review]:
    return _read_all(out, parts)[0]


MAX_VERSION = 2**53 - 1  # a version a page's numbers hold exactly


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_VERSION:
        raise ValueError(f"a version is a whole number from 1 to {MAX_VERSION}, not {str(value)[:40]}")
    return value


def _read_all(out: Path, parts: tuple[str, str]) -> tuple[dict[str, Review], dict[str, int]]:
    """The reviews of a question's file, and the version of each answer whose review was forgotten; a file that
    is not a reviews file as this module writes it (by hand, say) is a ``ReviewsError``, and never overwritten."""
    path = out.joinpath(*parts)
    if not path.exists() and not path.is_symlink():
        return {}, {}
    text = read_below(out, parts)
    try:
        if text is None:
            raise ValueError("it is a link, or not UTF-8 text")
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("reviews", {}), dict) \
                or not isinstance(data.get("cleared", {}), dict):
            raise ValueError("not an object with `reviews` and `cleared` objects")
        found = {}
        for digest, entry in data.get("reviews", {}).items():
            if not isinstance(entry, dict) or not isinstance(entry.get("items"), list):
                raise ValueError(f"the review of {str(digest)[:40]} has no list of `items`")
            found[str(digest)] = Review(tuple(str(item) for item in entry["items"]), str(entry.get("comment", "")),
                                        str(entry.get("by", "")), str(entry.get("at", "")),
                                        _number(entry.get("adjust")), str(entry.get("reason", "")),
                                        _version(entry.get("version", 1)), str(entry.get("made", ""))[:64])
        forgotten = {str(digest): _version(version) for digest, version in data.get("cleared", {}).items()
                     if str(digest) not in found}
    except (ValueError, RecursionError) as error:
        raise ReviewsError(f"{path}: cannot be read ({error}); it is not changed") from None
    return found, forgotten


def stamp_of(review: Review | None, version: int) -> str:
    """What a page saw of an answer's review: its version and its content (a file corrected by hand keeps its
    version and changes its content), as a short text."""
    seen = json.dumps([version, review.as_data() if review is not None else None], sort_keys=True,
                      ensure_ascii=True)
    return hashlib.sha256(seen.encode()).hexdigest()[:16]


class ReviewsError(Exception):
    """A reviews file that cannot be read: said once, and never overwritten."""


def load_reviews(out: Path, questions: list[str]) -> Reviews:
    """Every review of these questions kept in ``out``."""
    return {question: _read(out, _file(out, question)) for question in questions}


@contextlib.contextmanager
def _locked(out: Path, parts: tuple[str, str]) -> Iterator[None]:
    with os.fdopen(open_below(out, (parts[0], parts[1].removesuffix(".json") + ".lock")), "r+b") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: one reviewer per question there
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def version_of(reviews: dict[str, Review], forgotten: dict[str, int], digest: str) -> int:
    """The version of an answer's review (0: never saved)."""
    return reviews[digest].version if digest in reviews else forgotten.get(digest, 0)


def load_versions(out: Path, question: str) -> tuple[dict[str, Review], dict[str, int]]:
    """A question's reviews, and the versions of the answers whose review was forgotten (``version_of``)."""
    return _read_all(out, _file(out, question))


def save_review(out: Path, question: str, digests: list[str], review: Review | None,
                expected: int | None = None, seen: str | None = None, after: str | None = None) -> dict[str, Review]:
    """Record ``review`` (None: forget it) for each answer of ``digests`` to ``question``, each as its next
    version; returns the question's reviews as saved. With ``expected``, the version the reviewer saw (or ``seen``,
    its ``stamp_of``), a save of an answer whose review is another now is refused (``Conflict``) and nothing is
    written; unless the review there now was made by the save ``after`` names (the same page's save, whose reply
    it did not wait for: it is leaving)."""
    parts = _file(out, question)
    with _locked(out, parts):
        reviews, forgotten = _read_all(out, parts)
        for digest in digests:
            now, current = version_of(reviews, forgotten, digest), reviews.get(digest)
            other = (expected is not None and now != expected) or (seen is not None and stamp_of(current, now) != seen)
            if other and not (after and current is not None and current.made == after):
                raise Conflict(current, now)
        for digest in digests:
            version = version_of(reviews, forgotten, digest) + 1
            if review is None:
                reviews.pop(digest, None)
                forgotten[digest] = version
            else:
                reviews[digest] = replace(review, version=version)
                forgotten.pop(digest, None)
        data = {"format": FORMAT, "question": question,
                "reviews": {digest: reviews[digest].as_data() for digest in sorted(reviews)},
                "cleared": {digest: forgotten[digest] for digest in sorted(forgotten)}}
        write_below(out, parts, json.dumps(data, indent=1, ensure_ascii=False) + "\n", mode=0o600)
    return reviews
