"""Open questions: answered in text, marked awaiting review by the automatic grading, graded by a person on the
review page (``grader review``), and the reviews merged into every output; on the quiz unit of the mini course,
whose two open questions are ``why_double`` (3 points) and ``mean_use`` (2 points)."""

import csv
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import yaml
from bounded import ends_within, timed
from hypothesis import given
from hypothesis import strategies as st
from intake_here import intake_here
from review_pages import CHROMIUM, Served, until, write_answers

from grader.classwork.review import Class, RequestError, apply, read_class, state
from grader.model.course import CourseError, load_course
from grader.model.questions import load_questions, open_answer_digest, open_questions, open_score
from grader.model.reviews import Review, load_reviews, save_review

MINI = Path(__file__).parent / "fixtures" / "mini"
QUIZ = load_course(MINI).unit("quiz")

DEFINITION = "By definition 2x = x + x.\nFor example 2*3 = 3 + 3."
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\"> \u202eevil"
FORMULA = "=HYPERLINK(\"http://x.example\",\"click\")"
ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section
"Lovelace, Ada",1,s1,ada,A
"Babbage, Bob",2,s2,bob,A
"Cyd, Cy",3,s3,cyd,A
"Formula, F",4,s4,=1+2,A
"""


def notebook(folder: Path, cells: dict[str, str]) -> Path:
    """A notebook submission whose Markdown answer cells hold ``cells`` (grade id -> text)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = {"cells": [{"cell_type": "markdown", "id": f"c{n}", "source": text,
                       "metadata": {"nbgrader": {"grade_id": grade_id, "grade": True, "solution": True,
                                                 "schema_version": 3, "points": 1}}}
                      for n, (grade_id, text) in enumerate(cells.items())],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = folder / "quiz.ipynb"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def make_class(root: Path) -> Path:
    """Five students: ada and bob gave one answer to why_double (bob's reflowed), bob's other answer is hostile,
    cyd answered nothing, the formula-named student answered in a notebook (1 MB, cut), eve one open question."""
    folder = root / "class"
    write_answers(folder / "ada", {"why_double": DEFINITION, "mean_use": "Outliers pull it away."})
    write_answers(folder / "bob", {"why_double": DEFINITION.replace(" ", "   ").replace("\n", "\n\n"),
                                   "mean_use": HOSTILE})
    write_answers(folder / "cyd", {"twice": 4})
    notebook(folder / "nb", {"why_double": "x" * 1_000_000, "mean_use": "YOUR ANSWER HERE"})
    (folder / "nb" / "quiz.ipynb").rename(folder / f"{FORMULA.replace('/', '_')}.ipynb")
    shutil.rmtree(folder / "nb")
    write_answers(folder / "eve", {"mean_use": "When the data are skewed."})
    return folder


def grade_class(cli, root: Path) -> Path:
    out = root / "out"
    done = cli("grade-all", str(root / "class"), "--out", str(out), "--unit", "quiz", "--no-similarity")
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture
def graded(tmp_path, cli):
    make_class(tmp_path)
    return grade_class(cli, tmp_path)


def report(out: Path, student: str) -> dict:
    return json.loads((out / student / "results.json").read_text(encoding="utf-8"))


def grades(out: Path) -> dict[str, dict[str, str]]:
    return {row["student"]: row for row in csv.DictReader(io.StringIO((out / "grades.csv").read_text("utf-8")))}


# --- the question kind --------------------------------------------------------------------------


@pytest.mark.parametrize(("entry", "reason"), [
    ("    rubric: [{id: a, points: 1, text: {en: x}}]\n", "needs its `points` and a `rubric`"),
    ("    points: 2\n", "needs its `points` and a `rubric`"),
    ("    points: 3\n    rubric: [{id: a, points: 1, text: {en: x}}, {id: b, points: -1, text: {en: y}}]\n",
     "its rubric's items give at most 1 of its 3 points"),
    ("    points: 1\n    rubric: [{id: a, points: 1, text: {en: x}}, {id: a, points: 1, text: {en: y}}]\n",
     "rubric item ids must be unique; repeated: a"),
    ("    points: 1\n    parameters: number\n    rubric: [{id: a, points: 1, text: {en: x}}]\n",
     "has no `parameters`"),
])
def test_an_open_question_is_declared_with_points_a_reachable_rubric_and_nothing_else(tmp_path, entry, reason):
    path = tmp_path / "questions.yaml"
    path.write_text(f"questions:\n  - id: essay\n    kind: open\n    text: {{en: 'Why'}}\n{entry}")
    with pytest.raises(CourseError) as refused:
        load_questions(path)
    assert reason in str(refused.value)
    path.write_text("questions:\n  - id: n\n    kind: number\n    text: {en: 'How many'}\n    points: 2\n")
    with pytest.raises(CourseError, match="only an open question has"):
        load_questions(path)


# --- automatic grading: awaiting review, never a silent 0 ---------------------------------------


def test_grading_keeps_each_open_answer_for_review_and_leaves_its_points_out_of_the_total(graded):
    ada = report(graded, "ada")
    assert ada["max_score"] == QUIZ.max_score  # the automatic part only, as Gradescope's autograder reports it
    assert "Open questions: 5 points, graded by a person, not here (2 of 2 answered)" in ada["output"]
    entry = ada["extra_data"]["open"]["why_double"]
    assert entry["answered"] and entry["text"] == DEFINITION and entry["points"] == 3
    # the same answer reflowed is the same answer: one review will grade both
    assert report(graded, "bob")["extra_data"]["open"]["why_double"]["digest"] == entry["digest"]
    cut = report(graded, FORMULA.replace("/", "_"))["extra_data"]["open"]
    assert cut["why_double"]["cut"] and len(cut["why_double"]["text"]) == 20_000
    assert not cut["mean_use"]["answered"]  # the notebook's cell as it was given: no answer
    rows = grades(graded)
    assert rows["ada"]["open_pending"] == "5" and rows["ada"]["open_score"] == "0"
    assert float(rows["ada"]["max_score"]) == QUIZ.max_score + 5
    assert rows["cyd"]["open_pending"] == "0"  # nothing to review: not answered is 0, and final
    page = (graded / "ada" / "feedback.md").read_text(encoding="utf-8")
    assert "`why_double`: awaiting review (3 points)" in page
    assert "`why_double`: not answered (0 of 3 points)" in (graded / "cyd" / "feedback.md").read_text("utf-8")


def test_check_counts_the_open_answers_and_names_the_missing_ones(tmp_path, cli):
    folder = write_answers(tmp_path / "me", {"why_double": DEFINITION})
    shown = cli("check", str(folder), "--unit", "quiz").stdout
    assert "Open questions (graded by a person): 1/2 answered" in shown
    assert "mean_use: not answered yet (write it in answers.yaml as text)" in shown
    assert "why_double: not answered" not in shown
    zh = cli("check", str(folder), "--unit", "quiz", "--lang", "zh").stdout
    assert "开放题（人工评分）：2 题中已回答 1 题" in zh


def test_questions_lists_the_open_questions_with_their_points(cli):
    shown = cli("questions", "--unit", "quiz", "--student", "ada").stdout
    assert "[why_double] Why is doubling the same as adding a number to itself? (3 points, graded by a person)" in \
        shown


# --- reviews -------------------------------------------------------------------------------------


def test_reviews_flow_into_grades_the_lms_file_the_feedback_and_the_class_report(graded, cli, tmp_path):
    digest = report(graded, "ada")["extra_data"]["open"]["why_double"]["digest"]
    save_review(graded, "why_double", [digest], Review(("definition", "example"), "Clear, with an example.", "ta"))
    hostile = report(graded, "bob")["extra_data"]["open"]["mean_use"]["digest"]
    save_review(graded, "mean_use", [hostile], Review(("outliers",), "`no` <b>html</b>", "ta"))
    (tmp_path / "roster.csv").write_text(ROSTER)
    done = cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--roster", str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    rows = grades(graded)
    assert rows["ada"]["open_score"] == "3" and rows["ada"]["open_pending"] == "2"  # mean_use: not reviewed
    assert rows["bob"]["open_score"] == "5" and rows["bob"]["open_pending"] == "0"
    assert float(rows["bob"]["score"]) == float(report(graded, "bob")["score"]) + 5
    canvas = list(csv.reader(io.StringIO((graded / "canvas.csv").read_text("utf-8"))))
    bob = next(row for row in canvas if "bob" in row)
    assert rows["bob"]["score"] in bob
    # what the scores can reach, the open questions' points included, as grades.csv says it
    assert canvas[1][0] == "Points Possible" and float(canvas[1][-1]) == float(rows["bob"]["max_score"]) == 6 + 3 + 2
    page = (graded / "bob" / "feedback.md").read_text(encoding="utf-8")
    assert "- `why_double`: 3/3" in page and "  - +2 says that 2x means x + x" in page and "+1 gives an example" in page
    assert "Comment: `Clear, with an example.`" in page
    assert page.count("## Open questions (graded by a person)") == 1
    # exporting again changes nothing: the part is replaced, never added twice
    assert cli("export", str(graded), "--unit", "quiz").returncode == 0
    assert (graded / "bob" / "feedback.md").read_text(encoding="utf-8") == page
    html = (graded / "report.html").read_text(encoding="utf-8")
    assert "Open question why_double" in html and "2 of 3 answers reviewed" in html  # ada and bob: one review
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz", "--no-similarity")
    assert done.returncode == 0
    html = (graded / "report.html").read_text(encoding="utf-8")
    assert "Open question why_double" in html and "2 of 3 answers reviewed" in html  # ada and bob: one review


def test_a_regrade_keeps_every_review_and_a_changed_answer_awaits_review_again(graded, cli, tmp_path):
    digest = report(graded, "ada")["extra_data"]["open"]["why_double"]["digest"]
    save_review(graded, "why_double", [digest], Review(("definition",), "", "ta"))
    eve = report(graded, "eve")["extra_data"]["open"]["mean_use"]["digest"]
    save_review(graded, "mean_use", [eve], Review((), "no reason given", "ta"))
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz", "--force",
               "--no-similarity").returncode == 0
    rows = grades(graded)
    assert rows["ada"]["open_score"] == rows["bob"]["open_score"] == "2" and rows["eve"]["open_pending"] == "0"
    write_answers(tmp_path / "class" / "ada", {"why_double": DEFINITION + " Also 3 + 3 = 6.",
                                               "mean_use": "Outliers pull it away."})
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz",
               "--no-similarity").returncode == 0
    rows = grades(graded)
    assert rows["ada"]["open_score"] == "0" and rows["ada"]["open_pending"] == "5"  # asked again
    assert rows["bob"]["open_score"] == "2"  # bob's answer did not change
    assert "`why_double`: awaiting review (3 points)" in (graded / "ada" / "feedback.md").read_text("utf-8")


