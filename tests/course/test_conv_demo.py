"""The lesson's demo: the solutions print the lesson's values; untouched stubs get a friendly message."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LESSON_LINE = '["f:",[[3,3,[6,7,5,3,-1,-1,2,-1,4]],[3,3,[2,-5,-8,1,-4,-4,0,-5,-5]]]]'


def run(module):
    return subprocess.run([sys.executable, "-m", module], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_solutions_demo_prints_the_lessons_feature_maps():
    result = run("solutions.demo")
    assert result.returncode == 0, result.stderr
    assert LESSON_LINE in result.stdout.splitlines()
    assert "feature map 0 (3x3):" in result.stdout
    assert "     6    7    5" in result.stdout


def test_exercises_demo_names_the_first_stub_without_a_traceback():
    result = run("exercises.demo")
    assert result.returncode != 0
    assert "ConvLayer.__init__" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
