"""The class report (``report.html``): the item analysis of every test and open question (difficulty, and
discrimination as the item-rest correlation), tests known by their id and never by their rendered name, and every
student's score in a table sorted by a click on a header. On the mini course: the unit ``mini`` (tasks
``numbers``, 4 points, and ``arrays``, 6) and the quiz, whose open questions are ``why_double`` (3 points) and
``mean_use`` (2)."""

from __future__ import annotations

import json
import math
import os
import random
import re
import shutil
import statistics
from pathlib import Path

import pytest

from grader.classwork.class_report import render
from grader.classwork.items import analyse, correlation
from grader.model.course import load_course

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
QUIZ = load_course(MINI).unit("quiz")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
TITLES = {("numbers", "en"): "Task 1: numbers", ("numbers", "zh"): "任务 1：数", ("arrays", "en"): "Task 2: arrays",
          ("arrays", "zh"): "任务 2：数组", ("questions", "en"): "Questions"}


def entry(task: str, test: str, passed: bool, points: float = 1.0, lang: str = "en", known: bool = True) -> dict:
    """A test's entry as ``grader.rendering.reports.gradescope`` writes it (``known``: with its id, as reports
    are written now; without, as they were before tests had ids)."""
    written = {"name": f"{TITLES[task, lang]}: {test}", "score": points if passed else 0.0, "max_score": points,
               "status": "passed" if passed else "failed", "output": "", "visibility": "visible"}
    return {**written, "extra_data": {"id": f"{task}::{test}"}} if known else written


def report(*tests: dict, open_: dict | None = None, lang: str = "en") -> dict:
    tasks: dict[str, dict] = {}
    for test in tests:
        task = test.get("extra_data", {}).get("id", "numbers::").split("::")[0]
        tasks.setdefault(task, {"score": 0.0})["score"] += test["score"]
    score = sum(test["score"] for test in tests)
    extra: dict = {"tasks": tasks, "language": lang, "diagnosed_mistakes": []}
    if open_ is not None:
        extra["open"] = open_
        extra["open_score"] = sum(e.get("score", 0) for e in open_.values() if e["status"] == "reviewed")
        extra["open_pending"] = 0.0
        score += extra["open_score"]
    return {"score": score, "max_score": 10.0, "execution_time": 0.1, "tests": list(tests), "extra_data": extra}


def four(a: tuple, b: tuple, c: tuple, d: tuple) -> list[tuple[str, dict]]:
    """Four students; each of ``a`` .. ``d`` says which students passed that test: test_a, test_b, test_d in
    numbers (1 point each), test_c in arrays (2 points)."""
    return [(student, report(entry("numbers", "test_a", a[i]), entry("numbers", "test_b", b[i]),
                             entry("arrays", "test_c", c[i], 2.0), entry("numbers", "test_d", d[i])))
            for i, student in enumerate(["s1", "s2", "s3", "s4"])]


# --- the statistics ------------------------------------------------------------------------------------------


def test_difficulty_and_discrimination_of_tests_agree_with_a_computation_by_hand():
    """Totals 5, 4, 2, 1. test_a (passed by s1, s2): rest 4, 3, 2, 1, so with x = 1, 1, 0, 0 the deviations from
    the means are (.5, .5, -.5, -.5) and (1.5, .5, -.5, -1.5): r = 2 / sqrt(1 * 5). test_b (s1, s3): rest 4, 4,
    1, 1, deviations (.5, -.5, .5, -.5) and (1.5, 1.5, -1.5, -1.5): r = 0. test_c (s1, s2; 2 points): rest 3, 2,
    2, 1, deviations (1, 0, 0, -1): r = 1 / sqrt(1 * 2). test_d: everyone passed it, r is undefined."""
    yes, no = True, False
    items = {item.id: item for item in analyse(UNIT, four((yes, yes, no, no), (yes, no, yes, no),
                                                          (yes, yes, no, no), (yes, yes, yes, yes)))}
    assert list(items) == ["numbers::test_a", "numbers::test_b", "arrays::test_c", "numbers::test_d"]
    a, b, c, d = items.values()
    assert a.students == 4 and a.difficulty == 0.5 and a.discrimination == pytest.approx(2 / math.sqrt(5))
    assert b.difficulty == 0.5 and b.discrimination == pytest.approx(0.0, abs=1e-12)
    assert c.difficulty == 0.5 and c.discrimination == pytest.approx(1 / math.sqrt(2))
    assert d.difficulty == 1.0 and d.discrimination is None
    assert a.flag == "" and c.flag == ""
    assert b.flag == "low discrimination" and d.flag == "everyone got it: no information"
    assert a.label == "Task 1: numbers: test_a" and c.label == "Task 2: arrays: test_c"


