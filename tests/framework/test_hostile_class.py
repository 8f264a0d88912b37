"""A class folder built to hurt the instructor rather than the sandbox: odd names, bombs, and student text that
would come alive in the files an instructor opens. The batch must finish, grade every entry, keep every name
exact, show nothing a student wrote as markup, and stay within bounded memory."""

import csv
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bounded import within
from intake_here import intake_here
from markdown_it import MarkdownIt

from grader.authoring.mistakes import Mistake, materialize
from grader.classwork import exports, lms, similarity
from grader.classwork.discovery import CLASS_FILES, BadClass, discover, survey
from grader.classwork.exports import listed_in_grades
from grader.classwork.outputs import RESULTS
from grader.model.course import load_course
from grader.model.files import unescaped_cell
from grader.rendering.inert import code_span, markdown_text, visible
from grader.trust.decoding.notebooks import MAX_NOTEBOOK_DEPTH, nesting

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
MODULES = list(UNIT.modules)

# ids a spreadsheet, a Markdown viewer or a terminal may take for something else
ODD_NAMES = [
    "a,b", 'say "hi"', "inner  spaces", "x" * 200, "学生一号", "élève", '=HYPERLINK("evil.example","x")', "+cmd",
    "-1", "@SUM(A1)", "<img src=x onerror=alert(1)>", "back`tick", "'=1+1", "=1+1", "'quoted", "a\\b",
]
# names a file system allows that cannot be a student's id, each with the reason given
REFUSED_NAMES = {
    "new\nline": "the invisible character U+000A", "\u202eevil.exe": "the invisible character U+202E",
    "  leading spaces": "begins or ends with white space", "trailing ": "begins or ends with white space",
    "tab\there": "the invisible character U+0009", "esc\x1b]0;owned\x07": "the invisible character U+001B",
    # format characters: each invisible, so that ``bob`` with one in it looks like ``bob``
    "bo\u200bb": "the invisible character U+200B", "bo\u00adb": "the invisible character U+00AD",
    "bo\u2060b": "the invisible character U+2060", "bob\U000e0041": "the invisible character U+E0041",
}
# what a student's code can say: printed, raised, and with backticks meant to close a code span
LOUD = '\x1b]0;owned\x07<b onmouseover=alert(2)>x</b> ``` [link](javascript:alert(3)) ![i](http://evil.example/t.png)'
BOMB_NAMES = ["deep", "big_member", "inflating", "oversized", "huge_cell", "giant", "not_json", "empty",
              "many_members"]


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    """Make ``member`` of the zip at ``path`` declare ``size`` bytes (local header and central directory)."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(member).header_offset
    struct.pack_into("<I", data, offset + 22, size)
    end = data.rfind(b"PK\x05\x06")
    entry = struct.unpack_from("<I", data, end + 16)[0]
    while data[entry:entry + 4] == b"PK\x01\x02":
        name_length, extra, comment = struct.unpack_from("<HHH", data, entry + 28)
        if data[entry + 46:entry + 46 + name_length].decode() == member:
            struct.pack_into("<I", data, entry + 24, size)
        entry += 46 + name_length + extra + comment
    path.write_bytes(bytes(data))


def _zip_of(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return path


def _notebook(cells: list[dict], metadata: object = None) -> str:
    return json.dumps({"cells": cells, "metadata": {"extra": metadata} if metadata is not None else {},
                       "nbformat": 4, "nbformat_minor": 5})


def _cell(grade_id: str, source: str) -> dict:
    return {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id}}, "source": source,
            "outputs": [], "execution_count": None}


def build_bombs(folder: Path) -> dict[str, str]:
    """The bombs, each a student of ``folder``; returns student -> what should be said of it (a fragment)."""
    solutions = {name: (UNIT.source_dir / f"{name}.py").read_text() for name in MODULES}
    # a notebook nested 100,000 lists deep: the JSON decoder would exhaust its stack
    (folder / "deep.ipynb").write_text(_notebook([_cell(m, solutions[m]) for m in MODULES])[:-1]
                                       + ', "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    # a zip whose module declares 2 GB
    big = _zip_of(folder / "big_member.zip", {f"{m}.py": solutions[m].encode() for m in MODULES})
    _patch_declared_size(big, "arith.py", 2 * 1024 ** 3)
    # a zip whose module declares 100 bytes and inflates to 512 MB
    inflating = folder / "inflating.zip"
    with zipfile.ZipFile(inflating, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("arrays.py", solutions["arrays"])
        with archive.open("arith.py", "w", force_zip64=False) as member:
            block = b"#" * (1 << 20)
            for _ in range(512):
                member.write(block)
    _patch_declared_size(inflating, "arith.py", 100)
    # a zip whose modules are honestly too large
    _zip_of(folder / "oversized.zip", {f"{m}.py": (solutions[m] + "#" * (1 << 20)).encode() for m in MODULES})
    # a notebook within its size limit whose one answer cell is larger than a module may be
    (folder / "huge_cell.ipynb").write_text(_notebook([_cell("arith", "# " + "y" * 300_000 + "\n")]))
    # a notebook far beyond its size limit
    (folder / "giant.ipynb").write_text(_notebook([_cell("arith", "# " + "z" * (34 << 20) + "\n")]))
    (folder / "not_json.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(4096))
    (folder / "empty").mkdir()
    _zip_of(folder / "many_members.zip", {f"f{index}.txt": b"" for index in range(6000)})
    return {"deep": "nested more than 64 levels", "big_member": ".py is 2097152 KiB; the limit is 256 KiB",
            "inflating": "cannot be read (BadZipFile)", "oversized": ".py is 1024 KiB; the limit is 256 KiB",
            "huge_cell": ".py is 292 KiB; the limit is 256 KiB",
            "giant": "is 34 MiB; the grader reads notebooks of at most 32 MiB",
            "not_json": "cannot be read (UnicodeDecodeError)", "empty": ".py is missing",
            "many_members": "lists more than 5000 files"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The class graded once with grade-all: (class folder, out, completed process, peak memory in KiB)."""
    root = tmp_path_factory.mktemp("hostile")
    folder = root / "class"
    folder.mkdir()
    for name in ODD_NAMES:
        shutil.copytree(UNIT.source_dir, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    loud = Mistake("loud", "", [
        {"module": "arith", "old": "    return 2 * x\n",
         "new": f"    print({LOUD!r})\n    raise ValueError({LOUD!r})\n"},
    ], [])
    materialize(UNIT, loud, folder / "loud")
    said = build_bombs(folder)
    out = root / "out"
    # the grader's own peak memory, from a parent that starts nothing else
    probe = ("import resource, subprocess, sys\n"
             "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
             "sys.stdout.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) + '\\n'"
             " + str(done.returncode) + '\\n' + done.stdout + '\\0' + done.stderr)\n")
    done = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "grader", "--course", str(MINI),
                           "grade-all", str(folder), "--out", str(out), "--jobs", "2",
                           "--nbgrader-db", f"sqlite:///{root / 'gradebook.db'}"],
                          capture_output=True, text=True, timeout=900)
    peak, code, rest = done.stdout.split("\n", 2)
    stdout, _, stderr = rest.partition("\0")
    return folder, out, int(code), stdout, stderr, int(peak), said


