"""Copied work flagged for a person: what the stubs hold and what the whole class shares is not evidence; copies
are; the pass is bounded and never takes the class down with one submission; its file and its section of the class
report are exact and inert."""

import csv
import io
import json
import shutil
import time

import pytest

from grader.classwork import similarity
from grader.classwork.class_report import similarity_section
from grader.classwork.discovery import Entry, discover

SOLVED_ARITH = '''"""Task 1: numbers."""


def double(x):
    # twice the number, the way I like it
    result = x + x
    if result != 2 * x:
        raise ArithmeticError("doubling went wrong")
    return result


def clip(x, low, high):
    value = x
    if value < low:
        value = low
    elif value > high:
        value = high
    return value
'''


def renamed(source: str) -> str:
    """The same code with its names changed, its functions swapped, its comments and blank lines gone."""
    first, second = source.split("\n\n\ndef clip")
    changed = "def clip" + second + "\n\n" + first.split('"""\n', 2)[-1].lstrip()
    for old, new in (("result", "twice"), ("value", "kept"), ("low", "lo"), ("high", "hi")):
        changed = changed.replace(old, new)
    return "\n".join(line for line in changed.splitlines() if line.strip() and not line.strip().startswith("#"))


@pytest.fixture
def a_class(mini, tmp_path):
    """Stubs twice, the solutions, the fixture's loop style, one student's own arith.py and its disguised copy."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("stubs_a", "stubs_b"):
        shutil.copytree(mini.stubs_dir, folder / name)
    shutil.copytree(mini.source_dir, folder / "solutions")
    shutil.copytree(mini.content("styles") / "loops", folder / "loops")
    for name, text in (("original", SOLVED_ARITH), ("copier", renamed(SOLVED_ARITH))):
        shutil.copytree(mini.stubs_dir, folder / name)
        (folder / name / "arith.py").write_text(text)
    return folder


def test_a_disguised_copy_is_flagged_and_nothing_else(mini, a_class):
    result = similarity.compare_class(mini, discover(a_class), jobs=2)
    assert [(p.a, p.b) for p in result.pairs] == [("copier", "original")]
    pair = result.pairs[0]
    assert pair.similarity >= 0.9 and pair.functions == ["arith.clip", "arith.double"]
    assert result.compared == 6 and not result.left_out
    # without the stubs as boilerplate, the untouched stubs would match each other
    everything = similarity.compare_class(mini, discover(a_class), threshold=0.0, jobs=1)
    assert ("stubs_a", "stubs_b") not in {(p.a, p.b) for p in everything.pairs}


def test_what_most_of_the_class_shares_is_not_evidence(mini, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(12):
        shutil.copytree(mini.source_dir, folder / f"s{index:02}")
    entries = discover(folder)
    assert similarity.compare_class(mini, entries, common=10, jobs=2).pairs == []
    flagged = similarity.compare_class(mini, entries, common=12, jobs=2).pairs
    assert len(flagged) == 12 * 11 // 2 and {p.similarity for p in flagged} == {1.0}


SHARED_HELPER = '''

def running_total(values):
    totals = []
    for index, value in enumerate(values):
        previous = totals[index - 1] if index else 0
        totals.append(previous + value)
    return totals
'''
OWN_HELPERS = ['''

def largest_gap(values):
    ordered = sorted(values)
    return max(b - a for a, b in zip(ordered, ordered[1:]))
''', '''

class Counter:
    def __init__(self):
        self.seen = {}

    def add(self, key):
        self.seen[key] = self.seen.get(key, 0) + 1
        return self.seen[key]
''']


def test_the_shared_passages_count_for_nothing_in_a_pair_that_also_shares_its_own(mini, tmp_path):
    """Two of twelve copies of the solutions share a helper of their own, and each has one more of its own: their
    similarity is what their own code shares, as if the class's common code were not there."""
    def write(folder, count, base):
        folder.mkdir()
        for index in range(count):
            shutil.copytree(base, folder / f"s{index:02}")
        for index, own in enumerate(OWN_HELPERS):
            with (folder / f"s{index:02}" / "arith.py").open("a") as module:
                module.write(SHARED_HELPER + own)
        return similarity.compare_class(mini, discover(folder), threshold=0.0, jobs=2).pairs

    among_many = [p for p in write(tmp_path / "many", 12, mini.source_dir) if (p.a, p.b) == ("s00", "s01")]
    alone = write(tmp_path / "two", 2, mini.stubs_dir)  # the same helpers, and nothing of the solutions
    assert len(among_many) == len(alone) == 1
    assert among_many[0].shares == pytest.approx(alone[0].shares, abs=0.02)
    assert among_many[0].similarity < 0.8  # the rest of their code is the class's: it does not count


