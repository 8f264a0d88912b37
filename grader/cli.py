"""The ``grader`` command: check, grade, and the instructors' grade-all, stubs, release, validate.

Every command that works on one unit takes ``--unit ID`` (default: the
course's only unit, or the one marked ``default: true``).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from . import __version__
from .model.course import Course, CourseError, Unit, load_course
from .model.files import write_atomically, write_json
from .model.late import describe_time
from .model.messages import LANGUAGES, t
from .model.results import Kind, Run
from .rendering.feedback import Feedback, markdown
from .rendering.guide import PLAIN, TERMINAL, guide
from .rendering.inert import visible
from .rendering.reports import gradescope, table
from .rendering.scoring import Score, score_run
from .running.deadline import run_within
from .running.pipeline import seed_for
from .running.plugin import DEFAULT_SEED
from .trust import policy


def _course(args: argparse.Namespace) -> Course:
    return load_course(Path(args.course) if args.course else None)


def _unit(args: argparse.Namespace) -> Unit:
    return _course(args).unit(args.unit)


def _student(args: argparse.Namespace) -> str | None:
    """Whose numbers: ``--student``, else Gradescope's ``submission_metadata.json`` (its first user), else a
    ``student_id`` file here or at the course's root (a student bundle's README asks for one)."""
    if getattr(args, "student", None):
        return str(args.student).strip()
    if getattr(args, "metadata", None):
        return _metadata_student(Path(args.metadata))
    for folder in (Path.cwd(), Path(args.course) if args.course else None):
        if folder is not None and (folder / "student_id").is_file():
            text = (folder / "student_id").read_text(encoding="utf-8", errors="replace").strip()[:200]
            return text or None
    return None


def _metadata(path: Path) -> dict[str, Any]:
    """Gradescope's ``submission_metadata.json`` ({} when it cannot be read: grading goes on without it)."""
    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("too large")
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError, RecursionError):
        return {}


def _metadata_student(path: Path) -> str | None:
    try:
        return str((_metadata(path).get("users") or [])[0]["id"])
    except (KeyError, IndexError, TypeError):
        print(f"grader: {path} names no student (users[0].id); grading the default variant", file=sys.stderr)
        return None


class UsageError(Exception):
    """A command line the grader cannot act on; the message says why (exit status 2)."""


def _submitted_at(unit: Unit, args: argparse.Namespace) -> datetime | None:
    """When the submission was made, for the unit's late policy: ``--submitted-at``, else the Gradescope
    metadata's ``created_at``. Without a policy there is nothing to apply; without a time, no penalty (said)."""
    policy, given = unit.model.late, getattr(args, "submitted_at", None)
    if policy is None:
        if given:
            print(f"grader: unit {unit.id} has no late policy; --submitted-at changes nothing", file=sys.stderr)
        return None
    if given:
        try:
            return policy.read_time(given)
        except ValueError as error:
            raise UsageError(f"--submitted-at: {error}") from None
    created = _metadata(Path(args.metadata)).get("created_at") if getattr(args, "metadata", None) else None
    if isinstance(created, str):
        try:
            return policy.read_time(created)
        except ValueError as error:
            print(f"grader: {args.metadata}: created_at: {error}; no late penalty applied", file=sys.stderr)
            return None
    print(f"grader: unit {unit.id} is due {describe_time(policy.due, policy.zone)}, but no submission time was "
          "given (--submitted-at, or --metadata with created_at): no late penalty applied", file=sys.stderr)
    return None


def _grade(unit: Unit, path: Path, kind: Kind, args: argparse.Namespace) -> tuple[Score, Run]:
    student = _student(args)
    submitted_at = _submitted_at(unit, args) if kind == "hidden" else None
    run = run_within(unit, path, kind, seed=seed_for(unit, student, args.seed), sandbox_mode=args.sandbox,
                     student=student)
    return score_run(unit, run, submitted_at), run


