"""The review page (``grader review``) against what goes wrong around a reviewer: a regrade while they type,
another reviewer on the same answer, a review corrected by hand, a slow disk or a slow reply, leaving the page
mid-save, hostile requests and files, text that would reorder itself. Each test was seen red on the page before
its defence.

The class is the one of test_review_page.py: twelve students of the mini course's quiz unit (why_double: 3 points,
items definition +2, example +1, false_claim -1; mean_use: 2 points, item outliers +2)."""

import json
import os
import signal
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from review_pages import CHROMIUM, MEAN, WHY, Browser, Served, here, make_class, settle, until, write_answers

from grader.model.reviews import load_reviews

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no Chromium here")


@pytest.fixture
def regrade(tmp_path, cli):
    def run():
        done = cli("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--unit", "quiz",
                   "--no-similarity")
        assert done.returncode == 0, done.stdout + done.stderr
    return run


@pytest.fixture
def out(tmp_path, regrade):
    make_class(tmp_path)
    regrade()
    return tmp_path / "out"


def held(out: Path, question: str = "why_double") -> dict:
    """What the reviews file holds: per answer, (items sorted, comment, adjust, reason)."""
    return {digest: (tuple(sorted(review.items)), review.comment, review.adjust, review.reason)
            for digest, review in load_reviews(out, [question])[question].items()}


def go_to(page, text: str) -> None:
    for _ in range(10):
        page.keyboard.press("k")
    for _ in range(10):
        if page.text_content("#answer") == text:
            return
        page.keyboard.press("j")
    raise AssertionError(f"no answer {text!r} on the page")


# --- 1. decisions lost or put on the wrong answer -------------------------------------------------------------

def test_a_comment_being_typed_stays_with_its_answer_when_a_regrade_replaces_it(out, tmp_path, regrade):
    """A comment being typed on an answer that a regrade takes away stays with that answer (and is said not saved):
    it never lands on the answer the regrade puts in its place."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0.5"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            for _ in range(5):  # every answer reviewed: item 1
                page.keyboard.press("1")
                page.keyboard.press("j")
            settle(page)
            before = held(out)
            go_to(page, "I do not know.")
            gone = here(page)
            page.keyboard.press("c")
            page.keyboard.type("Say ")
            for student in ("s04", "s09"):
                write_answers(tmp_path / "class" / student, {"why_double": WHY[0], "mean_use": MEAN[0]})
            regrade()
            until(lambda: here(page) != gone)
            page.keyboard.type("more about x + x.")
            page.keyboard.press("Escape")
            settle(page)
            after = held(out)
            changed = {d: after[d] for d in after if d in before and d != gone and after[d] != before[d]}
            assert changed == {}, f"a comment typed on 'I do not know.' was saved on another answer: {changed}"
    finally:
        served.close()


def test_a_comment_typed_while_another_reviewer_comments_never_replaces_theirs_unseen(out):
    """A reviewer typing a comment while another reviews the same answer with a comment of their own: the first's
    save meets the second's review and asks, or keeps it; it never replaces it unseen."""
    one = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-one"])
    two = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-two"])
    try:
        with Browser() as browser:
            first, second = browser.page(one.address), browser.page(two.address)
            digest = here(first)
            first.keyboard.press("c")
            first.keyboard.type("A: explain the definition")
            second.keyboard.press("1")
            second.keyboard.press("c")
            second.keyboard.type("B: fine")
            second.keyboard.press("Escape")
            settle(second)
            time.sleep(1.5)  # three refreshes of the first page while its reviewer types
            first.keyboard.type(" please.")
            first.keyboard.press("Escape")
            time.sleep(2)
            asked = first.is_visible("#conflict") or first.get_attribute("#saved", "data-state") == "conflict"
            kept = held(out)[digest][1] == "B: fine"
            assert asked or kept, f"B's comment replaced unseen: {held(out)[digest]}"
    finally:
        one.close()
        two.close()