def test_the_page_groups_identical_answers_and_can_hide_names(graded):
    group_class = read_class(QUIZ, graded)
    shown = state(group_class, blind=False, lang="en")
    why = next(q for q in shown["questions"] if q["id"] == "why_double")
    assert why["groups"][0]["count"] == 2 and why["groups"][0]["students"] == ["ada", "bob"]
    assert why["unanswered"] == 2  # cyd and eve
    blind = state(group_class, blind=True, lang="zh")
    assert all(group["students"] == [] for q in blind["questions"] for group in q["groups"])
    assert "ada" not in json.dumps(blind) and "乘以 2 的定义" in json.dumps(blind, ensure_ascii=False)


def api(group_class: Class, body) -> dict:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return apply(group_class, data, "ta")


def test_the_api_saves_only_a_review_of_a_real_answer_with_the_questions_own_items(graded):
    group_class = read_class(QUIZ, graded)
    digest = next(iter(group_class.groups["why_double"]))
    answer = {"question": "why_double", "digest": digest, "version": 0}
    for body, status in [(b"{", 400), (b"[]", 400), ({**answer, "question": "nope", "items": []}, 404),
                         ({**answer, "digest": "0" * 20, "items": []}, 404),
                         ({**answer, "items": ["outliers"]}, 400),
                         ({**answer, "items": "definition"}, 400),
                         ({**answer, "items": [], "comment": "x" * 5000}, 400),
                         ({"question": "why_double", "digest": digest, "items": []}, 400),  # no version seen
                         ({**answer, "version": True, "items": []}, 400), ({**answer, "version": -1, "items": []}, 400),
                         ({**answer, "items": [], "adjust": 1}, 400),  # an adjustment without its reason
                         ({**answer, "items": [], "adjust": 4, "reason": "more than the question"}, 400),
                         ({**answer, "items": [], "adjust": "1", "reason": "text"}, 400),
                         ({**answer, "items": [], "adjust": 1, "reason": "x" * 501}, 400),
                         ({**answer, "version": 1, "items": []}, 409),  # a version that was never saved
                         (b"x" * 70_000, 413)]:
        with pytest.raises(RequestError) as refused:
            api(group_class, body)
        assert refused.value.status == status, body
    assert load_reviews(graded, ["why_double"]) == {"why_double": {}}
    saved = api(group_class, {**answer, "items": ["false_claim", "definition"]})
    assert saved["review"]["items"] == ["definition", "false_claim"] and saved["review"]["score"] == 1.0
    assert saved["version"] == saved["review"]["version"] == 1
    adjusted = api(group_class, {**answer, "version": 1, "items": ["definition"], "adjust": -0.5,
                                 "reason": "no example"})
    assert adjusted["review"]["score"] == 1.5 and adjusted["version"] == 2
    forgotten = api(group_class, {**answer, "version": 2, "items": None})
    assert forgotten["review"] is None and forgotten["version"] == 3


def test_a_save_against_a_version_another_reviewer_replaced_is_refused_with_theirs(graded):
    """Two pages on one answer: each saves against the version it saw; the second to save is refused (409) with
    the first's review, which is kept, and saves only once it names the version it was shown."""
    group_class = read_class(QUIZ, graded)
    digest = next(iter(group_class.groups["why_double"]))
    answer = {"question": "why_double", "digest": digest}
    first = apply(group_class, json.dumps({**answer, "version": 0, "items": ["definition"],
                                           "comment": "mine"}).encode(), "ta-one")
    with pytest.raises(RequestError) as refused:
        apply(group_class, json.dumps({**answer, "version": 0, "items": ["example"]}).encode(), "ta-two")
    assert refused.value.status == 409
    assert refused.value.more["version"] == first["version"] == 1
    assert refused.value.more["review"]["by"] == "ta-one" and refused.value.more["review"]["comment"] == "mine"
    kept = load_reviews(graded, ["why_double"])["why_double"][digest]
    assert kept.items == ("definition",) and kept.by == "ta-one" and kept.version == 1
    second = apply(group_class, json.dumps({**answer, "version": 1, "items": ["example"]}).encode(), "ta-two")
    assert second["version"] == 2 and load_reviews(graded, ["why_double"])["why_double"][digest].by == "ta-two"


def test_a_forgotten_review_keeps_counting_its_versions_and_an_old_file_reads_as_version_one(tmp_path):
    """Forgetting a review is a version too, so a page that saw the review before it was forgotten cannot bring
    it back unseen; a reviews file written before versions existed reads each review as version 1."""
    from grader.model.reviews import Conflict, load_versions

    save_review(tmp_path, "why_double", ["d"], Review(("definition",)), expected=0)
    save_review(tmp_path, "why_double", ["d"], None, expected=1)
    with pytest.raises(Conflict) as refused:
        save_review(tmp_path, "why_double", ["d"], Review(("example",)), expected=1)
    assert refused.value.version == 2 and refused.value.current is None
    assert load_versions(tmp_path, "why_double") == ({}, {"d": 2})
    (tmp_path / "reviews" / "mean_use.json").write_text(json.dumps(
        {"format": 1, "question": "mean_use", "reviews": {"e": {"items": ["outliers"], "comment": "c", "by": "ta",
                                                                 "at": ""}}}), encoding="utf-8")
    old = load_reviews(tmp_path, ["mean_use"])["mean_use"]["e"]
    assert old.version == 1 and old.items == ("outliers",) and old.adjust == 0.0