def cmd_stubs(args: argparse.Namespace) -> int:
    from .authoring.stubs import stale_files, write_stubs

    course = _course(args)
    if args.check:
        stale = stale_files(course.source_dir, course.stubs_dir)
        if stale:
            print(f"{course.model.stubs}/ is out of date with {course.model.source}/: {', '.join(stale)}")
            print("Run `grader stubs` to regenerate it.")
            return 1
        print(f"{course.model.stubs}/ is up to date.")
        return 0
    written = write_stubs(course.source_dir, course.stubs_dir)
    print(f"wrote {len(written)} files to {course.model.stubs}/: {', '.join(written)}")
    return 0


def _feedback(unit: Unit, args: argparse.Namespace) -> Feedback:
    return Feedback.for_unit(unit, args.lang)


def _write(path: str, writer: Callable[[Path], None], what: str) -> bool:
    try:
        writer(Path(path))
    except OSError as error:
        print(f"grader: cannot write the {what} to {path}: {error.strerror or error}", file=sys.stderr)
        return False
    return True


def _submission_path(given: str) -> Path | None:
    """The submission to grade, or None (said on stderr) when nothing is there: a usage error, not a 0."""
    path = Path(given)
    if not path.exists():
        print(f"grader: {given}: no such file or folder", file=sys.stderr)
        return None
    return path


def cmd_grade(args: argparse.Namespace) -> int:
    unit = _unit(args)
    feedback = _feedback(unit, args)
    path = _submission_path(args.path)
    if path is None:
        return 2
    score, run = _grade(unit, path, "hidden", args)
    print(table(score, run, f"{unit.name(feedback.lang)} — {path}", feedback))
    written = True
    if args.json:
        written &= _write(args.json, lambda p: write_json(p, gradescope(score, run, feedback)), "report")
    if args.feedback:
        page = markdown(unit, score, run, feedback)
        written &= _write(args.feedback, lambda p: write_atomically(p, page), "feedback")
    return 0 if written else 1


def _sandbox_here() -> bool:
    """Whether the sandbox (bubblewrap, on Linux) works on this machine."""
    from .trust.bubblewrap import bwrap_works
    from .trust.portable import portable_only

    return not portable_only() and bwrap_works()


def cmd_check(args: argparse.Namespace) -> int:
    unit = _unit(args)
    feedback = _feedback(unit, args)
    path = _submission_path(args.path) if args.path else unit.stubs_dir
    if path is None:
        return 2
    if args.sandbox == "auto" and not _sandbox_here():
        # a student's own machine (Windows, macOS, a Linux without user namespaces): the portable worker, said once
        args.sandbox = "portable"
        print(feedback.say(t("check_cmd.portable")), file=sys.stderr)
    score, run = _grade(unit, path, "public", args)
    coloured = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    print(guide(unit, score, run, str(path), feedback, TERMINAL if coloured else PLAIN))
    if args.feedback:
        page = markdown(unit, score, run, feedback)
        if not _write(args.feedback, lambda p: write_atomically(p, page), "feedback"):
            return 1
    # a failing check fails the command, so a CI run (GitHub Classroom) stays red until the work is right
    return 0 if score.score == score.max_score and not run.intake_problems else 1


