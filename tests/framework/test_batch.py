"""grader grade-all: a class graded in parallel, resumable, each student on their own."""

import csv
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grader.authoring.mistakes import load_mistakes
from grader.classwork.batch import grade_all
from grader.classwork.discovery import Entry
from grader.classwork.local import LocalExecutor
from grader.classwork.outputs import RESULTS
from grader.model.course import load_course
from grader.rendering.feedback import Feedback
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites
from grader.trust.bubblewrap import bwrap_works
from grader.trust.policy import cgroups_work, zygotes_work
from grader.trust.worker import Worker
from grader.trust.zygote import Zygote

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
MISTAKES = {m.name: m for m in load_mistakes(UNIT)}
SEED = 1234

# Attacks on the class, each run when the student's arith.py is imported (any module would do).
ATTACKS = {
    "kill_the_parent": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n",
    "loop_ignoring_sigterm": "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n",
    "output_flood": "import sys\nfor _ in range(200000):\n    sys.stdout.write('flood ' * 100 + '\\n')\n",
    "fork_bomb": "import os, time\nfor _ in range(10000):\n    try:\n        os.fork()\n    except OSError:\n"
                 "        time.sleep(0.05)\n",
    "memory_bomb": "hoard = []\nwhile True:\n    hoard.append(bytearray(1 << 24))\n",
    "report_rewriting_daemon": "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
                               "        time.sleep(0.5)\n        for root, _, files in os.walk('/'):\n"
                               "            for name in files:\n                if name == 'results.json':\n"
                               "                    open(os.path.join(root, name), 'w').write('{\"score\": 100}')\n"
                               "    os._exit(0)\nos.wait()\n",
}


def tight(folder: Path) -> Path:
    """A copy of the mini course whose limits are small: attacks that loop cost the submission budget."""
    course = Path(shutil.copytree(MINI, folder, ignore=shutil.ignore_patterns("__pycache__")))
    text = (course / "course.yaml").read_text()
    text = text.replace("call_seconds: 2", "call_seconds: 1.5").replace("import_seconds: 10", "import_seconds: 3")
    (course / "course.yaml").write_text(text.replace("submission_seconds: 60", "submission_seconds: 10"))
    return course


def attack(name: str, dest: Path) -> Path:
    """The stubs, with the attack ``name`` run on importing arith.py."""
    shutil.copytree(UNIT.stubs_dir, dest, ignore=shutil.ignore_patterns("__pycache__"))
    with (dest / "arith.py").open("a") as module:
        module.write("\n" + ATTACKS[name])
    return dest


def cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "grader", "--course", str(MINI), *args], capture_output=True,
                          text=True, timeout=600, **kwargs)


def test_a_class_is_graded_and_every_output_agrees(tmp_path, make_class):
    students = make_class(tmp_path / "class")
    out = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert f"graded {len(students)}, up to date 0, could not grade 0" in done.stdout
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == set(students)
    for student in students:
        report = json.loads((out / student / RESULTS).read_text())
        assert (out / student / "feedback.md").read_text().startswith("# Feedback: ")
        row = rows[student]
        assert float(row["score"]) == pytest.approx(report["score"])
        for task in UNIT.tasks:
            assert float(row[task.id]) == pytest.approx(report["extra_data"]["tasks"][task.id]["score"])
        # the same score as grading that one submission alone
        alone = score_run(UNIT, run_suites(UNIT, students[student], seed=SEED))
        assert report["score"] == pytest.approx(alone.score), student
    assert rows["ok0"]["score"] == "10" and rows["stubs"]["score"] == "0"
    assert json.loads((out / "double_adds" / RESULTS).read_text())["extra_data"]["diagnosed_mistakes"] == [
        "added_instead"]


def test_resuming_grades_only_what_is_missing_or_changed(tmp_path, make_class):
    make_class(tmp_path / "class")
    out = tmp_path / "out"
    first = cli("grade-all", str(tmp_path / "class"), "--out", str(out))
    assert first.returncode == 0, first.stderr
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in out.glob(f"*/{RESULTS}")}
    (tmp_path / "class" / "first_row" / "arrays.py").write_text(
        (UNIT.source_dir / "arrays.py").read_text())  # the student fixed it
    again = cli("grade-all", str(tmp_path / "class"), "--out", str(out))
    assert "graded 1, up to date 5," in again.stdout
    for student, stamp in stamps.items():
        changed = (out / student / RESULTS).stat().st_mtime_ns != stamp
        assert changed == (student == "first_row"), student
    assert json.loads((out / "first_row" / RESULTS).read_text())["score"] == 10
    forced = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--force")
    assert "graded 6, up to date 0," in forced.stdout
    assert {r["student"]: r["score"] for r in csv.DictReader((out / "grades.csv").open())}["first_row"] == "10"


