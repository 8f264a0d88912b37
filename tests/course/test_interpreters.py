"""Every supported Python grades the course as the main one does, and so does the portable worker.

Each other interpreter of 3.10 to 3.13 found on the machine gets a virtual environment of its own (in
``.interpreters/``, rebuilt when ``pyproject.toml`` changes) with the grader installed as the README says, and
grades every reference submission of the course there (``tests/interpreters/verdicts.py``: the solutions, the
stubs, each correct style and each known mistake, public and hidden). Its verdicts must be the main
interpreter's: the same scores, test results, kinds of message, recognized mistakes and named hints.

The oldest Python gets the oldest pytest ``pyproject.toml`` allows, and there the light protocol's differential
test runs too (``tests/interpreters/protocol.py``): the grader's own per-test protocol must give pytest's outcomes
on every reference submission. The main environment, installed afresh as CI does, has the newest pytest allowed,
where the suite's own ``test_light_protocol`` and ``framework/test_protocol`` prove the same: both ends of the range.

An interpreter the machine lacks is reported as a skip with its reason; where ``CI`` or ``GRADER_ALL_PYTHONS``
is set (``.ci/run`` sets the latter) it is a failure, for CI must prove all four.
"""

import hashlib
import json
import os
import re
import shutil
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import background
import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
VERDICTS = ROOT / "tests" / "interpreters" / "verdicts.py"
POSIXLESS = ROOT / "tests" / "interpreters" / "posixless.py"
PROTOCOL = ROOT / "tests" / "interpreters" / "protocol.py"
ENVIRONMENTS = ROOT / ".interpreters"
MAIN = f"{sys.version_info.major}.{sys.version_info.minor}"
OLDEST = SUPPORTED[0]


def find_python(version: str) -> str | None:
    """An interpreter of ``version`` that runs: on PATH, or one pyenv installed."""
    candidates = [shutil.which(f"python{version}")]
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    if pyenv.is_dir():
        candidates += [str(p / "bin" / f"python{version}") for p in sorted(pyenv.glob(f"{version}.*"), reverse=True)]
    for candidate in filter(None, candidates):
        try:
            done = background.run([candidate, "-c", "import sys; print(sys.version_info[:2])"], timeout=60)
        except OSError:
            continue
        if done.returncode == 0 and done.stdout.strip() == str(tuple(map(int, version.split(".")))):
            return candidate
    return None


def lowest_pytest() -> str:
    """The oldest pytest ``pyproject.toml`` allows (its ``pytest>=X.Y`` bound), as a pin: ``pytest==X.Y.0``."""
    found = re.search(r'"pytest>=(\d+)\.(\d+)(?:\.(\d+))?[,"]', (ROOT / "pyproject.toml").read_text())
    assert found, "pyproject.toml bounds pytest from below"
    return f"pytest=={found.group(1)}.{found.group(2)}.{found.group(3) or 0}"


def environment(version: str, python: str) -> Path:
    """The virtual environment of ``version`` with the grader installed (the README's command), made once; the
    oldest Python's with the oldest pytest allowed."""
    folder = ENVIRONMENTS / version
    pins = [lowest_pytest()] if version == OLDEST else []
    stamp = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + " ".join(pins).encode()).hexdigest()
    executable = folder / "bin" / "python"
    made = folder / "stamp"
    if not (executable.exists() and made.exists() and made.read_text() == stamp):
        shutil.rmtree(folder, ignore_errors=True)
        made_venv = background.run([python, "-m", "venv", str(folder)], timeout=300)
        assert made_venv.returncode == 0, made_venv.stderr[-3000:]
        done = background.run([str(executable), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-e",
                               str(ROOT), *pins], timeout=1200)
        assert done.returncode == 0, f"installing the grader on Python {version} failed:\n{done.stderr[-3000:]}"
        made.write_text(stamp)
    return executable


