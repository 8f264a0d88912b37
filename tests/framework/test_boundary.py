"""The data boundary, proved over the whole space of what a student can send: whatever a submission holds, the
decoders (``grader.trust.decoding``) hand back a document, the grader's check of it (``grader.trust.document``)
either accepts it as plain, bounded, valid-Unicode data or refuses it in one line, and the check is total over
any JSON at all (a decoder that went wrong, or was made to, cannot get past it with anything else). What the data
files hold never changes what the modules are.

Strategies: YAML documents built from every tag of the safe schema (valid for its value or not), every scalar
style, keys of any kind and nesting; text from every Unicode category, lone surrogates included (as bytes that
are not UTF-8, and as JSON or YAML escapes); integers past 4,300 digits in every base YAML reads; notebooks of
nbformat 3 (worksheets, ``input``) and 4 with any field of any type; archives with every compression method
zipfile knows and methods it does not. Each example is bounded in time (``tests/bounded.py``); the budget of
examples is fixed (``GRADER_FUZZ=1`` for a long search).
"""

from __future__ import annotations

import io
import json
import os
import string
import struct
import zipfile
from pathlib import Path
from typing import Any

from bounded import ends_within, timed
from hypothesis import given
from hypothesis import strategies as st
from intake_here import decode_here, intake_here, through_the_wire

from grader.model.course import load_course
from grader.model.messages import Text, render
from grader.running.intake import take
from grader.running.transport import Carried, Record
from grader.trust import wire
from grader.trust.decoding.answers import parse_cell, parse_yaml
from grader.trust.document import DocumentError, read_answers, read_modules, read_practice

MINI = Path(__file__).parent / "fixtures" / "mini"
UNIT = load_course(MINI).unit()
MODULES = list(UNIT.modules)
SOURCES = {name: (UNIT.source_dir / f"{name}.py").read_bytes() for name in MODULES}
TEXTS = ("essay", "why")  # open questions' ids: their answers are always text
EXAMPLE_SECONDS = 5
RUN_SECONDS = 3600 if os.environ.get("GRADER_FUZZ") else 180

# --- what a student can write -------------------------------------------------------------------------------

any_character = st.characters(blacklist_categories=())  # every category, lone surrogates (Cs) included
any_text = st.text(any_character, max_size=30)
digits = st.integers(4290, 4400).map(lambda n: "9" * n)
numbers_as_written = st.one_of(
    st.integers().map(str), digits, digits.map(lambda d: "-" + d),
    st.integers(3400, 3700).map(lambda n: "0x" + "f" * n),
    st.integers(4000, 4400).map(lambda n: "0o" + "7" * n), st.integers(1, 50).map(lambda n: "0b" + "1" * n * 300),
    st.just("1:20:30"), st.just("190:20:30.15"), st.just("1_000_000"), st.just("+.inf"), st.just(".NaN"),
    st.just("1e400"), st.just("-0.0"), st.just("0x_"), st.just("2024-02-30"), st.just("2002-12-14t21:59:43.10-05:00"))
SAFE_TAGS = ["!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "!!binary", "!!set", "!!omap",
             "!!pairs", "!!seq", "!!map", "!!merge", "!!value", "!!python/object/apply:os.system", "!custom",
             "!<tag:yaml.org,2002:int>", "!!yaml"]


