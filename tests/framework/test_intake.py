"""Intake reads what a student sends with bounded work: a notebook's structure is checked before it is used and
scanned in one pass, an archive's records are cross-checked before a count in them is trusted. Each refusal is
one line in the student's report; grading goes on."""

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest
from bounded import within
from intake_here import intake_here

from grader.model.course import load_course
from grader.model.messages import render
from grader.trust.decoding.archives import MAX_ARCHIVE_MEMBERS
from grader.trust.decoding.archives import open_archive as open_archive_bytes
from grader.trust.decoding.notebooks import MAX_NOTEBOOK_CELLS, nesting

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
MODULES = list(UNIT.modules)
SOLUTIONS = {name: (UNIT.source_dir / f"{name}.py").read_text() for name in MODULES}
# as notebook cells: each module as it is (a cell sees the names of those above it, as in Jupyter)
CELLS = dict(SOLUTIONS)


def cell(grade_id, source, **fields):
    return {"cell_type": "code", "metadata": {"nbgrader": {"grade_id": grade_id}}, "source": source,
            "outputs": [], "execution_count": None, **fields}


def notebook(cells) -> str:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})


def take(path: Path, modules: list[str] | None = None):
    return intake_here(UNIT, path)


def open_archive(path: Path):
    return open_archive_bytes(path.read_bytes(), path.name)


def problems(path: Path) -> list[str]:
    return [render(problem) for problem in take(path, MODULES).problems.values()]


# --- notebooks ---------------------------------------------------------------------------------


def test_an_unterminated_string_of_escaped_quotes_is_scanned_once(tmp_path):
    # a quote, then 240,000 escaped quotes (470 KB, within the notebook's size limit): a scan that looked for each
    # string's end from every quote took minutes
    path = tmp_path / "quotes.ipynb"
    path.write_text('"' + '\\"' * 240_000)
    found = within(20, problems, path)
    assert found and all("cannot be read (JSONDecodeError)" in problem for problem in found), found


@pytest.mark.parametrize("text", ['"' + '\\"' * 200_000, '"\\' * 200_000, '["' * 200_000, '"' + "\\\\" * 200_000,
                                  '{"a": "' + "\\n[" * 200_000, '"x' * 200_000])
def test_nesting_reads_adversarial_text_in_one_pass(text):
    assert within(10, nesting, text) >= 0


def test_nesting_counts_brackets_outside_strings_only():
    assert nesting('{"a": [1, {"b": "[[[[[[[["}], "c": "\\"]]]"}') == 3
    assert nesting('["\\\\", [["]"]]]') == 3  # an escaped backslash ends before the quote that closes the string
    assert nesting('"unterminated [[[') == 0  # the decoder fails at the string: nothing after it is parsed


@pytest.mark.parametrize(("cells", "where", "expected"), [
    ([cell("arith", "x = 1\n", metadata=[1])], "cells[0].metadata", "an object"),
    ([cell("arith", "x = 1\n", metadata={"nbgrader": "x"})], "cells[0].metadata.nbgrader", "an object"),
    ([cell("arith", [1, 2])], "cells[0].source", "text or a list of texts"),
    ([cell("arith", 7)], "cells[0].source", "text or a list of texts"),
    ([{"cell_type": "markdown", "source": "hi"}, cell(5, "x = 1\n")], "cells[1].metadata.nbgrader.grade_id", "text"),
])
def test_a_malformed_notebook_is_refused_with_the_cell_and_the_field(tmp_path, cells, where, expected):
    path = tmp_path / "odd.ipynb"
    path.write_text(notebook(cells))
    found = problems(path)
    assert len(found) == len(MODULES)
    assert all(f"{where} should be {expected}" in problem for problem in found), found


@pytest.mark.parametrize("text", ['[1, 2]', '{"cells": {"a": 1}}', '{"cells": "x"}', '"cells"', "7"])
def test_a_notebook_that_is_not_an_object_with_a_list_of_cells_is_refused(tmp_path, text):
    path = tmp_path / "odd.ipynb"
    path.write_text(text)
    assert all("cells should be a list" in problem for problem in problems(path))