def cmd_questions(args: argparse.Namespace) -> int:
    from .kit.questions import answer_key, parameters, questions_of

    unit = _unit(args)
    lang = args.lang or unit.language
    student = _student(args)
    questions = questions_of(unit)
    if not questions:
        print(f"grader: unit {unit.id} has no questions", file=sys.stderr)
        return 2
    if args.write and not args.key:
        raise UsageError("--write writes the answer key: give --key too")
    if args.key:
        if unit.content("code") is None:
            print("grader: no answer key here (the unit's course code is not part of a student bundle)",
                  file=sys.stderr)
            return 2
        if args.write:
            if student is not None:
                raise UsageError("--write writes the solutions' answers, the default variant's: leave out --student")
            from .authoring.keys import write_solutions_key

            path, count = write_solutions_key(unit)
            print(f"wrote the {count} answers of unit {unit.id} into {path} (every other unit's answers kept)")
            return 0
        print(f"# the answers of {student or 'the default variant'}, unit {unit.id}")
        print(yaml.safe_dump(answer_key(unit, student), allow_unicode=True, sort_keys=False), end="")
        return 0
    heading = {"en": f"{unit.name(lang)}: questions for {student or 'the default variant'}",
               "zh": f"{unit.name(lang)}：{student or '默认版本'} 的题目"}
    print(heading.get(lang, heading["en"]))
    for number, question in enumerate(questions, 1):
        print(f"\n{number}. [{question.id}] {question.render(parameters(unit, question, student), lang)}")
        for option, texts in question.choices.items():
            print(f"   {option}) {texts.get(lang) or texts['en']}")  # type: ignore[call-overload]
    return 0


def _class_times(unit: Unit, args: argparse.Namespace, entries: list[Any]) -> dict[str, datetime]:
    """Each student's submission time for the late policy (``--submitted-at TIMES.csv`` or ``git``); what is
    missing or unreadable is said once, and costs no one a penalty."""
    from .classwork.times import git_times, read_times_file

    policy, given = unit.model.late, args.submitted_at
    if policy is None:
        if given:
            print(f"grader: unit {unit.id} has no late policy; --submitted-at changes nothing", file=sys.stderr)
        return {}
    if not given:
        print(f"grader: unit {unit.id} is due {describe_time(policy.due, policy.zone)}, but no submission times "
              "were given (--submitted-at TIMES.csv, or git): no late penalty applied", file=sys.stderr)
        return {}
    if given == "git":
        found = git_times({entry.student: entry.path for entry in entries})
    else:
        try:
            found = read_times_file(Path(given), policy)
        except ValueError as error:
            raise UsageError(f"--submitted-at: {error}") from None
    for problem in found.problems:
        print(f"  ! {visible(problem)}", file=sys.stderr)
    missing = sorted(entry.student for entry in entries if entry.student not in found.times)
    if missing:
        print(f"grader: no submission time for {len(missing)} of {len(entries)} students, so no late penalty for "
              f"them: {_listed(missing)}", file=sys.stderr)
    return found.times


def _listed(names: list[str]) -> str:
    """Students' names on one terminal line: each shown inert (a name may hold any character but ``/``)."""
    return ", ".join(visible(name) for name in names)


def _lms_exports(unit: Unit, out: Path, reports: list[tuple[str, dict[str, Any] | None]],
                 args: argparse.Namespace) -> bool:
    """Write the LMS files asked for (``--lms``) from ``reports`` and the roster; False when it cannot."""
    from .classwork.lms import FILES, RosterError, canvas, moodle, read_roster

    if not args.lms:
        if args.roster:
            print("grader: --roster is read for an LMS file: add --lms canvas or --lms moodle", file=sys.stderr)
        return True
    if not args.roster:
        raise UsageError("--lms needs --roster ROSTER.csv (the class list; a Canvas gradebook export will do)")
    mapping = unit.course.model.roster
    try:
        roster = read_roster(Path(args.roster), args.roster_id or mapping.id)
        scores = {student: float(report["score"]) if report is not None else None for student, report in reports}
        title = args.assignment_title or unit.name(unit.language)
        for lms in dict.fromkeys(args.lms):
            if lms == "canvas":
                export = canvas(unit, scores, roster, mapping, title, args.assignment_id)
            else:
                export = moodle(scores, roster, mapping, title, args.moodle_id)
            write_atomically(out / FILES[lms], export.text)
            graded = len(roster.rows) - len(export.without_grade)
            print(f"{lms}: {out / FILES[lms]}: {len(roster.rows)} roster students, {graded} with a grade")
            if export.without_grade:
                print(f"  {_count(len(export.without_grade), 'roster student has', 'roster students have')} no "
                      f"grade (an empty cell): {_listed(export.without_grade)}")
            if export.without_roster:
                print(f"  {_count(len(export.without_roster), 'graded submission has', 'graded submissions have')} "
                      f"no roster row (left out of the file): {_listed(export.without_roster)}")
    except RosterError as error:
        print(f"grader: {error}", file=sys.stderr)
        return False
    for problem in dict.fromkeys(roster.problems):
        print(f"  ! {visible(problem)}")
    return True


