"""What a student sends as data costs only what it touches, through the command line as students and instructors
run it: a YAML tag whose constructor raises, a lone surrogate, a number of thousands of digits, a map with keys
that are not text. Each once zeroed a whole submission, or stopped the grader with a traceback and no report."""

import json
import re
import shutil
from pathlib import Path

import pytest

MINI = Path(__file__).parent / "fixtures" / "mini"
ANSWERS = (MINI / "solutions" / "answers.yaml").read_text()


def answered(folder: Path, replace: tuple[str, str] | None = None, add: str = "") -> Path:
    """The quiz's solutions (the default variant's answers), with one answer written otherwise."""
    folder.mkdir(parents=True)
    text = ANSWERS if replace is None else ANSWERS.replace(*replace)
    assert replace is None or text != ANSWERS
    (folder / "answers.yaml").write_text(text + add, encoding="utf-8")
    return folder


def graded(cli, path: Path, *args: str) -> tuple[dict, str]:
    report = path.parent / f"{path.name}.json"
    done = cli("grade", str(path), "--json", str(report), *args)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    return json.loads(report.read_text(encoding="utf-8")), done.stdout


@pytest.mark.parametrize("tag", ['!!timestamp "x"', '!!bool "maybe"', '!!int ""', '!!float ""'])
def test_one_tag_that_cannot_be_constructed_costs_that_answer_only(cli, tmp_path, tag):
    report, out = graded(cli, answered(tmp_path / "s", ("twice: 578", f"twice: {tag}")), "--unit", "quiz")
    assert report["score"] == 5 and report["max_score"] == 6  # `twice` weighs 1 of 6
    failed = [test for test in report["tests"] if test["score"] < test["max_score"]]
    assert [test["name"] for test in failed] == ["Questions: test_question[twice]"], failed
    assert "twice: your answer cannot be read in answers.yaml" in failed[0]["output"]


def test_a_tag_in_practice_is_one_line_of_check(cli, tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "practice.yaml").write_text('twice: !!timestamp "x"\nthird: 3\n')
    done = cli("check", str(folder), "--unit", "quiz")
    assert "Traceback" not in done.stdout + done.stderr and done.returncode == 1
    assert re.search(r"twice: your answer cannot be read in practice.yaml \(AttributeError\)", done.stdout), done.stdout


@pytest.mark.parametrize("where", ["open", "choice", "number"])
def test_a_lone_surrogate_in_an_answer_is_graded_and_reported(cli, tmp_path, where):
    line = {"open": ("third: ", 'why_double: "\\ud800 because"\nthird: '), "choice": ("- c", '- "\\ud800"'),
            "number": ("twice: 578", 'twice: "\\ud800"')}[where]
    report, out = graded(cli, answered(tmp_path / "s", line), "--unit", "quiz", "--feedback",
                         str(tmp_path / "feedback.md"))
    assert "\ud800" not in json.dumps(report, ensure_ascii=False)
    assert (tmp_path / "feedback.md").read_text(encoding="utf-8")
    if where == "open":
        assert report["extra_data"]["open"]["why_double"]["text"] == "\ufffd because" and report["score"] == 6
    else:
        assert report["score"] == 5


def test_a_lone_surrogate_in_an_exception_message_is_graded_and_reported(cli, tmp_path):
    folder = Path(shutil.copytree(MINI / "solutions", tmp_path / "s"))
    arith = folder / "arith.py"
    arith.write_text(arith.read_text().replace("    return 2 * x", "    raise ValueError('\\ud800 said')"))
    report, out = graded(cli, folder, "--feedback", str(tmp_path / "feedback.md"))
    assert 0 < report["score"] < 10 and "\ud800" not in json.dumps(report, ensure_ascii=False)
    assert any("\ufffd said" in test["output"] for test in report["tests"]), report["tests"]
    assert "\\ud800" not in out


@pytest.mark.parametrize("value, shown", [
    pytest.param("0x" + "f" * 4000, "0x" + "f" * 4000, id="4000_hex_digits"),
    pytest.param("{2020-01-01: 1}", "{2020-01-01: 1}", id="date_keys"),
    pytest.param("!!binary aGVsbG8=", "!!binary aGVsbG8=", id="binary"),
])
def test_an_open_answer_given_as_data_is_kept_as_written(cli, tmp_path, value, shown):
    report, _ = graded(cli, answered(tmp_path / "s", add=f"why_double: {value}\n"), "--unit", "quiz")
    assert report["score"] == 6 and report["extra_data"]["open"]["why_double"]["text"] == shown


def test_a_notebook_answers_cell_with_keys_that_are_not_text_is_read(cli, tmp_path):
    cell = "ANSWERS = {b'k': 1, 'twice': 578, 'why_double': {b'x': 1}, 5: 'five'}\n"
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {"nbgrader": {"grade_id": "answers"}},
                                           "source": cell, "outputs": [], "execution_count": None}],
                                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    report, _ = graded(cli, path, "--unit", "quiz")
    assert report["extra_data"]["open"]["why_double"]["text"] == "{b'x': 1}"
    assert report["tests"][0]["score"] == report["tests"][0]["max_score"]  # twice, read among the rest


def test_a_choice_of_thousands_of_digits_is_told_in_the_graders_words(cli, tmp_path):
    report, _ = graded(cli, answered(tmp_path / "s", ("pick:\n- a\n- c", "pick: " + "9" * 4000)), "--unit", "quiz")
    [failed] = [test for test in report["tests"] if test["score"] < test["max_score"]]
    assert "pick: your answer holds a number of more than 200 digits" in failed["output"], failed["output"]
    assert "int_max_str_digits" not in json.dumps(report)