def test_a_submission_that_takes_too_long_or_cannot_be_read_is_left_out_not_fatal(mini, a_class, monkeypatch):
    bomb = a_class / "bomb.ipynb"
    bomb.write_text('{"cells": [], "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}")
    (a_class / "slow").mkdir()
    reader = similarity._read

    def slow_for_one(unit, entry, boilerplate, mode, out=None):
        if entry.student == "slow":
            time.sleep(600)
        return reader(unit, entry, boilerplate, mode, out)

    monkeypatch.setattr(similarity, "_read", slow_for_one)
    monkeypatch.setattr(similarity, "SECONDS_PER_SUBMISSION", 1.0)
    started = time.monotonic()
    result = similarity.compare_class(mini, discover(a_class), jobs=2)
    assert time.monotonic() - started < 60
    assert result.left_out["slow"] == "reading its code took too long"
    assert "bomb" not in {s for p in result.pairs for s in (p.a, p.b)}
    assert [(p.a, p.b) for p in result.pairs] == [("copier", "original")]


def test_slow_submissions_that_take_every_slot_cost_only_themselves(mini, a_class, monkeypatch):
    # two that sort first and never end, with two slots: once, they held both, a deadline shared by the class
    # ran out, and every submission was left out ("0 pairs among 0 submissions")
    for name in ("aa_slow", "ab_slow"):
        shutil.copytree(mini.stubs_dir, a_class / name)
    reader = similarity._read

    def slow_for_two(unit, entry, boilerplate, mode, out=None):
        if entry.student.endswith("_slow"):
            time.sleep(600)
        return reader(unit, entry, boilerplate, mode, out)

    slow_for_two.__module__, slow_for_two.__qualname__ = similarity.__name__, "_read"  # a pool sends it by name
    monkeypatch.setattr(similarity, "_read", slow_for_two)
    monkeypatch.setattr(similarity, "SECONDS_PER_SUBMISSION", 1.0)
    started = time.monotonic()
    result = similarity.compare_class(mini, discover(a_class), jobs=2)
    assert time.monotonic() - started < 60
    assert result.left_out == {"aa_slow": "reading its code took too long", "ab_slow": "reading its code took too long"}
    assert result.compared == 6 and [(p.a, p.b) for p in result.pairs] == [("copier", "original")]


def test_the_csv_and_the_reports_section_are_exact_and_inert(mini, a_class, tmp_path):
    hostile = a_class / "copier" / "arith.py"
    hostile.write_text(hostile.read_text() + "\n# </pre><script>alert(1)</script>\n")
    result = similarity.compare_class(mini, discover(a_class), jobs=1)
    similarity.write_csv(tmp_path, result)
    rows = list(csv.reader(io.StringIO((tmp_path / similarity.CSV).read_text())))
    assert rows == [["student_a", "student_b", "similarity", "functions"],
                    ["copier", "original", f"{result.pairs[0].similarity:g}", "arith.clip; arith.double"]]
    page = similarity_section(result)
    assert "<script>" not in page and "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('<details class="pair">') == 1 and page.count("<mark>") >= 2
    assert "never a grade change" in page
    assert "Not computed: turned off" in similarity_section(None, "turned off")


def test_grade_all_reports_the_pass_on_its_own_clock_and_can_skip_it(a_class, tmp_path, cli):
    out = tmp_path / "out"
    done = cli("grade-all", str(a_class), "--out", str(out))
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("similarity:"))
    assert line.startswith("similarity: 1 pair at or above 60% alike among 6 submissions in ")
    assert (out / similarity.CSV).is_file() and '<details class="pair">' in (out / "report.html").read_text()
    # the pair's code is in two submissions: with --similarity-common 1 it is material the class shares
    shared = cli("grade-all", str(a_class), "--out", str(out), "--similarity-common", "1")
    assert shared.returncode == 0 and "similarity: 0 pairs at or above 60% alike" in shared.stdout, shared.stdout
    skipped = cli("grade-all", str(a_class), "--out", str(out), "--no-similarity")
    assert skipped.returncode == 0 and "similarity:" not in skipped.stdout
    assert not (out / similarity.CSV).exists(), "never an earlier run's pairs beside this run's grades"
    assert "Not computed: turned off (--no-similarity)" in (out / "report.html").read_text()
    refused = cli("grade-all", str(a_class), "--out", str(out), "--similarity-threshold", "1.5")
    assert refused.returncode == 2 and "1.5 is not between 0 and 1" in refused.stderr


