"""Feedback: the right hint for each known mistake, none for correct work, both languages, visibility kept.

Snapshots of whole feedback pages (of the mini fixture course) live in
``snapshots/``; after an intended change of wording, regenerate them with
``UPDATE_SNAPSHOTS=1 pytest tests/framework/test_feedback.py``.
"""

import json
import os
import pty
import re
import string
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path

import pytest

from grader.authoring.mistakes import Mistake, load_mistakes, materialize
from grader.kit import matching_mistake
from grader.model.course import load_course
from grader.model.hints import load_hints
from grader.model.messages import CATALOGUE, LANGUAGES, render, t
from grader.rendering.feedback import Feedback, diagnosed, markdown, visibility
from grader.rendering.reports import gradescope
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
HINTS = load_hints(MINI / "tests" / "units" / "mini" / "hints.yaml")
MISTAKES = {m.name: m for m in load_mistakes(UNIT)}
SNAPSHOTS = Path(__file__).parent / "snapshots"
SEED = 1234
TMP = tempfile.mkdtemp(prefix="feedback-")


@cache
def graded(name: str, kind: str = "hidden"):
    """(score, run) of a known mistake, of the solutions or of the stubs; graded once per session."""
    if name == "solutions":
        path = UNIT.source_dir
    elif name == "exercises":
        path = UNIT.stubs_dir
    else:
        path = materialize(UNIT, MISTAKES[name], Path(TMP) / f"{name}-{kind}")
    run = run_suites(UNIT, path, kind, seed=SEED)  # type: ignore[arg-type]
    return score_run(UNIT, run), run


def feedback(lang="en"):
    return Feedback.for_unit(UNIT, lang)


# --- the diagnosis -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_known_mistake_gets_its_own_hint_and_no_other(name):
    mistake = MISTAKES[name]
    score, run = graded(name)
    assert diagnosed(score) == [mistake.hint]
    report = json.dumps(gradescope(score, run, feedback()), ensure_ascii=False)
    assert HINTS[mistake.hint].hint["en"] in report
    assert HINTS[mistake.hint].hint["en"] in markdown(UNIT, score, run, feedback())


@pytest.mark.parametrize("path", ["solutions", "tests/units/mini/styles/loops", "exercises"])
def test_no_hint_for_work_without_a_known_mistake(path):
    run = run_suites(UNIT, MINI / path, seed=SEED)
    score = score_run(UNIT, run)
    assert diagnosed(score) == []
    assert "Hint:" not in json.dumps(gradescope(score, run, feedback())) + markdown(UNIT, score, run, feedback())


def test_an_answer_that_two_mistakes_explain_gets_no_hint():
    assert matching_mistake(3, [("a", 3), ("b", 4)]) == "a"
    assert matching_mistake(3, [("a", 3), ("a", 3.0)]) == "a"
    assert matching_mistake(3, [("a", 3), ("b", 3)]) is None
    assert matching_mistake(3, [("a", lambda got: 1 / 0)]) is None


# --- the messages ----------------------------------------------------------------------


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_message_is_written_in_both_languages_with_the_same_fields():
    for code, templates in CATALOGUE.items():
        assert set(templates) == set(LANGUAGES), code
        assert fields(templates["en"]) == fields(templates["zh"]), code
        assert re.search(r"[\u4e00-\u9fff]", templates["zh"]) or code.startswith("kind."), f"{code}: zh not Chinese"


def test_a_message_renders_nested_texts_in_the_chosen_language():
    text = t("session.import", module="filter", reason=t("worker.timeout", seconds=5, doing="Filter.__init__"))
    assert render(text, "en") == "filter.py cannot be imported: your code timed out after 5 s in Filter.__init__"
    assert render(text, "zh") == "无法导入 filter.py：你的代码在 Filter.__init__ 中运行超过 5 秒，已被终止"


def test_a_hints_catalogue_needs_both_languages_for_every_entry(tmp_path):
    from grader.model.hints import HintsError

    path = tmp_path / "hints.yaml"
    path.write_text("one:\n  title: {en: a, zh: 一}\n  hint: {en: b}\n")
    with pytest.raises(HintsError, match="one needs title and hint, each in en and zh"):
        load_hints(path)


# --- visibility ---------------------------------------------------------------------------


def hidden_tests(score):
    for task in score.tasks:
        for scored in task.tests:
            if visibility(task.task, scored.outcome) == "hidden":
                yield task, scored


def test_the_unit_marks_its_random_totals_hidden():
    score, _ = graded("first_row")
    names = [scored.outcome.name for _, scored in hidden_tests(score)]
    assert len(names) == 3 and all(name.startswith("test_total_random") for name in names)