def verdicts(python: str | Path) -> dict:
    done = background.run([str(python), str(VERDICTS)], timeout=1800, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def verdicts_on(version: str) -> dict | None:
    """The verdicts of Python ``version`` (None: the machine has no such interpreter); on the oldest, the light
    protocol's differences from pytest's too (``protocol``)."""
    python = find_python(version)
    if python is None:
        return None
    executable = environment(version, python)
    found = verdicts(executable)
    if version == OLDEST:
        done = background.run([str(executable), str(PROTOCOL)], timeout=1800, cwd=ROOT)
        assert done.returncode == 0, done.stderr[-3000:]
        found["protocol"] = json.loads(done.stdout)
    return found


def portable_verdicts() -> dict:
    """The public checks' verdicts in the portable worker, with every POSIX-only facility made unavailable (as on
    a student's Windows laptop; see ``tests/interpreters/posixless.py``)."""
    done = background.run([sys.executable, str(POSIXLESS), "verdicts", "--kind", "public", "--sandbox", "portable"],
                          timeout=1800, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@background.job("interpreters")
def _every_interpreter() -> dict[str, Future]:
    """Every interpreter's verdicts, and the portable worker's, beside the rest of the suite: two at a time when
    the job has one core to itself (one pytest process); all at once under pytest-xdist, where the job starts
    first and is what the run waits for at its end (each is mostly waiting on its own processes: an install's
    downloads, a worker's limits)."""
    together = len(SUPPORTED) + 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
    with ThreadPoolExecutor(max_workers=together) as pool:
        futures = {version: pool.submit(verdicts_on, version) if version != MAIN else
                   pool.submit(verdicts, sys.executable) for version in SUPPORTED}
        futures["portable"] = pool.submit(portable_verdicts)
    return futures  # all done: leaving the pool waited for them


@pytest.fixture(scope="module")
def running():
    return background.result("interpreters")


@pytest.fixture(scope="module")
def main_verdicts(running):
    return running[MAIN].result()


def differences(mine: object, theirs: object, where: str = "") -> list[str]:
    if isinstance(mine, dict) and isinstance(theirs, dict):
        found = []
        for key in sorted(set(mine) | set(theirs)):
            found += differences(mine.get(key), theirs.get(key), f"{where}/{key}")
        return found
    return [] if mine == theirs else [f"{where}: {mine!r} here, {theirs!r} there"]


pytestmark = pytest.mark.background("interpreters")


def test_the_main_interpreter_grades_every_reference_submission(main_verdicts):
    units = main_verdicts["units"]
    assert units and all(len(submissions) >= 5 for submissions in units.values())
    assert main_verdicts["demos"]["conv"]["solutions"][0] == 0 and main_verdicts["demos"]["conv"]["exercises"][0] == 2
    for submissions in units.values():
        assert submissions["solutions"]["hidden"]["tests"] and submissions["stubs"]["hidden"]["tests"]
        assert all(result[0] for result in submissions["solutions"]["hidden"]["tests"].values())


@pytest.mark.parametrize("version", [v for v in SUPPORTED if v != MAIN])
def test_every_supported_python_gives_the_same_verdicts(version, running, main_verdicts):
    theirs = running[version].result()
    if theirs is None:
        if os.environ.get("CI") or os.environ.get("GRADER_ALL_PYTHONS"):
            pytest.fail(f"Python {version} is not on this machine, and CI must prove every supported version")
        pytest.skip(f"Python {version} is not on this machine: not proved here")
    assert theirs["python"] == version
    found = differences({"units": main_verdicts["units"], "demos": main_verdicts["demos"]},
                        {"units": theirs["units"], "demos": theirs["demos"]})
    assert not found, f"Python {version} grades differently from {MAIN}:\n" + "\n".join(found[:30])


def test_the_portable_worker_gives_the_public_verdicts_of_the_sandbox(running, main_verdicts):
    """``grader check --sandbox portable`` (a student's Windows or macOS laptop) on the solutions, the stubs, each
    style and each known mistake: the same public scores, results, messages and hints as the sandbox."""
    theirs = running["portable"].result()["units"]
    ours = {unit: {name: {"public": kinds["public"]} for name, kinds in submissions.items()}
            for unit, submissions in main_verdicts["units"].items()}
    found = differences(ours, theirs)
    assert not found, "the portable worker grades differently:\n" + "\n".join(found[:30])


def test_the_light_protocol_gives_pytests_outcomes_with_the_oldest_pytest_allowed(running):
    theirs = running[OLDEST].result()
    if theirs is None:
        if os.environ.get("CI") or os.environ.get("GRADER_ALL_PYTHONS"):
            pytest.fail(f"Python {OLDEST} is not on this machine, and CI must prove the oldest pytest on it")
        pytest.skip(f"Python {OLDEST} is not on this machine: not proved here")
    protocol = theirs["protocol"]
    assert f"pytest=={protocol['pytest']}" == lowest_pytest()
    assert protocol["compared"] >= 30 and protocol["light_tests"] > 1000  # every run compared, most tests light
    assert not protocol["differences"], "\n".join(protocol["differences"][:20])