@ends_within(240)
@given(body=st.one_of(st.binary(max_size=300), st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
              st.sampled_from(["why_double", "mean_use", "definition", "outliers"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(
        st.sampled_from(["question", "digest", "items", "comment", "version", "adjust", "reason", "x"]), inner,
        max_size=8)),
    max_leaves=12).map(lambda value: json.dumps(value).encode())))
def test_any_request_is_saved_or_refused_with_a_status(tmp_path_factory, body):
    out = tmp_path_factory.mktemp("reviews")
    group_class = Class(QUIZ, out, [q for q in load_questions(QUIZ.content("questions")) if q.kind == "open"],
                        {"why_double": {}, "mean_use": {}}, {"why_double": 0, "mean_use": 0}, [])
    try:
        timed(5, apply, group_class, body, "ta")
    except RequestError as error:
        assert error.status in (400, 404, 413)
    else:
        raise AssertionError("no answer is in this class: nothing can be saved")


def test_two_reviewers_of_different_questions_keep_each_others_reviews(graded):
    a = report(graded, "ada")["extra_data"]["open"]
    save_review(graded, "why_double", [a["why_double"]["digest"]], Review(("definition",)))
    save_review(graded, "mean_use", [a["mean_use"]["digest"]], Review(("outliers",)))
    kept = load_reviews(graded, ["why_double", "mean_use"])
    assert kept["why_double"][a["why_double"]["digest"]].items == ("definition",)
    assert kept["mean_use"][a["mean_use"]["digest"]].items == ("outliers",)
    assert sorted(p.name for p in (graded / "reviews").glob("*.json")) == ["mean_use.json", "why_double.json"]


# One reviewer's process: says it is ready, waits for its input to end (so that two start together), then saves
# a review of each of its answers, one save each, as the page does.
REVIEWER = """
import sys
import tempfile
from pathlib import Path
from grader.model.reviews import Review, save_review
out, name, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.read()
for index in range(count):
    save_review(out, "why_double", [f"{name}-{index}"], Review(("definition",), "", name))
"""


def test_two_processes_saving_reviews_of_one_question_at_once_keep_every_review(tmp_path):
    """Two tabs (or two people) on one question: each save reads the file again and replaces it under a lock, so
    no save loses another's. Without the lock, two processes of 150 saves each, side by side, keep about half."""
    out = tmp_path / "out"
    out.mkdir()
    count = 150
    reviewers = [subprocess.Popen([sys.executable, "-c", REVIEWER, str(out), name, str(count)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for name in ("one", "two")]
    try:
        assert [reviewer.stdout.readline() for reviewer in reviewers] == ["ready\n"] * 2
        for reviewer in reviewers:  # both are waiting: let them go together
            reviewer.stdin.close()
        for reviewer in reviewers:
            assert reviewer.wait(timeout=120) == 0, reviewer.stderr.read()
    finally:
        for reviewer in reviewers:
            if reviewer.poll() is None:
                reviewer.kill()
                reviewer.wait()
            reviewer.stdout.close()
            reviewer.stderr.close()
    kept = load_reviews(out, ["why_double"])["why_double"]
    assert len(kept) == 2 * count, f"{2 * count - len(kept)} of {2 * count} reviews were lost"
    assert {review.by for review in kept.values()} == {"one", "two"}


def test_a_reviewed_digest_is_the_answer_with_its_white_space_made_one():
    assert open_answer_digest("a  b\n\nc ") == open_answer_digest("a b c")
    assert open_answer_digest("a b c") != open_answer_digest("a b c.")


# --- the page, in a browser -----------------------------------------------------------------------


def test_the_page_refuses_a_request_without_its_token_or_from_another_host(graded):
    import urllib.error
    import urllib.request

    served = Served([str(graded), "--unit", "quiz"])
    try:
        base, token = served.address.split("/?token=")
        for url, headers in [(f"{base}/", {}), (f"{base}/api/state", {}),
                             (f"{base}/api/state", {"X-Review-Token": token[:-1]}),
                             (f"{base}/api/state", {"X-Review-Token": token, "Host": "evil.example"})]:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30)
            assert refused.value.code == 403, url
        post = urllib.request.Request(f"{base}/api/review?token={token}", data=b"{}", method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:  # a form elsewhere cannot add the header
            urllib.request.urlopen(post, timeout=30)
        assert refused.value.code == 403
        with urllib.request.urlopen(urllib.request.Request(f"{base}/api/state", headers={"X-Review-Token": token}),
                                    timeout=30) as answer:
            assert json.load(answer)["questions"]
    finally:
        served.close()


REVIEW_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                 "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")


def test_the_page_and_its_api_are_served_with_a_policy_that_loads_nothing_from_elsewhere(graded):
    """Every answer is put on the page as text; should one ever reach it as HTML, the browser still loads nothing
    from elsewhere, sends nothing elsewhere, runs no script but the page's own and shows it in no other site's
    frame: the page and each answer of the API carry exactly this policy, and the headers beside it."""
    import urllib.request

    served = Served([str(graded), "--unit", "quiz"])
    try:
        base, token = served.address.split("/?token=")
        for url, kind in [(served.address, "text/html; charset=utf-8"), (f"{base}/api/state?token={token}",
                                                                           "application/json; charset=UTF-8")]:
            with urllib.request.urlopen(url, timeout=30) as answer:
                headers = answer.headers
                assert answer.status == 200 and answer.read()
            assert headers.get_all("Content-Security-Policy") == [REVIEW_POLICY], (url, headers.items())
            assert headers["X-Content-Type-Options"] == "nosniff" and headers["Referrer-Policy"] == "no-referrer"
            assert headers["Cache-Control"] == "no-store" and headers["Content-Type"] == kind, headers.items()
    finally:
        served.close()


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no Chromium here (.ci/run installs it)")
def test_a_reviewer_grades_in_the_browser_and_the_points_reach_every_output(graded, cli, tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "CI must have Chromium"
    (tmp_path / "roster.csv").write_text(ROSTER)
    served = Served([str(graded), "--unit", "quiz", "--by", "ta-one"])
    dialogs: list[str] = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(served.address)
            page.wait_for_selector("body[data-ready='true']")
            # why_double: the largest group first (ada and bob), then the 20,000-character one
            assert page.get_attribute("body", "data-question") == "why_double"
            assert page.text_content("#answer") == DEFINITION and page.is_hidden("#cut")
            assert page.text_content("#students") == "adabob"
            page.keyboard.press("1")  # definition
            page.wait_for_selector("#saved[data-state='saved']")
            page.click("[data-item='example']")
            until(lambda: page.text_content("#score").startswith("3 / 3"))
            page.keyboard.press("c")
            page.keyboard.type("Clear, with an example.")
            page.keyboard.press("Escape")
            time.sleep(1.0)  # the comment is saved half a second after the last key
            until(lambda: page.get_attribute("#saved", "data-state") == "saved")
            page.keyboard.press("ArrowRight")
            assert page.is_visible("#cut") and len(page.text_content("#answer")) == 20_000
            page.keyboard.press("0")  # reviewed: none of the items
            page.wait_for_selector("#saved[data-state='saved']")
            page.keyboard.press("n")  # mean_use: three answers, each its own group
            assert page.get_attribute("body", "data-question") == "mean_use"
            shown = HOSTILE.replace("\u202e", "⟨RLO⟩")  # the text it is; its direction control shown, not applied
            for _ in range(3):
                if page.text_content("#answer") == shown:
                    break
                page.keyboard.press("j")
            assert page.text_content("#answer") == shown and page.is_visible("#controls")
            assert page.query_selector("#answer script") is None and page.query_selector("#answer img") is None
            page.keyboard.press("c")  # a comment first: it grades nothing until a choice is made
            page.keyboard.type("Look again.")
            page.keyboard.press("Escape")
            time.sleep(1.0)
            assert page.text_content("#status") == "not reviewed yet"
            page.keyboard.press("1")
            page.wait_for_selector("#saved[data-state='saved']")
            page.reload()
            page.wait_for_selector("body[data-ready='true']")
            assert page.get_attribute("body", "data-question") == "mean_use"  # the place is kept too
            assert page.get_attribute("[data-item='outliers']", "aria-pressed") == "true"
            page.click("nav button[data-question='why_double']")
            assert page.get_attribute("[data-item='definition']", "aria-pressed") == "true"
            assert page.input_value("#comment") == "Clear, with an example."
            assert page.get_attribute("nav button[data-question='why_double']", "data-reviewed") == "2"
            assert page.title() != "pwned" and not dialogs
            browser.close()
    finally:
        served.close()
    reviewed = load_reviews(graded, ["why_double"])["why_double"]
    assert {review.by for review in reviewed.values()} == {"ta-one"}
    done = cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--roster", str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    rows = grades(graded)
    assert rows["ada"]["open_score"] == "3" and rows["bob"]["open_score"] == "5"
    formula = rows["'" + FORMULA.replace("/", "_")]  # its name shown as text, not run as a formula
    assert formula["open_score"] == "0" and formula["open_pending"] == "0"
    canvas = (graded / "canvas.csv").read_text(encoding="utf-8")
    assert rows["bob"]["score"] in canvas.splitlines()[[n for n, line in enumerate(canvas.splitlines())
                                                        if ",bob," in line or line.endswith(",bob")][0]]
    page_md = (graded / "bob" / "feedback.md").read_text(encoding="utf-8")
    assert "Comment: `Clear, with an example.`" in page_md and "- `mean_use`: 2/2" in page_md
    assert "Comment: `Look again.`" in page_md  # saved with the choice that followed it


def test_hostile_answers_and_names_stay_inert_in_the_feedback_and_every_csv(graded, cli, tmp_path):
    from markdown_it import MarkdownIt

    hostile = report(graded, "bob")["extra_data"]["open"]["mean_use"]["digest"]
    save_review(graded, "mean_use", [hostile], Review(("outliers",), HOSTILE, "ta"))
    (tmp_path / "roster.csv").write_text(ROSTER)
    assert cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--roster",
               str(tmp_path / "roster.csv")).returncode == 0
    rendered = MarkdownIt("commonmark").render((graded / "bob" / "feedback.md").read_text(encoding="utf-8"))
    assert "<script" not in rendered and "<img" not in rendered and "&lt;script&gt;" in rendered
    for name in ("grades.csv", "canvas.csv"):
        rows = list(csv.reader(io.StringIO((graded / name).read_text("utf-8"))))
        # but Canvas's ids (ID, SIS User ID, SIS Login ID), which are the roster's exactly, for Canvas to find
        cells = [cell for row in rows for cell in (row[:1] + row[4:] if name == "canvas.csv" else row)]
        assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")], name
    assert ["Formula, F", "4", "s4", "=1+2", "A", ""] in rows


def test_export_keeps_the_students_grade_all_could_not_grade(graded, cli):
    (graded / "eve" / "results.json").unlink()  # as when eve's grading failed: a row in grades.csv, no report
    assert cli("export", str(graded), "--unit", "quiz").returncode == 0
    rows = grades(graded)
    assert rows["eve"]["status"] == "not graded" and rows["ada"]["status"] == "graded"
    assert "'" + FORMULA.replace("/", "_") in rows  # a quoted name is read back as the name it is, not twice


def test_a_reviews_file_that_cannot_be_read_stops_the_export_and_is_kept(graded, cli):
    broken = graded / "reviews" / "why_double.json"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("{not json")
    done = cli("export", str(graded), "--unit", "quiz")
    assert done.returncode == 1 and "why_double.json: cannot be read" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert broken.read_text() == "{not json"


texts = st.one_of(st.text(max_size=300), st.just("YOUR ANSWER HERE"),
                  st.integers(19_990, 20_010).map(lambda n: ("ab <i>\u202e\n " * n)[:n]))  # about the limit
values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), texts),
                      lambda inner: st.one_of(st.lists(inner, max_size=4),
                                              st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                      max_leaves=10)


