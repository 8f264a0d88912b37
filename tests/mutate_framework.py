"""Break the grader's own code on purpose, one small change at a time, and see whether its tests notice.

    python tests/mutate_framework.py grader/model/late.py tests/framework/test_late.py [TESTS...]
        [--functions NAME,NAME] [--timeout 600]

The mutants are those ``grader mutants`` makes of a unit's solutions (``grader.authoring.mutation``: an operator,
a constant, a bound, a dropped statement, ``=`` for ``+=``, two arguments swapped, a loop's range), here of every
function body of the module (or of the functions named). Each is written into a copy of the repository (its
files as git lists them), where the given tests run, with that copy first on every process's path; a mutant none
of them fails *survives*: a behaviour no test holds, a test to write. One pytest run per mutant, so minutes per
module: run it on the module you are changing, not in CI. Exit status 1 when a mutant survives.
"""

from __future__ import annotations

import argparse
import ast
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from grader.authoring.mutation import mutants  # noqa: E402


def function_lines(source: str, names: set[str] | None) -> set[int]:
    """The lines of every function's body (its docstring left out), or of the functions ``names`` (by name or
    qualified name)."""
    lines: set[int] = set()

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                body = child.body[1:] if ast.get_docstring(child) is not None else child.body
                if body and (names is None or name in names or child.name in names):
                    lines.update(range(body[0].lineno, (body[-1].end_lineno or body[-1].lineno) + 1))
                visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".")

    visit(ast.parse(source), "")
    return lines


def copy_repository(into: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source, target = ROOT / name, into / name
        if source.is_file() and not source.is_symlink():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def run_tests(copy: Path, tests: list[str], timeout: float) -> tuple[bool, str]:
    """Whether the tests pass in ``copy`` (a run past ``timeout`` fails), and the end of what pytest said."""
    env = {**os.environ, "PYTHONPATH": str(copy)}
    try:
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:randomly", "-n", "0", *tests],
                              cwd=copy, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False, f"past {timeout:.0f} s"
    return done.returncode == 0, (done.stdout + done.stderr)[-2000:]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", help="a module of the grader, e.g. grader/model/late.py")
    parser.add_argument("tests", nargs="+", help="the test files (or node ids) that should hold it")
    parser.add_argument("--functions", help="only these functions, by name, comma-separated")
    parser.add_argument("--timeout", type=float, default=600, help="seconds one run of the tests may take")
    args = parser.parse_args()
    source = (ROOT / args.module).read_text(encoding="utf-8")
    names = set(args.functions.split(",")) if args.functions else None
    found = mutants(source, Path(args.module).stem, args.module, inside=function_lines(source, names))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="grader-mutate-") as temp:
        copy = Path(temp) / "repository"
        copy_repository(copy)
        target = copy / args.module
        passed, said = run_tests(copy, args.tests, args.timeout)
        if not passed:
            print(f"the tests fail on the module as it is: no mutant can be judged\n{said}", file=sys.stderr)
            return 2
        survivors = []
        for index, mutant in enumerate(found, start=1):
            target.write_text(mutant.source, encoding="utf-8")
            caught = not run_tests(copy, args.tests, args.timeout)[0]
            print(f"[{index}/{len(found)}] {'caught  ' if caught else 'SURVIVES'} {args.module}:{mutant.line} "
                  f"({mutant.function}) {mutant.kind}", flush=True)
            if not caught:
                survivors.append(mutant)
        target.write_text(source, encoding="utf-8")
    print(f"\n{len(found) - len(survivors)}/{len(found)} caught in {time.monotonic() - started:.0f} s")
    for mutant in survivors:
        print(f"  SURVIVES {args.module}:{mutant.line} ({mutant.function}) {mutant.kind}")
        print("\n".join(f"      - {line}" for line in mutant.old.splitlines()))
        print("\n".join(f"      + {line}" for line in mutant.new.splitlines()))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