def _quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar, escapes and all (a surrogate as its ``\\u`` escape)."""
    return '"' + "".join(c if c.isprintable() and c not in '"\\\\' and not "\ud800" <= c <= "\udfff"
                         else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in text) + '"'


scalars = st.one_of(
    numbers_as_written, any_text.map(_quoted), st.text(string.ascii_letters + string.digits + " .:-_", max_size=20),
    st.sampled_from(["yes", "no", "on", "~", "null", "true", "", "''", "|\n  block\n  text", ">\n  folded"]),
)


def _tagged(tag: str | None, value: str) -> str:
    return f"{tag} {value}" if tag else value


yaml_values = st.recursive(
    st.tuples(st.one_of(st.none(), st.sampled_from(SAFE_TAGS)), scalars).map(lambda p: _tagged(*p)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(inner, inner), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"? {k} : {v}" for k, v in pairs) + "}"),
        st.tuples(st.sampled_from(["!!set", "!!omap", "!!pairs", "!!seq", "!!map"]), inner).map(
            lambda p: f"{p[0]} {p[1]}")),
    max_leaves=12)
keys = st.one_of(st.sampled_from(["twice", "mean", "pick", "essay", "why", "<<"]), scalars,
                 st.sampled_from(["? [1, 2]", "? {a: 1}", "2024-01-01", "!!binary aGk=", "null", "0x10", "1.5"]))


@st.composite
def answers_files(draw: st.DrawFn) -> bytes:
    """An answers file as people and attackers write it: lines ``key: value`` of any tag, style and nesting,
    sometimes anchors, aliases, documents, directives; as UTF-8, or as bytes that are not."""
    lines = [f"{key}: {value}" for key, value in draw(st.lists(st.tuples(keys, yaml_values), max_size=8))]
    extra = draw(st.lists(st.sampled_from(["%YAML 1.1", "---", "...", "&a x", "*a", "# comment", "- 1", "\t"]),
                          max_size=2))
    text = "\n".join(extra + lines) + "\n"
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "surrogates kept", "utf-16", "latin-1"]))
    if how == "surrogates kept":  # bytes that are not UTF-8: a surrogate written out as if it could be
        return text.encode("utf-8", "surrogatepass")
    return text.encode(how, "replace")


def one_line(text: Text) -> None:
    for lang in ("en", "zh"):
        shown = render(text, lang)
        assert shown and "\n" not in shown and "Traceback" not in shown


def plain(value: Any, depth: int = 0) -> None:
    """Plain data, valid Unicode everywhere (what every writer of the grader can write)."""
    assert depth < 20
    if isinstance(value, str):
        value.encode("utf-8")
    elif isinstance(value, list):
        for item in value:
            plain(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            assert isinstance(key, str)
            key.encode("utf-8")
            plain(item, depth + 1)
    else:
        assert value is None or type(value) in (bool, int, float), type(value)
        assert type(value) is not int or len(str(abs(value))) <= 200


def checked_answers(decoded: Any) -> None:
    answers, problem, notes = read_answers(through_the_wire({"answers": decoded, "notes": {}}))
    assert (answers is None) != (problem is None) or (answers is None and problem is None and decoded is None)
    if problem is not None:
        one_line(problem)
    if answers is not None:
        plain(answers.values)
        for refusal in answers.refused.values():
            one_line(refusal)
        for question in TEXTS:
            assert question not in answers.refused and isinstance(answers.values.get(question, ""), str)


@ends_within(RUN_SECONDS)
@given(data=answers_files())
def test_any_answers_file_is_plain_valid_answers_or_one_line(data):
    checked_answers(timed(EXAMPLE_SECONDS, parse_yaml, data, "answers.yaml", TEXTS))


cell_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**50, 10**50), st.floats(), any_text, st.binary(max_size=8),
              st.complex_numbers(), st.just(Ellipsis)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner), st.sets(st.integers(), max_size=3),
                            st.dictionaries(st.one_of(any_text, st.integers(), st.binary(max_size=4)), inner,
                                            max_size=3)),
    max_leaves=12)


@ends_within(RUN_SECONDS)
@given(answers=st.dictionaries(st.one_of(st.sampled_from(["twice", "essay", "why"]), any_text, st.integers()),
                               cell_values, max_size=5),
       tail=st.sampled_from(["", "\nx = compute()", "\nANSWERS['twice'] = 1", "\n" + "9" * 4400]))
def test_any_answers_cell_is_plain_valid_answers_or_one_line(answers, tail):
    checked_answers(timed(EXAMPLE_SECONDS, parse_cell, f"ANSWERS = {answers!r}{tail}", "nb.ipynb: answers", TEXTS))


# --- notebooks ---------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=False), any_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(any_text, inner, max_size=3)),
    max_leaves=10)
sources = st.one_of(st.sampled_from([s.decode() for s in SOURCES.values()]), any_text,
                    st.lists(any_text, max_size=3), json_values)
grade_ids = st.one_of(st.sampled_from([*MODULES, "answers", "essay", "why", "other"]), json_values)


@st.composite
def notebook_cells(draw: st.DrawFn, version: int) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": draw(st.one_of(st.sampled_from(["code", "markdown", "raw", "heading"]),
                                                        json_values))}
    cell["source" if version == 4 else draw(st.sampled_from(["input", "source"]))] = draw(sources)
    if draw(st.booleans()):
        cell["metadata"] = draw(st.one_of(json_values, st.fixed_dictionaries(
            {"nbgrader": st.one_of(json_values, st.fixed_dictionaries({"grade_id": grade_ids}, optional={
                "solution": json_values, "grade": json_values, "points": json_values}))})))
    for field in draw(st.lists(st.sampled_from(["outputs", "execution_count", "id", "attachments", "prompt_number",
                                                "language", "level"]), max_size=3)):
        cell[field] = draw(json_values)
    return cell


@st.composite
def notebooks(draw: st.DrawFn) -> bytes:
    version = draw(st.sampled_from([3, 4]))
    cells = draw(st.lists(st.one_of(notebook_cells(version), json_values), max_size=6))
    body: dict[str, Any] = {"metadata": draw(json_values), "nbformat": version,
                            "nbformat_minor": draw(st.integers(0, 5))}
    if version == 3:
        body["worksheets"] = [{"cells": cells, "metadata": draw(json_values)}]
    else:
        body["cells"] = cells
    text = json.dumps(body, ensure_ascii=draw(st.booleans()))
    return text.encode("utf-8", "surrogatepass") if draw(st.booleans()) else text.encode("utf-8", "replace")


@ends_within(RUN_SECONDS)
@given(data=notebooks())
def test_any_notebook_is_read_into_plain_modules_and_answers_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("nb") / "n.ipynb"
    path.write_bytes(data)
    intake = timed(EXAMPLE_SECONDS, intake_here, UNIT, path, True, TEXTS)
    for problem in intake.problems.values():
        one_line(problem)
    assert set(intake.problems) | set(intake.accepted) == set(MODULES)
    for source in intake.sources.values():
        source.encode("utf-8")
    for note in intake.notes.values():
        note.encode("utf-8")
        assert len(note) <= 20_001
    assert intake.answers is None or intake.answers_problem is None
    if intake.answers_problem is not None:
        one_line(intake.answers_problem)


# --- archives ----------------------------------------------------------------------------------------------

METHODS = [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]
members = st.lists(st.tuples(st.sampled_from(["arith.py", "arrays.py", "w/arith.py", "answers.yaml", "n.ipynb",
                                              "x.txt"]),
                             st.one_of(st.sampled_from(list(SOURCES.values())), st.binary(max_size=200),
                                       answers_files()),
                             st.one_of(st.sampled_from(METHODS), st.sampled_from([1, 6, 9, 14, 93, 97, 98, 99]))),
                   max_size=4, unique_by=lambda member: member[0])


def archive(entries: list[tuple[str, bytes, int]], lie: int | None) -> bytes:
    """A zip of ``entries``, each member with its method: the ones zipfile writes, written; the others written
    stored, then relabelled with that method's number (what a reader must refuse, not guess). ``lie``: a size the
    first member then declares."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as made:
        for name, data, method in entries:
            made.writestr(zipfile.ZipInfo(name), data, compress_type=method if method in METHODS else 0)
    raw = bytearray(buffer.getvalue())
    with zipfile.ZipFile(io.BytesIO(bytes(raw))) as written:
        infos, entry = written.infolist(), written.start_dir
    methods = {name: method for name, _, method in entries}
    for index, info in enumerate(infos):  # the directory lists the members in the order they were written
        assert raw[entry:entry + 4] == b"PK\x01\x02"
        if methods[info.filename] not in METHODS:
            struct.pack_into("<H", raw, info.header_offset + 8, methods[info.filename])
            struct.pack_into("<H", raw, entry + 10, methods[info.filename])
        if index == 0 and lie is not None:
            struct.pack_into("<L", raw, info.header_offset + 22, lie)
            struct.pack_into("<L", raw, entry + 24, lie)
        name_length, extra, comment = struct.unpack_from("<HHH", raw, entry + 28)
        entry += 46 + name_length + extra + comment
    return bytes(raw)


