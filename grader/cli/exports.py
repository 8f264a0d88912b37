"""``grader export``: a graded class's outputs made again from its reports and the reviews beside them, without
regrading; and the LMS grade files (grade-all's ``--lms`` too)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..model.course import Unit
from ..model.files import write_below
from ..model.messages import LANGUAGES
from ..rendering.inert import visible
from .common import UsageError, count, feedback_of, graded_folder, listed, unit_of, unit_option

if TYPE_CHECKING:
    from ..classwork.class_outputs import ClassOutputs


def lms_exports(unit: Unit, out: Path, reports: list[tuple[str, dict[str, Any] | None]],
                 args: argparse.Namespace) -> bool:
    """Write the LMS files asked for (``--lms``) from ``reports`` and the roster; False when it cannot."""
    from ..classwork.lms import FILES, RosterError, canvas, moodle, read_roster, wanted_columns
    from ..model.questions import reachable_score
    from ..rendering.feedback import points

    if not args.lms:
        if args.roster:
            print("grader: --roster is read for an LMS file: add --lms canvas or --lms moodle", file=sys.stderr)
        for lms, name in FILES.items():
            if (out / name).is_file():
                print(f"grader: {out / name} is left as an earlier run wrote it: its grades may be older than "
                      f"grades.csv (--lms {lms} --roster R.csv writes it again)", file=sys.stderr)
        return True
    if not args.roster:
        raise UsageError("--lms needs --roster ROSTER.csv (the class list; a Canvas gradebook export will do)")
    mapping = unit.course.model.roster
    try:
        roster = read_roster(Path(args.roster), args.roster_id or mapping.id,
                             wanted_columns(mapping) | {args.roster_id or mapping.id})
        scores = {student: float(report["score"]) if report is not None else None for student, report in reports}
        title = args.assignment_title or unit.name(unit.language)
        for lms in dict.fromkeys(args.lms):
            if lms == "canvas":
                export = canvas(unit, scores, roster, mapping, title, args.assignment_id)
            else:
                export = moodle(scores, roster, mapping, title, args.moodle_id)
            write_below(out, (FILES[lms],), export.text)
            graded = len(roster.rows) - len(export.without_grade)
            print(f"{lms}: {out / FILES[lms]}: {len(roster.rows)} roster students, {graded} with a grade")
            if lms == "moodle":  # its file holds no maximum: the grade item's must be what a score can reach
                print(f"  the grade item's maximum grade in Moodle: {points(reachable_score(unit))}")
            if export.without_grade:
                print(f"  {count(len(export.without_grade), 'roster student has', 'roster students have')} no "
                      f"grade (an empty cell): {listed(export.without_grade)}")
            if export.without_roster:
                print(f"  {count(len(export.without_roster), 'graded submission has', 'graded submissions have')} "
                      f"no roster row (left out of the file): {listed(export.without_roster)}")
    except RosterError as error:
        print(f"grader: {error}", file=sys.stderr)
        return False
    for problem in dict.fromkeys(roster.problems):
        print(f"  ! {visible(problem)}")
    return True


def cmd_export(args: argparse.Namespace) -> int:
    from ..classwork.class_outputs import graded_class, write_class_outputs

    out = graded_folder(args.out)
    if out is None:
        return 2
    found = graded_class(out)
    if found.refused:
        for name, why in sorted(found.refused.items()):
            print(f"grader: {visible(name)}: cannot be a student of the class ({visible(why)})", file=sys.stderr)
        print("grader: rename or remove these folders of OUT (grade-all refuses such names), then export again",
              file=sys.stderr)
        return 2
    if args.unit is None and found.units:  # the unit the reports were graded for, never a default
        if len(found.units) > 1:
            raise UsageError(f"the reports in {out} were graded for units {', '.join(sorted(found.units))}: choose "
                             "one with --unit")
        args.unit = next(iter(found.units))
    unit = unit_of(args)
    students = found.students
    try:
        written = write_class_outputs(unit, out, students, feedback_of(unit, args))
    except OSError as error:
        print(f"grader: cannot write into {out}: {error.strerror or error}", file=sys.stderr)
        return 1
    say_left_out(written)
    print(f"{unit.name(unit.language)}: {len(written.reports)} graded students in {out}", file=sys.stderr)
    print(f"grades in {written.grades}; class report in {written.report}"
          + (f"; {count(written.pages, 'feedback page', 'feedback pages')} updated with the reviews"
             if written.pages else ""))
    say_pending(written, out)
    return 0 if lms_exports(unit, out, written.reports, args) else 1


def say_left_out(written: ClassOutputs) -> None:
    """Name the reports left out of the class's outputs: graded for another unit."""
    for student, unit in written.other_unit.items():
        print(f"  ! {visible(student)}: graded for unit {visible(unit)}, not this one; left out", file=sys.stderr)
    for student, why in written.unsound.items():
        print(f"  ! {visible(student)}: its results.json is not a report as the grader writes it ({why}): counted "
              "as not graded; grade it again (grade-all --force)", file=sys.stderr)


