"""The late policy: due dates with time zones, a grace period, penalties per hour or day with a cap, a ladder,
the last accepted time; submission times from a times file, Gradescope's metadata or git; the raw score and the
penalty kept apart in every report, in both languages."""

import csv
import json
import os
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from grader.classwork.batch import grade_all
from grader.classwork.outputs import RESULTS
from grader.classwork.times import git_times, read_times_file, times_of
from grader.model.course import CourseError, Limits, load_course
from grader.model.late import LatePolicy, assess, describe_duration, parse_duration, parse_time
from grader.rendering.feedback import Feedback, markdown
from grader.rendering.reports import gradescope, table
from grader.rendering.scoring import score_run
from grader.running.pipeline import run_suites

SEED = 1234
POLICY = """
    late:
      due: 2026-12-01T23:59:00+08:00
      late_due: 2026-12-04T23:59:00+08:00
      timezone: Asia/Shanghai
      grace: 10m
      penalty: {per: day, percent: 10, cap: 25}
"""
SHANGHAI = timezone(timedelta(hours=8))


def policy(text: str = POLICY) -> LatePolicy:
    return LatePolicy.model_validate(yaml.safe_load(text)["late"])


def with_policy(root: Path, text: str = POLICY) -> Path:
    """The course at ``root`` with ``text`` (a `late:` block) added to its first unit."""
    path = root / "course.yaml"
    course = path.read_text()
    start = course.index("  - id: mini\n") + len("  - id: mini\n")
    path.write_text(course[:start] + text.lstrip("\n") + course[start:])
    return root


def at(text: str) -> datetime:
    return parse_time(text)


# --- the policy itself -----------------------------------------------------------------------


@pytest.mark.parametrize(("submitted", "percent", "penalty", "score"), [
    ("2026-12-01T23:59:00+08:00", 0, 0, 8),  # at the due time
    ("2026-12-01T12:00:00+08:00", 0, 0, 8),  # early
    ("2026-12-02T00:05:00+08:00", 0, 0, 8),  # within the grace period
    ("2026-12-02T00:09:00+08:00", 0, 0, 8),  # at its end
    ("2026-12-02T00:09:01+08:00", 10, 0.8, 7.2),  # a day started
    ("2026-12-02T23:59:00+08:00", 10, 0.8, 7.2),  # a whole day late
    ("2026-12-03T00:00:00+08:00", 20, 1.6, 6.4),  # the second day started
    ("2026-12-04T23:00:00+08:00", 25, 2.0, 6.0),  # the cap
])
def test_a_penalty_per_started_day_with_a_grace_period_and_a_cap(submitted, percent, penalty, score):
    late = assess(policy(), at(submitted), raw_score=8, max_score=10)
    assert (late.percent, late.penalty, late.score, late.refused) == (percent, pytest.approx(penalty), score, False)


def test_after_the_last_accepted_time_the_score_is_zero_and_the_raw_score_is_kept():
    late = assess(policy(), at("2026-12-05T00:00:00+08:00"), raw_score=8, max_score=10)
    assert late.refused and late.score == 0 and late.raw_score == 8 and late.penalty == 8
    assert late.as_data()["late_by_seconds"] == 3 * 86400 + 60


def test_time_zones_name_the_same_instant_however_it_is_written():
    rules = policy()
    same = [at("2026-12-02T02:00:00+08:00"), at("2026-12-01T18:00:00Z"), at("2026-12-01T10:00:00-08:00"),
            rules.read_time("2026-12-02 02:00"), rules.read_time("2026-12-02T02:00:00.123+08:00")]
    lates = {round(assess(rules, moment, 8, 10).late_by.total_seconds()) for moment in same}
    assert lates == {2 * 3600 + 60}
    # a time without an offset is read in the policy's zone; without a zone it is refused, not guessed
    without_zone = policy(POLICY.replace("      timezone: Asia/Shanghai\n", ""))
    with pytest.raises(ValueError, match="no time zone"):
        without_zone.read_time("2026-12-02 02:00")
    # a named zone follows its daylight-saving time: 23:59 in Berlin is UTC+1 in December, UTC+2 in July
    berlin = policy(POLICY.replace("2026-12-01T23:59:00+08:00", "'2026-07-01 23:59'")
                    .replace("2026-12-04T23:59:00+08:00", "'2026-07-04 23:59'")
                    .replace("Asia/Shanghai", "Europe/Berlin"))
    assert berlin.due == datetime(2026, 7, 1, 21, 59, tzinfo=timezone.utc)