@ends_within(RUN_SECONDS)
@given(entries=members, lie=st.one_of(st.none(), st.integers(0, (1 << 32) - 1)))
def test_any_archive_with_any_compression_is_read_or_refused_in_one_line(tmp_path_factory, entries, lie):
    path = tmp_path_factory.mktemp("zip") / "s.zip"
    path.write_bytes(archive(entries, lie))
    intake = timed(EXAMPLE_SECONDS, intake_here, UNIT, path, True, TEXTS)
    for problem in intake.problems.values():
        one_line(problem)
        said = render(problem)
        assert "compressed with" not in said or any(m not in (0, 8) for _, _, m in entries)
    assert set(intake.problems) | set(intake.accepted) == set(MODULES)
    unreadable = {name.rpartition("/")[2][:-3] for name, _, method in entries if method not in (0, 8)}
    assert not set(intake.accepted) & unreadable - {name.rpartition("/")[2][:-3] for name, _, method in entries
                                                    if method in (0, 8)}


# --- what the data files hold never changes the modules -----------------------------------------------------


@ends_within(RUN_SECONDS)
@given(answers=answers_files(), practice=answers_files(), notebook=st.one_of(st.none(), notebooks()))
def test_nothing_in_the_data_files_changes_what_the_modules_are(tmp_path_factory, answers, practice, notebook):
    folder = tmp_path_factory.mktemp("s")
    for name, source in SOURCES.items():
        (folder / f"{name}.py").write_bytes(source)
    clean = timed(EXAMPLE_SECONDS, intake_here, UNIT, folder, True, TEXTS, True)
    (folder / "answers.yaml").write_bytes(answers)
    (folder / "practice.yaml").write_bytes(practice)
    if notebook is not None:
        (folder / "extra.ipynb").write_bytes(notebook)
    spoiled = timed(EXAMPLE_SECONDS, intake_here, UNIT, folder, True, TEXTS, True)
    assert (spoiled.accepted, spoiled.sources, spoiled.code, spoiled.problems, spoiled.form) == (
        clean.accepted, clean.sources, clean.code, clean.problems, clean.form)
    for problem in (spoiled.answers_problem, spoiled.practice_problem):
        if problem is not None:
            one_line(problem)


