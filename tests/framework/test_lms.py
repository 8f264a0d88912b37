"""Grades into Canvas and Moodle: the import files' exact formats, matched through a roster; roster students
without a grade get an empty cell and are named, submissions without a roster row are named and left out; every
CSV the grader writes is safe to open in a spreadsheet."""

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from bounded import within

from grader.classwork.outputs import RESULTS
from grader.model.files import csv_text, safe_cell

ROSTER = """Student,ID,SIS User ID,SIS Login ID,Section,Email address,ID number
"Zero, Ok",101,sis-0,ok0,A1,ok0@uni.edu,N0
"One, Ok",102,sis-1,ok1,A1,ok1@uni.edu,N1
"Row, First",103,sis-2,first_row,B2,first@uni.edu,N2
"Stub, Only",104,sis-3,stubs,B2,stubs@uni.edu,N3
"Away, Never",105,sis-4,never_submitted,B2,away@uni.edu,N4
"""


def parse(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.fixture
def graded(tmp_path, cli, make_class):
    """A graded class (six submissions, two of them with no roster row) and its roster."""
    make_class(tmp_path / "class")
    (tmp_path / "roster.csv").write_text(ROSTER)
    out = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--roster", str(tmp_path / "roster.csv"),
               "--lms", "canvas", "--lms", "moodle", "--assignment-id", "4711", "--no-similarity")
    assert done.returncode == 0, done.stderr
    scores = {p.parent.name: json.loads(p.read_text())["score"] for p in out.glob(f"*/{RESULTS}")}
    return tmp_path, out, done, scores


def test_canvas_gets_its_gradebook_import_format(graded):
    _, out, done, scores = graded
    rows = parse(out / "canvas.csv")
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Mini: numbers, then arrays (4711)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2:] == [
        ["Zero, Ok", "101", "sis-0", "ok0", "A1", "10"],
        ["One, Ok", "102", "sis-1", "ok1", "A1", "10"],
        ["Row, First", "103", "sis-2", "first_row", "B2", f"{scores['first_row']:g}"],
        ["Stub, Only", "104", "sis-3", "stubs", "B2", "0"],
        ["Away, Never", "105", "sis-4", "never_submitted", "B2", ""],  # no submission: empty, not 0
    ]
    assert "canvas: " in done.stdout and "5 roster students, 4 with a grade" in done.stdout
    assert "1 roster student has no grade (an empty cell): never_submitted" in done.stdout
    assert "2 graded submissions have no roster row (left out of the file): double_adds, missing" in done.stdout


def test_moodle_gets_its_grade_import_format_by_email_or_id_number(graded, cli):
    tmp_path, out, _, scores = graded
    assert parse(out / "moodle.csv") == [
        ["Email address", "Mini: numbers, then arrays"], ["ok0@uni.edu", "10"], ["ok1@uni.edu", "10"],
        ["first@uni.edu", f"{scores['first_row']:g}"], ["stubs@uni.edu", "0"], ["away@uni.edu", ""]]
    before = {p: p.stat().st_mtime_ns for p in out.glob(f"*/{RESULTS}")}
    # grader export: from the results already there, nothing regraded
    done = cli("export", str(out), "--lms", "moodle", "--roster", str(tmp_path / "roster.csv"),
               "--moodle-id", "idnumber", "--assignment-title", "PS 1")
    assert done.returncode == 0, done.stderr
    assert parse(out / "moodle.csv") == [["ID number", "PS 1"], ["N0", "10"], ["N1", "10"],
                                         ["N2", f"{scores['first_row']:g}"], ["N3", "0"], ["N4", ""]]
    assert {p: p.stat().st_mtime_ns for p in out.glob(f"*/{RESULTS}")} == before
    assert "2 graded submissions have no roster row (left out of the file): double_adds, missing" in done.stdout