def batch_under_way(tmp_path: Path, reports: int) -> tuple[subprocess.Popen, Path, Path]:
    """A CLI batch of 24 correct submissions, one at a time, once ``reports`` students are done."""
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(24):
        shutil.copytree(UNIT.source_dir, folder / f"s{index:02}")
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "grader", "--course", str(MINI), "grade-all", str(folder),
                                "--out", str(out), "--jobs", "1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while len(list(out.glob(f"*/{RESULTS}"))) < reports and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    return process, folder, out


def test_a_batch_killed_with_sigkill_loses_nothing_and_redoes_nothing(tmp_path):
    process, folder, out = batch_under_way(tmp_path, 4)
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate()
    done = sorted(p.parent.name for p in out.glob(f"*/{RESULTS}"))
    assert 4 <= len(done) < 24, "the kill should land mid-batch"
    for student in done:  # every report present is whole
        assert json.loads((out / student / RESULTS).read_text())["score"] == 10
    stamps = {s: (out / s / RESULTS).stat().st_mtime_ns for s in done}
    again = cli("grade-all", str(folder), "--out", str(out))
    assert again.returncode == 0, again.stderr
    assert f"graded {24 - len(done)}, up to date {len(done)}," in again.stdout
    assert all((out / s / RESULTS).stat().st_mtime_ns == stamps[s] for s in done)
    assert sorted(p.parent.name for p in out.glob(f"*/{RESULTS}")) == [f"s{i:02}" for i in range(24)]
    assert not [p for p in out.rglob(".*")], "temporary files of interrupted writes are left"


@pytest.mark.skipif(not bwrap_works() and not os.environ.get("CI"), reason="the attacks run only inside bubblewrap")
def test_hostile_submissions_do_not_touch_their_classmates(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for index in range(3):
        shutil.copytree(UNIT.source_dir, folder / f"ok{index}")
    for name in ATTACKS:
        attack(name, folder / name)
    out = tmp_path / "out"
    result = grade_all(load_course(tight(tmp_path / "course")).unit(), folder, out, seed=SEED, jobs=3)
    assert not result.failed
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in out.glob(f"*/{RESULTS}")}
    # laid over the stubs, an attack earns nothing; it must take nothing from its classmates either
    assert scores == {"ok0": 10, "ok1": 10, "ok2": 10, **{name: 0 for name in ATTACKS}}
    layers = json.loads((out / "ok0" / RESULTS).read_text())["extra_data"]["isolation_layers"]
    assert any(layer.startswith("warm start") for layer in layers), "the batch should have used its zygotes"
    time.sleep(1)  # the daemon would have rewritten a report by now
    assert all(json.loads((out / f"ok{i}" / RESULTS).read_text())["score"] == 10 for i in range(3))
    assert json.loads((out / "report_rewriting_daemon" / RESULTS).read_text())["score"] == 0


def test_the_same_class_always_gets_the_same_grades(tmp_path, make_class):
    make_class(tmp_path / "class")
    out = tmp_path / "out"
    grade_all(UNIT, tmp_path / "class", out, seed=SEED, jobs=2)
    first = (out / "first_row" / RESULTS).read_text()
    grade_all(UNIT, tmp_path / "class", out, seed=SEED, jobs=1, force=True)
    again = (out / "first_row" / RESULTS).read_text()
    strip = lambda text: {k: v for k, v in json.loads(text).items() if k != "execution_time"}  # noqa: E731
    assert strip(first)["tests"] == strip(again)["tests"] and strip(first)["score"] == strip(again)["score"]


