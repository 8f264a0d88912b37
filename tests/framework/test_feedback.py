"""Feedback: the right hint for each known mistake, none for correct work, both languages, visibility kept.

Snapshots of whole feedback pages live in ``snapshots/``; after an intended
change of wording, regenerate them with ``UPDATE_SNAPSHOTS=1 pytest tests/framework/test_feedback.py``.
"""

import json
import os
import pty
import re
import string
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from grader.authoring.mistakes import Mistake, load_mistakes, materialize
from grader.kit.diagnosis import matching_mistake
from grader.model.course import load_course
from grader.model.hints import load_hints
from grader.model.messages import CATALOGUE, LANGUAGES, render, t
from grader.rendering.feedback import Feedback, diagnosed, markdown, visibility
from grader.rendering.reports import gradescope
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
HINTS = load_hints(ROOT / "tests" / "hints.yaml")
MISTAKES = {m.name: m for m in load_mistakes(COURSE)}
SNAPSHOTS = Path(__file__).parent / "snapshots"
SEED = 1234


@cache
def graded(name: str, kind: str = "hidden"):
    """(score, run) of a known mistake, of the solutions or of the stubs; graded once per session."""
    if name == "solutions":
        path = COURSE.source_dir
    elif name == "exercises":
        path = COURSE.stubs_dir
    else:
        path = materialize(COURSE, MISTAKES[name], Path(TMP) / f"{name}-{kind}")
    run = run_suites(COURSE, path, kind, seed=SEED)  # type: ignore[arg-type]
    return score_run(COURSE, run), run


TMP = os.environ.get("PYTEST_TMP_FEEDBACK") or __import__("tempfile").mkdtemp(prefix="feedback-")


# --- the diagnosis -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_known_mistake_gets_its_own_hint_and_no_other(name):
    mistake = MISTAKES[name]
    assert mistake.hint in HINTS, f"{name} names no hint of tests/hints.yaml"
    score, run = graded(name)
    found = diagnosed(score)
    assert mistake.hint in found, f"{name}: the feedback does not say {mistake.hint}"
    assert set(found) <= {mistake.hint, *mistake.also}, f"{name}: the feedback also claims {found}"
    report = json.dumps(gradescope(score, run, Feedback.for_course(COURSE, "en")), ensure_ascii=False)
    assert HINTS[mistake.hint].hint["en"] in report
    assert HINTS[mistake.hint].hint["en"] in markdown(COURSE, score, run, Feedback.for_course(COURSE, "en"))


@pytest.mark.parametrize("path", ["solutions", "tests/styles/vectorized", "tests/styles/pure_python", "exercises"])
def test_no_hint_for_work_without_a_known_mistake(path):
    run = run_suites(COURSE, ROOT / path, seed=SEED)
    score = score_run(COURSE, run)
    assert diagnosed(score) == []
    feedback = Feedback.for_course(COURSE, "en")
    assert "Hint:" not in json.dumps(gradescope(score, run, feedback)) + markdown(COURSE, score, run, feedback)


def test_every_hint_is_the_diagnosis_of_some_known_mistake():
    assert {m.hint for m in MISTAKES.values()} == set(HINTS)


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


def test_every_hint_is_written_in_both_languages():
    for ident, hint in HINTS.items():
        assert hint.hint["en"].isascii() and re.search(r"[\u4e00-\u9fff]", hint.hint["zh"]), ident
        # no space between two Chinese characters (a folded YAML line would put one there)
        assert not re.search(r"[\u4e00-\u9fff，。；：] [\u4e00-\u9fff]", hint.hint["zh"]), ident


def test_a_message_renders_nested_texts_in_the_chosen_language():
    text = t("session.import", module="filter", reason=t("worker.timeout", seconds=5, doing="Filter.__init__"))
    assert render(text, "en") == "filter.py cannot be imported: your code timed out after 5 s in Filter.__init__"
    assert render(text, "zh") == "无法导入 filter.py：你的代码在 Filter.__init__ 中运行超过 5 秒，已被终止"


# --- visibility ---------------------------------------------------------------------------


def hidden_tests(score):
    for task in score.tasks:
        for scored in task.tests:
            if visibility(task.task, scored.outcome) == "hidden":
                yield task, scored


def test_course_marks_the_random_forward_cases_hidden():
    score, _ = graded("kernel_flipped")
    names = [scored.outcome.name for _, scored in hidden_tests(score)]
    assert names and all(name.startswith("test_forward_random") for name in names)


