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
from pathlib import Path

import yaml

from . import __version__
from .model.course import Course, CourseError, Unit, load_course
from .model.files import write_atomically, write_json
from .model.messages import LANGUAGES
from .model.results import Kind, Run
from .rendering.feedback import Feedback, markdown
from .rendering.guide import PLAIN, TERMINAL, guide
from .rendering.reports import gradescope, table
from .rendering.scoring import Score, score_run
from .running.pipeline import run_suites, seed_for
from .running.plugin import DEFAULT_SEED


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


def _metadata_student(path: Path) -> str | None:
    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("too large")
        users = json.loads(path.read_text(encoding="utf-8")).get("users") or []
        return str(users[0]["id"])
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        print(f"grader: {path} names no student (users[0].id); grading the default variant", file=sys.stderr)
        return None


def _grade(unit: Unit, path: Path, kind: Kind, args: argparse.Namespace) -> tuple[Score, Run]:
    student = _student(args)
    run = run_suites(unit, path, kind, seed=seed_for(unit, student, args.seed), sandbox_mode=args.sandbox,
                     student=student)
    return score_run(unit, run), run


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


def cmd_grade(args: argparse.Namespace) -> int:
    unit = _unit(args)
    feedback = _feedback(unit, args)
    path = Path(args.path)
    score, run = _grade(unit, path, "hidden", args)
    print(table(score, run, f"{unit.name(feedback.lang)} — {path}", feedback))
    written = True
    if args.json:
        written &= _write(args.json, lambda p: write_json(p, gradescope(score, run, feedback)), "report")
    if args.feedback:
        page = markdown(unit, score, run, feedback)
        written &= _write(args.feedback, lambda p: write_atomically(p, page), "feedback")
    return 0 if written else 1


def cmd_check(args: argparse.Namespace) -> int:
    unit = _unit(args)
    feedback = _feedback(unit, args)
    path = Path(args.path) if args.path else unit.stubs_dir
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
    if args.key:
        if unit.model.code is None:
            print("grader: no answer key here (the unit's course code is not part of a student bundle)",
                  file=sys.stderr)
            return 2
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


def cmd_grade_all(args: argparse.Namespace) -> int:
    from .classwork import class_report
    from .classwork.batch import discover, grade_all, results
    from .classwork.exports import write_grades_csv, write_nbgrader

    unit = _unit(args)
    feedback = _feedback(unit, args)
    folder, out = Path(args.folder), Path(args.out)
    try:
        entries = discover(folder)
    except FileNotFoundError as error:
        print(f"grader: {error}", file=sys.stderr)
        return 2
    print(f"{unit.name(feedback.lang)}: {len(entries)} submissions in {folder}", file=sys.stderr)
    if args.executor == "dask" and not args.scheduler:
        print("grader: --executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)", file=sys.stderr)
        return 2
    try:
        outcome = grade_all(unit, folder, out, seed=args.seed, jobs=args.jobs, force=args.force, feedback=feedback,
                            sandbox_mode=args.sandbox, progress_stream=sys.stderr,
                            scheduler=args.scheduler if args.executor == "dask" else None)
    except KeyboardInterrupt:
        reports = list(results(out, [e.student for e in entries]))
        write_grades_csv(unit, out, reports)
        done = sum(1 for _, report in reports if report is not None)
        print(f"\ngrader: interrupted; {done} of {len(entries)} students have results in {out} (grades.csv "
              "holds them); run the same command again to grade the rest", file=sys.stderr)
        return 130
    reports = list(results(out, [e.student for e in entries]))
    write_grades_csv(unit, out, reports)
    write_atomically(out / "report.html", class_report.render(unit, reports, feedback.hints))
    if args.nbgrader_db:
        assignment = args.nbgrader_assignment or folder.resolve().name
        recorded = write_nbgrader(unit, args.nbgrader_db, assignment, reports)
        print(f"recorded {recorded} students in the nbgrader gradebook {args.nbgrader_db} (assignment {assignment})")
    print(f"graded {len(outcome.graded)}, up to date {len(outcome.skipped)}, could not grade {len(outcome.failed)} "
          f"in {outcome.seconds:.1f} s; grades in {out / 'grades.csv'}, class report in {out / 'report.html'}")
    for student, reason in sorted(outcome.failed.items()):
        print(f"  ! {student}: {reason}")
    return 1 if outcome.failed else 0


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