def test_an_item_the_weaker_students_get_has_a_negative_discrimination_and_is_flagged():
    yes, no = True, False
    # test_b passed only by s4 (totals 4, 2, 2, 2): its rest, 1, is the lowest
    items = {item.id: item for item in analyse(UNIT, four((yes, yes, yes, no), (no, no, no, yes),
                                                          (yes, no, no, no), (yes, yes, yes, yes)))}
    b = items["numbers::test_b"]
    assert b.difficulty == 0.25 and b.discrimination is not None and b.discrimination < 0
    assert b.discrimination == pytest.approx(correlation([0, 0, 0, 1], [4, 2, 2, 1]))
    assert b.flag.startswith("negative")
    nobody = analyse(UNIT, four((yes, yes, yes, no), (no, no, no, no), (yes, no, no, no), (yes, no, no, yes)))
    assert nobody[1].difficulty == 0.0 and nobody[1].discrimination is None
    assert nobody[1].flag == "no one got it: no information"


def test_the_correlation_is_pearsons_and_undefined_where_it_should_be():
    draw = random.Random(7)
    for _ in range(50):
        n = draw.randint(3, 30)
        xs = [float(draw.randint(0, 1)) for _ in range(n)]
        ys = [draw.uniform(0, 10) for _ in range(n)]
        if len(set(xs)) > 1:
            assert correlation(xs, ys) == pytest.approx(statistics.correlation(xs, ys))
    assert correlation([1, 0], [2, 1]) is None  # fewer than three students
    assert correlation([1, 1, 1], [3, 2, 1]) is None  # everyone got it
    assert correlation([1, 0, 1], [2, 2, 2]) is None  # the rest does not vary
    assert correlation([0.1] * 5, [1, 2, 3, 4, 5]) is None  # constant, whatever the rounding of its mean
    assert correlation([1, 0, 0], [3, 1, 2]) == pytest.approx(statistics.correlation([1, 0, 0], [3, 1, 2]))
    yes, no = True, False
    two = four((yes, no, no, no), (yes, yes, no, no), (yes, no, no, no), (yes, yes, yes, yes))[:2]
    assert all(item.discrimination is None for item in analyse(UNIT, two))


def test_a_test_missing_from_a_report_counts_as_not_passed():
    """A student whose module would not import has one entry for the task (its id alone) and none of its
    tests: those count as not passed, and the task's entry is no item."""
    failed = {"name": "Task 2: arrays", "score": 0.0, "max_score": 6.0, "status": "failed", "output": "",
              "visibility": "visible", "extra_data": {"id": "arrays"}}
    graded = [("s1", report(entry("numbers", "test_a", True), entry("arrays", "test_c", True))),
              ("s2", report(entry("numbers", "test_a", True), entry("arrays", "test_c", True))),
              ("s3", report(entry("numbers", "test_a", False), failed))]
    items = {item.id: item for item in analyse(UNIT, graded)}
    assert set(items) == {"numbers::test_a", "arrays::test_c"}
    assert items["arrays::test_c"].difficulty == pytest.approx(2 / 3) and items["arrays::test_c"].students == 3
    # the same for a report written before tests had ids: the entry named by the task's title alone
    old = {key: value for key, value in failed.items() if key != "extra_data"}
    graded[2] = ("s3", report(entry("numbers", "test_a", False), old))
    assert {item.id for item in analyse(UNIT, graded)} == {"numbers::test_a", "arrays::test_c"}


def test_an_open_question_counts_its_reviewed_answers_alone():
    """why_double (3 points) reviewed for s1 (3), s2 (2), s3 (0); s4's awaits review and s5 did not answer: its
    difficulty is the mean fraction (1 + 2/3 + 0) / 3, over 3 students. mean_use is reviewed for two only."""
    def graded_with(why: dict, mean: dict, passed: bool) -> dict:
        return report(entry("questions", "test_question[twice]", passed), open_={"why_double": why,
                                                                                  "mean_use": mean})

    def reviewed(score: float) -> dict:
        return {"status": "reviewed", "score": score, "items": [], "answered": True}

    waiting = {"status": "awaiting review", "score": 0.0, "items": [], "answered": True}
    blank = {"status": "not answered", "score": 0.0, "items": [], "answered": False}
    graded = [("s1", graded_with(reviewed(3), reviewed(2), True)), ("s2", graded_with(reviewed(2), waiting, True)),
              ("s3", graded_with(reviewed(0), reviewed(0), False)), ("s4", graded_with(waiting, waiting, True)),
              ("s5", graded_with(blank, blank, False))]
    items = {item.id: item for item in analyse(QUIZ, graded)}
    why, mean = items["why_double"], items["mean_use"]
    assert why.kind == "open" and why.students == 3 and why.difficulty == pytest.approx((1 + 2 / 3 + 0) / 3)
    # the rest of each reviewed student: s1 1 + 2, s2 1, s3 0
    assert why.discrimination == pytest.approx(correlation([1, 2 / 3, 0], [3, 1, 0]))
    assert mean.students == 2 and mean.difficulty == 0.5 and mean.discrimination is None  # two: undefined
    # the auto-graded question is a test like any other: everyone counts
    assert items["questions::test_question[twice]"].difficulty == pytest.approx(3 / 5)