@pytest.mark.parametrize("name", ["kernel_flipped", "stride_ignored", "bias_missing", "no_padding"])
def test_a_hidden_test_shows_no_input_and_no_expected_value(name):
    score, run = graded(name)
    failed = [(task, scored) for task, scored in hidden_tests(score) if not scored.outcome.passed]
    assert failed, "the mistake should fail the hidden tests (else this test proves nothing)"
    for lang in LANGUAGES:
        feedback = Feedback.for_course(COURSE, lang)
        report = gradescope(score, run, feedback)
        page = markdown(COURSE, score, run, feedback)
        outputs = {entry["name"]: entry for entry in report["tests"]}
        for task, scored in failed:
            finding = scored.outcome.finding
            assert finding is not None
            entry = outputs[f"{task.task.name(lang)}: {scored.outcome.name}"]
            assert entry["visibility"] == "hidden"
            full = render(finding.text, lang)
            # values long enough to be recognised (a lone "0" appears in any text)
            secrets = [str(finding.text.params[key]) for key in ("expected", "got", "what", "detail")
                       if key in finding.text.params and len(str(finding.text.params[key])) >= 3]
            assert secrets and all(s in full for s in secrets), "the full message holds data (else this proves nothing)"
            for secret in secrets:
                assert secret not in entry["output"], (lang, secret)
                assert secret not in page, (lang, secret)
            assert scored.outcome.name not in page  # hidden tests are counted, not named


def test_an_exception_message_that_echoes_the_input_stays_out_of_hidden_feedback(tmp_path):
    echo = Mistake("echo", "", [{"module": "conv_layer", "old": "        self.input_array = input_array\n",
                                 "new": "        raise ValueError(repr(input_array.tolist()))\n"}], [])
    run = run_suites(COURSE, materialize(COURSE, echo, tmp_path / "echo"), seed=SEED)
    score = score_run(COURSE, run)
    hidden = [scored for _, scored in hidden_tests(score)]
    echoed = [str(s.outcome.finding.text.params["detail"]) for s in hidden]
    assert all(text.startswith("[[") for text in echoed), "forward should have raised with the input's values"
    report = json.dumps(gradescope(score, run, Feedback.for_course(COURSE, "en")), ensure_ascii=False)
    page = markdown(COURSE, score, run, Feedback.for_course(COURSE, "en"))
    for text in echoed:
        assert text[:40] not in report and text[:40] not in page
    visible = [s for task in score.tasks for s in task.tests if s not in hidden and not s.outcome.passed]
    assert any("[[" in s.outcome.message for s in visible), "visible tests do show the student's own message"


# --- snapshots ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["kernel_flipped", "padding_depth_too", "exercises", "solutions"])
@pytest.mark.parametrize("lang", LANGUAGES)
def test_feedback_page_snapshot(name, lang):
    score, run = graded(name)
    page = markdown(COURSE, score, run, Feedback.for_course(COURSE, lang))
    snapshot = SNAPSHOTS / f"{name}.{lang}.md"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.parent.mkdir(exist_ok=True)
        snapshot.write_text(page, encoding="utf-8")
    assert snapshot.is_file(), f"no snapshot {snapshot.name}: run with UPDATE_SNAPSHOTS=1 once and review it"
    assert page == snapshot.read_text(encoding="utf-8")


# --- the command line ------------------------------------------------------------------------


def cli(*args):
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def test_grade_writes_a_feedback_page_with_the_same_content_as_the_report(tmp_path):
    folder = materialize(COURSE, MISTAKES["bias_missing"], tmp_path / "bias_missing")
    page, report = tmp_path / "feedback.md", tmp_path / "results.json"
    done = cli("grade", str(folder), "--json", str(report), "--feedback", str(page), "--lang", "zh")
    assert done.returncode == 0, done.stderr
    text, data = page.read_text(encoding="utf-8"), json.loads(report.read_text(encoding="utf-8"))
    assert text.startswith("# 反馈：") and data["extra_data"]["language"] == "zh"
    visible_failures = [e for e in data["tests"] if e["status"] == "failed" and e["visibility"] == "visible"]
    assert visible_failures
    for entry in visible_failures:
        for line in entry["output"].splitlines():
            assert line in text, line
    assert data["extra_data"]["diagnosed_mistakes"] == ["bias_missing"]


def test_check_is_plain_when_piped_and_coloured_on_a_terminal():
    piped = cli("check", "solutions")
    assert "\033[" not in piped.stdout and "ok Task 1: ReluActivator: 3/3 checks pass" in piped.stdout
    leader, follower = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "grader", "check", "solutions"], cwd=ROOT, stdout=follower,
                               stderr=subprocess.DEVNULL, env={**os.environ, "TERM": "xterm"})
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
    assert "\033[32m✓\033[0m" in shown and "Public score: 100/100" in shown


def test_check_guides_in_chinese_with_the_hint_of_the_first_failure(tmp_path):
    folder = materialize(COURSE, MISTAKES["kernel_flipped"], tmp_path / "kernel_flipped")
    done = cli("check", str(folder), "--lang", "zh")
    assert done.returncode == 1, done.stderr  # a public check fails
    assert "提示：" + HINTS["kernel_flipped"].hint["zh"] in done.stdout
    assert "公开测试得分：" in done.stdout and "下一步：修正 conv（test_conv 未通过）。" in done.stdout


def test_validate_notices_a_mistake_whose_feedback_names_another():
    from grader.authoring.validate import judge_mistake

    wrong = MISTAKES["kernel_flipped"]
    mislabelled = Mistake(wrong.name, wrong.about, wrong.edits, wrong.concerns, hint="bias_missing")
    verdict = judge_mistake(COURSE, mislabelled, SEED)
    assert verdict.diagnosed == ["kernel_flipped"] and not verdict.diagnosis_ok and not verdict.ok