def _rows(out: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((out / "grades.csv").read_text(encoding="utf-8"), newline="")))


def test_the_batch_finishes_and_every_entry_has_its_row(hostile):
    _, out, code, stdout, stderr, _, _ = hostile
    assert code == 0, stdout + stderr
    rows = _rows(out)
    students = [row["student"] for row in rows]
    expected = ODD_NAMES + ["loud"] + BOMB_NAMES
    assert len(students) == len(expected)
    # the spreadsheet's guard: a name a spreadsheet would run as a formula (or one that starts with the guard
    # itself) starts with a quote that it hides; every name reads back as itself
    assert sorted(unescaped_cell(name) for name in students) == sorted(expected)
    assert sorted(listed_in_grades(out)) == sorted(expected)
    assert all(row["status"] == "graded" for row in rows)


def test_odd_names_keep_their_full_marks_and_their_exact_name(hostile):
    _, out, _, _, _, _, _ = hostile
    scores = {unescaped_cell(row["student"]): row for row in _rows(out)}
    for name in ODD_NAMES:
        report = json.loads((out / name / RESULTS).read_text(encoding="utf-8"))
        assert report["extra_data"]["student"] == name
        assert report["score"] == UNIT.max_score, name
        assert float(scores[name]["score"]) == UNIT.max_score


