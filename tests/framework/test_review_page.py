"""The review page at a reviewer's real pace, in Chromium: keys within tens of milliseconds of each other, moving
on right after typing, undo, two reviewers on one answer, a regrade while the page is open. Every decision must
land on the answer it was made on, whole; what is checked is what the reviews files hold afterwards.

The class: twelve students of the mini course's quiz unit, whose answers to its two open questions fall in a few
groups (why_double: 3 points, items definition +2, example +1, false_claim -1; mean_use: 2 points, item
outliers +2)."""

import json
import os
from pathlib import Path

import pytest
from review_pages import CHROMIUM, WHY, Browser, Served, here, make_class, settle, until, write_answers

from grader.model.reviews import load_reviews

pytestmark = pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"),
                                reason="no Chromium here (.ci/run installs it)")


@pytest.fixture
def out(tmp_path, cli):
    make_class(tmp_path)
    graded = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(graded), "--unit", "quiz", "--no-similarity")
    assert done.returncode == 0, done.stdout + done.stderr
    return graded


def saved(out: Path, question: str) -> dict[str, tuple[tuple[str, ...], str]]:
    """What the reviews file of ``question`` holds: per answer, its items (sorted) and comment."""
    return {digest: (tuple(sorted(review.items)), review.comment)
            for digest, review in load_reviews(out, [question])[question].items()}