def say_pending(written: ClassOutputs, out: Path) -> None:
    """Name the open answers that still await review, per question (their points count 0 until reviewed)."""
    if not written.pending:
        return
    shown = "; ".join(f"{question} ({len(students)}): {listed(students[:10])}"
                      + (f" and {len(students) - 10} more" if len(students) > 10 else "")
                      for question, students in written.pending.items())
    total = sum(len(students) for students in written.pending.values())
    print(f"grader: {count(total, 'answer still awaits', 'answers still await')} review ({shown}): their open "
          f"points count 0 until reviewed (grader review {visible(str(out))})", file=sys.stderr)


def lms_options(command: argparse.ArgumentParser, required: bool = False) -> None:
    """The options of the LMS files, which grade-all and export share."""
    command.add_argument("--lms", choices=["canvas", "moodle"], action="append", required=required,
                         help="write OUT/canvas.csv or OUT/moodle.csv for the LMS's grade import (repeatable)")
    command.add_argument("--roster", metavar="CSV", required=required,
                         help="the class list (a Canvas gradebook export will do; see `roster:` in course.yaml)")
    command.add_argument("--roster-id", metavar="COLUMN", help="the roster column holding each student's id as "
                         "their submission is named (default: course.yaml's roster.id, else 'SIS Login ID')")
    command.add_argument("--assignment-title", metavar="TITLE", help="the grade column's title (default: the "
                         "unit's)")
    command.add_argument("--assignment-id", metavar="ID", help="Canvas: the assignment's id, so the import updates "
                         "that assignment (without one, Canvas creates a new assignment)")
    command.add_argument("--moodle-id", choices=["email", "idnumber"], default="email",
                         help="Moodle: identify students by email address (default) or ID number")


def register(commands: Any) -> None:
    command = commands.add_parser(
        "export", help="write grades.csv and LMS grade files from a graded class (grade-all's --out), without "
        "regrading", description="Write grades.csv, the feedback pages' headlines and part on reviewed open "
                    "questions, report.html (its section on similar submissions kept as grade-all wrote it) and "
                    "(with --lms and a roster) Canvas or Moodle grade import files, from the results.json files in "
                    "OUT and the reviews beside them; answers still awaiting review are named. "
                    "Exit status: 0 when written; 1 when a file cannot be written or the roster cannot be read; 2 "
                    "when OUT is not a graded class or the course is broken.")
    command.add_argument("out", metavar="OUT", help="grade-all's --out folder")
    lms_options(command)
    unit_option(command)
    command.add_argument("--lang", choices=list(LANGUAGES), help="language of a feedback page whose report does not "
                         "record the one it was written in (default: the course's); every other page keeps its own")
    command.set_defaults(func=cmd_export)