def test_the_gradebook_holds_every_name_exactly(hostile):
    from nbgrader.api import Gradebook

    _, out, _, _, _, _, _ = hostile
    with Gradebook(f"sqlite:///{out.parent / 'gradebook.db'}") as gradebook:
        students = {student.id: gradebook.find_submission("class", student.id).score
                    for student in gradebook.students}
    assert sorted(students) == sorted(ODD_NAMES + ["loud"] + BOMB_NAMES)
    assert all(students[name] == UNIT.max_score for name in ODD_NAMES)


def test_the_bombs_score_what_is_left_with_a_reason(hostile):
    _, out, _, _, _, _, said = hostile
    for name, fragment in said.items():
        report = json.loads((out / name / RESULTS).read_text(encoding="utf-8"))
        # a module refused costs that module alone (its arrays.py is fine); a bomb that spoils the whole file, all
        if name in ("big_member", "inflating"):
            assert 0 < report["score"] < UNIT.max_score and list(report["extra_data"]["intake_problems"]) == ["arith"]
        else:
            assert report["score"] == 0, name
        page = (out / name / "feedback.md").read_text(encoding="utf-8")
        assert fragment in page.replace("`", ""), (name, page)  # what a student sent is in code spans there


def test_the_grader_memory_stays_bounded(hostile):
    _, _, _, _, _, peak_kib, _ = hostile
    # reading the 512 MB member or the 2 GB one would pass 512 MB; grading itself needs a small part of that
    assert peak_kib < 400 * 1024, f"peak {peak_kib // 1024} MiB"