# --- tests by id ---------------------------------------------------------------------------------------------


def test_every_test_of_a_report_has_an_id_whatever_the_language(cli, tmp_path):
    for lang in ("en", "zh"):
        out = tmp_path / f"{lang}.json"
        done = cli("grade", str(MINI / "solutions"), "--json", str(out), "--lang", lang)
        assert done.returncode == 0, done.stderr
        tests = json.loads(out.read_text(encoding="utf-8"))["tests"]
        assert tests
        for test in tests:
            task, _, name = test["extra_data"]["id"].partition("::")
            assert test["name"] == f"{TITLES[task, lang]}: {name}", test
    assert "任务 1：数: test_double[3]" in {test["name"] for test in tests}


def test_a_class_graded_in_chinese_has_its_items_by_id_with_english_labels(cli, tmp_path):
    shutil.copytree(MINI / "solutions", tmp_path / "class" / "ada", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(MINI / "exercises", tmp_path / "class" / "bob", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--lang", "zh", "--no-similarity")
    assert done.returncode == 0, done.stderr
    tests = json.loads((out / "ada" / "results.json").read_text(encoding="utf-8"))["tests"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert re.findall(r'<tr(?: class="flagged")? data-id="([^"]*)"', page) == [t["extra_data"]["id"] for t in tests]
    items = rows(page, "items")
    assert [row[0] for row in items] == [f"{TITLES[t['extra_data']['id'].split('::')[0], 'en']}: "
                                         f"{t['extra_data']['id'].split('::')[1]}" for t in tests]
    assert all(row[3] == "0.5" for row in items)  # ada passed every test, bob none
    assert [row[:2] for row in rows(page, "scores")] == [["ada", "10.0"], ["bob", "0.0"]]


def test_a_test_is_known_by_its_id_whatever_its_name_holds():
    """A test whose name holds ': ', in reports written in English and in Chinese, with ids and without (written
    before tests had them), and one written under an earlier title of the task: one item, shown with the English
    title; the rendered name's last part alone was once taken for the test."""
    name = "test_clip[low: 0]"
    graded = [("s1", report(entry("numbers", name, True), entry("arrays", "test_c", True, 2.0))),
              ("s2", report(entry("numbers", name, True, lang="zh"), entry("arrays", "test_c", True, 2.0, "zh"),
                            lang="zh")),
              ("s3", report(entry("numbers", name, False, known=False), entry("arrays", "test_c", False, 2.0,
                                                                              known=False))),
              ("s4", report(entry("numbers", name, False, lang="zh", known=False),
                            entry("arrays", "test_c", True, 2.0, "zh", known=False), lang="zh"))]
    # a report of s5 written when the task had another title: the id, not the name, says which test it is
    renamed = {**entry("numbers", name, True), "name": f"Numbers (draft): {name}"}
    graded.append(("s5", report(renamed, entry("arrays", "test_c", True, 2.0))))
    items = analyse(UNIT, graded)
    assert [(item.id, item.label, item.students) for item in items] == [
        (f"numbers::{name}", f"Task 1: numbers: {name}", 5), ("arrays::test_c", "Task 2: arrays: test_c", 5)]
    assert items[0].difficulty == 0.6 and items[1].difficulty == 0.8
    page = render(UNIT, graded, {})
    assert f'data-id="numbers::{name}"' in page and page.count('data-id="') == 2
    assert f">Task 1: numbers: {name}</text>" in page  # its bar in the chart of pass rates
    assert "任务" not in page and "draft" not in page and ">0]<" not in page


# --- the page ------------------------------------------------------------------------------------------------


def rows(page: str, table: str) -> list[list[str]]:
    """The data-value of every cell of a table's body, row by row."""
    body = page.split(f'<table class="sortable {table}">')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [re.findall(r'data-value="([^"]*)"', row) for row in body.split("</tr>") if row]


def test_the_page_flags_items_and_lists_every_students_score():
    yes, no = True, False
    graded = four((yes, yes, no, no), (yes, no, yes, no), (yes, yes, no, no), (yes, yes, yes, yes))
    hostile = '<img src=x onerror=alert(1)>\u202e'
    page = render(UNIT, [*graded, (hostile, None)], {})
    assert "Item analysis" in page and "discrimination below 0.2" in page and "carry no information" in page
    flagged = re.findall(r'<tr class="flagged" data-id="([^"]*)"', page)
    assert flagged == ["numbers::test_b", "numbers::test_d"]
    assert ">0.89<" in page and ">–<" in page  # test_a's discrimination, test_d's undefined one
    items = rows(page, "items")
    assert [row[0] for row in items] == ["Task 1: numbers: test_a", "Task 1: numbers: test_b",
                                         "Task 2: arrays: test_c", "Task 1: numbers: test_d"]
    assert items[3][4] == ""  # undefined: sorted last
    scores = rows(page, "scores")
    assert [row[:2] for row in scores] == [["s1", "5.0"], ["s2", "4.0"], ["s3", "2.0"], ["s4", "1.0"],
                                          ["&lt;img src=x onerror=alert(1)&gt;\u202e", ""]]
    assert scores[0][2:] == ["3.0", "2.0"]  # per task: numbers, arrays
    assert "<td><bdi>&lt;img src=x onerror=alert(1)&gt;\u202e</bdi></td>" not in page  # a cell has its value
    assert re.search(r'data-value="[^"]*"><bdi>&lt;img src=x onerror=alert\(1\)&gt;\u202e</bdi></td>', page)
    assert "<img" not in page
    assert "open score" not in page  # the unit has no open question
    quiz = render(QUIZ, [("s1", report(entry("questions", "test_question[twice]", True), open_={
        "why_double": {"status": "reviewed", "score": 2.0, "items": [], "answered": True}}))], {})
    assert "<button type=\"button\">open score</button>" in quiz and "pending review" in quiz


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no Chromium here (.ci/run installs it)")
def test_the_tables_sort_by_a_click_on_a_header_in_a_browser(tmp_path):
    from playwright.sync_api import sync_playwright

    assert CHROMIUM is not None, "CI must have Chromium"

    yes, no = True, False
    graded = four((yes, yes, no, no), (yes, no, yes, no), (yes, yes, no, no), (yes, yes, yes, yes))
    graded = [(name, graded[index][1]) for index, name in enumerate(["dan", "ada", "cyd", "bob"])]  # 5, 4, 2, 1
    graded[0][1]["score"] = 10.0  # dan: full marks, after "1.0" and before "2.0" in the order of text
    path = tmp_path / "report.html"
    path.write_text(render(UNIT, [graded[2], ("eve", None), *graded[:2], graded[3]], {}), encoding="utf-8")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-students]")
            assert page.get_attribute("body", "data-students") == "5"
            assert page.get_attribute("body", "data-items") == "4"

            def students() -> list[str]:
                return page.eval_on_selector_all("table.scores tbody tr td:first-child", "cells => cells.map("
                                                 "cell => cell.textContent)")

            assert students() == ["cyd", "eve", "dan", "ada", "bob"]  # as the reports came
            page.click("table.scores th:has-text('score') button")
            assert students() == ["bob", "cyd", "ada", "dan", "eve"]  # lowest first; not graded last
            assert page.get_attribute("table.scores th:nth-child(2)", "aria-sort") == "ascending"
            page.click("table.scores th:has-text('score') button")
            assert students() == ["dan", "ada", "cyd", "bob", "eve"]  # then highest first, still last
            page.click("table.scores th:has-text('student') button")
            assert students() == ["ada", "bob", "cyd", "dan", "eve"]
            assert page.get_attribute("table.scores th:nth-child(2)", "aria-sort") == "none"
            page.click("table.scores th:has-text('Task 2: arrays') button")  # 2, 2, 0, 0: ties keep their order
            assert students() == ["bob", "cyd", "ada", "dan", "eve"]
            page.click("table.items th:has-text('discrimination') button")
            items = page.eval_on_selector_all("table.items tbody tr", "rows => rows.map(row => row.dataset.id)")
            assert items == ["numbers::test_b", "arrays::test_c", "numbers::test_a", "numbers::test_d"]
        finally:
            browser.close()
