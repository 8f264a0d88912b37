"""Copied work flagged for a human: pairwise similarity of a class's code, never a change of grade.

Each submission's modules are the ones grading decoded in the sandbox (kept as
``sources.json`` beside the report; decoded again where there is none), nothing
of them run, tokenized and fingerprinted by ``copydetect`` (the winnowing of
MOSS: names become placeholders, comments and whitespace go, so renaming,
reformatting and reordering do not hide a copy). What the stubs already hold
is ignored, and so is any passage found in more than ``common`` submissions
(MOSS's ``-m``): code the whole class shares, such as the lesson's own, is not
evidence. A pair's similarity is the larger of the two shares of each one's
fingerprinted code that the other holds too; pairs at or above the threshold
are flagged, with the functions that match and the matching code side by side.

Everything is computed here, on this machine: no code is sent anywhere. The
tokenizer reads student code, so each submission is fingerprinted in a child
process within a deadline of its own; one that takes too long is left out and
named, and the others are compared as usual.
"""

from __future__ import annotations

import ast
import html
import itertools
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..model.course import Unit
from ..model.files import csv_text, write_below
from ..running.deadline import Stopped, each_within
from ..running.session import decoded
from ..trust.policy import SandboxMode
from .discovery import Entry
from .outputs import graded_sources

CSV = "similarity.csv"
K = 25  # characters of normalized code per fingerprint (copydetect's noise threshold)
WINDOW = 1  # every k-gram is kept: the modules are short
MIN_MATCH = 2 * K  # a pair shares at least this many characters of normalized code to be flagged
DEFAULT_THRESHOLD = 0.6
DEFAULT_COMMON = 10
SECONDS_PER_SUBMISSION = 5.0


@dataclass
class CodePrints:
    """A module's fingerprints, in the shape ``copydetect.detector.compare_files`` reads."""

    raw_code: str
    filtered_code: str
    offsets: Any  # numpy array: where filtering removed characters
    hashes: set[int]
    hash_idx: dict[int, list[int]]
    k: int = K
    token_coverage: float = 0.0


@dataclass
class Pair:
    a: str
    b: str
    similarity: float  # the larger share
    shares: tuple[float, float]  # of a's code found in b, of b's in a
    matched: int  # characters of normalized code in common
    functions: list[str]  # "module.Class.method" that match, in either
    views: list[tuple[str, str, str]] = field(default_factory=list)  # (module, a's code, b's code) as marked HTML


@dataclass
class Similarity:
    pairs: list[Pair]  # at or above the threshold, most similar first
    compared: int
    left_out: dict[str, str]  # student -> why their code was not compared
    threshold: float
    common: int
    seconds: float = 0.0


def _tools() -> tuple[Any, Any, Any, Any]:
    os.environ.setdefault("MPLBACKEND", "Agg")  # copydetect imports matplotlib: never a display
    from copydetect.detector import compare_files  # type: ignore[import-untyped,unused-ignore]
    from copydetect.utils import (  # type: ignore[import-untyped,unused-ignore]
        filter_code,
        get_document_fingerprints,
        get_token_coverage,
    )

    return compare_files, filter_code, get_document_fingerprints, get_token_coverage


def available() -> bool:
    """Whether the similarity pass can run here (``copydetect`` is installed: the ``batch`` extra)."""
    try:
        _tools()
    except ImportError:
        return False
    return True


def code_prints(source: str, boilerplate: Any = None) -> CodePrints:
    _, filter_code, document_fingerprints, token_coverage = _tools()
    filtered, offsets = filter_code(source, "module.py", "python")
    hashes, index = document_fingerprints(filtered, K, WINDOW, boilerplate if boilerplate is not None else [])
    return CodePrints(source, filtered, offsets, {int(h) for h in hashes}, {int(h): i for h, i in index.items()},
                 K, float(token_coverage(index, K, len(filtered))))


def _without(prints: CodePrints, common: set[int]) -> CodePrints:
    """``prints`` with the passages in ``common`` treated as boilerplate."""
    _, _, _, token_coverage = _tools()
    index = {h: i for h, i in prints.hash_idx.items() if h not in common}
    return CodePrints(prints.raw_code, prints.filtered_code, prints.offsets, set(index), index, K,
                      float(token_coverage(index, K, len(prints.filtered_code))))


def _read(unit: Unit, entry: Entry, boilerplate: dict[str, Any], mode: SandboxMode,
          out: Path | None = None) -> dict[str, CodePrints]:
    """In a child: the fingerprints of each module of ``entry`` as it was graded: as grading kept it in ``out``
    (``sources.json``), else decoded in the sandbox as grading decodes it (a notebook's cells as the student
    wrote them, nothing added)."""
    sources = graded_sources(out, entry.student) if out is not None else None
    if sources is None:
        sources = decoded(unit, entry.path, mode).written()
    return {name: code_prints(source, boilerplate.get(name)) for name, source in sources.items()
            if name in unit.modules}


def _fingerprint_class(unit: Unit, entries: list[Entry], boilerplate: dict[str, Any], jobs: int,
                       left_out: dict[str, str], mode: SandboxMode,
                       out: Path | None) -> dict[str, dict[str, CodePrints]]:
    """Every submission's fingerprints, ``jobs`` children at a time, each submission within
    ``SECONDS_PER_SUBMISSION`` of its own: one that overruns them is left out and named, and costs no other
    submission its place."""
    found = each_within(SECONDS_PER_SUBMISSION, lambda entry: _read(unit, entry, boilerplate, mode, out), entries,
                        jobs)
    prints: dict[str, dict[str, CodePrints]] = {}
    for entry, result in zip(entries, found):
        if isinstance(result, Stopped):
            code = result.reason.code
            left_out[entry.student] = ("reading its code took too long" if code == "run.stopped.deadline" else
                                       f"its code could not be read ({result.reason.params.get('error') or code})")
        else:
            prints[entry.student] = result
    return prints


