"""Everything a student reads exists in Chinese, and the Chinese has no English in it: every message of the
catalogue, each unit's hints, questions, titles and README, the demo's sentences and what ``grader check`` prints.
Code, identifiers, file names and a few technical names stay as they are written; nothing else may be Latin."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.kit.questions import parameters, questions_of
from grader.model.course import load_course
from grader.model.hints import load_hints
from grader.model.messages import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
COURSE = load_course(ROOT)
UNITS = [unit.id for unit in COURSE.units]

# names that Chinese text about programming writes as they are: products, formats, units, and the lesson's terms
TECHNICAL = {
    "Python", "macOS", "Linux", "Windows", "PowerShell", "GitHub", "Classroom", "Jupyter", "notebook", "NumPy",
    "YAML", "UTF", "CPU", "KiB", "MiB", "zip", "zip64", "id", "int", "dtype", "exit", "len", "repr", "ANSWERS",
    "filter", "Filter", "feature", "map", "ReLU", "Relu", "Sigmoid", "sigmoid", "INPUT", "CONV", "POOL", "FC", "N",
    "M", "K",
}


def identifiers(unit) -> set[str]:
    """Every name the unit's modules use: a Chinese sentence may speak of them as code."""
    names = set()
    for module in unit.modules:
        tree = ast.parse((unit.source_dir / f"{module}.py").read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def english(text: str, allowed: set[str] = frozenset()) -> list[str]:
    """The Latin words of ``text`` that are neither code nor an allowed name."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # code blocks
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"\{[^{}]*\}", "x_", text)  # a message's placeholders: a name
    text = re.sub(r"--[a-z][a-z-]*", " ", text)  # a command's options
    text = re.sub(r"\d+(?:x\d+)+", " ", text)  # sizes: 3x3, 5x5x3
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*(?:[.(\[][^\s，。；：、（）]*)?", text)
    # code written inline: a dotted or called name, a name with an underscore, a file name
    return [w for w in words if not re.search(r"[._(\[]", w) and w not in TECHNICAL and w not in allowed
            and not re.fullmatch(r"[a-zA-Z]\d*", w)]  # a one-letter name of a formula (x, W1, a)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_message_of_the_catalogue_is_chinese(code):
    assert english(CATALOGUE[code]["zh"]) == [], CATALOGUE[code]["zh"]


@pytest.mark.parametrize("unit_id", UNITS)
def test_each_units_hints_titles_and_questions_are_chinese(unit_id):
    unit = COURSE.unit(unit_id)
    names = identifiers(unit)
    assert english(unit.name("zh")) == []
    for task in unit.tasks:
        assert english(task.name("zh"), names) == [], task.name("zh")
    for hint_id, hint in load_hints(unit.content("hints")).items():
        found = english(hint.title["zh"], names) + english(hint.hint["zh"], names)
        assert found == [], (hint_id, found)
    for question in questions_of(unit) if unit.has_questions else []:
        text = question.render(parameters(unit, question, None), "zh")
        assert english(text, names) == [], (question.id, english(text, names))
        for option, texts in question.choices.items():
            assert english(texts["zh"], names) == [], (question.id, option)


@pytest.mark.parametrize("unit_id", UNITS)
def test_each_unit_has_a_chinese_readme_with_the_same_sections(unit_id):
    unit = COURSE.unit(unit_id)
    english_readme = unit.content("readme").read_text(encoding="utf-8")
    chinese = unit.content("readme_zh")
    assert chinese is not None, f"{unit_id}: no student.zh.md"
    text = chinese.read_text(encoding="utf-8")
    assert english(text, identifiers(unit)) == []
    assert text.count("\n## ") == english_readme.count("\n## ")  # every section, translated
    assert text.count("```") == english_readme.count("```")  # every command shown


def test_the_demo_speaks_chinese():
    sys.path.insert(0, str(ROOT))
    from solutions import demo

    for key, sentence in demo.WORDS["zh"].items():
        assert english(sentence, {"ConvLayer"}) == [], key


def test_check_in_chinese_has_a_chinese_word_on_every_line():
    done = subprocess.run([sys.executable, "-m", "grader", "check", "exercises", "--lang", "zh"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert len(lines) > 10
    assert [line for line in lines if not re.search(r"[\u4e00-\u9fff]", line)] == []