def test_cells_we_do_not_read_may_hold_anything(tmp_path):
    path = tmp_path / "ok.ipynb"
    path.write_text(notebook([{"cell_type": "markdown", "metadata": [1], "source": 5}, 7, "x",
                              {"cell_type": "code", "metadata": {}, "source": [1]},  # not an answer cell
                              *(cell(m, CELLS[m]) for m in MODULES)]))
    intake = take(path, MODULES)
    assert intake.accepted == MODULES and not intake.problems


def test_a_malformed_notebook_gets_a_report_and_a_zero_from_grade(tmp_path, cli):
    path = tmp_path / "odd.ipynb"
    path.write_text(notebook([cell("arith", [1, 2]), cell("arrays", CELLS["arrays"])]))
    done = cli("grade", str(path), "--json", str(tmp_path / "results.json"))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    report = json.loads((tmp_path / "results.json").read_text())
    assert report["score"] == 0
    assert "cells[0].source should be text or a list of texts" in report["output"]


def test_the_cell_count_is_bounded(tmp_path):
    answer = [cell(m, CELLS[m]) for m in MODULES]
    filler = [{"cell_type": "markdown", "metadata": {}, "source": ""}]
    at_limit, past = tmp_path / "at_limit.ipynb", tmp_path / "past.ipynb"
    at_limit.write_text(notebook(answer + filler * (MAX_NOTEBOOK_CELLS - len(answer))))
    past.write_text(notebook(answer + filler * (MAX_NOTEBOOK_CELLS + 1 - len(answer))))
    assert take(at_limit, MODULES).accepted == MODULES
    assert all(f"has {MAX_NOTEBOOK_CELLS + 1} cells; the limit is {MAX_NOTEBOOK_CELLS}" in p for p in problems(past))


# --- archives ----------------------------------------------------------------------------------


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def solutions_zip() -> bytes:
    return zipped({f"{m}.py": SOLUTIONS[m].encode() for m in MODULES})


def end_fields(data: bytes) -> tuple[int, tuple]:
    at = data.rindex(b"PK\x05\x06")
    return at, struct.unpack_from("<4s4H2LH", data, at)


def with_zip64(data: bytes, members: int | None = None, plain_members: int = 0xFFFF, locator_shift: int = 0) -> bytes:
    """``data`` (a zip without a comment) with a zip64 end record and locator before its end record: declaring
    ``members`` (default: the true count), the plain record saying ``plain_members`` (the "see zip64" mark)."""
    at, (_, disk, first, here, total, size, offset, comment) = end_fields(data)
    count = total if members is None else members
    wide = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at + locator_shift, 1)
    shown = plain_members if plain_members != 0xFFFF else 0xFFFF
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, shown, shown, size, offset, 0)
    return data[:at] + wide + locator + end


def test_an_honest_zip64_archive_is_read(tmp_path):
    path = tmp_path / "wide.zip"
    path.write_bytes(with_zip64(solutions_zip()))
    with open_archive(path) as archive:
        assert sorted(archive.namelist()) == sorted(f"{m}.py" for m in MODULES)
    assert take(path, MODULES).accepted == MODULES


def many_members(count: int) -> bytes:
    return zipped({f"f{index}": b"" for index in range(count)})


def test_a_signature_spelled_inside_the_end_records_counts_does_not_hide_them(tmp_path):
    # the counts 0x4B50 and 0x0605 spell "PK\x05\x06": the last such signature is inside the real record
    data = bytearray(many_members(3))
    at, _ = end_fields(bytes(data))
    struct.pack_into("<2H", data, at + 8, 0x4B50, 0x0605)
    assert data.rfind(b"PK\x05\x06") == at + 8
    path = tmp_path / "spelled.zip"
    path.write_bytes(bytes(data))
    found = problems(path)
    assert found and all("cannot be trusted" in p or f"more than {MAX_ARCHIVE_MEMBERS} files" in p
                         for p in found), found


def test_a_zip64_record_that_declares_more_than_the_plain_one_is_refused(tmp_path):
    # the plain record says 4, the zip64 record the real 100,000: zipfile reads the zip64 one
    path = tmp_path / "two_counts.zip"
    path.write_bytes(with_zip64(many_members(100_000), plain_members=4))
    found = within(20, problems, path)
    assert found and all("its zip64 record and its end record disagree" in p for p in found), found


