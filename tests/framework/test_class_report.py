"""The class report (``report.html``) and what it reads of each report: tests known by their id, never by
their rendered name (translated, and free to hold ': '). On the mini course: the unit ``mini`` (tasks
``numbers``, 4 points, and ``arrays``, 6)."""

from __future__ import annotations

import json
from pathlib import Path

MINI = Path(__file__).parent / "fixtures" / "mini"
TITLES = {("numbers", "en"): "Task 1: numbers", ("numbers", "zh"): "任务 1：数", ("arrays", "en"): "Task 2: arrays",
          ("arrays", "zh"): "任务 2：数组", ("questions", "en"): "Questions"}


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