def test_a_hidden_test_shows_no_input_and_no_expected_value():
    score, run = graded("first_row")
    failed = [(task, scored) for task, scored in hidden_tests(score) if not scored.outcome.passed]
    assert len(failed) >= 2, "the mistake should fail the hidden tests (else this test proves nothing)"
    for lang in LANGUAGES:
        report = gradescope(score, run, feedback(lang))
        page = markdown(UNIT, score, run, feedback(lang))
        outputs = {entry["name"]: entry for entry in report["tests"]}
        for task, scored in failed:
            finding = scored.outcome.finding
            assert finding is not None
            entry = outputs[f"{task.task.name(lang)}: {scored.outcome.name}"]
            assert entry["visibility"] == "hidden"
            full = render(finding.text, lang)
            secrets = [str(finding.text.params[key]) for key in ("expected", "got", "what")
                       if key in finding.text.params and len(str(finding.text.params[key])) >= 3]
            assert len(secrets) == 3 and all(s in full for s in secrets), "the full message holds data"
            for secret in secrets:
                assert secret not in entry["output"], (lang, secret)
                assert secret not in page, (lang, secret)
            assert scored.outcome.name not in page  # hidden tests are counted, not named
            assert HINTS["first_row_only"].hint[lang] in entry["output"]  # the hint is given all the same


def test_an_exception_message_that_echoes_the_input_stays_out_of_hidden_feedback(tmp_path):
    echo = Mistake("echo", "", [{"module": "arrays", "old": "    return float(np.sum(values))",
                                 "new": "    raise ValueError(repr(values.tolist()))"}], [])
    run = run_suites(UNIT, materialize(UNIT, echo, tmp_path / "echo"), seed=SEED)
    score = score_run(UNIT, run)
    hidden = [scored for _, scored in hidden_tests(score)]
    echoed = [str(s.outcome.finding.text.params["detail"]) for s in hidden]
    assert len(echoed) == 3 and all(text.startswith("[") for text in echoed), "total should echo its input"
    report = json.dumps(gradescope(score, run, feedback()), ensure_ascii=False)
    page = markdown(UNIT, score, run, feedback())
    for text in echoed:
        assert text[:30] not in report and text[:30] not in page
    visible = [s for task in score.tasks for s in task.tests if s not in hidden and not s.outcome.passed]
    assert any("[0.0, 1.0, 2.0, 3.0]" in s.outcome.message for s in visible), "visible tests show the message"


# --- snapshots ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["double_adds", "first_row", "exercises", "solutions"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_feedback_page_snapshot(name, lang):
    score, run = graded(name)
    page = markdown(UNIT, score, run, feedback(lang))
    snapshot = SNAPSHOTS / f"{name}.{lang}.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(page, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot {snapshot.name}: run with UPDATE_SNAPSHOTS=1 once and review it"
    assert page == snapshot.read_text(encoding="utf-8")


# --- the command line ------------------------------------------------------------------------


def test_grade_writes_a_feedback_page_with_the_same_content_as_the_report(cli, tmp_path):
    folder = materialize(UNIT, MISTAKES["clip_swapped"], tmp_path / "clip_swapped")
    page, report = tmp_path / "feedback.md", tmp_path / "results.json"
    done = cli("grade", str(folder), "--json", str(report), "--feedback", str(page), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    text, data = page.read_text(encoding="utf-8"), json.loads(report.read_text(encoding="utf-8"))
    assert text.startswith("# 反馈：") and data["extra_data"]["language"] == "zh"
    visible_failures = [e for e in data["tests"] if e["status"] == "failed" and e["visibility"] == "visible"]
    assert visible_failures
    shown = text.replace("`", "")  # the page puts what the code said in code spans
    for entry in visible_failures:
        for line in entry["output"].splitlines():
            assert line in shown, line
    assert data["extra_data"]["diagnosed_mistakes"] == ["bounds_swapped"]


def test_check_is_plain_when_piped_and_coloured_on_a_terminal(cli):
    piped = cli("check", str(UNIT.source_dir))
    assert "\033[" not in piped.stdout and "ok   Task 1: numbers: 2/2 checks pass" in piped.stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "grader", "--course", str(MINI), "check", str(UNIT.source_dir)],
                               stdout=follower, stderr=subprocess.DEVNULL, env={**os.environ, "TERM": "xterm"})
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    shown = b"".join(chunks).decode()
    assert "\033[32m✓\033[0m" in shown and "Public score: 10/10" in shown


def test_check_guides_in_chinese_with_the_hint_of_the_first_failure(cli, tmp_path):
    folder = materialize(UNIT, MISTAKES["double_adds"], tmp_path / "double_adds")
    done = cli("check", str(folder), "--lang", "zh")
    assert done.returncode == 1, done.stderr  # a public check fails
    assert "提示：" + HINTS["added_instead"].hint["zh"] in done.stdout
    assert "公开检查得分：" in done.stdout and "下一步：修正 double（test_double 未通过）。" in done.stdout
