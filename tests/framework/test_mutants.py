"""Mutation analysis of a unit's hidden suites (``grader mutants``, and part of ``grader validate``): the mutants
made of the solution regions, graded as a class; a survivor not listed in the unit's ``survivors.yaml`` fails the
unit, and so does a listed one that no longer survives."""

import ast

import pytest

from grader.authoring.mutants import analyse, load_accepted
from grader.authoring.mutation import mutants
from grader.model.course import CourseError, load_course

SOURCE = '''"""A module."""


def given(x):
    return x + 1


def solved(values, low, high):
    """Everything the operators change."""
    ### BEGIN SOLUTION
    total = 0
    for i in range(len(values)):
        if values[i] > low and values[i] != high:
            total = total + values[i] * 2
    out = [0.0] * 3
    out[0] = total
    out[1:3] = values[1:3]
    bounds = (low, high)
    return clip(total, low, high), -1.5, bounds
    ### END SOLUTION
'''


def made(source=SOURCE):
    return mutants(source, "mod")


def changed(kind):
    return {(m.old, m.new) for m in made() if m.kind == kind}


def test_every_kind_of_slip_is_made_inside_the_solution_regions_only():
    found = made()
    assert {m.kind for m in found} == {"arithmetic", "comparison", "boolean", "constant", "sign flipped",
                                       "slice bound", "statement dropped", "= made +=", "arguments swapped",
                                       "elements swapped", "loop range"}
    assert all(11 <= m.line <= 19 and m.function == "solved" for m in found)  # never the given function
    assert ("total = total + values[i] * 2", "total = total - values[i] * 2") in changed("arithmetic")
    assert ("total = total + values[i] * 2", "total = total + values[i] / 2") in changed("arithmetic")
    assert ("if values[i] > low and values[i] != high:", "if values[i] >= low and values[i] != high:") in \
        changed("comparison")
    assert ("if values[i] > low and values[i] != high:", "if values[i] > low or values[i] != high:") in \
        changed("boolean")
    assert ("total = 0", "total = 1") in changed("constant")
    returned = "return clip(total, low, high), -1.5, bounds"
    assert (returned, "return clip(total, low, high), 0, bounds") in changed("constant")
    assert (returned, "return clip(total, low, high), 1.5, bounds") in changed("sign flipped")
    assert ("out[1:3] = values[1:3]", "out[1:3] = values[1 + 1:3]") in changed("slice bound")
    assert ("out[1:3] = values[1:3]", "out[1:3] = values[:3]") in changed("slice bound")
    assert ("out[0] = total", "out[0] += total") in changed("= made +=")
    assert ("return clip(total, low, high), -1.5, bounds", "return clip(total, high, low), -1.5, bounds") in \
        changed("arguments swapped")
    assert ("bounds = (low, high)", "bounds = (high, low)") in changed("elements swapped")
    assert ("for i in range(len(values)):", "for i in range(len(values) - 1):") in changed("loop range")
    assert ("for i in range(len(values)):", "for i in range(1, len(values)):") in changed("loop range")
    dropped = changed("statement dropped")
    assert ("if values[i] > low and values[i] != high:\ntotal = total + values[i] * 2", "pass") in dropped
    assert ("return clip(total, low, high), -1.5, bounds", "pass") in dropped


def test_each_mutant_is_the_module_with_that_one_change_and_parses_to_another_module():
    original = ast.dump(ast.parse(SOURCE))
    found = made()
    assert len({m.source for m in found}) == len(found)  # each once
    for mutant in found:
        assert ast.dump(ast.parse(mutant.source)) != original
        before, after = SOURCE.splitlines(), mutant.source.splitlines()
        assert before[: mutant.line - 1] == after[: mutant.line - 1], mutant  # nothing above its line changed
        assert before[-1] == after[-1]  # nor the end of the region


def test_a_mutant_is_named_by_its_lines_whatever_moves_around_it():
    moved = SOURCE.replace('"""A module."""\n', '"""A module."""\n\nA = 1\nB = 2\n')
    assert {m.key for m in made()} == {m.key for m in made(moved)}
    assert {m.line for m in made(moved)} == {m.line + 3 for m in made()}