@ends_within(240)
@given(given_answers=st.dictionaries(st.sampled_from(["why_double", "mean_use", "twice"]), values, max_size=3),
       cells=st.dictionaries(st.sampled_from(["why_double", "mean_use", "other"]), texts, max_size=3),
       raw=st.one_of(st.none(), st.binary(max_size=400)))
def test_any_open_answer_is_read_as_bounded_text(tmp_path_factory, given_answers, cells, raw):
    """Whatever a student puts in answers.yaml or in a notebook's cells (or in place of a notebook), each open
    question gets text of at most 20,000 characters, marked cut exactly when it was longer, or no answer."""
    from grader.model.questions import open_questions
    from grader.running.answers import open_answers_of

    folder = tmp_path_factory.mktemp("open")
    path = notebook(folder, cells)
    if raw is not None:
        path.write_bytes(raw)
    (folder / "answers.yaml").write_text(yaml.safe_dump(given_answers, allow_unicode=True), encoding="utf-8")
    questions = open_questions(QUIZ)
    ids = tuple(q.id for q in questions)
    intake = timed(10, intake_here, ([], 256), path, True, ids)
    for source in (folder, path):
        answers = intake.answers if source == path else timed(10, intake_here, ([], 256), folder, True, ids).answers
        found = timed(10, open_answers_of, questions, answers, intake.notes if source == path else {})
        assert sorted(found) == ["mean_use", "why_double"]
        for answer in found.values():
            assert len(answer.text) <= 20_000 and not answer.text[:1].isspace()
            assert bool(answer.digest) == bool(answer.text) and answer.text != "YOUR ANSWER HERE"
            written = given_answers.get(answer.question) if source == folder else None
            if isinstance(written, str) and written.strip() != "YOUR ANSWER HERE":
                assert answer.cut == (len(written.strip()) > 20_000), (len(written.strip()), answer.cut)
            assert not answer.cut or len(answer.text) == 20_000


@pytest.mark.parametrize("form", ["answers.yaml", "notebook"])
def test_an_open_answer_of_exactly_the_bound_is_whole_and_one_more_character_is_cut(tmp_path, form):
    """20,000 characters are kept whole and not marked cut, in ``answers.yaml`` and in a notebook's cell alike;
    20,001 are cut to 20,000, and marked so (the property test above seldom draws a text of exactly the bound)."""
    from grader.model.questions import MAX_OPEN_CHARACTERS, open_questions
    from grader.running.answers import open_answers_of

    assert MAX_OPEN_CHARACTERS == 20_000
    questions = open_questions(QUIZ)
    ids = tuple(q.id for q in questions)
    at, over = "a" * 19_999 + "z", "b" * 20_000 + "z"
    folder = tmp_path / "student"
    if form == "notebook":
        path = notebook(folder, {"why_double": at, "mean_use": over})
    else:
        path = write_answers(folder, {"why_double": at, "mean_use": over})
    intake = intake_here(([], 256), path, True, ids)
    found = open_answers_of(questions, intake.answers, intake.notes)
    assert (found["why_double"].text, found["why_double"].cut) == (at, False), len(found["why_double"].text)
    assert (found["mean_use"].text, found["mean_use"].cut) == (over[:20_000], True), len(found["mean_use"].text)