def _functions(source: str) -> list[tuple[str, int, int]]:
    """Every function of a module as (qualified name, first character, end character)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    starts = [0, *itertools.accumulate(len(line) for line in source.splitlines(keepends=True))]
    found = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef) and child.end_lineno is not None:
                    found.append((name, starts[child.lineno - 1], starts[min(child.end_lineno, len(starts) - 1)]))
                visit(child, name + ".")

    visit(tree, "")
    return found


def _matching_functions(module: str, source: str, slices: Any) -> list[str]:
    """The functions of which at least half the characters (not counting whitespace) fall in ``slices``."""
    marked = np.zeros(len(source), dtype=bool)
    for start, end in zip(*slices):
        marked[int(start):int(end)] = True
    visible = np.array([not c.isspace() for c in source], dtype=bool) if source else np.zeros(0, dtype=bool)
    names = []
    for name, start, end in _functions(source):
        total = int(visible[start:end].sum())
        if total and int((marked[start:end] & visible[start:end]).sum()) >= total / 2:
            names.append(f"{module}.{name}")
    return names


def _marked(source: str, slices: Any) -> str:
    """``source`` as HTML with the matching parts in ``<mark>``; everything escaped."""
    parts, at = [], 0
    for start, end in sorted(zip((int(s) for s in slices[0]), (int(e) for e in slices[1]))):
        start, end = max(start, at), max(end, at)
        parts.append(html.escape(source[at:start]))
        parts.append(f"<mark>{html.escape(source[start:end])}</mark>")
        at = end
    parts.append(html.escape(source[at:]))
    return "".join(parts)


def _compare(a: str, b: str, prints: dict[str, dict[str, CodePrints]]) -> Pair:
    """How much of ``a``'s code ``b`` holds and the other way round, module by module, and where."""
    compare_files = _tools()[0]
    overlap = [0.0, 0.0]
    coverage = [0.0, 0.0]
    matched = 0
    functions: list[str] = []
    views = []
    for module in sorted(set(prints[a]) | set(prints[b])):
        first, second = prints[a].get(module), prints[b].get(module)
        coverage[0] += first.token_coverage if first else 0.0
        coverage[1] += second.token_coverage if second else 0.0
        if first is None or second is None:
            continue
        common, (share_a, share_b), (slices_a, slices_b) = compare_files(first, second)
        if not common:
            continue
        overlap[0] += float(share_a) * first.token_coverage
        overlap[1] += float(share_b) * second.token_coverage
        matched += int(common)
        for name in (*_matching_functions(module, first.raw_code, slices_a),
                     *_matching_functions(module, second.raw_code, slices_b)):
            if name not in functions:
                functions.append(name)
        views.append((module, _marked(first.raw_code, slices_a), _marked(second.raw_code, slices_b)))
    shares = tuple(min(1.0, o / c) if c else 0.0 for o, c in zip(overlap, coverage))
    return Pair(a, b, round(max(shares), 4), (round(shares[0], 4), round(shares[1], 4)), matched, functions, views)


def compare_class(unit: Unit, entries: list[Entry], threshold: float = DEFAULT_THRESHOLD,
                  common: int = DEFAULT_COMMON, jobs: int = 1, sandbox_mode: SandboxMode = "auto",
                  out: Path | None = None) -> Similarity:
    """Compare every pair of ``entries`` (as graded into ``out``, where they were); see the module's
    docstring."""
    started = time.monotonic()
    left_out: dict[str, str] = {}
    boilerplate = {}
    for name in unit.modules:
        stub = unit.stubs_dir / f"{name}.py"
        if stub.is_file():
            boilerplate[name] = np.array(sorted(code_prints(stub.read_text(encoding="utf-8")).hashes), dtype=np.int64)
    prints = _fingerprint_class(unit, entries, boilerplate, jobs, left_out, sandbox_mode, out)
    students = [entry.student for entry in entries if entry.student in prints]
    # passages held by more than `common` submissions are shared material, not evidence
    holders: dict[tuple[str, int], list[str]] = defaultdict(list)
    for student in students:
        for module, code in prints[student].items():
            for value in code.hashes:
                holders[(module, value)].append(student)
    shared_by_many: dict[str, set[int]] = defaultdict(set)
    for (module, value), who in holders.items():
        if len(who) > common:
            shared_by_many[module].add(value)
    prints = {s: {m: _without(p, shared_by_many[m]) if shared_by_many[m] else p for m, p in prints[s].items()}
              for s in students}
    candidates: set[tuple[str, str]] = set()
    for (_, _), who in holders.items():
        if 2 <= len(who) <= common:
            candidates.update(itertools.combinations(sorted(who), 2))
    pairs = []
    for a, b in sorted(candidates):
        pair = _compare(a, b, prints)
        if pair.similarity >= threshold and pair.matched >= MIN_MATCH:
            pairs.append(pair)
    pairs.sort(key=lambda p: (-p.similarity, p.a, p.b))
    return Similarity(pairs, len(students), left_out, threshold, common, time.monotonic() - started)


def write_csv(out: Path, result: Similarity) -> Path:
    """``similarity.csv``: the flagged pairs, most similar first."""
    rows: list[list[Any]] = [["student_a", "student_b", "similarity", "functions"]]
    rows += [[p.a, p.b, p.similarity, "; ".join(p.functions)] for p in result.pairs]
    write_below(out, (CSV,), csv_text(rows))
    return out / CSV