def test_undo_never_deletes_a_review_another_reviewer_made_since(out):
    """u never goes back past another reviewer's decision: once a page shows their review, its undo history of that
    answer starts there."""
    one = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-one"])
    two = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-two"])
    try:
        with Browser() as browser:
            first, second = browser.page(one.address), browser.page(two.address)
            digest = here(first)
            first.keyboard.press("1")
            settle(first)
            until(lambda: second.get_attribute("[data-item='definition']", "aria-pressed") == "true")
            second.keyboard.press("2")
            second.keyboard.press("c")
            second.keyboard.type("Good example.")
            second.keyboard.press("Escape")
            settle(second)
            until(lambda: first.get_attribute("[data-item='example']", "aria-pressed") == "true")
            first.keyboard.press("u")
            time.sleep(2)
            asked = first.is_visible("#conflict")
            assert asked or digest in held(out), "A's u forgot B's review (items and comment) without asking"
    finally:
        one.close()
        two.close()


def test_a_draft_comment_is_not_dropped_when_another_reviewer_reviews_the_answer(out):
    """A comment kept for the first choice on an answer not reviewed stays on the page when another reviewer reviews
    that answer; the first choice then meets their review and asks, and "keep mine" saves the comment with it."""
    one = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-one"])
    two = Served([str(out), "--unit", "quiz", "--refresh", "0.5", "--by", "ta-two"])
    try:
        with Browser() as browser:
            first, second = browser.page(one.address), browser.page(two.address)
            digest = here(first)
            first.keyboard.press("c")
            first.keyboard.type("A: explain the definition")
            first.keyboard.press("Escape")
            second.keyboard.press("1")
            settle(second)
            time.sleep(1.5)  # three refreshes of the first page
            assert first.input_value("#comment") == "A: explain the definition", "A's comment vanished from A's page"
            first.keyboard.press("2")  # meets B's review: the page asks
            until(lambda: first.is_visible("#conflict"))
            assert "ta-two" in first.text_content("#conflict-title")
            first.click("#keep-mine")
            settle(first)
            assert held(out)[digest][1] == "A: explain the definition"
    finally:
        one.close()
        two.close()


def test_a_review_corrected_by_hand_is_shown_and_not_overwritten_unseen(out):
    """A review corrected by hand in the reviews file (its version unchanged) is shown by the open page, and never
    overwritten by it unseen."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0.5"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            digest = here(page)
            page.keyboard.press("1")
            settle(page)
            path = out / "reviews" / "why_double.json"
            data = json.loads(path.read_text("utf-8"))
            data["reviews"][digest].update(items=["definition", "example"], comment="fixed by hand")
            path.write_text(json.dumps(data, indent=1), encoding="utf-8")
            time.sleep(2)
            shown = page.get_attribute("[data-item='example']", "aria-pressed") == "true"
            page.keyboard.press("c")
            page.keyboard.type(" Good.")
            page.keyboard.press("Escape")
            time.sleep(2)
            items, comment = held(out)[digest][:2]
            assert shown or page.is_visible("#conflict"), "the hand correction is not shown"
            assert "example" in items and "fixed by hand" in comment, f"hand correction lost: {held(out)[digest]}"
    finally:
        served.close()


def test_a_refused_save_of_an_answer_a_regrade_removed_is_not_shown_as_saved(out, tmp_path, regrade):
    """Decisions on an answer a regrade took away (before the page read the class again) are refused, and the page
    says so: never "saved"."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            go_to(page, "I do not know.")
            for student in ("s04", "s09"):
                write_answers(tmp_path / "class" / student, {"why_double": "2x = x + x by definition.",
                                                             "mean_use": MEAN[0]})
            regrade()
            page.keyboard.press("1")
            page.keyboard.press("2")
            until(lambda: page.get_attribute("#saved", "data-state") == "error")
            time.sleep(0.5)
            assert held(out) == {}
            header = page.get_attribute("#saved", "data-state")
            assert header in ("error", "conflict") or page.is_visible("#changed"), \
                f"a refused decision is shown as {page.text_content('#saved')!r}, {page.text_content('#status')!r}"
    finally:
        served.close()