def test_export_writes_what_grade_all_wrote(graded, cli):
    tmp_path, out, _, _ = graded
    first = (out / "canvas.csv").read_text()
    (out / "canvas.csv").unlink()
    done = cli("export", str(out), "--lms", "canvas", "--roster", str(tmp_path / "roster.csv"),
               "--assignment-id", "4711")
    assert done.returncode == 0, done.stderr
    assert (out / "canvas.csv").read_text() == first


def test_a_roster_mapped_by_course_yaml(mini_copy, cli, tmp_path, make_class):
    (mini_copy / "course.yaml").write_text((mini_copy / "course.yaml").read_text().replace(
        "units:\n", "roster:\n  id: login\n  canvas: {Student: name, SIS Login ID: login}\n"
                    "  moodle: {email: mail}\nunits:\n", 1))
    make_class(tmp_path / "class")
    (tmp_path / "roster.csv").write_text("name,login,mail\nOk Zero,ok0,z@x\nNobody,ghost,g@x\n")
    out = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--roster", str(tmp_path / "roster.csv"),
               "--lms", "canvas", "--lms", "moodle", "--no-similarity", course=mini_copy)
    assert done.returncode == 0, done.stderr
    assert parse(out / "canvas.csv")[2:] == [["Ok Zero", "", "", "ok0", "", "10"], ["Nobody", "", "", "ghost", "", ""]]
    assert parse(out / "moodle.csv") == [["Email address", "Mini: numbers, then arrays"], ["z@x", "10"], ["g@x", ""]]
    # --roster-id wins over course.yaml, and a missing column is named with the ones there are
    wrong = cli("export", str(out), "--lms", "canvas", "--roster", str(tmp_path / "roster.csv"), "--roster-id",
                "SIS Login ID", course=mini_copy)
    assert wrong.returncode == 1
    assert "has no column 'SIS Login ID' (its columns: 'name', 'login', 'mail')" in wrong.stderr


def test_usage_mistakes_are_refused_before_any_grading(tmp_path, cli, make_class):
    make_class(tmp_path / "class")
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--lms", "canvas")
    assert done.returncode == 2 and "--lms needs --roster" in done.stderr
    assert not (tmp_path / "out").exists()
    missing = cli("export", str(tmp_path / "nowhere"), "--lms", "canvas", "--roster", "r.csv")
    assert missing.returncode == 2 and "is not a folder of graded results" in missing.stderr
    (tmp_path / "out").mkdir()
    not_graded = cli("export", str(tmp_path / "out"), "--lms", "canvas", "--roster", str(tmp_path / "none.csv"))
    assert not_graded.returncode == 2 and "holds no graded class" in not_graded.stderr
    (tmp_path / "out" / "grades.csv").write_text("student,status\n")  # as when no submission could be graded
    unreadable = cli("export", str(tmp_path / "out"), "--lms", "canvas", "--roster", str(tmp_path / "none.csv"))
    assert unreadable.returncode == 1 and "cannot read the roster" in unreadable.stderr
    (tmp_path / "latin1.csv").write_bytes("Student,SIS Login ID\nJos\xe9,x\n".encode("latin-1"))
    latin = cli("export", str(tmp_path / "out"), "--lms", "canvas", "--roster", str(tmp_path / "latin1.csv"))
    assert latin.returncode == 1 and "is not UTF-8 text" in latin.stderr


def test_a_roster_from_a_spreadsheet_with_a_byte_order_mark_and_odd_rows(tmp_path, cli, make_class):
    make_class(tmp_path / "class")
    roster = ("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section\n    Points Possible,,,,\n"
              "A,1,s1,ok0,X\nB,2,s2,ok0,X\nC,3,s3,,X\n")
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    out = tmp_path / "out"
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(out), "--roster", str(tmp_path / "roster.csv"),
               "--lms", "canvas", "--no-similarity")
    assert done.returncode == 0, done.stderr
    assert parse(out / "canvas.csv")[2:] == [["A", "1", "s1", "ok0", "X", "10"]]
    assert "roster.csv:4: ok0 appears again; the first row counts" in done.stdout
    assert "roster.csv:5: no SIS Login ID; row left out" in done.stdout