def test_entries_are_read_by_the_intake_in_every_shape(mini, tmp_path):
    import zipfile

    folder = tmp_path / "class"
    folder.mkdir()
    with zipfile.ZipFile(folder / "zipped.zip", "w") as archive:
        archive.writestr("work/arith.py", SOLVED_ARITH)
    shutil.copytree(mini.stubs_dir, folder / "plain")
    (folder / "plain" / "arith.py").write_text(renamed(SOLVED_ARITH))
    result = similarity.compare_class(mini, [Entry(p.stem, p) for p in sorted(folder.iterdir())], jobs=1)
    assert [(p.a, p.b) for p in result.pairs] == [("plain", "zipped")]


def test_copydetect_is_what_compares():
    assert similarity.available()
    prints = similarity.code_prints("def f(a):\n    return a + 1  # one more\n" * 3)
    assert prints.hashes and "one more" not in prints.filtered_code and "V" in prints.filtered_code


def test_a_notebook_is_compared_as_the_student_wrote_its_cells(mini, tmp_path):
    """Only the student's own lines are compared: nothing is added to a cell (lines the grader once put in front
    of each cell were the same in every notebook, and made different work look alike)."""
    cells = {"arith": "def double(x):\n    return x + x\n", "arrays": "import numpy as np\n\nTOTAL = 0"}
    path = tmp_path / "ann.ipynb"
    path.write_text(json.dumps({"cells": [
        {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id}}, "source": source, "outputs": [],
         "execution_count": None} for grade_id, source in cells.items()], "metadata": {}, "nbformat": 4,
        "nbformat_minor": 5}))
    prints = similarity._read(mini, Entry("ann", path), {}, "auto")
    assert {name: found.raw_code for name, found in prints.items()} == cells


def test_the_pass_compares_what_was_graded_and_decodes_only_what_has_no_record(a_class, mini, tmp_path, cli):
    """Grading keeps each student's graded modules beside the report (``sources.json``, tied to it by its
    fingerprint): the pass compares those, and decodes again only a submission with no record of its own."""
    from grader.classwork.outputs import RESULTS, SOURCES, graded_sources

    out = tmp_path / "out"
    done = cli("grade-all", str(a_class), "--out", str(out), "--no-similarity")
    assert done.returncode == 0, done.stderr
    kept = graded_sources(out, "copier")
    assert kept == {name: (a_class / "copier" / f"{name}.py").read_text() for name in mini.modules}
    # the copier's folder changes after grading: the pass still compares the code that was graded
    (a_class / "copier" / "arith.py").write_text((a_class / "stubs_a" / "arith.py").read_text())
    result = similarity.compare_class(mini, discover(a_class), jobs=2, out=out)
    assert [(p.a, p.b) for p in result.pairs] == [("copier", "original")]
    # a record that is not its report's (the report was written again) is not used: the folder is decoded
    report = json.loads((out / "copier" / RESULTS).read_text())
    report["extra_data"]["fingerprint"] = "another"
    (out / "copier" / RESULTS).write_text(json.dumps(report))
    assert graded_sources(out, "copier") is None
    assert similarity.compare_class(mini, discover(a_class), jobs=2, out=out).pairs == []
    (out / "original" / SOURCES).unlink()
    assert graded_sources(out, "original") is None


def test_code_moved_into_a_notebooks_own_cells_is_compared_too(mini, tmp_path, cli):
    """The student's own cells run before the answer cells, so they are the student's work as much: a copy moved
    from the answer cells into a cell above them is flagged, both from the record grading kept and decoded."""
    from grader.classwork.outputs import graded_sources

    def send(name: str, cells: list[tuple[str | None, str]]) -> None:
        (folder / f"{name}.ipynb").write_text(json.dumps({"cells": [
            {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id}} if grade_id else {},
             "source": source, "outputs": [], "execution_count": None} for grade_id, source in cells],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))

    folder = tmp_path / "class"
    folder.mkdir()
    arrays = (mini.stubs_dir / "arrays.py").read_text()  # the stub: what every student is given counts for nothing
    send("cat", [(None, SOLVED_ARITH), ("arith", "# see the cell above\n"), ("arrays", arrays)])
    send("dan", [(None, renamed(SOLVED_ARITH)), ("arith", "# done above\n"), ("arrays", arrays)])
    send("eve", [("arith", (mini.source_dir / "arith.py").read_text()), ("arrays", arrays)])
    out = tmp_path / "out"
    assert cli("grade-all", str(folder), "--out", str(out), "--no-similarity").returncode == 0
    assert SOLVED_ARITH in graded_sources(out, "cat")["arith"]
    for kept in (out, None):
        result = similarity.compare_class(mini, discover(folder), jobs=2, out=kept)
        assert [(p.a, p.b) for p in result.pairs] == [("cat", "dan")], result.pairs