def test_a_comment_typed_just_before_moving_on_stays_with_its_answer(out):
    """``1``, ``c``, a comment, ``Esc`` and ``j`` at once: the comment is saved with the first answer;
    the next answer, never decided on, stays not reviewed."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            first = here(page)
            page.keyboard.press("1")
            page.keyboard.press("c")
            page.keyboard.type("Right, and said well.")
            page.keyboard.press("Escape")
            page.keyboard.press("j")
            second = here(page)
            assert second != first
            settle(page)
            assert saved(out, "why_double") == {first: (("definition",), "Right, and said well.")}
            assert page.text_content("#status") in ("not reviewed yet",)
    finally:
        served.close()


def test_rubric_keys_pressed_in_quick_succession_are_all_kept(out):
    """``1``, ``2``, ``3`` with no pause between them save all three items (each composed from the
    reviewer's own keys, not from a reply still on its way), then ``2`` again takes one away."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            first = here(page)
            page.keyboard.type("123")  # the three keys a millisecond or so apart, as a quick hand presses them
            settle(page)
            assert saved(out, "why_double") == {first: (("definition", "example", "false_claim"), "")}
            assert page.text_content("#score").startswith("2 / 3")
            page.keyboard.press("2")
            page.keyboard.press("j")
            page.keyboard.press("0")
            settle(page)
            after = saved(out, "why_double")
            assert after[first] == (("definition", "false_claim"), "") and len(after) == 2
    finally:
        served.close()


def test_undo_steps_back_through_the_answers_own_states(out):
    """After ``1``, ``2``, a comment and a slip on ``3``, ``u`` takes back the slip only; again, the
    comment; again, the second item; the review is not deleted until every step is undone."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            first = here(page)
            page.keyboard.press("1")
            page.keyboard.press("2")
            page.keyboard.press("c")
            page.keyboard.type("Both parts.")
            page.keyboard.press("Escape")
            page.keyboard.press("3")
            settle(page)
            assert saved(out, "why_double") == {first: (("definition", "example", "false_claim"), "Both parts.")}
            expected = [(("definition", "example"), "Both parts."), (("definition", "example"), ""),
                        (("definition",), "")]
            for state in expected:
                page.keyboard.press("u")
                settle(page)
                assert saved(out, "why_double") == {first: state}
            page.keyboard.press("u")
            settle(page)
            assert saved(out, "why_double") == {}
            assert page.text_content("#status") == "not reviewed yet"
            page.keyboard.press("u")  # nothing more to undo: nothing changes
            settle(page)
            assert saved(out, "why_double") == {}
    finally:
        served.close()


def test_a_second_reviewer_on_the_same_answer_is_asked_and_never_overwrites_unseen(out):
    """Two reviewers' pages open on one answer; the first decides; the second's decision is refused,
    the page shows the first's decision and asks; nothing of the first's is lost until the second chooses to
    replace it."""
    one = Served([str(out), "--unit", "quiz", "--refresh", "0", "--by", "ta-one"])
    two = Served([str(out), "--unit", "quiz", "--refresh", "0", "--by", "ta-two"])
    try:
        with Browser() as browser:
            first, second = browser.page(one.address), browser.page(two.address)
            digest = here(first)
            assert here(second) == digest
            first.keyboard.press("1")
            first.keyboard.press("c")
            first.keyboard.type("Mine.")
            first.keyboard.press("Escape")
            settle(first)
            second.keyboard.press("2")
            second.keyboard.press("j")  # moved on before the refusal came: the header leads back to it
            until(lambda: second.get_attribute("#saved", "data-state") == "conflict")
            assert here(second) != digest and second.is_hidden("#conflict")
            second.click("#saved")
            assert here(second) == digest
            until(lambda: second.is_visible("#conflict"))
            assert "ta-one" in second.text_content("#conflict-title")
            assert "Mine." in second.text_content("#conflict-theirs")
            review = load_reviews(out, ["why_double"])["why_double"][digest]
            assert (review.items, review.comment, review.by) == (("definition",), "Mine.", "ta-one")
            second.click("#keep-theirs")
            assert second.get_attribute("[data-item='definition']", "aria-pressed") == "true"
            second.keyboard.press("2")  # now on top of theirs
            settle(second)
            review = load_reviews(out, ["why_double"])["why_double"][digest]
            assert (review.items, review.comment, review.by) == (("definition", "example"), "Mine.", "ta-two")
            first.keyboard.press("3")  # the first page has not seen that: it is asked in turn
            until(lambda: first.is_visible("#conflict"))
            first.click("#keep-mine")
            settle(first)
            review = load_reviews(out, ["why_double"])["why_double"][digest]
            assert (review.items, review.comment, review.by) == (("definition", "false_claim"), "Mine.", "ta-one")
    finally:
        one.close()
        two.close()


def test_the_open_page_picks_up_a_regrade_and_reviews_made_elsewhere(out, tmp_path, cli):
    """While the page is open, a student's answer changes and the class is graded again, and another
    page reviews an answer: without a restart, the page shows the new answer as not reviewed and the other's
    review as made."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0.5"])
    other = Served([str(out), "--unit", "quiz", "--refresh", "0", "--by", "ta-two"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            page.click("nav button[data-question='mean_use']")
            groups = int(page.get_attribute("nav button[data-question='mean_use']", "data-groups"))
            new = "Whenever a few values are far from the rest: outliers."
            write_answers(tmp_path / "class" / "s00", {"why_double": WHY[0], "mean_use": new})
            done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--unit", "quiz", "--no-similarity")
            assert done.returncode == 0, done.stderr
            until(lambda: page.get_attribute("nav button[data-question='mean_use']", "data-groups") == str(groups + 1))
            for _ in range(groups + 1):
                if new in page.text_content("#answer"):
                    break
                page.keyboard.press("j")
            assert new in page.text_content("#answer") and page.text_content("#status") == "not reviewed yet"
            elsewhere = browser.page(other.address)
            elsewhere.click("nav button[data-question='mean_use']")
            elsewhere.keyboard.press("1")
            settle(elsewhere)
            until(lambda: page.get_attribute("nav button[data-question='mean_use']", "data-reviewed") == "1")
    finally:
        served.close()
        other.close()


def test_the_page_speaks_the_reviewers_language_and_marks_keywords_of_every_language(tmp_path, cli):
    """``--lang zh``: the page's own labels are Chinese; an answer written in English has the English keywords
    marked, one in Chinese the Chinese ones, and a letter whose lower case is longer (İ) before a keyword moves
    no mark off its word. A direction control in an answer is shown as a tag and not applied."""
    write_answers(tmp_path / "class" / "a", {"why_double": "İİİ definition: x + x", "mean_use": "离群值"})
    write_answers(tmp_path / "class" / "b", {"why_double": "按定义\u202e 2x = x + x", "mean_use": "no idea"})
    out = tmp_path / "out"
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--unit", "quiz",
               "--no-similarity").returncode == 0
    served = Served([str(out), "--unit", "quiz", "--refresh", "0", "--lang", "zh"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            assert page.text_content("#forget") == "未批阅（x）" and page.text_content("#status") == "尚未批阅"
            assert "分" in page.text_content("#question") and "points" not in page.text_content("#question")
            marks = {}
            for _ in range(2):
                shown = page.text_content("#answer")
                marks[shown] = [m.text_content() for m in page.query_selector_all("#answer mark")]
                page.keyboard.press("j")
            assert marks["İİİ definition: x + x"] == ["definition", "x + x"]
            assert marks["按定义⟨RLO⟩ 2x = x + x"] == ["定义", "x + x"]
            page.keyboard.press("n")
            page.keyboard.press("k")
            found = {page.text_content("#answer"): [m.text_content() for m in page.query_selector_all("#answer mark")]}
            page.keyboard.press("j")
            found[page.text_content("#answer")] = [m.text_content() for m in page.query_selector_all("#answer mark")]
            assert found["离群值"] == ["离群"]
    finally:
        served.close()


def test_next_not_reviewed_adjustments_and_one_students_whole_submission(out):
    """``Enter`` goes to the next answer not reviewed, in any question; an adjustment outside the rubric is saved
    once it has its reason and counts in the score; a student's name opens their whole submission (every answer,
    their code), as text."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            first = here(page)
            page.keyboard.press("1")
            page.keyboard.press("a")
            page.keyboard.type("-0.5")
            page.keyboard.press("Tab")
            page.keyboard.type("no example given")
            page.keyboard.press("Escape")
            page.keyboard.press("Enter")
            assert here(page) != first
            settle(page)
            review = load_reviews(out, ["why_double"])["why_double"][first]
            assert (review.items, review.adjust, review.reason) == (("definition",), -0.5, "no example given")
            page.keyboard.press("k")
            assert page.text_content("#score").startswith("1.5 / 3")
            page.keyboard.press("0")
            page.keyboard.press("Enter")
            while page.get_attribute("body", "data-question") == "why_double":
                page.keyboard.press("0")
                page.keyboard.press("Enter")
            assert page.get_attribute("nav button[data-question='why_double']", "data-done") == "true"
            settle(page)
            reviews = load_reviews(out, ["why_double"])["why_double"]
            assert len(reviews) == int(page.get_attribute("nav button[data-question='why_double']", "data-groups"))
            assert reviews[first].adjust == -0.5  # 0 on it again kept the adjustment: a choice of items only
            name = page.query_selector_all("#students button")[0].text_content()
            fingerprint = json.loads((out / name / "results.json").read_text("utf-8"))["extra_data"]["fingerprint"]
            code = "def helper():\n    return '<b>not markup</b>'\n"  # as if the unit had graded a module
            (out / name / "sources.json").write_text(json.dumps({"fingerprint": fingerprint,
                                                                  "modules": {"helper": code}}), encoding="utf-8")
            page.click(f"#students button[data-student='{name}']")
            until(lambda: page.is_visible("#student"))
            assert page.text_content("#student-name") == name
            answers = page.text_content("#student-answers")
            assert "why_double" in answers and "mean_use" in answers and "0 / 3" in answers
            assert [pre.text_content() for pre in page.query_selector_all("#student-code pre")] == [code]
            assert page.query_selector("#student-code b") is None
            page.keyboard.press("Escape")
            assert page.is_hidden("#student")
    finally:
        served.close()
    reviewed = json.loads((out / "reviews" / "why_double.json").read_text(encoding="utf-8"))
    assert reviewed["format"] == 2 and all(entry["version"] >= 1 for entry in reviewed["reviews"].values())


def test_a_blind_page_shows_no_student_and_refuses_their_submission(out):
    import urllib.error
    import urllib.request

    served = Served([str(out), "--unit", "quiz", "--blind"])
    try:
        base, token = served.address.split("/?token=")
        request = urllib.request.Request(f"{base}/api/student?name=s00", headers={"X-Review-Token": token})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 403
    finally:
        served.close()


def test_moving_on_after_each_decision_reusing_a_comment_and_who_reviewed(out):
    """With the box ticked, each decision moves on to the next answer not reviewed; a comment given before is
    offered again and one click gives it to this answer too; each review says who made it."""
    served = Served([str(out), "--unit", "quiz", "--refresh", "0", "--by", "ta-one"])
    try:
        with Browser() as browser:
            page = browser.page(served.address)
            first = here(page)
            page.keyboard.press("1")
            page.keyboard.press("c")
            page.keyboard.type("Say why, too.")
            page.keyboard.press("Escape")
            settle(page)
            assert "ta-one" in page.text_content("#by")
            page.check("#advance")
            page.keyboard.press("j")
            second = here(page)
            page.click("#reuse button")
            assert page.input_value("#comment") == "Say why, too."
            page.keyboard.press("2")  # a decision: on to the next answer not reviewed
            third = here(page)
            assert len({first, second, third}) == 3
            settle(page)
            assert saved(out, "why_double") == {first: (("definition",), "Say why, too."),
                                                second: (("example",), "Say why, too.")}
    finally:
        served.close()