def graded_in_turn(tmp_path: Path, test: str, students: list[str]) -> Path:
    """A class of ``students``, each the mini solutions, graded in turn by one child in a copy of the mini course
    whose first hidden suite has ``test`` (a test's source) added; the output folder."""
    course = Path(shutil.copytree(MINI, tmp_path / "mini", ignore=shutil.ignore_patterns("__pycache__")))
    suite = course / "tests" / "units" / "mini" / "hidden" / "test_arith.py"
    suite.write_text(suite.read_text() + "\n\n" + test)
    unit = load_course(course).unit()
    for name in students:
        shutil.copytree(unit.source_dir, tmp_path / "class" / name)
    out = tmp_path / "out"
    assert not grade_all(unit, tmp_path / "class", out, seed=SEED, jobs=1).failed
    return out


def test_each_submission_a_child_grades_in_turn_gets_fixtures_of_its_own(tmp_path):
    """A module's shared fixtures end with its tests, so the next submission gets its own: here ``grading``,
    which only the first suite asks for (the second asks for ``submission`` too, made again for it)."""
    out = graded_in_turn(tmp_path, "def test_this_submissions_own(grading, submission):\n"
                               "    assert grading.session is submission._session\n", ["a", "b", "c"])
    for name in ("a", "b", "c"):
        tests = {test["name"]: test for test in json.loads((out / name / RESULTS).read_text())["tests"]}
        own = [test for test_name, test in tests.items() if "test_this_submissions_own" in test_name]
        assert len(own) == 1 and own[0]["status"] == "passed", (name, own)


# What a submission leaves for the next one in the same slot (a worker forked from the same zygote): notes in every
# place of the sandbox it might write, a folder it makes unreadable, and modules named as what the next one's code
# (or the decoder) imports lazily, in every folder of the path and beside it.
PLANTED = ["/tmp/PWNED-note", "/dev/shm/PWNED-note", "/submission/fractions.py", "/submission/yaml.py",
           "/fractions.py", "/opt/grader-lib/fractions.py", "/opt/fractions.py", "/run/PWNED-note",
           "/var/tmp/PWNED-note", "/dev/PWNED-note"]
PLANT = f"""
import os, sys
for _path in {PLANTED!r}:
    try:
        os.makedirs(os.path.dirname(_path), exist_ok=True)
        with open(_path, "w") as _note:
            _note.write("raise SystemExit('planted')\\n")
    except OSError:
        pass
for _folder in sys.path:
    try:
        with open(os.path.join(_folder, "fractions.py"), "w") as _note:
            _note.write("raise SystemExit('planted')\\n")
    except OSError:
        pass
try:
    os.makedirs("/tmp/locked/inner")
    open("/tmp/locked/inner/PWNED-note", "w").close()
    os.chmod("/tmp/locked/inner", 0)
    os.chmod("/tmp/locked", 0)
except OSError:
    pass
"""
LOOK = f"""
import os
assert not [_path for _path in {PLANTED!r} + ["/tmp/locked"] if os.path.lexists(_path)], "a note was left"
import fractions
assert fractions.Fraction(1, 2) == 0.5
"""


def test_a_submission_cannot_reach_the_next_one_through_the_shared_zygote(tmp_path):
    """One slot grades these in turn: the first stops its zygote, the third leaves notes and modules wherever it
    can (a module it once left at the sandbox's root was imported by the next student's worker, and rewrote that
    student's code: 27/100 instead of 100)."""
    folder = tmp_path / "class"
    folder.mkdir()
    stop = Path(shutil.copytree(UNIT.stubs_dir, folder / "a_stops_its_zygote"))
    with (stop / "arith.py").open("a") as module:
        module.write("\nimport os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n")
    shutil.copytree(UNIT.source_dir, folder / "b_correct")
    note = Path(shutil.copytree(UNIT.stubs_dir, folder / "c_leaves_notes"))
    with (note / "arith.py").open("a") as module:
        module.write(PLANT)
    reader = Path(shutil.copytree(UNIT.source_dir, folder / "d_looks_for_them"))
    with (reader / "arith.py").open("a") as module:
        module.write(LOOK)
    out = tmp_path / "out"
    result = grade_all(UNIT, folder, out, seed=SEED, jobs=1)
    assert not result.failed
    reports = {p.parent.name: json.loads(p.read_text()) for p in out.glob(f"*/{RESULTS}")}
    scores = {student: report["score"] for student, report in reports.items()}
    assert scores == {"a_stops_its_zygote": 0, "b_correct": 10, "c_leaves_notes": 0, "d_looks_for_them": 10}
    # the notes were looked for in a worker forked from the same warm zygote, wherever zygotes can be (they need
    # bubblewrap and control groups)
    warm = [any(layer.startswith("warm start") for layer in reports[student]["extra_data"]["isolation_layers"])
            for student in ("c_leaves_notes", "d_looks_for_them")]
    assert warm == [bwrap_works() and cgroups_work()] * 2


