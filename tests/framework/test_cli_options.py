"""Every option of ``--help`` tried from the command line, as a user types it, and its effect observed (the options
other tests already try this way are left to them)."""

import json
import re
import zipfile

from grader import __version__

MINI_SEED_TEST = '''

def test_drawn(submission, rng):
    value = int(rng.integers(10**9))
    assert submission.arith.double(value) == -1, f"drew {value}"
'''


def drawn(done) -> str:
    found = re.findall(r"drew (\d+)", done.stdout)
    assert found, done.stdout[-2000:]
    return found[0]


def test_version(cli):
    done = cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"grader {__version__}"


def test_grade_seed_is_the_seed_of_the_run(cli, mini, tmp_path):
    report = tmp_path / "results.json"
    done = cli("grade", str(mini.source_dir), "--seed", "7", "--json", str(report))
    assert done.returncode == 0, done.stderr
    assert "(seed 7," in done.stdout and json.loads(report.read_text())["extra_data"]["seed"] == 7


def test_check_seed_reaches_the_random_cases_of_the_public_checks(cli, mini_copy):
    suite = mini_copy / "tests" / "units" / "mini" / "public" / "test_arith.py"
    suite.write_text(suite.read_text() + MINI_SEED_TEST)
    solutions = str(mini_copy / "solutions")
    first, again, other = (cli("check", solutions, "--seed", seed, course=mini_copy) for seed in ("7", "7", "8"))
    assert first.returncode == 1  # the drawing test fails on purpose, saying what it drew
    assert drawn(first) == drawn(again) != drawn(other)


def test_stubs_check_says_whether_the_stubs_are_up_to_date(cli, mini_copy):
    done = cli("stubs", "--check", course=mini_copy)
    assert done.returncode == 0 and "up to date" in done.stdout
    module = mini_copy / "solutions" / "arith.py"
    module.write_text(module.read_text().replace('"""Twice ``x``."""', '"""Two times ``x``."""'))
    done = cli("stubs", "--check", course=mini_copy)
    assert done.returncode == 1 and "out of date" in done.stdout and "arith.py" in done.stdout
    assert cli("stubs", course=mini_copy).returncode == 0
    assert cli("stubs", "--check", course=mini_copy).returncode == 0


def test_grade_all_seed_grades_the_class_with_it(cli, mini, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    with zipfile.ZipFile(folder / "alice.zip", "w") as archive:
        for module in mini.modules:
            archive.write(mini.source_dir / f"{module}.py", f"{module}.py")
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out), "--seed", "7", "--no-similarity")
    assert done.returncode == 0, done.stderr
    report = json.loads((out / "alice" / "results.json").read_text())
    assert report["extra_data"]["seed"] == 7 and report["score"] == report["max_score"]
    again = cli("grade-all", str(folder), "--out", str(out), "--seed", "8", "--no-similarity")
    assert "graded 1, up to date 0" in again.stdout  # another seed is another grading, never "up to date"
    assert json.loads((out / "alice" / "results.json").read_text())["extra_data"]["seed"] == 8


def test_release_assignment_and_notebook_name_the_nbgrader_source(cli, tmp_path):
    out = tmp_path / "release"
    done = cli("release", "--unit", "mini", "--out", str(out), "--assignment", "week1", "--notebook", "layers")
    assert done.returncode == 0, done.stderr
    notebook = out / "nbgrader" / "source" / "week1" / "layers.ipynb"
    assert notebook.is_file() and [p.name for p in (out / "nbgrader" / "source").iterdir()] == ["week1"]
    json.loads(notebook.read_text())


def test_validate_seed_is_the_seed_it_validates_with(cli):
    done = cli("validate", "--unit", "quiz", "--seed", "99")
    assert done.returncode == 0, done.stdout[-2000:]
    assert "(seed 99)" in done.stdout