def test_a_penalty_per_hour_of_the_units_points_and_a_ladder():
    hourly = policy(POLICY.replace("{per: day, percent: 10, cap: 25}", "{per: hour, percent: 2, of: max_score}")
                    .replace("grace: 10m", "grace: 0s"))
    late = assess(hourly, at("2026-12-02T02:30:00+08:00"), raw_score=8, max_score=10)
    assert (late.percent, late.penalty, late.score) == (6, pytest.approx(0.6), pytest.approx(7.4))
    # of the unit's points, but never below 0
    assert assess(hourly, at("2026-12-04T20:00:00+08:00"), raw_score=1, max_score=10).score == 0
    ladder = policy(POLICY.replace("{per: day, percent: 10, cap: 25}",
                                   "{ladder: [{within: 1h, percent: 5}, {within: 1d, percent: 20}, "
                                   "{within: 3d, percent: 50}]}").replace("grace: 10m", "grace: 0s"))
    steps = [("2026-12-02T00:30:00+08:00", 5), ("2026-12-02T01:00:00+08:00", 20), ("2026-12-03T00:00:00+08:00", 50),
             ("2026-12-04T23:00:00+08:00", 50)]
    assert [assess(ladder, at(t), 10, 10).percent for t, _ in steps] == [p for _, p in steps]


def test_a_ladder_step_includes_its_own_edge():
    ladder = policy(POLICY.replace("{per: day, percent: 10, cap: 25}",
                                   "{ladder: [{within: 1h, percent: 5}, {within: 1d, percent: 20}]}")
                    .replace("grace: 10m", "grace: 0s"))
    due = ladder.due
    edges = [(timedelta(seconds=1), 5), (timedelta(hours=1), 5), (timedelta(hours=1, microseconds=1), 20),
             (timedelta(days=1), 20), (timedelta(days=1, seconds=1), 20)]
    assert [assess(ladder, due + late_by, 10, 10).percent for late_by, _ in edges] == [p for _, p in edges]


@pytest.mark.parametrize(("change", "message"), [
    (("2026-12-01T23:59:00+08:00", "2026-12-01"), "give the time of day too"),
    (("Asia/Shanghai", "Mars/Olympus"), "not a time zone"),
    (("2026-12-04T23:59:00+08:00", "2026-11-30T00:00:00+08:00"), "`late_due` must come after `due`"),
    (("{per: day, percent: 10, cap: 25}", "{per: week, percent: 10}"), "'hour' or 'day'"),
    (("{per: day, percent: 10, cap: 25}", "{per: day}"), "needs `per` (hour or day) and `percent`"),
    (("{per: day, percent: 10, cap: 25}", "{per: day, percent: 120}"), "less than or equal to 100"),
    (("grace: 10m", "grace: soon"), "not a duration"),
    (("{per: day, percent: 10, cap: 25}", "{ladder: [{within: 2d, percent: 10}, {within: 1d, percent: 20}]}"),
     "increasing order"),
])
def test_a_broken_policy_is_refused_with_its_line(mini_copy, change, message):
    with_policy(mini_copy, POLICY.replace(*change))
    with pytest.raises(CourseError) as error:
        load_course(mini_copy)
    line = next(line for line in str(error.value).splitlines() if message in line)
    assert line.startswith("course.yaml:1") and "units[0].late" in line, line


def test_durations_are_read_and_said_in_both_languages():
    assert parse_duration("1d 6h") == timedelta(hours=30) and parse_duration("90s") == timedelta(seconds=90)
    assert describe_duration(timedelta(days=1, hours=3, minutes=5)) == "1 day 3 hours"
    assert describe_duration(timedelta(minutes=1, seconds=30), "zh") == "1 分钟 30 秒"


# --- in the reports --------------------------------------------------------------------------