def test_an_answer_that_comes_back_after_a_regrade_can_be_reviewed_again(out, tmp_path, regrade):
    """An answer that comes back (graded again from the earlier submission) is saved again when decided on."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            go_to(page, "I do not know.")
            digest = here(page)
            for student in ("s04", "s09"):
                write_answers(tmp_path / "class" / student, {"why_double": "2x = x + x by definition.",
                                                             "mean_use": MEAN[0]})
            regrade()
            page.keyboard.press("1")  # refused: 404
            until(lambda: page.get_attribute("#saved", "data-state") == "error")
            for student in ("s04", "s09"):
                write_answers(tmp_path / "class" / student, {"why_double": "I do not know.", "mean_use": MEAN[0]})
            regrade()
            assert page.text_content("#answer") == "I do not know." and here(page) == digest
            page.keyboard.press("2")
            page.keyboard.press("c")
            page.keyboard.type("Try.")
            page.keyboard.press("Escape")
            settle(page)
            assert page.text_content("#status") == "reviewed" and page.text_content("#saved") == "saved"
            assert digest in held(out), "the page shows the answer reviewed and saved; the file has nothing"
    finally:
        served.close()


def test_leaving_the_page_while_a_save_is_on_its_way_keeps_the_decisions_after_it(out):
    """A slow disk (the server paused): 1, then 2 while the save of 1 is on its way, then the page is left: both are
    saved, 2 as following 1."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            digest = here(page)
            os.kill(served.process.pid, signal.SIGSTOP)
            try:
                page.keyboard.press("1")
                page.keyboard.press("2")
                time.sleep(0.3)
                page.goto("about:blank")
            finally:
                os.kill(served.process.pid, signal.SIGCONT)
            time.sleep(2)
            assert held(out).get(digest, ((),))[0] == ("definition", "example"), f"file: {held(out)}"
    finally:
        served.close()


def test_a_slow_state_reply_does_not_undo_a_save_the_page_has_made(out):
    """A reply of the class older than a save the page made meanwhile (a big class, a slow reply) never takes that save
    back on the page, nor makes the reviewer's next key meet their own review as another's."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "1", "--by", "ta-one"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            digest = here(page)
            late, holding = [], [True]

            def hold(route):
                if not holding[0]:
                    route.continue_()
                    return
                late.append((route, route.fetch()))  # answered by the server now, delivered later

            page.route("**/api/state", hold)
            until(lambda: page.title() is not None and len(late) >= 1)
            page.keyboard.press("1")
            settle(page)
            holding[0] = False
            route, response = late.pop(0)
            route.fulfill(response=response)
            time.sleep(0.5)
            assert page.text_content("#status") == "reviewed", "the page went back to the review before the save"
            page.keyboard.press("2")
            time.sleep(1)
            assert not page.is_visible("#conflict"), page.text_content("#conflict-title")
            settle(page)
            assert held(out)[digest][0] == ("definition", "example")
    finally:
        served.close()


# --- 2. the API as a boundary ---------------------------------------------------------------------------------

def api(served, method, path, body=None):
    base, token = served.address.split("/?token=")
    request = urllib.request.Request(base + path, data=body, method=method, headers={"X-Review-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("body", [
    {"question": "why_double", "digest": [], "version": 0, "items": []},
    {"question": "why_double", "digest": {}, "version": 0, "items": []},
    {"question": "why_double", "digest": "DIGEST", "version": 0, "items": [], "adjust": 10 ** 400, "reason": "r"},
    "[" * 30000,
], ids=["digest-list", "digest-object", "adjust-huge-int", "deep-json"])
def test_a_bad_request_gets_a_clear_4xx(out, body):
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        state = json.loads(api(served, "GET", "/api/state")[1])
        digest = state["questions"][0]["groups"][0]["digest"]
        raw = body.encode() if isinstance(body, str) else json.dumps(body).replace("DIGEST", digest).encode()
        status, reply = api(served, "POST", "/api/review", raw)
        assert 400 <= status < 500, (status, reply[:120])
    finally:
        served.close()


@pytest.mark.parametrize("text", ['{"reviews": [1]}', '{"reviews": "x"}', "[" * 100000],
                         ids=["reviews-list", "reviews-text", "deep-json"])
def test_a_reviews_file_of_the_wrong_shape_is_said_clearly(out, text):
    """A reviews file edited by hand into JSON of another shape (or nested too deep) is said clearly by the page and
    the API, never a crash."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        digest = json.loads(api(served, "GET", "/api/state")[1])["questions"][0]["groups"][0]["digest"]
        (out / "reviews").mkdir(exist_ok=True)
        (out / "reviews" / "why_double.json").write_text(text, encoding="utf-8")
        status, reply = api(served, "GET", "/api/state")
        assert reply.startswith(b"{") and b"error" in reply, (status, reply[:100])
        status, reply = api(served, "POST", "/api/review",
                            json.dumps({"question": "why_double", "digest": digest, "version": 0,
                                        "items": []}).encode())
        assert reply.startswith(b"{") and b"error" in reply, (status, reply[:100])
    finally:
        served.close()