def _similarity_section(unit: Unit, entries: list[Any], out: Path, args: argparse.Namespace) -> str:
    """Compare the class's code (after grading, timed on its own); the class report's section."""
    from .classwork.class_report import similarity_section
    from .classwork.similarity import CSV, available, compare_class, write_csv

    if args.no_similarity or not available():
        why = ("turned off (--no-similarity)" if args.no_similarity else
               "copydetect is not installed (python3 -m pip install 'convgrader[batch]')")
        if not args.no_similarity:
            print(f"similarity: not computed: {why}", file=sys.stderr)
        (out / CSV).unlink(missing_ok=True)  # never an earlier run's pairs beside this run's grades
        return similarity_section(None, why)
    print(f"similarity: comparing the code of {len(entries)} submissions ...", file=sys.stderr)
    result = compare_class(unit, entries, args.similarity_threshold, args.similarity_common,
                           max(1, args.jobs or os.cpu_count() or 1))
    write_csv(out, result)
    print(f"similarity: {_count(len(result.pairs), 'pair', 'pairs')} at or above {result.threshold:.0%} alike among "
          f"{result.compared} submissions in {result.seconds:.1f} s; pairs in {out / CSV} (a flag for a person, "
          "not a grade)")
    for student, why in sorted(result.left_out.items()):
        print(f"  ! {visible(student)}: not compared: {visible(why)}")
    return similarity_section(result)


def cmd_grade_all(args: argparse.Namespace) -> int:
    from .classwork import class_report
    from .classwork.batch import grade_all
    from .classwork.discovery import BadClass, discover
    from .classwork.exports import write_grades_csv, write_nbgrader
    from .classwork.outputs import results

    unit = _unit(args)
    feedback = _feedback(unit, args)
    folder, out = Path(args.folder), Path(args.out)
    try:
        entries = discover(folder)
    except (FileNotFoundError, BadClass) as error:
        print(f"grader: {visible(str(error))}", file=sys.stderr)
        return 2
    print(f"{unit.name(feedback.lang)}: {len(entries)} submissions in {folder}", file=sys.stderr)
    if args.executor == "dask" and not args.scheduler:
        print("grader: --executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)", file=sys.stderr)
        return 2
    if args.lms and not args.roster:
        raise UsageError("--lms needs --roster ROSTER.csv (the class list; a Canvas gradebook export will do)")
    times = _class_times(unit, args, entries)
    try:
        outcome = grade_all(unit, folder, out, seed=args.seed, jobs=args.jobs, force=args.force, feedback=feedback,
                            sandbox_mode=args.sandbox, progress_stream=sys.stderr,
                            scheduler=args.scheduler if args.executor == "dask" else None, times=times)
    except KeyboardInterrupt:
        reports = list(results(out, [e.student for e in entries]))
        write_grades_csv(unit, out, reports)
        done = sum(1 for _, report in reports if report is not None)
        print(f"\ngrader: interrupted; {done} of {len(entries)} students have results in {out} (grades.csv "
              "holds them); run the same command again to grade the rest", file=sys.stderr)
        return 130
    reports = list(results(out, [e.student for e in entries]))
    write_grades_csv(unit, out, reports)
    print(f"graded {len(outcome.graded)}, up to date {len(outcome.skipped)}, could not grade {len(outcome.failed)} "
          f"in {outcome.seconds:.1f} s; grades in {out / 'grades.csv'}")
    for student, reason in sorted(outcome.failed.items()):
        print(f"  ! {visible(student)}: {visible(reason)}")
    section = _similarity_section(unit, entries, out, args)
    write_atomically(out / "report.html", class_report.render(unit, reports, feedback.hints, section))
    print(f"class report in {out / 'report.html'}")
    if args.nbgrader_db:
        assignment = args.nbgrader_assignment or folder.resolve().name
        recorded = write_nbgrader(unit, args.nbgrader_db, assignment, reports)
        print(f"recorded {recorded} students in the nbgrader gradebook {args.nbgrader_db} (assignment {assignment})")
    exported = _lms_exports(unit, out, reports, args)
    return 1 if outcome.failed or not exported else 0


