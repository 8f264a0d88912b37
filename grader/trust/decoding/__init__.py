"""The decoders: what a student sends, read where student code runs and handed back as one bounded document.

Everything a submission holds besides running code is data to decode: its folder's layout, the modules' bytes,
a zip archive, a notebook's JSON, ``answers.yaml`` and ``practice.yaml``, a notebook's answers cell. Decoding is
where a parser meets hostile bytes (a YAML tag whose constructor raises, a lone surrogate, a number of 4,000
digits, a member compressed a thousandfold), so it happens inside the sandbox, in the submission's worker, under
the limits its code has and before any of that code is loaded there: a parser's exception costs the part being
read, a bomb or a crash costs the worker, and the grader only ever sees the document these modules return,
checked against a strict schema (``grader.trust.document``) before anything reads it.

The input is the submission as ``grader.running.transport.carry`` takes it: its name and a list of records (a
path below the submission, its kind, its size and, for a file intake may read, its bytes). A request decodes one
*part*, so that a failure costs only what it touches:

- ``modules`` (``modules.decode_modules``): where the modules are (the folder, a folder in it, a notebook, an
  archive) and each module's source, checked (a regular file, not too large, UTF-8, valid Python) and compiled,
  or the problem that keeps it out; in a notebook, which earlier modules' names each module sees;
- ``answers`` (``answers.decode_answers``): the answers to the unit's questions, each read on its own, and a
  notebook's Markdown cells of the open questions;
- ``practice`` (``answers.decode_practice``): the answers of ``practice.yaml``.

A worker started on one student's repository alone (bound read-only) reads its last commit's time
(``commits.decode_commit``, the ``commit`` request) for the late policy.

Every value handed back is plain (``plain``): valid Unicode text, integers of bounded length, floats, booleans,
null, lists, maps with text keys; a problem is ``{"code": <message code>, "params": {...}}``, which the grader
turns into a message only after checking it. The package imports nothing of the grader and nothing but the
standard library (PyYAML when answers are read): ``grader.trust.policy`` sends its modules to the worker as
text, as it sends ``grader.trust.wire``.
"""

from __future__ import annotations

from typing import Any

from . import commits
from .answers import decode_answers, decode_practice
from .archives import BROKEN, archive_tree, broken
from .modules import decode_modules
from .plain import Refused, problem, text
from .tree import Tree, suffix

__all__ = ["MODULES", "commits", "decode"]

# the package's modules in the order they are loaded in the sandbox: each after those it imports (this one last)
MODULES = ("plain", "tree", "archives", "notebooks", "layout", "modules", "answers", "commits")


def decode(request: dict[str, Any]) -> dict[str, Any]:
    """Answer a ``decode`` request of the worker protocol: the part it names, of the submission it carries (a
    zip archive read as the tree of its members: as the folder it unpacks to)."""
    tree = Tree(str(request["name"]), list(request["records"]))
    modules = [str(module) for module in request["modules"]]
    part = request["part"]
    if part not in ("modules", "answers", "practice"):
        raise ValueError(f"no part {str(part)[:20]!r}")
    if tree.one_file and suffix(tree.name).lower() == ".zip" and tree.kind("") == "file":
        name = text(tree.name)
        try:
            with archive_tree(tree.data("") or b"", name) as members:
                return _part(members, part, modules, request)
        except Refused as refused:
            trouble = refused.problem
        except BROKEN as error:
            trouble = problem("intake.archive", path=name, error=broken(error))
        if part == "modules":
            return {"form": "archive", "modules": {module: {"problem": trouble} for module in modules},
                    "shared": {}, "preludes": {}}
        return {"answers": {"problem": trouble}, "notes": {}} if part == "answers" else {"answers": None}
    return _part(tree, part, modules, request)


def _part(tree: Tree, part: str, modules: list[str], request: dict[str, Any]) -> dict[str, Any]:
    if part == "modules":
        return decode_modules(tree, modules, int(request["source_bytes"]))
    if part == "answers":
        return decode_answers(tree, modules, [str(question) for question in request["texts"]])
    return decode_practice(tree, modules)