def test_workers_forked_from_a_zygote_find_numpy_random_loaded(tmp_path):
    """The zygote loads what NumPy loads lazily and students use (``np.random``): no worker pays for it again."""
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("first", "second"):
        probe = Path(shutil.copytree(UNIT.source_dir, folder / name))
        with (probe / "arith.py").open("a") as module:
            module.write("\nimport sys\nassert 'numpy.random' in sys.modules and 'numpy.fft' in sys.modules\n")
    out = tmp_path / "out"
    grade_all(UNIT, folder, out, seed=SEED, jobs=1)
    reports = [json.loads((out / name / RESULTS).read_text()) for name in ("first", "second")]
    warm = [any(layer.startswith("warm start") for layer in report["extra_data"]["isolation_layers"])
            for report in reports]
    assert warm == [bwrap_works() and cgroups_work()] * 2
    # a cold worker imports only what the student's code imports: there the probe fails to import
    assert [report["score"] for report in reports] == [10 if started_warm else 0 for started_warm in warm]


def scripted_batch(tmp_path: Path, students: list[str], **options) -> tuple[LocalExecutor, dict[str, int]]:
    """A batch whose grading is scripted by name: ``crash`` ends its process, ``raises`` raises, ``hang`` never
    ends; any other writes a report naming the process that graded it. Returns the batch and, per student
    graded, that process's pid."""
    out = tmp_path / "out"
    batch = LocalExecutor(UNIT, out, SEED, options.pop("jobs", 2), Feedback.for_unit(UNIT), "process", **options)
    batch.todo = [batch.job(Entry(name, tmp_path / name), "print") for name in students]

    def grade(entry, zygote):
        if entry.student.startswith("crash"):
            os._exit(3)
        if entry.student.startswith("raises"):
            raise RuntimeError("a bug of the grader")
        if entry.student.startswith("hang"):
            time.sleep(120)  # far past its patience: killed long before
        (out / entry.student).mkdir(parents=True)
        (out / entry.student / RESULTS).write_text(json.dumps({"pid": os.getpid(),
                                                                "cores": sorted(os.sched_getaffinity(0))}))
        return 0

    batch.loop(grade)
    said = {name: json.loads((out / name / RESULTS).read_text()) for name in batch.graded}
    return batch, {name: report["pid"] for name, report in said.items() if "pid" in report}


def cores_of(batch: LocalExecutor) -> dict[str, list[int]]:
    """The cores each student's grading process could run on, as it saw them (a ``scripted_batch``)."""
    return {name: json.loads((batch.out / name / RESULTS).read_text())["cores"] for name in batch.graded}


def resident_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS in /proc/self/status")


def test_garbage_in_cycles_does_not_pile_up_in_a_child_that_grades_many(tmp_path):
    """Each submission leaves 20 MB that only a collection can free (a cycle, as a traceback and its frames
    make); a child grades all 20 in turn."""
    out = tmp_path / "out"
    batch = LocalExecutor(UNIT, out, SEED, 1, Feedback.for_unit(UNIT), "process")
    batch.todo = [batch.job(Entry(f"s{index:02}", tmp_path), "print") for index in range(20)]

    def grade(entry, zygote):
        cycle = [bytearray(20 << 20)]
        cycle.append(cycle)
        (out / entry.student).mkdir(parents=True)
        (out / entry.student / RESULTS).write_text(json.dumps({"rss": resident_kib(), "pid": os.getpid()}))
        return 0

    batch.loop(grade)
    seen = [json.loads((out / f"s{index:02}" / RESULTS).read_text()) for index in range(20)]
    assert len({report["pid"] for report in seen}) == 1
    assert seen[-1]["rss"] - seen[0]["rss"] < 100 * 1024, "the child kept every submission's garbage"