def cmd_export(args: argparse.Namespace) -> int:
    from .classwork.outputs import RESULTS, results

    unit = _unit(args)
    out = Path(args.out)
    if not out.is_dir():
        print(f"grader: {out} is not a folder of graded results (grade-all's --out)", file=sys.stderr)
        return 2
    students = sorted(p.parent.name for p in out.glob(f"*/{RESULTS}"))
    reports = []
    for student, report in results(out, students):
        if report is not None and report.get("extra_data", {}).get("unit", unit.id) != unit.id:
            print(f"  ! {visible(student)}: graded for unit {report['extra_data']['unit']}, not {unit.id}; left out",
                  file=sys.stderr)
            continue
        reports.append((student, report))
    print(f"{unit.name(unit.language)}: {len(reports)} graded students in {out}", file=sys.stderr)
    return 0 if _lms_exports(unit, out, reports, args) else 1


def cmd_release(args: argparse.Namespace) -> int:
    from .authoring.release import release

    unit = _unit(args)
    for path in release(unit, Path(args.out), args.assignment, args.notebook):
        print(f"wrote {path}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .authoring.validate import validate

    course = _course(args)
    units = [course.unit(args.unit)] if args.unit else course.units
    return validate(units, args.seed, args.sandbox)


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def _has(package: str) -> bool:
    """Whether this installation holds ``grader.<package>`` (a student bundle leaves the instructors' out)."""
    return importlib.util.find_spec(f"{__package__}.{package}") is not None


SUBMISSION_HELP = "a submission: a folder laid out like exercises/, a .zip of one, or a notebook (.ipynb)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grader", description="Grade hand-written deep-learning exercises.",
        epilog="Every command exits 2 on a usage error or a broken course (one line per problem) and 130 when "
               "interrupted; `grader COMMAND --help` says what 0 and 1 mean for it.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    parser.add_argument("--course", help="folder holding course.yaml (default: found from here upwards)")
    commands = parser.add_subparsers(dest="command", required=True)

    def unit_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--unit", metavar="ID", help="the unit (default: the only one, or the default one)")

    def run_options(sub: argparse.ArgumentParser, feedback_file: bool = True) -> None:
        unit_option(sub)
        sub.add_argument("--seed", type=int, default=None,
                         help=f"seed of the randomized cases (default: the student's own, else {DEFAULT_SEED})")
        sub.add_argument("--lang", choices=list(LANGUAGES), help="language of the feedback (default: the course's)")
        if feedback_file:
            sub.add_argument("--feedback", metavar="FILE", help="write a Markdown feedback page here")
        sub.add_argument("--sandbox", choices=["auto", "bwrap", "process", "portable"], default="auto",
                         help="isolation of student code (default: the strongest available)")

    def lms_options(sub: argparse.ArgumentParser, required: bool = False) -> None:
        sub.add_argument("--lms", choices=["canvas", "moodle"], action="append", required=required,
                         help="write OUT/canvas.csv or OUT/moodle.csv for the LMS's grade import (repeatable)")
        sub.add_argument("--roster", metavar="CSV", required=required,
                         help="the class list (a Canvas gradebook export will do; see `roster:` in course.yaml)")
        sub.add_argument("--roster-id", metavar="COLUMN", help="the roster column holding each student's id as their "
                         "submission is named (default: course.yaml's roster.id, else 'SIS Login ID')")
        sub.add_argument("--assignment-title", metavar="TITLE", help="the grade column's title (default: the unit's)")
        sub.add_argument("--assignment-id", metavar="ID", help="Canvas: the assignment's id, so the import updates "
                         "that assignment (without one, Canvas creates a new assignment)")
        sub.add_argument("--moodle-id", choices=["email", "idnumber"], default="email",
                         help="Moodle: identify students by email address (default) or ID number")

    def student_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--student", metavar="ID", help="whose numbers the questions are (and whose random cases); "
                         "default: a student_id file here, else the default variant")

    grade = commands.add_parser(
        "grade", help="grade one submission with the hidden suites",
        description="Grade one submission with the hidden suites and print its table. Exit status: 0 when grading "
                    "finished, whatever the score; 1 when a report cannot be written (nothing half-written is left); "
                    "2 when PATH does not exist or the course is broken.")
    student_option(grade)
    grade.add_argument("--metadata", metavar="FILE", help="Gradescope's submission_metadata.json: the student is its "
                       "first user")
    grade.add_argument("path", help=SUBMISSION_HELP)
    grade.add_argument("--json", metavar="FILE", help="write a Gradescope results.json here")
    grade.add_argument("--submitted-at", metavar="TIME", help="when it was submitted (ISO 8601, e.g. "
                       "2026-12-01T23:59:00+08:00), for the unit's late policy (default: --metadata's created_at)")
    run_options(grade)
    grade.set_defaults(func=cmd_grade)

    check = commands.add_parser(
        "check", help="run the public checks (default: on exercises/)",
        description="Run the public checks, task by task, with hints and the next step. Exit status: 0 when "
                    "every check passes, 1 while any fails (or a report cannot be written), 2 when PATH does not "
                    "exist or the course is broken.")
    check.add_argument("path", nargs="?", help=f"{SUBMISSION_HELP} (default: the course's exercises/)")
    student_option(check)
    run_options(check)
    check.set_defaults(func=cmd_check)

    asked = commands.add_parser("questions", help="a student's questions, with their own numbers",
                                description="Print a unit's questions with a student's numbers (--student ID, else a "
                                            "student_id file, else the default variant). Answer them in answers.yaml "
                                            "(question id: answer) beside your modules. Exit status: 0, or 2 "
                                            "when the unit has no questions (or, with --key, no answer key here).")
    unit_option(asked)
    student_option(asked)
    asked.add_argument("--lang", choices=list(LANGUAGES), help="language of the questions (default: the course's)")
    asked.add_argument("--key", action="store_true", help="print the student's answer key in answers.yaml's form "
                       "(instructors: it needs the unit's course code)")
    asked.add_argument("--write", action="store_true", help="with --key: write the default variant's key into the "
                       "solutions' answers.yaml, rewriting this unit's answers only")
    asked.set_defaults(func=cmd_questions)

    if not _has("classwork") or not _has("authoring"):
        return parser  # a student bundle: the instructors' tools are not part of it

    stubs = commands.add_parser(
        "stubs", help="generate the student package from the solutions",
        description="Write the stubs folder from the solutions' SOLUTION regions. Exit status: 0 when written (or, "
                    "with --check, up to date); 1 with --check when it is out of date; 2 for a broken course.")
    stubs.add_argument("--check", action="store_true", help="only report whether it is up to date")
    stubs.set_defaults(func=cmd_stubs)

    batch = commands.add_parser(
        "grade-all", help="grade a folder of submissions (one folder, .zip or .ipynb per student)",
        description="Grade every submission in FOLDER into OUT; a run again grades only what is missing or changed. "
                    "Exit status: 0 when every submission was graded and every file written; 1 when a submission "
                    "could not be graded or an LMS file could not be written (the others are); 2 when FOLDER is "
                    "missing or its entries clash, an option is wrong or the course is broken; 130 when interrupted "
                    "(what is graded is kept, and grades.csv holds it).")
    batch.add_argument("folder", help="a folder holding one submission per student (a folder, a .zip or an .ipynb), "
                       "named by student id")
    batch.add_argument("--out", required=True, help="where results, feedback, grades.csv and report.html go")
    batch.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores)")
    batch.add_argument("--force", action="store_true", help="regrade every submission, even those up to date")
    batch.add_argument("--executor", choices=["local", "dask"], default="local",
                       help="local: forked from a warm process here (default); dask: on a Dask distributed cluster")
    batch.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler, with --executor dask")
    batch.add_argument("--nbgrader-db", metavar="URL", help="also record the grades in this nbgrader gradebook "
                       "(e.g. sqlite:///gradebook.db; needs nbgrader installed, and `alembic` on PATH for a new one)")
    batch.add_argument("--nbgrader-assignment", metavar="NAME",
                       help="the assignment's name in the gradebook (default: the submissions folder's name)")
    batch.add_argument("--submitted-at", metavar="TIMES", help="when each student submitted, for the unit's late "
                       "policy: a CSV file (student id, ISO 8601 time), or `git` for each repository's last commit")
    batch.add_argument("--similarity-threshold", type=_share, default=0.6, metavar="SHARE",
                       help="flag pairs whose code is at least this alike, 0 to 1 (default: 0.6)")
    batch.add_argument("--similarity-common", type=int, default=10, metavar="N",
                       help="a passage in more than N submissions is shared material, not evidence (default: 10)")
    batch.add_argument("--no-similarity", action="store_true", help="do not compare the submissions' code")
    lms_options(batch)
    run_options(batch, feedback_file=False)  # each student's feedback.md is in OUT
    batch.set_defaults(func=cmd_grade_all)

    export = commands.add_parser(
        "export", help="write LMS grade files from a graded class (grade-all's --out), without regrading",
        description="Write Canvas or Moodle grade import files from the results.json files in OUT and a roster. "
                    "Exit status: 0 when written; 1 when a file cannot be written or the roster cannot be read; 2 "
                    "when OUT is not a graded class or the course is broken.")
    export.add_argument("out", metavar="OUT", help="grade-all's --out folder")
    lms_options(export, required=True)
    unit_option(export)
    export.set_defaults(func=cmd_export)

    publish = commands.add_parser(
        "release", help="build student.zip, autograder.zip and the nbgrader notebook",
        description="Build one unit's artefacts in memory, then write them. Exit status: 0 when written; 1 when "
                    "they cannot be written; 2 when the unit cannot be released (one line per problem; nothing is "
                    "written).")
    publish.add_argument("--out", required=True, help="folder to write the artefacts into")
    publish.add_argument("--assignment", help="the nbgrader assignment's name (default: the unit's notebook's)")
    publish.add_argument("--notebook", help="the nbgrader notebook's name (default: the unit's notebook's)")
    unit_option(publish)
    publish.set_defaults(func=cmd_release)

    validate = commands.add_parser(
        "validate", help="check that the course is sound (every unit, or --unit ID)",
        description="Prove each unit sound: solutions full marks, stubs 0, every correct style full marks, every "
                    "known mistake caught with its hint. Exit status: 0 when sound; 1 when a problem was found (each "
                    "is listed); 2 when course.yaml itself is broken.")
    validate.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    validate.add_argument("--sandbox", choices=["auto", "bwrap", "process", "portable"], default="auto",
                          help="isolation of student code (default: the strongest available)")
    validate.add_argument("--unit", metavar="ID", help="validate this unit only (default: every unit)")
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    refused = policy.refusal(getattr(args, "sandbox", "auto"))
    if refused:  # before any work: a whole class would otherwise fail one student at a time
        print(f"grader: {refused}", file=sys.stderr)
        return 2
    try:
        return int(args.func(args))
    except CourseError as error:  # the course itself is broken (course.yaml, solution markers...)
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the grader's own files: a full disk, a missing permission
        where = f" ({error.filename})" if error.filename else ""
        print(f"grader: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