def test_a_zip64_archive_past_the_member_bound_is_refused_before_its_directory_is_read(tmp_path):
    path = tmp_path / "wide_many.zip"
    path.write_bytes(with_zip64(many_members(100_000)))
    found = within(20, problems, path)
    assert found and all(f"lists more than {MAX_ARCHIVE_MEMBERS} files" in p for p in found), found


def one_more_declared(data: bytes) -> bytes:
    at, fields = end_fields(data)
    return data[:at + 8] + struct.pack("<2H", fields[3] + 1, fields[4] + 1) + data[at + 12:]


@pytest.mark.parametrize(("change", "why"), [
    (lambda d: with_zip64(d, locator_shift=8), "its zip64 locator points elsewhere"),
    (lambda d: d + b"junk", "its end record is not at its end"),
    (one_more_declared, "its directory lists 2 files, not the 3 its end record declares"),
])
def test_records_that_disagree_are_refused_with_the_reason(tmp_path, change, why):
    path = tmp_path / "odd.zip"
    path.write_bytes(change(solutions_zip()))
    found = problems(path)
    assert found and all(why in p for p in found), found


# --- compressed bombs ------------------------------------------------------------------------------


def declaring(data: bytes, size: int) -> bytes:
    """A one-member archive whose member now declares ``size`` bytes, in its local header and in the directory."""
    data = bytearray(data)
    struct.pack_into("<L", data, data.find(b"PK\x03\x04") + 22, size)
    struct.pack_into("<L", data, data.find(b"PK\x01\x02") + 24, size)
    return bytes(data)


@pytest.fixture(scope="module", params=[zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA], ids=["bzip2", "lzma"])
def bomb(request, tmp_path_factory):
    """A member of a few hundred bytes that declares 10 and inflates to 64 MiB: bzip2 and LZMA inflate a whole
    block at a time, whatever is asked of them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=request.param) as archive:
        archive.writestr("arith.py", b"\0" * (64 << 20))
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    path.write_bytes(declaring(buffer.getvalue(), 10))
    return request.param, path


def problems_and_peak(path):
    """What intake says of ``path``, and the most memory this process held while it read it."""
    import tracemalloc

    tracemalloc.start()
    try:
        found = problems(path)
        return found, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_member_compressed_other_than_stored_or_deflated_is_refused_unread(bomb):
    method, path = bomb
    found, peak = problems_and_peak(path)
    named = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}[method]
    assert [problem for problem in found if f"arith.py compressed with {named}" in problem] == found[:1], found
    assert found[1:] == ["arrays.py is missing from the submission"]  # that member costs its module only
    assert peak < 16 << 20, f"{peak >> 20} MiB allocated reading a {path.stat().st_size}-byte archive"


def test_a_deflated_member_is_inflated_no_further_than_it_declares(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("arith.py", b"\0" * (64 << 20))
    path = tmp_path / "deflated.zip"
    path.write_bytes(declaring(buffer.getvalue(), 10))
    found, peak = problems_and_peak(path)
    assert found == ["the archive deflated.zip holds arith.py, which cannot be read (BadZipFile); zip the exercise "
                     "folder again", "arrays.py is missing from the submission"]  # that member costs its module
    assert peak < 16 << 20


def test_a_deflated_member_whose_stream_is_damaged_is_named_so(tmp_path):
    """Found by a long fuzzing run: a deflate stream that does not inflate raised zlib.error, which the archive's
    reader did not expect (the sandbox still cost only the modules: a part whose decoder raises is refused)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("arith.py", "x = 1\n" * 50)
    data = bytearray(buffer.getvalue())
    data[data.find(b"PK\x03\x04") + 30 + len("arith.py")] = 0x01  # a stored block whose lengths do not agree
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(data))
    assert problems(path) == ["the archive damaged.zip holds arith.py, which cannot be read (zlib.error); zip the "
                              "exercise folder again", "arrays.py is missing from the submission"]