def test_a_students_text_that_holds_the_mark_of_the_open_part_cuts_nothing_of_the_page(graded, cli):
    """The part on the open questions begins at its mark, a line of its own: a student's text in the page is
    quoted in a code span (an exception's message, in a unit of code and open questions), and the page before
    the part is kept whole, however often the part is written again."""
    from grader.classwork.outputs import OPEN_MARK

    path = graded / "ada" / "feedback.md"
    page = path.read_text(encoding="utf-8")
    head, mark, tail = page.partition(f"\n{OPEN_MARK}\n")
    assert mark and tail
    quoted = f"- `test_double[3]`: double(3) raised ValueError: `{OPEN_MARK} hidden?`\n"
    path.write_text(head.replace("\n_Seed", f"\n{quoted}\n_Seed") + mark + tail, encoding="utf-8")
    before = path.read_text(encoding="utf-8")
    assert cli("export", str(graded), "--unit", "quiz").returncode == 0
    assert path.read_text(encoding="utf-8") == before and quoted in before


def test_a_student_not_graded_has_the_maximum_of_those_graded_open_questions_included():
    from grader.classwork.exports import grades_rows

    [row] = grades_rows(QUIZ, [("ada", None)])
    assert (row["status"], row["max_score"]) == ("not graded", 6 + 3 + 2)


@pytest.mark.parametrize("command", ["review", "export"])
def test_review_and_export_refuse_a_folder_that_is_not_a_graded_class(tmp_path, command):
    """A folder without any student's results.json and without grades.csv is no graded class: a report reached
    only through a link does not count, and nothing is served or written into the folder."""
    empty = tmp_path / "empty"
    empty.mkdir()
    stray = tmp_path / "stray"
    (stray / "notes").mkdir(parents=True)
    (stray / "notes" / "todo.txt").write_text("x")
    (tmp_path / "elsewhere.json").write_text(json.dumps({"score": 1, "max_score": 1, "extra_data": {}}))
    (stray / "ada").mkdir()
    (stray / "ada" / "results.json").symlink_to(tmp_path / "elsewhere.json")
    (stray / "bob").symlink_to(stray / "ada", target_is_directory=True)
    for folder in (empty, stray):
        before = sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
        try:
            done = subprocess.run([sys.executable, "-m", "grader", "--course", str(MINI), command, str(folder),
                                   "--unit", "quiz"], capture_output=True, text=True, timeout=60,
                                  cwd=tempfile.gettempdir())
        except subprocess.TimeoutExpired:
            raise AssertionError(f"{command} served a folder that holds no graded class") from None
        assert done.returncode == 2, done.stdout + done.stderr
        assert "holds no graded class" in done.stderr and str(folder) in done.stderr
        assert sorted(str(path.relative_to(folder)) for path in folder.rglob("*")) == before


@pytest.mark.parametrize(("value", "en", "zh"), [(1, "1 point", "1 分"), (2, "2 points", "2 分"),
                                                 (0.5, "0.5 points", "0.5 分")])
def test_a_count_of_points_is_one_point_and_otherwise_points(value, en, zh):
    """Every sentence that counts points: the open questions' summary in the report, each awaiting or unanswered
    question in the feedback page, and the late penalty; in English 1 is singular, in Chinese no word changes."""
    from datetime import datetime, timedelta, timezone
    from types import SimpleNamespace

    from grader.model.late import Lateness
    from grader.model.questions import open_questions
    from grader.model.results import OpenAnswer, Run
    from grader.rendering.feedback import Feedback, lateness
    from grader.rendering.open_answers import open_summary, review_markdown

    questions = [question.model_copy(update={"points": float(value)}) for question in open_questions(QUIZ)]
    run = Run(outcomes={}, collection_errors={}, seed=1, layers=[], output="", intake_problems={}, duration=0.0,
              unit="quiz", student="ada", open_answers={"why_double": OpenAnswer("why_double", "x", "d", value)})
    reviewed = {"score": 0, "max_score": 6, "extra_data": {"open_score": 0, "open_pending": value, "open": {
        "why_double": {"status": "awaiting review"}, "mean_use": {"status": "not answered"}}}}
    due = datetime(2026, 12, 1, tzinfo=timezone.utc)
    late = SimpleNamespace(late=Lateness(due + timedelta(days=1), due, timedelta(days=1), 10.0, float(value), 10.0))
    english, chinese = Feedback("en"), Feedback("zh")
    assert open_summary(run, english).startswith(f"Open questions: {en}, graded by a person, not here")
    assert open_summary(run, chinese).startswith(f"开放题：共 {zh}，")
    page = review_markdown(reviewed, questions, english)
    assert f"- `why_double`: awaiting review ({en})\n" in page and f"- `mean_use`: not answered (0 of {en})\n" in page
    page = review_markdown(reviewed, questions, chinese)
    assert f"等待评阅（{zh}）" in page and f"没有回答（{zh}中得 0 分）" in page
    assert lateness(late, english).endswith(f"10% off, {en}; 10 before the penalty.")  # type: ignore[arg-type]
    assert f"扣除 10%，即 {zh}；" in lateness(late, chinese)  # type: ignore[arg-type]


def test_grader_questions_says_one_point_of_an_open_question_worth_one(mini_copy, cli):
    questions = mini_copy / "tests" / "units" / "quiz" / "questions.yaml"
    questions.write_text(questions.read_text().replace("    points: 2\n    text: {en: \"When is a mean",
                                                       "    points: 1\n    text: {en: \"When is a mean"))
    shown = cli("questions", "--unit", "quiz", "--student", "ada", course=mini_copy)
    assert shown.returncode == 0, shown.stderr
    assert "When is a mean a poor summary? (1 point, graded by a person)" in shown.stdout
    assert "(3 points, graded by a person)" in shown.stdout
    zh = cli("questions", "--unit", "quiz", "--student", "ada", "--lang", "zh", course=mini_copy).stdout
    assert "什么时候平均值不是好的概括？ (1 分，人工评分)" in zh


class _Tags(__import__("html.parser").parser.HTMLParser):
    """The tags of a rendered page, and the text of each ``<code>`` element in it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.codes: list[str] = []
        self._in_code = False

    def handle_starttag(self, tag, attrs) -> None:
        self.tags.add(tag)
        if tag == "code":
            self._in_code = True
            self.codes.append("")

    def handle_endtag(self, tag) -> None:
        self._in_code = self._in_code and tag != "code"

    def handle_data(self, data) -> None:
        if self._in_code:
            self.codes[-1] += data


def _comment_page(comment: str) -> tuple[str, _Tags]:
    from markdown_it import MarkdownIt

    from grader.model.questions import open_questions
    from grader.rendering.feedback import Feedback
    from grader.rendering.open_answers import review_markdown

    reviewed = {"score": 3, "max_score": 6, "extra_data": {"open_score": 3, "open_pending": 0, "open": {
        "why_double": {"status": "reviewed", "score": 3, "items": ["definition", "example"], "comment": comment}}}}
    page = review_markdown(reviewed, open_questions(QUIZ), Feedback("en"))
    tags = _Tags()
    tags.feed(MarkdownIt("commonmark").render(page))
    return page, tags


SHOWN_TAGS = {"h2", "ul", "li", "code", "blockquote", "p", "br"}


def test_a_comment_of_several_lines_is_shown_line_by_line_and_inert():
    from grader.rendering.inert import visible

    comment = ("Good start.\r\n\n# Not a heading\n```\n<script>alert(1)</script> ``x``\n- not a list\n"
               "  indented, then a tab\t\n\n\n> not a quote \\\nlast \u202eline")
    page, tags = _comment_page(comment)
    assert "\\n" not in page  # no line break shown as an escape
    assert tags.tags <= SHOWN_TAGS, tags.tags
    lines = [line for line in re.split(r"\r\n|\r|\n", comment) if line.strip()]
    assert tags.codes[-len(lines):] == [visible(line) for line in lines]
    assert "  - Comment:\n    > `Good start.`\n    >\n    > `# Not a heading`\\\n" in page
    one = _comment_page("Clear, with an example.")[0]
    assert "  - Comment: `Clear, with an example.`\n" in one  # one line: on the item's own line, as before


@ends_within(240)
@given(comment=st.text(st.characters(codec="utf-8"), max_size=200)
       | st.lists(st.sampled_from(["`", "```", "\n", "\r", " ", "<b>", "# ", "- ", "> ", "\\", "x", "|", "---",
                                   "[a](b)", "&lt;", "\t", "*"]), max_size=30).map("".join))
def test_any_comment_is_shown_as_text_line_by_line(comment):
    """Whatever a reviewer writes, the page shows no element but its own (no link, image, HTML, heading, list or
    code block comes from the comment) and every line of the comment as the text of its own code span."""
    from grader.rendering.inert import visible

    _, tags = timed(5, _comment_page, comment)
    assert tags.tags <= SHOWN_TAGS, tags.tags
    lines = [visible(line) for line in re.split(r"\r\n|\r|\n", comment) if line.strip()]
    assert tags.codes[len(tags.codes) - len(lines):] == lines if lines else True


# --- every output of a reviewed class, alike ---------------------------------------------------------

MIXED_ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Email address
"Lovelace, Ada",1,s1,ada,A,ada@uni.edu
"Babbage, Bob",2,s2,bob,A,bob@uni.edu
"Cyd, Cy",3,s3,cyd,A,cyd@uni.edu
"Eve, E",5,s5,eve,B,eve@uni.edu
"""
HEADLINE = {"en": "**Score: {score}/{maximum}**", "zh": "**得分：{score}/{maximum}**"}


