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


def wrong_package(tmp_path, old, new):
    """The solutions package with one edit, as a package of its own in ``tmp_path``."""
    import shutil

    package = Path(shutil.copytree(ROOT / "solutions", tmp_path / "wrong", ignore=shutil.ignore_patterns("*.yaml")))
    module = package / "conv_layer.py"
    assert old in module.read_text()
    module.write_text(module.read_text().replace(old, new))
    return package


def test_a_demo_whose_maps_are_not_the_lessons_says_where_and_fails(tmp_path):
    wrong_package(tmp_path, "output_array[i, j] = np.sum(patch * kernel_array) + bias",
                  "output_array[i, j] = np.sum(patch * kernel_array)")
    result = subprocess.run([sys.executable, "-m", "wrong.demo"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "These are not the lesson's feature maps: a[0, 0, 0] is 5; the lesson has 6" in result.stdout
    zh = subprocess.run([sys.executable, "-m", "wrong.demo", "--lang", "zh"], cwd=tmp_path, capture_output=True,
                        text=True, timeout=60)
    assert zh.returncode == 1 and "这不是课程中的特征图：a[0, 0, 0] 是 5，课程中是 6" in zh.stdout, zh.stdout


def test_the_demo_speaks_the_courses_language_and_says_the_maps_are_the_lessons(tmp_path):
    import shutil

    shutil.copytree(ROOT / "solutions", tmp_path / "mine", ignore=shutil.ignore_patterns("*.yaml"))
    (tmp_path / "course.yaml").write_text("title: {en: t, zh: t}\nlanguage: zh\n")
    result = subprocess.run([sys.executable, "-m", "mine.demo"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0 and "特征图 0（3x3）：" in result.stdout
    assert result.stdout.strip().endswith("这正是课程中的特征图：你的 ConvLayer 算对了课程的例子。")
    english = subprocess.run([sys.executable, "-m", "mine.demo", "--lang", "en"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60)
    assert english.stdout.strip().endswith("These are the lesson's feature maps: your ConvLayer works on its example.")