def test_a_child_that_grades_many_keeps_no_submission_it_is_done_with(tmp_path, monkeypatch):
    """Each submission's session (its worker's handles, its intake's code, its output) goes when it is graded:
    a hidden test counts, in the child, the sessions alive while it runs."""
    log = tmp_path / "sessions.txt"
    monkeypatch.setenv("SESSIONS_SEEN", str(log))
    graded_in_turn(tmp_path, "def test_count_the_sessions(submission):\n"
                             "    import gc, os\n    from grader.running.session import LiveSubmission\n"
                             "    alive = sum(isinstance(o, LiveSubmission) for o in gc.get_objects())\n"
                             "    with open(os.environ['SESSIONS_SEEN'], 'a') as seen:\n"
                             "        seen.write(f'{alive}\\n')\n", [f"s{index}" for index in range(8)])
    counts = [int(line) for line in log.read_text().split()]
    assert len(counts) == 8 and max(counts) == 1, counts


def test_a_child_grades_one_submission_after_another_and_a_crash_costs_only_its_own(tmp_path):
    students = [f"s{index:02}" for index in range(6)] + ["crash"] + [f"t{index:02}" for index in range(6)] + \
        ["raises"] + [f"u{index:02}" for index in range(6)]
    batch, pids = scripted_batch(tmp_path, students)
    # a child that ends says nothing more than how; one whose grading raised says what
    assert batch.failed == {"crash": "the grading process ended with status 3",
                            "raises": "RuntimeError: a bug of the grader"}
    assert sorted(batch.graded) == sorted(s for s in students if s not in ("crash", "raises"))
    # two slots, and a fresh child after each failure: far fewer processes than submissions
    assert len(set(pids.values())) <= 4 < len(pids)


def test_a_submission_that_outlives_its_patience_is_stopped_with_a_report_and_the_class_goes_on(tmp_path):
    started = time.monotonic()
    batch, pids = scripted_batch(tmp_path, ["a", "hang", "b", "c", "d"], patience=2.0)
    assert not batch.failed and sorted(batch.graded) == ["a", "b", "c", "d", "hang"]
    assert sorted(pids) == ["a", "b", "c", "d"]
    report = json.loads((batch.out / "hang" / RESULTS).read_text())
    assert report["score"] == 0 and "grading stopped" in report["output"] and "more than 2 s" in report["output"]
    assert report["extra_data"]["stopped"].startswith("grading stopped: reading and checking this submission")
    assert "grading stopped" in (batch.out / "hang" / "feedback.md").read_text()
    assert time.monotonic() - started < 60


def test_a_child_makes_way_for_a_fresh_one_after_its_share(tmp_path):
    students = [f"s{index:02}" for index in range(10)]
    batch, pids = scripted_batch(tmp_path, students, jobs=1, recycle_after=3)
    assert not batch.failed
    # one slot, so in order: each child took the next three, and the last one what was left
    runs = [len(list(run)) for _, run in itertools.groupby(pids[s] for s in students)]
    assert runs == [3, 3, 3, 1] and len(set(pids.values())) == 4


USABLE = sorted(os.sched_getaffinity(0))


@pytest.mark.skipif(len(USABLE) < 2, reason="pinning two slots needs two usable cores")
def test_each_slot_grades_on_a_core_of_its_own(tmp_path):
    students = [f"s{index:02}" for index in range(8)]
    batch, pids = scripted_batch(tmp_path, students, jobs=2)
    assert not batch.failed
    cores = cores_of(batch)
    by_process = {pids[name]: tuple(cores[name]) for name in students}
    assert all(len(pinned) == 1 for pinned in by_process.values())
    # the two slots' children (each took a submission at once) are on the first two usable cores, one each
    assert {pinned[0] for pinned in by_process.values()} == set(USABLE[:2])


def test_slots_are_left_to_the_system_when_asked_or_when_cores_are_too_few(tmp_path):
    batch, _ = scripted_batch(tmp_path / "asked", ["a", "b", "c"], jobs=2, pin=False)
    assert set(map(tuple, cores_of(batch).values())) == {tuple(USABLE)}
    batch, _ = scripted_batch(tmp_path / "few", ["a", "b", "c"], jobs=len(USABLE) + 1)
    assert set(map(tuple, cores_of(batch).values())) == {tuple(USABLE)}