def test_every_report_keeps_the_raw_score_and_the_penalty_apart_in_both_languages(mini_copy):
    unit = load_course(with_policy(mini_copy)).unit()
    run = run_suites(unit, unit.source_dir, seed=SEED)
    score = score_run(unit, run, at("2026-12-03T10:00:00Z"))  # 1 day 18 hours late: 20%
    assert (score.raw, score.penalty, score.score) == (10, 2, 8)
    report = gradescope(score, run, Feedback.for_unit(unit))
    assert report["score"] == 8 and sum(test["score"] for test in report["tests"]) == pytest.approx(10)
    assert report["extra_data"]["raw_score"] == 10
    assert report["extra_data"]["late"] == {
        "submitted_at": "2026-12-03T10:00:00+00:00", "due": "2026-12-01T23:59:00+08:00",
        "late_by_seconds": 42 * 3600 + 60, "percent": 20, "penalty": 2, "raw_score": 10, "refused": False}
    english = ("Submitted 1 day 18 hours late (due 2026-12-01 23:59 UTC+08:00): 20% off, 2 points; "
               "10 before the penalty.")
    assert english in report["output"].splitlines()
    assert english in markdown(unit, score, run, Feedback.for_unit(unit)).splitlines()
    assert english in table(score, run, "t", Feedback.for_unit(unit)).splitlines()
    chinese = "迟交 1 天 18 小时（截止时间 2026-12-01 23:59 UTC+08:00）：扣除 20%，即 2 分；扣分前为 10 分。"
    assert chinese in markdown(unit, score, run, Feedback.for_unit(unit, "zh")).splitlines()
    refused = score_run(unit, run, at("2026-12-06T00:00:00+08:00"))
    page = markdown(unit, refused, run, Feedback.for_unit(unit, "zh"))
    assert "已超过最晚接受时间（2026-12-04 23:59 UTC+08:00）：本次提交记 0 分（扣分前为 10 分）" in page
    on_time = markdown(unit, score_run(unit, run, at("2026-12-01T20:00:00+08:00")), run, Feedback.for_unit(unit))
    assert "Submitted on time (2026-12-01 20:00 UTC+08:00; due 2026-12-01 23:59 UTC+08:00)." in on_time
    grace = markdown(unit, score_run(unit, run, at("2026-12-02T00:05:00+08:00")), run, Feedback.for_unit(unit))
    assert "within the grace period of 10 minutes: no penalty." in grace
    # no time: nothing is taken, and the page says nothing of lateness
    unknown = score_run(unit, run)
    assert unknown.score == unknown.raw == 10 and unknown.late is None
    assert "late" not in markdown(unit, unknown, run, Feedback.for_unit(unit)).lower()


def test_the_autograder_reads_the_time_from_gradescopes_metadata(mini_copy, cli, tmp_path):
    course = with_policy(mini_copy)
    metadata = {"id": 1, "created_at": "2026-12-02T12:30:00.365935+08:00",
                "assignment": {"due_date": "2026-12-01T23:59:00.000000+08:00", "late_due_date": None,
                               "title": "Mini", "total_points": "10.0"},
                "users": [{"email": "s@example.com", "id": 4242, "name": "S"}], "previous_submissions": []}
    (tmp_path / "submission_metadata.json").write_text(json.dumps(metadata))
    done = cli("grade", str(course / "solutions"), "--metadata", str(tmp_path / "submission_metadata.json"),
               "--json", str(tmp_path / "results.json"), course=course)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["score"] == 9 and report["extra_data"]["late"]["submitted_at"] == "2026-12-02T12:30:00.365935+08:00"
    assert report["extra_data"]["student"] == "s@example.com"  # no Student ID: the email, never Gradescope's id
    assert "Submitted 12 hours 31 minutes late" in done.stdout
    # --submitted-at wins; a broken one is refused
    given = cli("grade", str(course / "solutions"), "--submitted-at", "2026-12-01T10:00:00Z", course=course)
    assert "Total: 10/10" in given.stdout
    broken = cli("grade", str(course / "solutions"), "--submitted-at", "last week", course=course)
    assert broken.returncode == 2 and "--submitted-at: 'last week' is not an ISO 8601 time" in broken.stderr
    # no time at all: no penalty, and it is said
    silent = cli("grade", str(course / "solutions"), course=course)
    assert "Total: 10/10" in silent.stdout
    assert "no submission time was given" in silent.stderr and "no late penalty applied" in silent.stderr