def _has(package: str) -> bool:
    """Whether this installation holds ``grader.<package>`` (a student bundle leaves the instructors' out)."""
    return importlib.util.find_spec(f"{__package__}.{package}") is not None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade hand-written deep-learning exercises.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    parser.add_argument("--course", help="folder holding course.yaml (default: found from here upwards)")
    commands = parser.add_subparsers(dest="command", required=True)

    def unit_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--unit", metavar="ID", help="the unit (default: the only one, or the default one)")

    def run_options(sub: argparse.ArgumentParser) -> None:
        unit_option(sub)
        sub.add_argument("--seed", type=int, default=None,
                         help=f"seed of the randomized cases (default: the student's own, else {DEFAULT_SEED})")
        sub.add_argument("--lang", choices=list(LANGUAGES), help="language of the feedback (default: the course's)")
        sub.add_argument("--feedback", metavar="FILE", help="write a Markdown feedback page here")
        sub.add_argument("--sandbox", choices=["auto", "bwrap", "process"], default="auto",
                         help="isolation of student code (default: the strongest available)")

    def student_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument("--student", metavar="ID", help="whose numbers the questions are (and whose random cases); "
                         "default: a student_id file here, else the default variant")

    grade = commands.add_parser("grade", help="grade one submission with the hidden suites")
    student_option(grade)
    grade.add_argument("--metadata", metavar="FILE", help="Gradescope's submission_metadata.json: the student is its "
                       "first user")
    grade.add_argument("path", help="a folder laid out like exercises/")
    grade.add_argument("--json", metavar="FILE", help="write a Gradescope results.json here")
    run_options(grade)
    grade.set_defaults(func=cmd_grade)

    check = commands.add_parser(
        "check", help="run the public checks (default: on exercises/)",
        description="Run the public checks, task by task, with hints and the next step. Exit status: 0 when "
                    "every check passes, 1 while any fails (or a report cannot be written), 2 for a broken course.")
    check.add_argument("path", nargs="?", help="folder to check (default: the course's exercises/)")
    student_option(check)
    run_options(check)
    check.set_defaults(func=cmd_check)

    asked = commands.add_parser("questions", help="a student's questions, with their own numbers",
                                description="Print a unit's questions with a student's numbers (--student ID, else a "
                                            "student_id file, else the default variant). Answer them in answers.yaml "
                                            "(question id: answer) beside your modules.")
    unit_option(asked)
    student_option(asked)
    asked.add_argument("--lang", choices=list(LANGUAGES), help="language of the questions (default: the course's)")
    asked.add_argument("--key", action="store_true", help="print the student's answer key in answers.yaml's form "
                       "(instructors: it needs the unit's course code)")
    asked.set_defaults(func=cmd_questions)

    if not _has("classwork") or not _has("authoring"):
        return parser  # a student bundle: the instructors' tools are not part of it

    stubs = commands.add_parser("stubs", help="generate the student package from the solutions")
    stubs.add_argument("--check", action="store_true", help="only report whether it is up to date")
    stubs.set_defaults(func=cmd_stubs)

    batch = commands.add_parser("grade-all", help="grade a folder of submissions (one sub-folder per student)")
    batch.add_argument("folder", help="a folder holding one submission folder per student, named by student id")
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
    run_options(batch)
    batch.set_defaults(func=cmd_grade_all)

    publish = commands.add_parser("release", help="build student.zip, autograder.zip and the nbgrader notebook")
    publish.add_argument("--out", required=True, help="folder to write the artefacts into")
    publish.add_argument("--assignment", help="the nbgrader assignment's name (default: the unit's notebook's)")
    publish.add_argument("--notebook", help="the nbgrader notebook's name (default: the unit's notebook's)")
    unit_option(publish)
    publish.set_defaults(func=cmd_release)

    validate = commands.add_parser("validate", help="check that the course is sound (every unit, or --unit ID)")
    validate.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the randomized cases")
    validate.add_argument("--sandbox", choices=["auto", "bwrap", "process"], default="auto",
                          help="isolation of student code (default: the strongest available)")
    validate.add_argument("--unit", metavar="ID", help="validate this unit only (default: every unit)")
    validate.set_defaults(func=cmd_validate)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except CourseError as error:  # the course itself is broken (course.yaml, solution markers...)
        print(f"grader: {error}", file=sys.stderr)
        return 2
    except OSError as error:  # the grader's own files: a full disk, a missing permission
        where = f" ({error.filename})" if error.filename else ""
        print(f"grader: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130