class Tags(HTMLParser):
    """Every tag and attribute of an HTML text."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


MARKDOWN_TAGS = {"h1", "h2", "p", "strong", "em", "code", "ul", "li", "table", "thead", "tbody", "tr", "th", "td"}


def test_nothing_a_student_wrote_is_live_in_the_feedback_page(hostile):
    _, out, _, _, _, _, _ = hostile
    page = (out / "loud" / "feedback.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable("table").render(page)  # raw HTML is allowed, as viewers do
    tags = Tags(rendered).tags
    assert {tag for tag, _ in tags} <= MARKDOWN_TAGS, rendered
    assert not any(attrs for _, attrs in tags)  # no link, no image, no handler
    # and what the student's code said is on the page, as text
    shown = visible(LOUD).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    assert shown in rendered
    for name in BOMB_NAMES + ODD_NAMES:
        rendered = MarkdownIt("commonmark").enable("table").render((out / name / "feedback.md").read_text())
        assert {tag for tag, _ in Tags(rendered).tags} <= MARKDOWN_TAGS, name


def test_nothing_a_student_named_is_live_in_the_class_report(hostile):
    _, out, _, _, _, _, _ = hostile
    page = (out / "report.html").read_text(encoding="utf-8")
    tags = Tags(page).tags
    assert [tag for tag, _ in tags if tag in ("script", "img", "iframe", "a", "object")] == ["script"]
    assert page.count("<script") == 1  # the page's own, in its head
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]


def test_a_terminal_sees_no_control_character_a_student_wrote(hostile, cli):
    folder, _, _, _, _, _, _ = hostile
    done = cli("grade", str(folder / "loud"))
    assert "\\x1b]0;owned\\x07<b onmouseover" in done.stdout  # the message, with its escape shown
    assert "\x1b" not in done.stdout + done.stderr


@pytest.mark.parametrize("text", [
    "plain", "", " ", "`", "``x``", " lead", "trail ", "<script>alert(1)</script>", "a\nb\r\nc", "\x1b[31mred",
    "\u202eabc", "*em* _em_ [l](http://x) ![i](y) <http://x>", "|table|", "# heading", "&amp; &lt;",
])
def test_a_code_span_shows_its_text_and_nothing_else(text):
    span = code_span(text)
    assert "\n" not in span and "\x1b" not in span
    html = MarkdownIt("commonmark").render(f"- before {span} after\n")
    if not text:
        assert span == ""
        return
    tags = Tags(html).tags
    assert [tag for tag, _ in tags] == ["ul", "li", "code"], html
    shown = html.split("<code>", 1)[1].split("</code>", 1)[0]
    unescaped = shown.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    assert unescaped == visible(text)


@pytest.mark.parametrize("text", ["arith", "test_double", "x2", "Scaler", "__init__", "a_", "www.evil.example",
                                  "_x_", "snake_case_name", "*x*", "3"])
def test_student_text_in_markdown_is_a_plain_word_or_a_code_span(text):
    html = MarkdownIt("commonmark").render(f"- before {markdown_text(text)} after\n")
    tags = [tag for tag, _ in Tags(html).tags]
    assert tags in (["ul", "li"], ["ul", "li", "code"]), html
    assert f"before {text} after" in html or f"<code>{text}</code>" in html
    if tags == ["ul", "li"]:  # shown as it is only where it reads as itself
        assert markdown_text(text) == text


def test_visible_writes_controls_and_reordering_marks_as_escapes():
    assert visible("a\x1b[2Jb\u202ec\nd\te") == "a\\x1b[2Jb\\u202ec\\nd\te"
    assert visible("学生 élève") == "学生 élève"


def test_a_notebook_too_deep_is_refused_before_it_is_parsed(tmp_path):
    assert nesting('{"a": [1, {"b": "[[[[[[[["}], "c": "\\"]]]"}') == 3
    deep = tmp_path / "deep.ipynb"
    deep.write_text('{"cells": [], "m": ' + "[" * MAX_NOTEBOOK_DEPTH + "]" * MAX_NOTEBOOK_DEPTH + "}")  # and {
    intake = intake_here(UNIT, deep)
    assert not intake.accepted
    assert all(f"nested more than {MAX_NOTEBOOK_DEPTH}" in str(p) for p in intake.problems.values())
    shallow = tmp_path / "shallow.ipynb"
    shallow.write_text('{"cells": [], "m": ' + "[" * (MAX_NOTEBOOK_DEPTH - 1) + "]" * (MAX_NOTEBOOK_DEPTH - 1) + "}")
    assert all("no answer cell" in str(p) for p in intake_here(UNIT, shallow).problems.values())


def test_two_submissions_of_one_student_are_refused_with_both_names(tmp_path, cli):
    folder = tmp_path / "class"
    shutil.copytree(UNIT.source_dir, folder / "alice")
    _zip_of(folder / "alice.zip", {"arith.py": b"x = 1\n"})
    with pytest.raises(BadClass, match="alice/.*alice.zip"):
        discover(folder)
    done = cli("grade-all", str(folder), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "'alice/' and 'alice.zip' are both submissions of 'alice'" in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", CLASS_FILES)
def test_a_submission_named_like_a_class_file_is_refused(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(BadClass, match="rename it"):
        discover(tmp_path)


def test_every_file_grade_all_writes_beside_the_students_is_reserved():
    from grader.model.reviews import FOLDER

    assert {exports.CSV, similarity.CSV, *lms.FILES.values(), "report.html", FOLDER} <= set(CLASS_FILES)


@pytest.mark.parametrize("name", ["Reviews", "GRADES.CSV"])
def test_a_class_files_name_in_another_case_is_refused_too(tmp_path, name):
    (tmp_path / name).mkdir()
    with pytest.raises(BadClass, match="has the name of a file grade-all writes"):
        discover(tmp_path)


@pytest.mark.parametrize("name", sorted(REFUSED_NAMES))
def test_a_name_that_cannot_be_an_id_refuses_the_class_with_its_reason(tmp_path, name):
    (tmp_path / "alice").mkdir()
    (tmp_path / name).mkdir()
    with pytest.raises(BadClass, match="cannot name a student: it (holds|begins)") as refused:
        discover(tmp_path)
    assert REFUSED_NAMES[name] in str(refused.value)


def test_every_name_at_fault_is_named_at_once(tmp_path, cli):
    for name in ("alice", " alice", "bob\n", "Carol", "carol"):
        (tmp_path / "class" / name).mkdir(parents=True)
    done = cli("grade-all", str(tmp_path / "class"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2 and not (tmp_path / "out").exists()
    said = done.stderr
    assert "' alice/' cannot name a student: it begins or ends with white space" in said, said
    assert "'bob\\n/' cannot name a student: it holds the invisible character U+000A" in said, said
    assert "'Carol/' and 'carol/' are both submissions of 'carol'" in said, said


@pytest.mark.parametrize("one, other", [("Alice", "alice"), ("cafe\u0301", "caf\u00e9"), ("ÉLÈVE", "élève.zip")])
def test_two_names_of_one_student_are_refused_together(tmp_path, one, other):
    """An id is canonical (NFC) and compared without case: a name typed on macOS (decomposed) is the name typed
    elsewhere, and ``Alice`` is ``alice`` to GitHub, most LMSs and a file system that ignores case."""
    for name in (one, other):
        if name.endswith(".zip"):
            _zip_of(tmp_path / name, {"arith.py": b"x = 1\n"})
        else:
            (tmp_path / name).mkdir()
    with pytest.raises(BadClass, match="are both submissions of"):
        discover(tmp_path)


def test_a_name_written_with_a_zero_width_joiner_is_an_id(tmp_path):
    """Some scripts write names with the zero-width joiner and non-joiner: those are kept, as typed."""
    for name in ("\u0915\u094d\u200d\u0937", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"):
        (tmp_path / name).mkdir()
    assert sorted(entry.student for entry in discover(tmp_path)) == sorted(path.name for path in tmp_path.iterdir())


def test_an_id_is_kept_as_its_canonical_form(tmp_path):
    (tmp_path / "cafe\u0301").mkdir()
    [entry] = discover(tmp_path)
    assert entry.student == "caf\u00e9" and entry.path.name == "cafe\u0301"


def test_a_name_that_is_not_utf8_is_refused(tmp_path):
    os.mkdir(os.fsencode(tmp_path) + b"/caf\xe9")
    with pytest.raises(BadClass, match=r"b'caf\\xe9' is not UTF-8"):
        discover(tmp_path)


def fingerprint(path: Path, seed: int = 1) -> str:
    from grader.classwork.fingerprints import submission_fingerprint
    from grader.running.transport import carry

    return submission_fingerprint("course", carry(path, MODULES, UNIT.limits.source_kb), seed)


def test_a_folder_nested_thousands_deep_costs_the_fingerprint_nothing(tmp_path):
    """Only what grading reads is fingerprinted: modules thousands of folders down are never read by grading,
    so they are neither walked nor read, and changing them changes no grade."""
    deep = tmp_path / "deep"
    shutil.copytree(UNIT.source_dir, deep, ignore=shutil.ignore_patterns("__pycache__"))
    levels = [deep / "d"]
    for _ in range(1500):  # deeper than Python's recursion limit; one-letter names keep it under PATH_MAX
        levels.append(levels[-1] / "d")
    try:
        for level in levels:
            level.mkdir()
        (levels[-1] / "arith.py").write_text("x = 1\n")
        first = within(20, fingerprint, deep)
        (levels[-1] / "arith.py").write_text("x = 2\n")
        assert fingerprint(deep) == first
        (deep / "arith.py").write_text((deep / "arith.py").read_text() + "\n# fixed\n")
        assert fingerprint(deep) != first
    finally:  # removed level by level: a recursive removal would fail as a recursive walk does
        (levels[-1] / "arith.py").unlink(missing_ok=True)
        for level in reversed(levels):
            if level.exists():
                level.rmdir()


def test_a_fix_beside_thousands_of_data_files_is_graded_again(tmp_path):
    """A fingerprint that stopped after 2,000 entries kept a stale grade: the code fixed beside a data folder
    of 2,000 files stayed "up to date". Files grading does not read are not part of it, however many."""
    folder = tmp_path / "s"  # the exercise folder, and a data folder beside it (listed first)
    shutil.copytree(UNIT.source_dir, folder / "exercises", ignore=shutil.ignore_patterns("__pycache__"))
    data = folder / "data"
    data.mkdir()
    for index in range(2000):
        (data / f"{index:04}.txt").write_text("x")
    before = fingerprint(folder)
    (data / "0000.txt").write_text("changed")
    assert fingerprint(folder) == before
    module = folder / "exercises" / "arrays.py"
    module.write_text(module.read_text() + "\n# fixed\n")
    assert fingerprint(folder) != before


def test_files_grading_does_not_read_are_never_read_to_fingerprint(tmp_path):
    """40 sparse files of 64 MiB beside the code once cost the parent 2.5 GiB of reading on every run."""
    import resource

    folder = Path(shutil.copytree(UNIT.source_dir, tmp_path / "s", ignore=shutil.ignore_patterns("__pycache__")))
    for index in range(40):
        with open(folder / f"big{index}.bin", "wb") as handle:
            handle.truncate(64 << 20)
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.process_time()
    within(30, fingerprint, folder)
    fingerprint(folder)
    assert time.process_time() - started < 5
    read = (resource.getrusage(resource.RUSAGE_SELF).ru_inblock - before.ru_inblock) * 512
    assert read < 64 << 20


def test_a_same_size_change_with_its_time_kept_is_graded_again(tmp_path):
    """A fix that keeps the file's size and time (``cp -p``, ``rsync -t``, an unzip) changes the fingerprint: a
    file is known by its bytes, not by its size and time."""
    folder = Path(shutil.copytree(UNIT.source_dir, tmp_path / "s", ignore=shutil.ignore_patterns("__pycache__")))
    module = folder / "arith.py"
    before = fingerprint(folder)
    times = os.stat(module)
    text = module.read_text()
    module.write_text(text.replace("2 * x", "x * 2"))  # the same size
    os.utime(module, ns=(times.st_atime_ns, times.st_mtime_ns))
    assert os.stat(module).st_size == times.st_size and os.stat(module).st_mtime_ns == times.st_mtime_ns
    assert fingerprint(folder) != before
    archive = _zip_of(tmp_path / "z.zip", {"arith.py": text.encode()})
    zipped = fingerprint(archive)
    stamp = os.stat(archive)
    _zip_of(archive, {"arith.py": text.replace("2 * x", "x * 2").encode()})
    os.utime(archive, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    assert os.stat(archive).st_size == stamp.st_size and fingerprint(archive) != zipped


def test_every_chart_label_of_the_class_report_is_inert():
    """Names are shown in the chart of the slowest submissions (and tests and mistakes in theirs): a hostile one
    must be inert wherever it lands, not only when it happens to be among the slowest."""
    from grader.classwork.class_report import render

    hostile = '<img src=x onerror=alert(1)>"&'
    reports = []
    for index in range(15):  # the hostile names are the slowest; the others fill the rest of every chart
        name = f"{hostile}{index}" if index < 12 else f"plain{index}"
        reports.append((name, {"score": 5, "execution_time": 100 - index, "tests": [
            {"name": f"Task: {hostile}test", "status": "failed"}, {"name": "Task: plain", "status": "passed"}],
            "extra_data": {"diagnosed_mistakes": [f"{hostile}mistake"], "tasks": {}}}))
    page = render(UNIT, reports, {})
    tags = Tags(page).tags
    assert not [tag for tag, _ in tags if tag in ("img", "a", "iframe", "object")]
    assert not [name for _, attrs in tags for name, _ in attrs if name.startswith("on")]
    shown = page.count("&lt;img src=x onerror=alert(1)&gt;")
    assert shown >= 10 + 2 + 2, shown  # the ten slowest, the test, the mistake: each escaped


def test_a_name_that_reorders_text_is_isolated_in_the_class_report():
    from grader.classwork.class_report import render

    page = render(UNIT, [("\u202eevil", None), ("<b>bob</b>", None)], {})
    assert "<bdi>\u202eevil</bdi>, <bdi>&lt;b&gt;bob&lt;/b&gt;</bdi>" in page


def test_one_oversized_module_costs_that_module_alone_in_a_zip_as_in_a_folder(tmp_path, grade):
    folder = Path(shutil.copytree(UNIT.source_dir, tmp_path / "folder", ignore=shutil.ignore_patterns("__pycache__")))
    (folder / "arith.py").write_text((folder / "arith.py").read_text() + "#" * 300_000 + "\n")
    packed = _zip_of(tmp_path / "packed.zip", {p.name: p.read_bytes() for p in folder.glob("*.py")})
    in_folder, folder_run = grade(folder)
    in_zip, zip_run = grade(packed)
    assert 0 < in_zip.score == in_folder.score < UNIT.max_score
    assert list(zip_run.intake_problems) == list(folder_run.intake_problems) == ["arith"]


# --- what the grader writes ---------------------------------------------------------------------


@pytest.mark.parametrize("where", ["same", "inside", "around"])
def test_an_out_folder_that_overlaps_the_class_is_refused(tmp_path, cli, where):
    """``--out DIR`` on the class itself once wrote ``alice/feedback.md`` through the link a student left there."""
    folder = tmp_path / "class"
    shutil.copytree(UNIT.source_dir, folder / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (folder / "alice" / "feedback.md").symlink_to(outside)
    out = {"same": folder, "inside": folder / "graded", "around": tmp_path}[where]
    done = cli("grade-all", str(folder), "--out", str(out), "--no-similarity")
    assert done.returncode == 2 and "overlap" in done.stderr, done.stderr
    assert outside.read_text() == "keep me" and not (folder / "alice" / RESULTS).exists()


def test_a_link_planted_in_out_is_replaced_never_written_through(tmp_path, cli):
    folder = tmp_path / "class"
    for name in ("alice", "bob"):
        shutil.copytree(UNIT.source_dir, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    (out / "alice").mkdir(parents=True)
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    (out / "alice" / "feedback.md").symlink_to(outside)
    (out / "grades.csv").symlink_to(outside)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "bob").symlink_to(elsewhere, target_is_directory=True)
    done = cli("grade-all", str(folder), "--out", str(out), "--no-similarity")
    assert outside.read_text() == "keep me" and list(elsewhere.iterdir()) == []
    assert not (out / "alice" / "feedback.md").is_symlink() and (out / "alice" / RESULTS).is_file()
    assert not (out / "grades.csv").is_symlink() and "alice" in (out / "grades.csv").read_text()
    assert done.returncode == 1, done.stdout
    assert "! bob: its outputs cannot be written: bob is a link or not a folder: nothing is written through it" in \
        done.stdout, done.stdout


def test_a_link_in_place_of_a_reviews_file_or_its_lock_is_never_followed(tmp_path):
    from grader.model.reviews import Review, ReviewsError, load_reviews, save_review

    out = tmp_path / "out"
    (out / "reviews").mkdir(parents=True)
    outside = tmp_path / "precious.json"
    outside.write_text('{"reviews": {}}')
    (out / "reviews" / "why_double.json").symlink_to(outside)
    with pytest.raises(ReviewsError, match="cannot be read"):
        save_review(out, "why_double", ["d"], Review(("a",)))
    with pytest.raises(ReviewsError, match="cannot be read"):
        load_reviews(out, ["why_double"])
    (out / "reviews" / "why_double.json").unlink()
    (out / "reviews" / "why_double.lock").unlink(missing_ok=True)
    (out / "reviews" / "why_double.lock").symlink_to(outside)
    with pytest.raises(OSError):
        save_review(out, "why_double", ["d"], Review(("a",)))
    assert outside.read_text() == '{"reviews": {}}'
    (out / "reviews" / "why_double.lock").unlink()
    assert save_review(out, "why_double", ["d"], Review(("a",)))["d"].items == ("a",)
    assert (out / "reviews" / "why_double.json").stat().st_mode & 0o777 == 0o600


def test_a_submissions_suffix_counts_in_any_case_and_what_is_not_graded_is_said(tmp_path, cli):
    """Windows and some LMS downloads write ``.ZIP``: that is bob's submission; a file of another kind, or a
    link, is not graded, and grade-all says so rather than leave the instructor to miss it."""
    folder = tmp_path / "class"
    shutil.copytree(UNIT.source_dir, folder / "alice")
    _zip_of(folder / "bob.ZIP", {f"{name}.py": (UNIT.source_dir / f"{name}.py").read_bytes() for name in UNIT.modules})
    (folder / "carol.pdf").write_bytes(b"%PDF-1.4")
    (folder / "dan").symlink_to(folder / "alice")
    (folder / ".DS_Store").write_bytes(b"\0")
    assert sorted((entry.student, entry.path.name) for entry in discover(folder)) == [("alice", "alice"),
                                                                                      ("bob", "bob.ZIP")]
    assert survey(folder)[1] == ["carol.pdf", "dan"]
    done = cli("grade-all", str(folder), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "not graded, not a submission (a folder, a .zip or an .ipynb): carol.pdf, dan" in done.stderr
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out" / "grades.csv").read_text())))
    assert [row["student"] for row in rows] == ["alice", "bob"] and rows[0]["score"] == rows[1]["score"], rows


def test_what_is_read_back_of_out_is_never_read_through_a_link_nor_waited_for(tmp_path, cli):
    """A report in ``out`` that is a link (to one whose fingerprint matches, say) is not the grader's: the
    submission is graded again; a student folder that is a link is no student's; a pipe is not waited on."""
    from grader.classwork.fingerprints import to_grade
    from grader.classwork.review import read_class

    folder = tmp_path / "class"
    shutil.copytree(UNIT.source_dir, folder / "alice", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "out"
    assert cli("grade-all", str(folder), "--out", str(out), "--no-similarity").returncode == 0
    entries = discover(folder)
    assert to_grade(UNIT, entries, out, None, False, lang="en")[1] == ["alice"]  # up to date
    aside = tmp_path / "aside"
    aside.mkdir()
    (out / "alice" / RESULTS).rename(aside / RESULTS)
    (out / "alice" / RESULTS).symlink_to(aside / RESULTS)
    assert [entry.student for entry, _ in to_grade(UNIT, entries, out, None, False, lang="en")[0]] == ["alice"]
    (out / "eve").symlink_to(aside, target_is_directory=True)
    (out / "fay").mkdir()
    os.mkfifo(out / "fay" / RESULTS)
    found = within(60, read_class, UNIT, out)
    assert [problem.split(":")[0] for problem in found.problems] == ["alice", "fay"], found.problems
    done = cli("export", "--out", str(out))
    assert "eve" not in done.stderr + (out / "grades.csv").read_text(), done.stderr