# --- the grader's check of a document is total -------------------------------------------------------------

documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.integers(4290, 4400).map(lambda n: 10**n - 1), st.floats(),
              any_text,
              st.sampled_from(["folder", "notebook", "archive", "intake.missing", "answers.yaml", "worker.gone",
                               "code", "params", "source", "problem", "values", "refused", "answers", "notes",
                               *MODULES])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(any_text, st.sampled_from(
                                ["form", "modules", "shared", "source", "code", "problem", "code", "params",
                                 "answers", "values", "refused", "notes", *MODULES, "module", "size", "limit"])),
                                inner, max_size=4)),
    max_leaves=20)


@ends_within(RUN_SECONDS)
@given(document=documents)
def test_any_document_is_accepted_as_plain_data_or_refused_in_one_line(document):
    for read in (lambda d: read_modules(d, MODULES, 256 * 1024), read_answers, read_practice):
        try:
            found = timed(EXAMPLE_SECONDS, read, document)
        except DocumentError as error:
            assert "\n" not in str(error) and str(error)
            continue
        assert found is not None


@ends_within(RUN_SECONDS)
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode()),
                      any_text.map(lambda t: json.dumps({"ok": t}).encode())))
def test_anything_a_worker_sends_is_valid_unicode_or_garbled(body):
    try:
        value = timed(EXAMPLE_SECONDS, wire.parse, body)
    except (ValueError, RecursionError):
        return
    json.dumps(value, ensure_ascii=False).encode("utf-8")  # every text in it can be written


@ends_within(RUN_SECONDS)
@given(reply=documents)
def test_a_decoder_that_answers_anything_costs_only_its_part(reply):
    """A decoder that went wrong (or was made to) answers anything: the part is refused with a reason, never
    more, and the other parts are read as they are."""
    def decode(request: dict[str, Any]) -> Any:
        return reply if request["part"] == "answers" else decode_here(request)

    carried = Carried("s", tuple(Record(f"{name}.py", "file", len(source), source) for name, source in SOURCES.items()))
    intake = timed(EXAMPLE_SECONDS, take, decode, carried, MODULES, 256 * 1024, True, TEXTS)
    assert intake.accepted == MODULES
    if intake.answers_problem is not None:
        assert intake.answers_problem.code in ("answers.decoder", "answers.large", "answers.yaml") or \
            intake.answers_problem.code.startswith(("answers.", "intake."))
