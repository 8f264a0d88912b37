"""The README and ``--help`` say what the code does: every option of every command is in the README, every command's
help states its exit statuses and the README's table has a row for each, every limit is named where instructors
look, and a sandbox this machine cannot give is refused before any work."""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from grader.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
MINI = Path(__file__).parent / "fixtures" / "mini"


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


def options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"]


def test_every_option_of_every_command_is_in_the_readme():
    found = {name: options(parser) for name, parser in {"grader": build_parser(), **commands()}.items()}
    assert sum(map(len, found.values())) >= 40  # the walk found the commands' options at all
    missing = [f"{name} {option}" for name, names in found.items() for option in names
               if not re.search(rf"{re.escape(option)}(?![\w-])", README)]
    assert not missing, f"options the README does not mention: {missing}"


def test_every_command_states_its_exit_statuses_in_its_help_and_in_the_readme():
    table = re.search(r"Exit statuses.*?\n\n(\|.*?)\n\n", README, re.S)
    assert table, "the README's table of exit statuses"
    rows = {re.match(r"\| `(\S+)`", line).group(1) for line in table.group(1).splitlines()[2:]}
    assert rows == set(commands()), rows ^ set(commands())
    for name, parser in commands().items():
        assert "Exit status: 0" in " ".join((parser.description or "").split()), name
    assert "exits 2 on a usage error" in " ".join((build_parser().epilog or "").split())


def test_a_sandbox_this_machine_cannot_give_is_refused_before_any_work(tmp_path):
    env = {**os.environ, "GRADER_BWRAP": str(tmp_path / "no-such-bwrap")}
    klass = tmp_path / "class"
    (klass / "alice").mkdir(parents=True)
    out = tmp_path / "out"
    for args in (["grade", str(MINI / "solutions")], ["grade-all", str(klass), "--out", str(out)],
                 ["check"], ["validate"]):
        done = subprocess.run([sys.executable, "-m", "grader", "--course", str(MINI), *args, "--sandbox", "bwrap"],
                              capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and "bubblewrap" in done.stderr and "does not work" in done.stderr
        assert done.stdout == ""
    assert not out.exists()


def test_the_test_kit_reference_is_complete_and_in_step_with_the_code():
    import grader.kit
    from grader.authoring import kit_reference

    assert kit_reference.undocumented() == []
    page = (ROOT / "docs" / "kit.md").read_text(encoding="utf-8")
    assert page == kit_reference.render(), "stale: python -m grader.authoring.kit_reference > docs/kit.md"

    for name in [*grader.kit.__all__, "submission", "rng", "reference", "predictions", "unit_data", "question"]:
        assert f"### `{name}" in page, name