def mixed_class(graded: Path, root: Path, cli) -> None:
    """The graded class with eve's answer changed and graded again in Chinese, alone (her page and report in zh,
    the others' in en), and reviews of some of the answers: ada's and bob's why_double (with a comment of two
    lines), bob's and eve's mean_use; ada's mean_use and the formula-named student's why_double await review."""
    for folder in ("class", "late"):
        write_answers(root / folder / "eve", {"mean_use": "When the data are skewed, or have outliers."})
    done = cli("grade-all", str(root / "late"), "--out", str(graded), "--unit", "quiz", "--no-similarity",
               "--lang", "zh")
    assert done.returncode == 0 and "graded 1, up to date 0" in done.stdout, done.stdout + done.stderr
    assert report(graded, "eve")["extra_data"]["language"] == "zh"
    assert report(graded, "ada")["extra_data"]["language"] == "en"
    opened = {student: report(graded, student)["extra_data"]["open"] for student in ("ada", "bob", "eve")}
    save_review(graded, "why_double", [opened["ada"]["why_double"]["digest"]],
                Review(("definition", "example"), "Clear.\nAn example too.", "ta"))
    save_review(graded, "mean_use", [opened["bob"]["mean_use"]["digest"]], Review(("outliers",), "", "ta"))
    save_review(graded, "mean_use", [opened["eve"]["mean_use"]["digest"]], Review(("outliers",), "", "ta"))


def headline(page: str) -> str:
    return next(line for line in page.splitlines() if line.startswith("**"))


def test_export_makes_every_output_of_the_reviews_and_each_page_in_its_students_language(graded, cli, tmp_path):
    mixed_class(graded, tmp_path, cli)
    (tmp_path / "roster.csv").write_text(MIXED_ROSTER)
    before = (graded / "report.html").read_text(encoding="utf-8")
    assert "2 of 3 answers reviewed" not in before and "Not computed: turned off (--no-similarity)" in before
    done = cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--lms", "moodle", "--roster",
               str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    assert "the grade item's maximum grade in Moodle: 11\n" in done.stdout
    formula = FORMULA.replace("/", "_")
    # what still awaits review is said, and costs nothing of the exit status
    assert (f"2 answers still await review (why_double (1): {formula}; mean_use (1): ada): their open points "
            "count 0 until reviewed") in done.stderr
    # the class report is made again from the reviews, its similarity section kept as grade-all wrote it
    html = (graded / "report.html").read_text(encoding="utf-8")
    assert html.count("2 of 3 answers reviewed") == 2 and "0 of 3 answers reviewed" not in html
    assert html.count("Not computed: turned off (--no-similarity)") == 1
    # each feedback page: its headline says the reviewed score, its open part is in the page's language
    eve = (graded / "eve" / "feedback.md").read_text(encoding="utf-8")
    assert "离群值会把它拉偏" in eve and "outliers pull it away" not in eve and "## 开放题（人工评分）" in eve
    bob = (graded / "bob" / "feedback.md").read_text(encoding="utf-8")
    assert "says that 2x means x + x" in bob and "  - Comment:\n    > `Clear.`\\\n    > `An example too.`\n" in bob
    # --lang is for a report that does not say its language: every page here keeps its own
    assert cli("export", str(graded), "--unit", "quiz", "--lang", "zh").returncode == 0
    assert (graded / "bob" / "feedback.md").read_text(encoding="utf-8") == bob
    assert (graded / "eve" / "feedback.md").read_text(encoding="utf-8") == eve
    assert_every_output_agrees(graded)


def assert_every_output_agrees(out: Path) -> None:
    """Each student's score, and the maximum, are the same in grades.csv, canvas.csv, moodle.csv, every feedback
    page's headline and report.html; the maximum is what a score can reach (the open questions' points in)."""
    import statistics

    from grader.model.questions import reachable_score
    from grader.rendering.feedback import points

    rows = {student: row for student, row in grades(out).items() if row["status"] == "graded"}
    maximum = reachable_score(QUIZ)
    assert maximum == 6 + 3 + 2 and {float(row["max_score"]) for row in rows.values()} == {maximum}
    canvas = list(csv.reader(io.StringIO((out / "canvas.csv").read_text("utf-8"))))
    assert canvas[1][0] == "Points Possible" and float(canvas[1][-1]) == maximum
    by_login = {row[3]: row[-1] for row in canvas[2:]}
    moodle = {row[0].split("@")[0]: row[1] for row in csv.reader(io.StringIO((out / "moodle.csv").read_text("utf-8")))}
    for student, row in rows.items():
        score = float(row["score"])
        assert 0 <= score <= maximum
        if student in by_login:
            assert float(by_login[student]) == score == float(moodle[student]), student
        page = (out / unquoted(student) / "feedback.md").read_text(encoding="utf-8")
        language = report(out, unquoted(student))["extra_data"]["language"]
        assert headline(page) == HEADLINE[language].format(score=points(score), maximum=points(maximum)), student
    scores = [float(row["score"]) for row in rows.values()]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"<b>{statistics.fmean(scores):.1f}</b>mean score" in html
    assert f"<b>{statistics.median(scores):.1f}</b>median" in html
    assert f"–{maximum:g}: " in html  # the histogram's last bin ends at the maximum


def unquoted(student: str) -> str:
    """A name as grades.csv holds it, as the name it is (a leading quote keeps a formula inert in a spreadsheet)."""
    from grader.model.files import unescaped_cell

    return unescaped_cell(student)


def test_grade_all_writes_the_same_reviewed_outputs_as_export(graded, cli, tmp_path):
    """grade-all merges the reviews as export does: headlines, grades.csv, the class report, the LMS files."""
    mixed_class(graded, tmp_path, cli)
    (tmp_path / "roster.csv").write_text(MIXED_ROSTER)
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz", "--no-similarity",
               "--lms", "canvas", "--lms", "moodle", "--roster", str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    assert "2 answers still await review" in done.stderr
    assert_every_output_agrees(graded)
    pages = {path: path.read_text(encoding="utf-8") for path in graded.glob("*/feedback.md")}
    assert cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--lms", "moodle", "--roster",
               str(tmp_path / "roster.csv")).returncode == 0
    assert {path: path.read_text(encoding="utf-8") for path in graded.glob("*/feedback.md")} == pages