def test_the_mini_units_survivor_is_listed_and_every_other_mutant_is_caught(mini, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    analysis = analyse(mini, 1234, "process")
    assert len(analysis.verdicts) >= 15 and analysis.problems() == []
    [survivor] = analysis.survivors
    assert (survivor.mutant.old, survivor.mutant.new) == ("return min(max(x, low), high)",
                                                          "return min(max(low, x), high)")
    assert survivor.task is not None and survivor.task.id == "numbers"
    caught = [v for v in analysis.verdicts if not v.survived]
    assert all(v.failed and set(v.failed) <= {"numbers", "arrays"} for v in caught)


def test_a_weakened_suite_lets_a_mutant_through_and_validate_names_it(mini_copy, cli):
    """The hidden test of map_each starts from zeros: ``=`` made ``+=`` survives (0 + op(0) is op(0)), and
    validate fails, naming it."""
    hidden = mini_copy / "tests" / "units" / "mini" / "hidden" / "test_arrays.py"
    hidden.write_text(hidden.read_text().replace("    values = random_array(rng, (2, 3))\n",
                                                 "    values = np.zeros((2, 3))\n"))
    done = cli("mutants", "--unit", "mini", "--sandbox", "process", course=mini_copy)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "SURVIVES solutions/arrays.py:40 (arrays, map_each) = made +=\n      - array[index] = op(array[index])\n" \
           "      + array[index] += op(array[index])" in done.stdout, done.stdout
    assert "arrays: 9/10 caught (90.0%)" in done.stdout
    validated = cli("validate", "--unit", "mini", "--sandbox", "process", course=mini_copy)
    assert validated.returncode == 1, validated.stdout
    assert "a mutant survives the hidden suites: solutions/arrays.py:40 (arrays, map_each): 'array[index] = " \
           "op(array[index])' -> 'array[index] += op(array[index])'" in validated.stdout, validated.stdout


def test_a_listed_survivor_that_is_caught_now_or_made_no_more_is_stale(mini_copy, monkeypatch):
    monkeypatch.chdir(mini_copy)
    listed = mini_copy / "tests" / "units" / "mini" / "survivors.yaml"
    listed.write_text(listed.read_text() + '- module: arith\n  old: "return 2 * x"\n  new: "return 3 * x"\n'
                      "  reason: caught\n- module: arith\n  old: gone\n  new: pass\n  reason: made no more\n")
    unit = load_course(mini_copy).unit()
    problems = analyse(unit, 1234, "process").problems()
    assert problems == [
        "tests/units/mini/survivors.yaml lists arith: 'return 2 * x' -> 'return 3 * x', but the hidden suites "
        "catch it now: remove it",
        "tests/units/mini/survivors.yaml lists arith: 'gone' -> 'pass', but no mutant changes those lines so any "
        "more: remove it"]


def test_a_survivors_file_that_is_not_a_list_of_entries_is_a_course_problem(mini_copy):
    listed = mini_copy / "tests" / "units" / "mini" / "survivors.yaml"
    for text, said in (("- module: arith\n  old: x\n", "reason"), ("{a: 1}", "each entry is"),
                       ("- [unclosed\n", "cannot be read")):
        listed.write_text(text)
        with pytest.raises(CourseError, match=said):
            load_accepted(load_course(mini_copy).unit())


def test_solutions_that_lose_points_judge_no_mutant(mini_copy, monkeypatch):
    monkeypatch.chdir(mini_copy)
    """What the mutants are judged against must itself get full marks: else every mutant would look caught."""
    solution = mini_copy / "solutions" / "arith.py"
    solution.write_text(solution.read_text().replace("return 2 * x", "return 2 * x + 1"))
    with pytest.raises(CourseError, match="the solutions, graded as one of the mutants' class, lose points in "
                                          "numbers"):
        analyse(load_course(mini_copy).unit(), 1234, "process")


def test_validate_without_the_mutants_makes_none(mini, monkeypatch, tmp_path):
    import grader.authoring.validate as validate

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(validate, "analyse", lambda *args, **kwargs: pytest.fail("the mutants were made"))
    assert validate.validate_unit(mini, 1234, "process", say=lambda text: None, mutants=False) == []


def test_the_grader_is_mutated_in_its_function_bodies_and_not_in_their_docstrings():
    """``tests/mutate_framework.py`` breaks the grader's own code: every function's body (or the functions
    named), never a docstring or what is outside a function."""
    from mutate_framework import function_lines

    source = 'X = 1\n\n\ndef f(a):\n    """Doc."""\n    return a + 1\n\n\nclass C:\n    def g(self):\n        y = 2\n' \
             '        return y\n'
    assert function_lines(source, None) == {6, 11, 12}
    assert function_lines(source, {"C.g"}) == function_lines(source, {"g"}) == {11, 12}
    found = mutants(source, "m", inside=function_lines(source, {"f"}))
    assert found and all(m.line == 6 and m.function == "f" for m in found)
