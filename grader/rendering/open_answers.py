"""Open answers in the reports: awaiting review in what the automatic grading writes, and the reviews merged into
every output made from it.

The automatic report (``results.json``, Gradescope's schema) leaves open
questions out of its ``score`` and ``max_score``: on Gradescope they are the
assignment's manual questions, graded there; here they are graded with
``grader review``. The report keeps each answer for the reviewer
(``extra_data.open``: its text, digest and points) and says in its output how
many points a person grades. ``with_reviews`` makes the report every class
output is built from (grades.csv, the LMS files, the class report, the
gradebook): reviewed points added, the open points in the maximum, and per
question the items given, the comment and what still awaits review.
"""

from __future__ import annotations

import copy
from typing import Any

from ..model.messages import points_of, t
from ..model.questions import Question, open_score
from ..model.results import Run
from ..model.reviews import Reviews
from .feedback import Feedback, points
from .inert import code_span, quoted_lines


def open_data(run: Run) -> dict[str, dict[str, Any]]:
    """``extra_data.open`` of a report: each open question's answer, as the reviewer needs it."""
    return {question: {"points": answer.points, "answered": bool(answer.text), "digest": answer.digest,
                       "cut": answer.cut, "text": answer.text} for question, answer in run.open_answers.items()}


def open_summary(run: Run, feedback: Feedback) -> str:
    """The report's line about the open questions ('' when there are none)."""
    if not run.open_answers:
        return ""
    total = sum(answer.points for answer in run.open_answers.values())
    answered = sum(1 for answer in run.open_answers.values() if answer.text)
    return feedback.say(t("open.summary", points=points_of(total), answered=answered, total=len(run.open_answers)))


def with_reviews(report: dict[str, Any], questions: list[Question], reviews: Reviews,
                 late_of: str = "score") -> dict[str, Any]:
    """The report with its open answers' reviews: ``score`` and ``max_score`` include the open questions, and
    ``extra_data.open`` says per question its status (reviewed, awaiting review, not answered), score, items
    and comment; ``extra_data.auto_score`` keeps the automatic part. A question the report holds no answer to (a
    run stopped at its deadline reads none) is not answered: 0 of its points, which the maximum counts as every
    output's does (``grader.model.questions.reachable_score``). A late submission's penalty is taken from the
    whole score, open points included, as the unit's policy says (``late_of``: a percentage of the score, or of
    the points a score can reach); a submission after the last accepted time scores 0, its answers awaiting no
    review. Without open questions, the report as it is."""
    if not questions:
        return report
    merged = copy.deepcopy(report)
    extra = merged.setdefault("extra_data", {})
    extra["auto_score"], extra["auto_max_score"] = report["score"], report["max_score"]
    if not isinstance(extra.get("open"), dict):
        extra["open"] = {}
    reviewed = pending = maximum = 0.0
    for question in questions:
        worth = float(question.points or 0.0)
        entry = extra["open"].setdefault(question.id, {"points": worth, "answered": False})
        maximum += worth
        review = reviews.get(question.id, {}).get(str(entry.get("digest", ""))) if entry.get("answered") else None
        if not entry.get("answered"):
            entry.update(status="not answered", score=0.0, items=[], comment="")
        elif review is None:
            entry.update(status="awaiting review", score=0.0, items=[], comment="")
            pending += worth
        else:
            score = open_score(question, list(review.items), review.adjust)
            entry.update(status="reviewed", score=score, items=list(review.items), comment=review.comment,
                         by=review.by, adjust=review.adjust, reason=review.reason)
            reviewed += score
    merged["max_score"] = round(float(report["max_score"]) + maximum, 6)
    late = extra.get("late")
    if isinstance(late, dict) and isinstance(late.get("percent"), (int, float)):
        raw = round(float(extra.get("raw_score", report["score"])) + reviewed, 6)
        if late.get("refused"):  # after the last accepted time: nothing counts, nothing awaits a review
            penalty, pending = raw, 0.0
        else:
            base = raw if late_of == "score" else merged["max_score"]
            penalty = round(min(raw, base * float(late["percent"]) / 100), 6)
        extra["raw_score"] = raw
        extra["late"] = {**late, "raw_score": raw, "penalty": penalty}
        merged["score"] = round(max(0.0, raw - penalty), 6)
    else:
        merged["score"] = round(float(report["score"]) + reviewed, 6)
    extra["open_score"], extra["open_pending"] = round(reviewed, 6), round(pending, 6)
    return merged


def review_markdown(report: dict[str, Any], questions: list[Question], feedback: Feedback) -> str:
    """The feedback page's part on the open questions of a report made by ``with_reviews``: per question its
    points, the rubric items given (in the student's language) and the reviewer's comment, shown inert."""
    entries = report.get("extra_data", {}).get("open") or {}
    if not entries or "open_score" not in report.get("extra_data", {}):
        return ""
    say, lang = feedback.say, feedback.lang
    lines = [f"## {say(t('open.heading'))}", ""]
    for question in questions:
        entry = entries.get(question.id)
        if entry is None:
            continue
        total, worth = points(float(question.points or 0.0)), points_of(float(question.points or 0.0))
        status = entry.get("status")
        if status == "reviewed":
            lines.append(f"- {code_span(question.id)}: {points(entry['score'])}/{total}")
            for item in question.rubric:
                if item.id in entry.get("items", []):
                    sign = "+" if item.points >= 0 else "−"
                    text = item.text.get(lang) or item.text["en"]  # type: ignore[call-overload]
                    lines.append(f"  - {sign}{points(abs(item.points))} {text}")
            adjust = entry.get("adjust") or 0
            if isinstance(adjust, (int, float)) and adjust:  # points outside the rubric, with their reason
                sign = "+" if adjust > 0 else "−"
                reason = " ".join(str(entry.get("reason") or "").split())  # one line: a reason is short
                lines.append(f"  - {sign}{points(abs(float(adjust)))} {say(t('open.adjusted'))} {code_span(reason)}")
            shown = quoted_lines(str(entry.get("comment") or ""))
            if len(shown) == 1:  # one line: on the item's own line
                lines.append(f"  - {say(t('open.comment'))} {shown[0].removeprefix('> ')}")
            elif shown:  # several: line by line, as a quote within the item
                lines += [f"  - {say(t('open.comment'))}", *(f"    {line}" for line in shown)]
        elif status == "awaiting review":
            lines.append(f"- {code_span(question.id)}: {say(t('open.awaiting', points=worth))}")
        else:
            lines.append(f"- {code_span(question.id)}: {say(t('open.not_answered', points=worth))}")
    late = report.get("extra_data", {}).get("late")
    if isinstance(late, dict) and (late.get("penalty") or late.get("refused")):  # taken from the whole score
        lines += ["", say(t("open.late", penalty=points(float(late.get("penalty", 0.0))),
                            raw=points(float(late.get("raw_score", 0.0)))))]
    return "\n".join(lines) + "\n"