def test_a_report_without_its_open_answers_counts_their_points_in_the_maximum(graded, cli, tmp_path):
    """A run stopped at its deadline reads no answer: its report holds no open answers, and scores 0 of every
    point the unit has, the open questions' included, in every output, as Canvas's Points Possible says."""
    path = graded / "cyd" / "results.json"
    stopped = json.loads(path.read_text(encoding="utf-8"))
    stopped["extra_data"]["open"] = {}
    path.write_text(json.dumps(stopped), encoding="utf-8")
    (tmp_path / "roster.csv").write_text(MIXED_ROSTER)
    assert cli("export", str(graded), "--unit", "quiz", "--lms", "canvas", "--lms", "moodle", "--roster",
               str(tmp_path / "roster.csv")).returncode == 0
    row = grades(graded)["cyd"]
    assert (float(row["max_score"]), row["open_score"], row["open_pending"]) == (11, "0", "0")
    assert "`mean_use`: not answered (0 of 2 points)" in (graded / "cyd" / "feedback.md").read_text("utf-8")
    assert_every_output_agrees(graded)


def test_the_class_report_keeps_a_similarity_section_only_between_its_two_marks():
    from grader.classwork.class_report import SIMILARITY_BEGIN, SIMILARITY_END, kept_similarity, render

    section = '<h2>Similar submissions</h2><p class="note">3 submissions compared</p>'
    page = render(QUIZ, [("ada", None)], {}, section)
    assert page.count(SIMILARITY_BEGIN) == page.count(SIMILARITY_END) == 1
    assert kept_similarity(page) == section
    assert kept_similarity(render(QUIZ, [("ada", None)], {})) == ""  # no section, nothing kept
    begin, end = page.index(SIMILARITY_BEGIN), page.index(SIMILARITY_END)
    for broken in (page.replace(SIMILARITY_END, ""), page.replace(SIMILARITY_BEGIN, ""),
                   page[:end] + SIMILARITY_BEGIN + page[end:], page + SIMILARITY_END,
                   page[:begin] + SIMILARITY_END + page[begin:end] + SIMILARITY_BEGIN + page[end:], "", None):
        assert kept_similarity(broken) == "", broken


def test_export_says_so_when_it_finds_no_similarity_section_to_keep(graded, cli):
    (graded / "report.html").unlink()
    done = cli("export", str(graded), "--unit", "quiz")
    assert done.returncode == 0, done.stderr
    html = (graded / "report.html").read_text(encoding="utf-8")
    assert "Similar submissions" in html and "compared by grade-all" in html


@pytest.mark.skipif(importlib.util.find_spec("nbgrader") is None and not os.environ.get("CI"),
                    reason="nbgrader is not installed")
def test_the_nbgrader_gradebook_has_the_reviewed_scores_and_the_maximum_of_every_output(graded, cli, tmp_path):
    mixed_class(graded, tmp_path, cli)
    database = f"sqlite:///{tmp_path / 'gradebook.db'}"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz", "--no-similarity",
               "--nbgrader-db", database)
    assert done.returncode == 0, done.stderr
    from nbgrader.api import Gradebook  # nbgrader's own export writes a name with a comma unquoted: read it here

    rows = {unquoted(student): row for student, row in grades(graded).items()}
    with Gradebook(database) as gradebook:
        assert {student.id for student in gradebook.students} == set(rows)
        for student, row in rows.items():
            submission = gradebook.find_submission("class", student)
            assert submission.score == pytest.approx(float(row["score"])), student
            assert submission.max_score == float(row["max_score"]) == 11, student


def test_an_adjustment_outside_the_rubric_reaches_the_score_and_the_feedback_with_its_reason(graded, cli):
    ada = report(graded, "ada")["extra_data"]["open"]
    save_review(graded, "why_double", [ada["why_double"]["digest"]],
                Review(("definition", "example"), "", "ta", "", -0.5, "the example is `wrong`"))
    done = cli("export", str(graded), "--unit", "quiz")
    assert done.returncode == 0, done.stderr
    assert grades(graded)["ada"]["open_score"] == "2.5"
    page = (graded / "ada" / "feedback.md").read_text(encoding="utf-8")
    assert "- `why_double`: 2.5/3" in page
    assert "  - −0.5 outside the rubric, because: `` the example is `wrong` ``" in page, page


PACE_WHY = ["By definition 2x = x + x.", "x + x, by definition.", "It is x + x, e.g. 2*3 = 3 + 3.",
            "Multiplying by two adds the number once more.", "I do not know.", "2x is x times x.",
            "Because 2 = 1 + 1, so 2x = x + x (definition).", "Doubling: add it to itself."]
PACE_MEAN = ["Outliers pull it away.", "When the data are skewed.", "When there is an outlier.", "Always.",
             "Never.", "With a long tail, an outlier or two."]


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no Chromium here (.ci/run installs it)")
def test_a_class_reviewed_at_a_fast_pace_by_two_reviewers_ends_as_pressed_in_every_output(tmp_path, cli):
    """25 students; two reviewers at once, one per question, each through every answer at a fast pace: items typed
    a millisecond apart, a comment typed and left at once, slips undone, 0 for none; then export. Every saved
    review is what was pressed, and grades.csv, Canvas, Moodle, report.html and every feedback page agree."""
    from playwright.sync_api import sync_playwright

    students = [f"st{n:02d}" for n in range(25)]
    for n, student in enumerate(students):
        write_answers(tmp_path / "class" / student, {"why_double": PACE_WHY[(n * 3) % len(PACE_WHY)],
                                                     "mean_use": PACE_MEAN[(n * 5) % len(PACE_MEAN)], "twice": 4})
    out = grade_class(cli, tmp_path)
    roster = ["Student,ID,SIS User ID,SIS Login ID,Section,Email address"]
    roster += [f"\"{s}, S\",{n},u{n},{s},A,{s}@uni.edu" for n, s in enumerate(students)]
    (tmp_path / "roster.csv").write_text("\n".join(roster) + "\n")
    rubrics = {"why_double": ["definition", "example", "false_claim"], "mean_use": ["outliers"]}
    expected: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {"why_double": {}, "mean_use": {}}
    servers = {question: Served([str(out), "--unit", "quiz", "--questions", question, "--by", f"ta-{question}",
                                 "--refresh", "0"]) for question in rubrics}

    def step(page, question: str, index: int) -> None:
        """One answer: the keys a quick reviewer presses on it, and what they mean, kept in ``expected``."""
        digest = page.get_attribute("body", "data-group")
        items: set[str] = set()
        comment = ""
        keys = "12" if index % 2 else "1"
        keys = "".join(k for k in keys if int(k) <= len(rubrics[question]))
        page.keyboard.type(keys)
        for key in keys:
            items ^= {rubrics[question][int(key) - 1]}
        if index % 3 == 0:
            page.keyboard.press("c")
            page.keyboard.type(f"Note {index}: see the lesson.")
            page.keyboard.press("Escape")
            comment = f"Note {index}: see the lesson."
        if index % 4 == 1:
            page.keyboard.type(str(len(rubrics[question])))  # a slip, taken back
            page.keyboard.press("u")
        if index % 5 == 2:
            page.keyboard.press("0")
            items = set()
        expected[question][digest] = (tuple(sorted(items)), comment)

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            pages = {}
            for question, served in servers.items():
                page = browser.new_context().new_page()
                page.goto(served.address)
                page.wait_for_selector("body[data-ready='true']")
                pages[question] = page
            counts = {q: int(pages[q].get_attribute(f"nav button[data-question='{q}']", "data-groups")) for q in pages}
            for index in range(max(counts.values())):  # the two reviewers take turns, answer by answer
                for question, page in pages.items():
                    if index < counts[question]:
                        step(page, question, index)
                        page.keyboard.press("j")  # at once: whatever is still being saved goes where it was made
            for question, page in pages.items():
                until(lambda page=page: page.get_attribute("body", "data-pending") == "0"
                      and page.get_attribute("#saved", "data-state") == "saved")
                assert page.get_attribute(f"nav button[data-question='{question}']", "data-done") == "true"
            time.sleep(1.0)
            browser.close()
    finally:
        for served in servers.values():
            served.close()
    kept = load_reviews(out, list(rubrics))
    for question in rubrics:
        assert len(expected[question]) == counts[question]
        assert {digest: (tuple(sorted(review.items)), review.comment) for digest, review in kept[question].items()} \
            == expected[question], question
        assert {review.by for review in kept[question].values()} == {f"ta-{question}"}
    done = cli("export", str(out), "--unit", "quiz", "--lms", "canvas", "--lms", "moodle", "--roster",
               str(tmp_path / "roster.csv"))
    assert done.returncode == 0, done.stderr
    assert "await review" not in done.stderr
    assert_every_output_agrees(out)
    rows = grades(out)
    for student in students:
        entries = report(out, student)["extra_data"]["open"]
        points_given = 0.0
        for question in rubrics:
            items = expected[question][entries[question]["digest"]][0]
            points_given += open_score(next(q for q in open_questions(QUIZ) if q.id == question), list(items))
        assert float(rows[student]["open_score"]) == pytest.approx(points_given), student