def test_a_reviews_file_that_cannot_be_understood_is_never_overwritten(out):
    """A reviews file that cannot be understood (valid JSON, not a reviews file) is said, and never overwritten."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        digest = json.loads(api(served, "GET", "/api/state")[1])["questions"][0]["groups"][0]["digest"]
        (out / "reviews").mkdir(exist_ok=True)
        (out / "reviews" / "why_double.json").write_text(json.dumps([{"digest": digest, "items": ["definition"]}]))
        status, _ = api(served, "POST", "/api/review", json.dumps({"question": "why_double", "digest": digest,
                                                                   "version": 0, "items": []}).encode())
        assert (out / "reviews" / "why_double.json").read_text().startswith("["), "the file was overwritten"
    finally:
        served.close()


def test_a_blind_state_names_no_student(out):
    """--blind: the page's data names no student, not even among the reports that cannot be read."""
    (out / "s03" / "results.json").write_text("{ cut short", encoding="utf-8")
    served = Served([str(out), "--unit", "quiz", "--refresh", "0", "--blind"])
    try:
        status, reply = api(served, "GET", "/api/state")
        assert status == 200 and b"s03" not in reply, json.loads(reply)["problems"]
    finally:
        served.close()


# --- 3. what the page shows -----------------------------------------------------------------------------------

def test_direction_controls_in_a_students_code_and_in_comments_are_shown_not_applied(out):
    """A direction control in a student's code as graded (a Trojan Source line) or in a comment is shown as a tag,
    never applied, wherever the page shows it."""
    name = "s02"
    fingerprint = json.loads((out / name / "results.json").read_text("utf-8"))["extra_data"]["fingerprint"]
    code = 'if access_level != "user\u202e \u2066# Check if admin\u2069 \u2066":\n    grant()\n'
    (out / name / "sources.json").write_text(json.dumps({"fingerprint": fingerprint, "modules": {"auth": code}}),
                                             encoding="utf-8")
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            go_to(page, WHY[2])
            page.keyboard.press("1")
            page.keyboard.press("c")
            page.keyboard.type("see \u202eesrever")
            page.keyboard.press("Escape")
            settle(page)
            reuse = page.query_selector("#reuse button")
            problems = []
            if reuse.query_selector(".control") is None and "⟨RLO⟩" not in reuse.text_content():
                problems.append("a comment's RLO is applied in the reuse button")
            page.click(f"#students button[data-student='{name}']")
            until(lambda: page.is_visible("#student"))
            if page.query_selector("#student-code .control") is None:
                problems.append("the code's direction controls are applied (Trojan Source), not shown")
            if "⟨RLO⟩" not in page.text_content("#student-answers p"):
                problems.append("the comment's RLO is applied in the submission view")
            assert not problems, problems
    finally:
        served.close()