@pytest.mark.skipif(not zygotes_work("auto"), reason="zygotes need bubblewrap and control groups")
def test_a_pinned_zygote_forks_its_workers_on_its_core():
    zygote = Zygote(UNIT.limits)
    try:
        zygote.pin(USABLE[-1])
        assert {pid: os.sched_getaffinity(pid) for pid in zygote.base} == {pid: {USABLE[-1]} for pid in zygote.base}
        worker = Worker.forked(zygote, 1024)
        try:
            assert os.sched_getaffinity(worker.process.pid) == {USABLE[-1]}
        finally:
            worker.kill()
    finally:
        zygote.close()


@pytest.mark.skipif(not zygotes_work("auto"), reason="zygotes need bubblewrap and control groups")
def test_processes_forked_from_one_parent_never_share_a_worker_serial(tmp_path):
    """Each grading child starts from its parent's copy of the zygote: the zygote's report of one child's worker
    must never answer for another's."""
    zygote = Zygote(UNIT.limits)
    try:
        serials = []
        for _ in range(2):
            read, write = os.pipe()
            pid = os.fork()
            if pid == 0:
                worker = Worker.forked(zygote, 1024)
                os.write(write, str(worker.process.serial).encode())
                os._exit(0)  # without waiting for the worker's end: its report stays unread
            os.close(write)
            os.waitpid(pid, 0)
            serials.append(int(os.read(read, 100)))
            os.close(read)
            # its worker ends once its pipes close; one worker at a time is the zygote's contract (a session ends
            # its worker before it forks the next), so the next child forks only when this worker is gone
            gone_by = time.monotonic() + 30
            while zygote.group.pids() - zygote.base and time.monotonic() < gone_by:
                time.sleep(0.05)
        assert serials[0] != serials[1]
    finally:
        zygote.close()


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(CHROMIUM is None and not os.environ.get("CI"), reason="no Chromium here (.ci/run installs it)")
def test_the_class_report_renders_its_charts_in_a_browser(tmp_path, make_class):
    students = make_class(tmp_path / "class")
    out = tmp_path / "out"
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(out)).returncode == 0
    page = (out / "report.html").read_text()
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page, "self-contained"
    assert CHROMIUM is not None, "CI must have Chromium"
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
         "--disable-background-networking", "--disable-component-update", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=3000", "--dump-dom", (out / "report.html").as_uri()],
        capture_output=True, text=True, timeout=120).stdout
    body = dom[dom.index("<body"):dom.index(">", dom.index("<body"))]
    tests = len(json.loads((out / "ok0" / RESULTS).read_text())["tests"])
    reports = [json.loads((out / s / RESULTS).read_text()) for s in students]
    mistakes = {m for report in reports for m in report["extra_data"]["diagnosed_mistakes"]}
    # drawn: each non-empty score bin (of ten), 3 tasks, every test, each diagnosed mistake, the slowest ones
    bins = {min(9, int(10 * report["score"] / UNIT.max_score)) for report in reports}
    expected = len(bins) + len(UNIT.tasks) + tests + len(mistakes) + min(10, len(students))
    assert 'data-charts="5"' in body, body
    assert f'data-bars="{expected}"' in body, body
    # the similar pairs: one collapsible side-by-side view each, with the matching code marked
    pairs = list(csv.DictReader((out / "similarity.csv").open()))
    assert pairs and f'data-pairs="{len(pairs)}"' in body, body
    marks = int(body.split('data-marks="')[1].split('"')[0])
    assert marks >= 2 * len(pairs), body


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


