"""``grader grade-all``: a class graded, its grades, report, similarity and gradebook."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from ..model.course import Unit
from ..rendering.inert import visible
from .common import (
    UsageError,
    count,
    feedback_of,
    listed,
    no_policy_note,
    no_time_note,
    run_options,
    share,
    unit_of,
)
from .exports import lms_exports, lms_options, say_left_out, say_pending


def class_times(unit: Unit, args: argparse.Namespace, entries: list[Any]) -> dict[str, datetime]:
    """Each student's submission time for the late policy (``--submitted-at TIMES.csv`` or ``git``); what is
    missing or unreadable is said once, and costs no one a penalty."""
    from ..classwork.times import git_times, read_times_file, times_of

    policy, given = unit.model.late, args.submitted_at
    if policy is None:
        if given:
            no_policy_note(unit)
        return {}
    if not given:
        no_time_note(unit, policy, "--submitted-at TIMES.csv, or git")
        return {}
    if given == "git":
        found = git_times({entry.student: entry.path for entry in entries}, unit.limits, args.sandbox,
                          max(1, args.jobs or os.cpu_count() or 1))
    else:
        try:
            found = read_times_file(Path(given), policy)
        except ValueError as error:
            raise UsageError(f"--submitted-at: {error}") from None
    for problem in found.problems:
        print(f"  ! {visible(problem)}", file=sys.stderr)
    times = times_of(found, [entry.student for entry in entries])
    missing = sorted(entry.student for entry in entries if entry.student not in times)
    if missing:
        print(f"grader: no submission time for {len(missing)} of {len(entries)} students, so no late penalty for "
              f"them: {listed(missing)}", file=sys.stderr)
    return times


def overlapping(folder: Path, out: Path) -> bool:
    """Whether OUT and the class folder are one, or one holds the other (a student's entry could then stand where
    the grader writes, or the grader's files be taken for submissions)."""
    mine, theirs = out.resolve(), folder.resolve()
    return mine == theirs or mine.is_relative_to(theirs) or theirs.is_relative_to(mine)


def similarity_section(unit: Unit, entries: list[Any], out: Path, args: argparse.Namespace) -> str:
    """Compare the class's code (after grading, timed on its own); the class report's section."""
    from ..classwork.class_report import similarity_section
    from ..classwork.similarity import CSV, available, compare_class, write_csv

    if args.no_similarity or not available():
        why = ("turned off (--no-similarity)" if args.no_similarity else
               "copydetect is not installed (python3 -m pip install 'convgrader[batch]')")
        if not args.no_similarity:
            print(f"similarity: not computed: {why}", file=sys.stderr)
        (out / CSV).unlink(missing_ok=True)  # never an earlier run's pairs beside this run's grades
        return similarity_section(None, why)
    print(f"similarity: comparing the code of {len(entries)} submissions ...", file=sys.stderr)
    result = compare_class(unit, entries, args.similarity_threshold, args.similarity_common,
                           max(1, args.jobs or os.cpu_count() or 1), args.sandbox, out)
    write_csv(out, result)
    print(f"similarity: {count(len(result.pairs), 'pair', 'pairs')} at or above {result.threshold:.0%} alike among "
          f"{result.compared} submissions in {result.seconds:.1f} s; pairs in {out / CSV} (a flag for a person, "
          "not a grade)")
    for student, why in sorted(result.left_out.items()):
        print(f"  ! {visible(student)}: not compared: {visible(why)}")
    return similarity_section(result)


def cmd_grade_all(args: argparse.Namespace) -> int:
    from ..classwork.batch import grade_all
    from ..classwork.class_outputs import graded_class, write_class_outputs
    from ..classwork.cluster import ClusterError
    from ..classwork.discovery import BadClass, survey
    from ..classwork.exports import write_nbgrader
    from ..model.identity import key

    unit = unit_of(args)
    feedback = feedback_of(unit, args)
    folder, out = Path(args.folder), Path(args.out)
    if overlapping(folder, out):
        print(f"grader: --out {visible(str(out))} and the class folder {visible(str(folder))} overlap: what the grader "
              "writes and what the students sent must not be mixed; give --out a folder of its own", file=sys.stderr)
        return 2
    try:
        entries, others = survey(folder)
    except (FileNotFoundError, BadClass) as error:
        print(f"grader: {visible(str(error))}", file=sys.stderr)
        return 2
    print(f"{unit.name(feedback.lang)}: {len(entries)} submissions in {folder}", file=sys.stderr)
    if others:
        shown = ", ".join(visible(name) for name in others[:10]) + (f" and {len(others) - 10} more"
                                                                   if len(others) > 10 else "")
        print(f"  not graded, not a submission (a folder, a .zip or an .ipynb): {shown}", file=sys.stderr)
    if args.executor == "dask" and not args.scheduler:
        print("grader: --executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)", file=sys.stderr)
        return 2
    if args.lms and not args.roster:
        raise UsageError("--lms needs --roster ROSTER.csv (the class list; a Canvas gradebook export will do)")
    # the class in OUT already (graded from another folder, say): one class, whose outputs name every student
    earlier = graded_class(out) if out.is_dir() else None
    known = {key(name): name for name in (earlier.students if earlier else [])}
    twins = [(entry.student, known[key(entry.student)]) for entry in entries
             if key(entry.student) in known and known[key(entry.student)] != entry.student]
    if twins:
        for mine, theirs in twins:
            print(f"grader: {visible(mine)} is the student {visible(theirs)} already graded in {out}: one name per "
                  "student (rename the submission, or remove the other's folder from OUT)", file=sys.stderr)
        return 2
    times = class_times(unit, args, entries)
    students = sorted({entry.student for entry in entries} | set(earlier.students if earlier else []))
    try:
        outcome = grade_all(unit, folder, out, seed=args.seed, jobs=args.jobs, force=args.force, feedback=feedback,
                            sandbox_mode=args.sandbox, progress_stream=sys.stderr,
                            scheduler=args.scheduler if args.executor == "dask" else None, times=times)
    except ClusterError as error:
        print(f"grader: {visible(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        written = write_class_outputs(unit, out, students, feedback)  # the section on similarity kept
        done = sum(1 for _, report in written.reports if report is not None)
        print(f"\ngrader: interrupted; {done} of {len(entries)} students have results in {out} (grades.csv "
              "holds them); run the same command again to grade the rest", file=sys.stderr)
        return 130
    print(f"graded {len(outcome.graded)}, up to date {len(outcome.skipped)}, could not grade {len(outcome.failed)} "
          f"in {outcome.seconds:.1f} s")
    for student, reason in sorted(outcome.failed.items()):
        print(f"  ! {visible(student)}: {visible(reason)}")
    written = write_class_outputs(unit, out, students, feedback, lambda: similarity_section(unit, entries, out, args))
    say_left_out(written)
    print(f"grades in {written.grades}; class report in {written.report}")
    say_pending(written, out)
    if args.nbgrader_db:
        assignment = args.nbgrader_assignment or folder.resolve().name
        recorded = write_nbgrader(unit, args.nbgrader_db, assignment, written.reports)
        print(f"recorded {recorded} students in the nbgrader gradebook {args.nbgrader_db} (assignment {assignment})")
    exported = lms_exports(unit, out, written.reports, args)
    return 1 if outcome.failed or not exported else 0


def register(commands: Any) -> None:
    command = commands.add_parser(
        "grade-all", help="grade a folder of submissions (one folder, .zip or .ipynb per student)",
        description="Grade every submission in FOLDER into OUT; a run again grades only what is missing or changed. "
                    "Exit status: 0 when every submission was graded and every file written; 1 when a submission "
                    "could not be graded or an LMS file could not be written (the others are); 2 when FOLDER is "
                    "missing or its entries clash, an option is wrong or the course is broken; 130 when interrupted "
                    "(what is graded is kept, and grades.csv holds it).")
    command.add_argument("folder", help="a folder holding one submission per student (a folder, a .zip or an .ipynb), "
                         "named by student id")
    command.add_argument("--out", required=True, help="where results, feedback, grades.csv and report.html go")
    command.add_argument("--jobs", type=int, default=None, help="submissions graded at once (default: cores; with "
                         "--executor dask, each worker grades as many at once as it has threads)")
    command.add_argument("--force", action="store_true", help="regrade every submission, even those up to date")
    command.add_argument("--executor", choices=["local", "dask"], default="local",
                         help="local: forked from a warm process here (default); dask: on a Dask distributed cluster")
    command.add_argument("--scheduler", metavar="ADDRESS", help="the Dask scheduler, with --executor dask")
    command.add_argument("--nbgrader-db", metavar="URL", help="also record the grades in this nbgrader gradebook "
                         "(e.g. sqlite:///gradebook.db; needs nbgrader installed, and `alembic` on PATH for a new one)")
    command.add_argument("--nbgrader-assignment", metavar="NAME",
                         help="the assignment's name in the gradebook (default: the submissions folder's name)")
    command.add_argument("--submitted-at", metavar="TIMES", help="when each student submitted, for the unit's late "
                         "policy: a CSV file (student id, ISO 8601 time), or `git` for each repository's last commit")
    command.add_argument("--similarity-threshold", type=share, default=0.6, metavar="SHARE",
                         help="flag pairs whose code is at least this alike, 0 to 1 (default: 0.6)")
    command.add_argument("--similarity-common", type=int, default=10, metavar="N",
                         help="a passage in more than N submissions is shared material, not evidence (default: 10)")
    command.add_argument("--no-similarity", action="store_true", help="do not compare the submissions' code")
    lms_options(command)
    run_options(command, feedback_file=False)  # each student's feedback.md is in OUT
    command.set_defaults(func=cmd_grade_all)