def test_a_class_with_a_times_file(mini_copy, cli, tmp_path):
    course = with_policy(mini_copy)
    folder = tmp_path / "class"
    folder.mkdir()
    for student in ("early", "in_grace", "late", "too_late", "no_time", "bad_time"):
        shutil.copytree(course / "solutions", folder / student)
    times = tmp_path / "times.csv"
    times.write_text("student,submitted_at\nearly,2026-12-01T20:00:00+08:00\nin_grace,2026-12-02 00:05\n"
                     "late,2026-12-02T08:00:00Z\ntoo_late,2026-12-05T00:00:00+08:00\nbad_time,tomorrow\n")
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out), "--submitted-at", str(times), "--no-similarity",
               course=course)
    assert done.returncode == 0, done.stderr
    assert "times.csv:6: 'tomorrow' is not an ISO 8601 time" in done.stderr
    said = [line for line in done.stderr.splitlines() if "no submission time for" in line]
    assert said == ["grader: no submission time for 2 of 6 students, so no late penalty for them: bad_time, no_time"]
    rows = {row["student"]: row for row in csv.DictReader((out / "grades.csv").open())}
    assert list(rows["late"])[:6] == ["student", "raw_score", "late_by", "penalty", "score", "max_score"]
    seen = {s: (r["raw_score"], r["late_by"], r["penalty"], r["score"]) for s, r in rows.items()}
    assert seen == {"early": ("10", "0", "0", "10"), "in_grace": ("10", "0.1", "0", "10"),
                    "late": ("10", "16.02", "1", "9"), "too_late": ("10", "72.02", "10", "0"),
                    "no_time": ("10", "", "0", "10"), "bad_time": ("10", "", "0", "10")}
    assert "Submitted 16 hours 1 minute late" in (out / "late" / "feedback.md").read_text()
    # a changed time regrades that student only
    times.write_text(times.read_text().replace("2026-12-02T08:00:00Z", "2026-12-01T10:00:00Z"))
    again = cli("grade-all", str(folder), "--out", str(out), "--submitted-at", str(times), "--no-similarity",
                course=course)
    assert "graded 1, up to date 5" in again.stdout
    assert json.loads((out / "late" / RESULTS).read_text())["score"] == 10


@pytest.mark.parametrize("created_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                        "1969-12-31T23:59:59Z", "2026-12-02T12:30:00" + "0" * 500 + "+08:00"])
def test_a_time_no_one_can_use_gets_no_penalty_and_the_report_is_written(mini_copy, cli, tmp_path, created_at):
    course = with_policy(mini_copy)
    (tmp_path / "submission_metadata.json").write_text(json.dumps({"created_at": created_at, "users": [{"id": 7}]}))
    done = cli("grade", str(course / "solutions"), "--metadata", str(tmp_path / "submission_metadata.json"),
               "--json", str(tmp_path / "results.json"), course=course)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "no late penalty applied" in done.stderr
    assert "no usable time" in done.stderr or "longer than 64 characters" in done.stderr, done.stderr
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["score"] == 10 and report["extra_data"]["late"] is None
    # given on the command line, it is the instructor's mistake: a usage error with the reason
    given = cli("grade", str(course / "solutions"), "--submitted-at", created_at, course=course)
    assert given.returncode == 2 and "--submitted-at: " in given.stderr and "Traceback" not in given.stderr


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1969-12-31T23:59:59Z",
                                  "0001-01-01T00:00:00", "9999-12-31T23:59:59.999999+00:00", "2" * 100])
def test_a_time_outside_the_years_that_can_be_used_is_refused_when_read(text):
    with pytest.raises(ValueError, match="no usable time|longer than 64 characters"):
        parse_time(text, timezone(timedelta(hours=-12)))