LATE = ("    late:\n      due: 2026-01-01T00:00:00+00:00\n      late_due: 2026-01-03T00:00:00+00:00\n"
        "      penalty: {per: day, percent: 50, cap: 50}\n")


def test_a_late_penalty_is_taken_from_the_whole_score_with_the_reviewed_open_points(tmp_path, mini_copy, cli):
    """Half a day late at 50% a day begun: the reviewed open points pay the penalty too, in every output; after the last
    accepted time, the submission scores 0 everywhere and awaits no review (both were paid in full before)."""
    text = (mini_copy / "course.yaml").read_text(encoding="utf-8")
    (mini_copy / "course.yaml").write_text(text.replace("  - id: quiz\n", "  - id: quiz\n" + LATE), encoding="utf-8")
    good = {"why_double": "By definition 2x = x + x.", "mean_use": "Outliers pull it away."}
    for student in ("ontime", "late", "refused"):
        key = yaml.safe_load(cli("questions", "--unit", "quiz", "--student", student, "--key", course=mini_copy).stdout)
        write_answers(tmp_path / "class" / student, {**key, **good})
    (tmp_path / "times.csv").write_text("ontime,2025-12-31T00:00:00+00:00\nlate,2026-01-01T12:00:00+00:00\n"
                                        "refused,2026-01-05T00:00:00+00:00\n")
    out = tmp_path / "out"
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--unit", "quiz", "--no-similarity",
               "--submitted-at", str(tmp_path / "times.csv"), course=mini_copy).returncode == 0
    for student in ("ontime", "late", "refused"):
        opened = report(out, student)["extra_data"]["open"]
        save_review(out, "why_double", [opened["why_double"]["digest"]], Review(("definition", "example")))
        save_review(out, "mean_use", [opened["mean_use"]["digest"]], Review(("outliers",)))
    done = cli("export", str(out), "--unit", "quiz", course=mini_copy)
    assert done.returncode == 0 and "await review" not in done.stderr, done.stderr
    rows = grades(out)
    assert [rows["ontime"][c] for c in ("raw_score", "penalty", "score")] == ["11", "0", "11"]
    late = rows["late"]
    assert float(late["raw_score"]) == 11 and float(late["penalty"]) == 5.5 and float(late["score"]) == 5.5, late
    refused = rows["refused"]
    assert float(refused["raw_score"]) == 11 and float(refused["score"]) == 0, refused
    for student, score in (("ontime", "11"), ("late", "5.5"), ("refused", "0")):
        page = (out / student / "feedback.md").read_text(encoding="utf-8")
        assert f"**Score: {score}/11**" in page, page
    assert "Late: the penalty is taken from the whole score, the open questions' points included: 5.5 of 11." in \
        (out / "late" / "feedback.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("change", [
    lambda r: r.update(score="11"), lambda r: r.update(score=None), lambda r: r.update(score=float("nan")),
    lambda r: r.update(score=10**400), lambda r: r.pop("score"), lambda r: r.update(extra_data=None),
    lambda r: r.update(extra_data=[]), lambda r: r["extra_data"].update(open={"why_double": []}),
    lambda r: r["extra_data"].update(open="x"), lambda r: r["extra_data"].update(tasks=[1]),
    lambda r: r["extra_data"].update(late="yes"), lambda r: r.update(execution_time="slow"),
    lambda r: r["extra_data"].update(raw_score="6"), lambda r: r.update(tests={"a": 1}),
], ids=["score-text", "score-null", "score-nan", "score-huge", "no-score", "extra-null", "extra-list",
        "open-entry-list", "open-text", "tasks-list", "late-text", "time-text", "raw-text", "tests-object"])
def test_a_report_edited_into_another_shape_is_named_and_counts_as_not_graded(graded, cli, change):
    """A results.json edited by hand: export names the student, counts them as not graded, and writes every
    output whole, never a traceback halfway."""
    path = graded / "ada" / "results.json"
    edited = json.loads(path.read_text(encoding="utf-8"))
    change(edited)
    path.write_text(json.dumps(edited), encoding="utf-8")
    done = cli("export", str(graded), "--unit", "quiz")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "ada: its results.json is not a report as the grader writes it" in done.stderr, done.stderr
    rows = grades(graded)
    assert rows["ada"]["status"] == "not graded" and rows["bob"]["status"] == "graded"
    assert "<bdi>ada</bdi>" in (graded / "report.html").read_text(encoding="utf-8")


def test_grade_all_of_some_students_keeps_the_whole_class_in_every_output(graded, cli, tmp_path):
    """One student regraded from a folder of their own into the class's OUT: grades.csv and the class report
    still hold every student (they held that one alone before); a submission named as a student already in OUT
    under another spelling is refused, naming both."""
    before = set(grades(graded))
    write_answers(tmp_path / "late" / "eve", {"mean_use": "When the data are skewed."})
    done = cli("grade-all", str(tmp_path / "late"), "--out", str(graded), "--unit", "quiz", "--no-similarity")
    assert done.returncode == 0, done.stderr
    assert set(grades(graded)) == before and "<bdi>ada</bdi>" in (graded / "report.html").read_text("utf-8")
    write_answers(tmp_path / "twin" / "Ada", {"mean_use": "Skew."})
    twin = cli("grade-all", str(tmp_path / "twin"), "--out", str(graded), "--unit", "quiz", "--no-similarity")
    assert twin.returncode == 2 and "Ada is the student ada already graded" in twin.stderr, twin.stderr
    assert not (graded / "Ada").exists()


def test_export_takes_the_unit_its_reports_were_graded_for_and_reads_a_grades_file_a_spreadsheet_saved(graded, cli):
    """Without --unit, export of a quiz class exports the quiz (not the course's default unit, which emptied every
    output); a grades.csv saved again with a byte-order mark keeps the students it lists."""
    rows = grades(graded)
    (graded / "grades.csv").write_text("\ufeff" + (graded / "grades.csv").read_text("utf-8"), encoding="utf-8")
    (graded / "gone").mkdir()  # a student grade-all could not grade: a row of grades.csv, no report
    text = (graded / "grades.csv").read_text("utf-8")
    (graded / "grades.csv").write_text(text + "gone,,,,,,,,,,not graded\n", encoding="utf-8")
    done = cli("export", str(graded))
    assert done.returncode == 0, done.stderr
    after = grades(graded)
    assert {name: row["score"] for name, row in after.items() if name != "gone"} == \
        {name: row["score"] for name, row in rows.items()}
    assert after["gone"]["status"] == "not graded"