def test_keywords_are_marked_where_they_are_words_not_inside_other_words(tmp_path, mini_copy, cli):
    """A keyword is marked where a word begins with it (a stem marks its word's forms), never inside another word."""
    questions = mini_copy / "tests" / "units" / "quiz" / "questions.yaml"
    questions.write_text(questions.read_text("utf-8").replace('keywords: {en: [definition, "x + x"]',
                                                              'keywords: {en: [definition, "x + x", one]'), "utf-8")
    write_answers(tmp_path / "class" / "ann", {"why_double": "None of that is done: a small component.",
                                               "mean_use": "-"})
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--unit", "quiz",
               "--no-similarity", course=mini_copy)
    assert done.returncode == 0, done.stderr
    served = Served.__new__(Served)
    import re
    import subprocess
    import sys
    served.process = subprocess.Popen([sys.executable, "-m", "grader", "--course", str(mini_copy), "review",
                                       str(tmp_path / "out"), "--unit", "quiz", "--refresh", "0"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    served.address = re.search(r"http://\S+", served.process.stdout.readline()).group(0)
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            assert page.text_content("#answer") == "None of that is done: a small component."
            assert [m.text_content() for m in page.query_selector_all("#answer mark")] == [], \
                "'one' is marked inside None, done and component"
    finally:
        served.close()


def test_an_adjustment_on_an_answer_not_reviewed_is_said_not_saved(out):
    """An adjustment on an answer not reviewed yet waits for the first choice, as a comment does; the page says so."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            page.keyboard.press("a")
            page.keyboard.type("1")
            page.keyboard.press("Tab")
            page.keyboard.type("bonus for style")
            page.keyboard.press("Escape")
            settle(page)
            assert held(out) == {}
            assert page.is_visible("#draft"), f"no note; the header says {page.text_content('#saved')!r}"
    finally:
        served.close()


def test_in_chinese_a_refused_save_is_said_in_chinese(out):
    """--lang zh: a save the server refuses is said in Chinese."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0", "--lang", "zh"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            page.keyboard.press("1")
            page.keyboard.press("a")
            page.keyboard.type("9")
            page.keyboard.press("Tab")
            page.keyboard.type("理由")
            page.keyboard.press("Escape")
            until(lambda: page.get_attribute("#saved", "data-state") == "error")
            assert "adjustment" not in page.text_content("#saved"), page.text_content("#saved")
    finally:
        served.close()


def test_forgetting_a_review_forgets_its_adjustment(out):
    """x forgets the whole review, its adjustment and reason too; the next decision does not bring them back."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            digest = here(page)
            page.keyboard.press("0")
            page.keyboard.press("a")
            page.keyboard.type("1")
            page.keyboard.press("Tab")
            page.keyboard.type("r")
            page.keyboard.press("Escape")
            page.keyboard.press("x")
            settle(page)
            assert held(out) == {}
            page.keyboard.press("2")
            settle(page)
            assert held(out)[digest] == (("example",), "", 0.0, ""), held(out)[digest]
    finally:
        served.close()


def test_undo_right_after_a_decision_that_moved_on_takes_that_decision_back(out):
    """With "move on after each decision" ticked, u right after a decision takes that decision back, on the answer it
    was made on."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            digest = here(page)
            page.check("#advance")
            page.keyboard.press("1")
            assert here(page) != digest
            page.keyboard.press("u")
            settle(page)
            assert held(out) == {}, held(out)
    finally:
        served.close()