def test_a_times_file_with_a_cell_past_the_csv_limit_names_that_row_and_reads_the_others(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("id,time\na,2026-12-01T10:00:00Z\nb," + "9" * 200_000 + "\nc,2026-12-01T11:00:00Z\n"
                    "d,0001-01-01T00:00:00+14:00\n")
    found = read_times_file(path, policy())
    assert found.times == {"a": at("2026-12-01T10:00:00Z"), "c": at("2026-12-01T11:00:00Z")}
    assert found.problems == ["times.csv:3: a cell is longer than 128 KiB; row left out",
                              "times.csv:5: '0001-01-01T00:00:00+14:00' is no usable time (not between 1970 and 9000)"]


def test_a_problem_with_a_times_file_is_one_line_whatever_the_id_holds(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text('"a\nb",2026-12-01T10:00:00Z\n"\u202eb",2026-12-01T11:00:00Z\n')
    found = read_times_file(path, policy())
    assert found.times == {}
    assert found.problems == [
        "times.csv:2: a\\nb cannot be a student's id: it holds the invisible character U+000A",
        "times.csv:3: \\u202eb cannot be a student's id: it holds the invisible character U+202E"]


def test_a_times_file_finds_each_student_by_their_id_made_canonical(tmp_path):
    """A row is an id as a submission's name is: without the spaces a spreadsheet leaves around a cell, in NFC,
    found without case. A student named with a space at an end cannot exist (the class is refused), so a row
    written " alice" can only be alice's: the penalty never moves to another student."""
    path = tmp_path / "times.csv"
    path.write_text(" Alice ,2026-12-01T10:00:00Z\ncafe\u0301,2026-12-01T11:00:00Z\nBOB,2026-12-01T12:00:00Z\n"
                    "bob,2026-12-01T13:00:00Z\n")
    found = read_times_file(path, policy())
    assert found.problems == ["times.csv:4: bob appears again; the later row counts"]
    assert times_of(found, ["alice", "caf\u00e9", "bob", "dan"]) == {
        "alice": at("2026-12-01T10:00:00Z"), "caf\u00e9": at("2026-12-01T11:00:00Z"),
        "bob": at("2026-12-01T13:00:00Z")}


def test_a_times_file_is_read_strictly(tmp_path):
    path = tmp_path / "times.csv"
    path.write_bytes("\ufeffid,time\na,2026-12-01T10:00:00Z\n,2026-12-01T10:00:00Z\nb\na,2026-12-01T11:00:00Z\n"
                     .encode())
    found = read_times_file(path, policy())
    assert found.times == {"a": at("2026-12-01T11:00:00Z")}
    assert found.problems == ["times.csv:3: expected a student id and a time", "times.csv:4: expected a student id "
                              "and a time", "times.csv:5: a appears again; the later row counts"]
    with pytest.raises(ValueError, match="not UTF-8"):
        path.write_bytes(b"\xff\xfe\x00")
        read_times_file(path, policy())


@pytest.mark.skipif(shutil.which("git") is None and not os.environ.get("CI"), reason="git is not installed")
def test_git_commit_times_and_a_repository_that_tries_to_run_something(tmp_path):
    repo = tmp_path / "alice"
    repo.mkdir()
    environment = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@x", "GIT_COMMITTER_NAME": "a",
                   "GIT_COMMITTER_EMAIL": "a@x", "GIT_COMMITTER_DATE": "2026-12-02T03:04:05+08:00",
                   "GIT_AUTHOR_DATE": "2026-11-01T00:00:00+00:00", "GIT_CONFIG_NOSYSTEM": "1",
                   "GIT_CONFIG_GLOBAL": os.devnull}
    git = lambda *args: subprocess.run(["git", *args], cwd=repo, env=environment, check=True,  # noqa: E731
                                       capture_output=True).stdout.decode()
    git("init", "-q")
    git("commit", "-q", "--allow-empty", "-m", "work")
    # a commit that claims a signature: checking it runs the repository's own gpg.program
    tree = git("log", "-1", "--format=%T").strip()
    (tmp_path / "commit").write_text(f"tree {tree}\nauthor a <a@x> 1764000000 +0000\ncommitter a <a@x> 1796177045 "
                                     "+0800\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n x\n -----END PGP "
                                     "SIGNATURE-----\n\nsigned\n")
    git("update-ref", "HEAD", git("hash-object", "-t", "commit", "-w", str(tmp_path / "commit")).strip())
    planted, program = tmp_path / "PLANTED", tmp_path / "evil.sh"
    program.write_text(f"#!/bin/sh\ntouch {planted}\n")
    program.chmod(0o755)
    with (repo / ".git" / "config").open("a") as config:
        config.write(f"[log]\n\tshowSignature = true\n[gpg]\n\tprogram = {program}\n"
                     f"[core]\n\tfsmonitor = {program}\n\tpager = {program}\n")
    git("log", "-1", "--format=%cI")  # the trap is live: an ordinary git command springs it
    assert planted.exists()
    planted.unlink()
    (tmp_path / "bob").mkdir()
    found = git_times({"alice": repo, "bob": tmp_path / "bob"}, Limits())
    assert found.times == {"alice": at("2026-12-02T10:04:05+08:00")}  # the committer's time, not the author's
    assert found.problems == ["bob: not a git repository"]
    assert not planted.exists()


def test_without_a_policy_a_time_changes_nothing(mini, tmp_path):
    out = tmp_path / "out"
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copytree(mini.source_dir, folder / "s")
    grade_all(mini, folder, out, seed=SEED, jobs=1, times={"s": at("2030-01-01T00:00:00Z")})
    report = json.loads((out / "s" / RESULTS).read_text())
    assert report["score"] == 10 and report["extra_data"]["late"] is None and report["extra_data"]["raw_score"] == 10