@pytest.mark.skipif(not _installed("nbgrader") and not os.environ.get("CI"), reason="nbgrader is not installed")
def test_the_nbgrader_gradebook_agrees_with_the_reports(tmp_path, make_class):
    make_class(tmp_path / "ps1")
    out, database = tmp_path / "out", f"sqlite:///{tmp_path / 'gradebook.db'}"
    done = cli("grade-all", str(tmp_path / "ps1"), "--out", str(out), "--nbgrader-db", database)
    assert done.returncode == 0, done.stderr
    assert "recorded 6 students in the nbgrader gradebook" in done.stdout
    # nbgrader's own command reads the gradebook back
    exported = tmp_path / "export.csv"
    nbgrader = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--CourseDirectory.db_url={database}",
                               f"--to={exported}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert nbgrader.returncode == 0, nbgrader.stderr
    rows = {row["student_id"]: row for row in csv.DictReader(exported.open())}
    ours = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert set(rows) == set(ours) == {p.name for p in (tmp_path / "ps1").iterdir()}
    for student, row in rows.items():
        report = json.loads((out / student / RESULTS).read_text())
        assert row["assignment"] == "ps1"
        assert float(row["score"]) == pytest.approx(report["score"]) == pytest.approx(float(ours[student]["score"]))
        assert float(row["max_score"]) == UNIT.max_score
    # a re-run updates the gradebook in place
    again = cli("grade-all", str(tmp_path / "ps1"), "--out", str(out), "--nbgrader-db", database, "--force")
    assert again.returncode == 0 and "recorded 6 students" in again.stdout
    # under another assignment's name (nothing to regrade: the grades are up to date)
    named = cli("grade-all", str(tmp_path / "ps1"), "--out", str(out), "--nbgrader-db", database,
                "--nbgrader-assignment", "week1")
    assert named.returncode == 0 and "up to date 6" in named.stdout and "(assignment week1)" in named.stdout
    nbgrader = subprocess.run([sys.executable, "-m", "nbgrader", "export", f"--CourseDirectory.db_url={database}",
                               f"--to={exported}"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert nbgrader.returncode == 0, nbgrader.stderr
    week1 = [row for row in csv.DictReader(exported.open()) if row["assignment"] == "week1"]
    assert {row["student_id"] for row in week1} == set(ours)


def test_ctrl_c_stops_cleanly_and_keeps_what_is_done(tmp_path):
    process, folder, out = batch_under_way(tmp_path, 3)
    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole process group
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "interrupted;" in stderr and "Traceback" not in stderr
    done = {p.parent.name for p in out.glob(f"*/{RESULTS}")}
    rows = {row["student"]: row["status"] for row in csv.DictReader((out / "grades.csv").open())}
    assert {s for s, status in rows.items() if status == "graded"} == done and len(rows) == 24
    again = cli("grade-all", str(folder), "--out", str(out))
    assert f"graded {24 - len(done)}, up to date {len(done)}," in again.stdout


def test_zips_and_notebooks_are_students_too_and_nothing_is_extracted(tmp_path):
    import zipfile

    from grader.authoring.release import source_notebook

    folder = tmp_path / "class"
    folder.mkdir()
    with zipfile.ZipFile(folder / "zipped.zip", "w") as archive:  # modules one level down, as students zip them
        for module in UNIT.modules:
            archive.write(UNIT.source_dir / f"{module}.py", f"my work/{module}.py")
        archive.writestr("../../escaped.py", "print('never written anywhere')\n")
    (folder / "notebook.ipynb").write_text(json.dumps(source_notebook(UNIT)))
    (folder / "broken.zip").write_bytes(b"PK\x03\x04 this is no archive")
    nested = folder / "nested"
    shutil.copytree(UNIT.source_dir, nested / "exercises")
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in out.glob(f"*/{RESULTS}")}
    assert scores == {"zipped": 10, "notebook": 10, "broken": 0, "nested": 10}
    broken = json.loads((out / "broken" / RESULTS).read_text())
    assert "the archive broken.zip cannot be read" in broken["output"]
    assert not list(tmp_path.rglob("escaped.py")) and not list(Path("/tmp").glob("escaped.py"))
    # a change one level down in a folder is a change: that student is graded again
    module = nested / "exercises" / "arith.py"
    module.write_text(module.read_text().replace("return 2 * x", "return x + 2"))
    again = cli("grade-all", str(folder), "--out", str(out))
    assert "graded 1, up to date 3," in again.stdout
    assert json.loads((out / "nested" / RESULTS).read_text())["score"] < 10


def test_grading_a_class_again_in_another_language_gives_feedback_in_it(tmp_path, make_class):
    make_class(tmp_path / "class")
    out = tmp_path / "out"
    assert cli("grade-all", str(tmp_path / "class"), "--out", str(out)).returncode == 0
    assert (out / "stubs" / "feedback.md").read_text().startswith("# Feedback: ")
    again = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--lang", "zh")
    assert again.returncode == 0 and "graded 6, up to date 0," in again.stdout
    assert (out / "stubs" / "feedback.md").read_text().startswith("# 反馈：")
    same = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--lang", "zh")
    assert "graded 0, up to date 6," in same.stdout