@pytest.mark.parametrize(("value", "written"), [
    ("=HYPERLINK(\"http://x\",\"y\")", "'=HYPERLINK(\"http://x\",\"y\")"),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
    ("-3", "-3"), ("+4.5", "+4.5"), ("ok0", "ok0"), (7.5, "7.5"), (10.0, "10"), (66.6666666, "66.666667"), (3, 3),
    ("-1e5", "-1e5"), ("-.5", "-.5"),  # numbers as a spreadsheet reads them; what Python alone reads is text:
    ("-inf", "'-inf"), ("+nan", "'+nan"), ("-1_000", "'-1_000"), ("-3 ", "'-3 "),
])
def test_a_cell_a_spreadsheet_would_run_is_neutralized_and_numbers_stay_numbers(value, written):
    assert safe_cell(value) == written


def test_grades_and_lms_files_neutralize_student_named_formulas(tmp_path, cli, mini):
    folder = tmp_path / "class"
    folder.mkdir()
    hostile = '=HYPERLINK("evil.example","click")'  # a folder name: no slash
    shutil.copytree(mini.source_dir, folder / hostile)
    shutil.copytree(mini.source_dir, folder / "+cmd")
    (tmp_path / "roster.csv").write_text(f'Student,SIS Login ID\n"=1+1","{hostile.replace(chr(34), chr(34) * 2)}"\n')
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out), "--roster", str(tmp_path / "roster.csv"), "--lms",
               "canvas")
    assert done.returncode == 0, done.stderr
    for name in ("grades.csv", "canvas.csv", "similarity.csv"):
        cells = [cell for row in parse(out / name) for cell in (row[:1] + row[4:] if name == "canvas.csv" else row)]
        assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")], (name, cells)
        assert not [c for c in cells if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()], name
    assert ["'" + hostile, "10"] == [parse(out / "grades.csv")[2][0], parse(out / "grades.csv")[2][4]]
    # the student's name is guarded; the SIS Login ID, by which Canvas finds the student, is the roster's exactly
    assert parse(out / "canvas.csv")[2] == ["'=1+1", "", "", hostile, "", "10"]


def test_the_ids_an_lms_finds_its_students_by_are_copied_exactly(tmp_path, cli, mini):
    """A quote before an id that starts like a formula would be an id the LMS does not know: that student's
    grade would not be imported."""
    folder = tmp_path / "class"
    for name in ("-x1", "+y2"):
        shutil.copytree(mini.source_dir, folder / name)
    (tmp_path / "roster.csv").write_text("Student,ID,SIS User ID,SIS Login ID,Section,Email address\n"
                                         "=Ann,-7,@s1,-x1,=S,-x1@uni.example\n"
                                         "Bo,8,s2,+y2,S,+y2@uni.example\n")
    out = tmp_path / "out"
    for lms in ("canvas", "moodle"):
        done = cli("grade-all", str(folder), "--out", str(out), "--roster", str(tmp_path / "roster.csv"), "--lms",
                   lms, "--no-similarity")
        assert done.returncode == 0, done.stderr
    assert parse(out / "canvas.csv")[2:] == [["'=Ann", "-7", "@s1", "-x1", "'=S", "10"],
                                             ["Bo", "8", "s2", "+y2", "S", "10"]]
    assert parse(out / "moodle.csv")[1:] == [["-x1@uni.example", "10"], ["+y2@uni.example", "10"]]


def test_csv_text_round_trips_through_a_reader():
    rows = [["a,b", 'say "hi"', "line\nbreak", 1.5, ""]]
    assert list(csv.reader(io.StringIO(csv_text(rows)))) == [["a,b", 'say "hi"', "line\nbreak", "1.5", ""]]


def test_a_roster_with_a_cell_past_the_csv_limit_names_that_row_and_keeps_the_others(tmp_path):
    from grader.classwork.lms import RosterError, read_roster

    path = tmp_path / "roster.csv"
    path.write_text("Student,SIS Login ID\nAda,ada\nHuge," + "x" * 200_000 + "\nBob,bob\n")
    roster = read_roster(path, "SIS Login ID")
    assert list(roster.rows) == ["ada", "bob"]
    assert roster.problems == ["roster.csv:3: a cell is longer than 128 KiB; row left out"]
    path.write_text("Student," + "x" * 200_000 + "\nAda,ada\n")
    with pytest.raises(RosterError, match="line 1: a cell is longer than 128 KiB"):
        read_roster(path, "SIS Login ID")


def test_a_roster_as_wide_as_a_bomb_is_refused_at_its_header(tmp_path):
    """150,000 commas in the header and 2,000 rows (157 KB) took half a minute: each row was made a map of every
    column. A roster is bounded in columns, and each row costs only the columns an LMS file is made of."""
    from grader.classwork.lms import MAX_COLUMNS, RosterError, read_roster

    path = tmp_path / "roster.csv"
    path.write_text("SIS Login ID" + "," * 150_000 + "\n" + "".join(f"s{index}\n" for index in range(2000)))

    def refused() -> str:
        try:
            read_roster(path, "SIS Login ID")
        except RosterError as error:
            return str(error)
        return "read"

    assert f"has 150001 columns; at most {MAX_COLUMNS} are read" in within(20, refused)
    path.write_text("SIS Login ID," + ",".join(f"c{index}" for index in range(MAX_COLUMNS - 1)) + "\n"
                    + "".join(f"s{index}" + ",x" * (MAX_COLUMNS - 1) + "\n" for index in range(2000)))
    roster = within(20, read_roster, path, "SIS Login ID", {"SIS Login ID", "c3"})
    assert len(roster.rows) == 2000 and roster.rows["s7"] == {"SIS Login ID": "s7", "c3": "x"}


def test_a_roster_finds_each_student_by_their_id_made_canonical(tmp_path, cli, mini):
    folder = tmp_path / "class"
    for name in ("alice", "caf\u00e9"):
        shutil.copytree(mini.source_dir, folder / name)
    (tmp_path / "roster.csv").write_text("Student,SIS Login ID\nAlice A.,Alice\nCafe,cafe\u0301\nBad,\" x\"\n")
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out), "--roster", str(tmp_path / "roster.csv"), "--lms",
               "canvas", "--no-similarity")
    assert done.returncode == 0, done.stderr
    rows = parse(out / "canvas.csv")
    assert rows[2][0] == "Alice A." and rows[2][-1] == "10" and rows[3][0] == "Cafe" and rows[3][-1] == "10"
    assert "graded submissions have no roster row" not in done.stdout


def test_names_that_start_like_a_formula_or_with_a_quote_read_back_as_themselves(tmp_path, cli, mini):
    """``'=1+1`` and ``=1+1`` are two students: written as ``''=1+1`` and ``'=1+1``, each reads back as itself,
    and an export finds the same two (it once made them one name, and invented a student without a report)."""
    folder = tmp_path / "class"
    names = ["'=1+1", "=1+1", "'quoted", "plain"]
    for name in names:
        shutil.copytree(mini.source_dir, folder / name)
    out = tmp_path / "out"
    done = cli("grade-all", str(folder), "--out", str(out), "--no-similarity")
    assert done.returncode == 0, done.stderr
    first = (out / "grades.csv").read_text()
    assert sorted(row[0] for row in parse(out / "grades.csv")[1:]) == sorted(["''=1+1", "'=1+1", "''quoted", "plain"])
    exported = cli("export", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "4 graded students" in exported.stderr and (out / "grades.csv").read_text() == first
    assert {row[-1] for row in parse(out / "grades.csv")[1:]} == {"graded"}
