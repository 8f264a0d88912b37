"""The course as data: ``course.yaml`` loaded into validated, typed objects.

Every problem with the file becomes one line naming the key path and, where
the YAML parser knows it, the line: ``course.yaml:14: tasks[0].points: ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from .errors import CourseError
from .late import LatePolicy
from .located import Lines, load_yaml, parse, validated

COURSE_FILE = "course.yaml"
__all__ = ["CourseError", "COURSE_FILE", "Course", "Unit", "load_course", "parse_course"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Suites(_Strict):
    """Where a unit's suites are, when not in its folder's ``public/`` and ``hidden/``."""

    public: str | None = None
    hidden: str | None = None


Visibility = Literal["visible", "after_due_date", "hidden"]  # as in Gradescope's results schema


Titles = str | dict[Literal["en", "zh"], str]  # one title, or one per language


def repeated(ids: list[str]) -> list[str]:
    """The ids that appear more than once, sorted."""
    return sorted({i for i in ids if ids.count(i) > 1})


def _title_in(title: Titles, lang: str) -> str:
    if isinstance(title, str):
        return title
    return title.get(lang) or title.get("en") or next(iter(title.values()), "")  # type: ignore[call-overload]


class TaskNotebook(_Strict):
    """A task in the nbgrader notebook, when not in the unit's ``notebook/<task>.md`` and
    ``notebook/<task>.test_cell.tmpl``: the Markdown before its answer cell, and its test cell's template."""

    text: str | None = None
    tests: str | None = None


class Task(_Strict):
    """A graded part of a unit: a module's functions (``module`` and ``covers``), or the unit's questions."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Titles
    points: float = Field(gt=0)
    module: str | None = None
    covers: list[str] = Field(default_factory=list)
    questions: bool = False  # this task's tests are the unit's questions (see grader.model.questions)
    tests: str = Field(pattern=r"^test_[A-Za-z0-9_]+\.py$")
    visibility: Visibility = "visible"
    # per test: the first key that starts the test's name (e.g. `test_padding`) decides
    test_visibility: dict[str, Visibility] = Field(default_factory=dict)
    notebook: TaskNotebook | None = None  # the task in the nbgrader notebook (see grader.authoring.release)

    def name(self, lang: str = "en") -> str:
        """The task's title in ``lang`` (or in English when it has none in that language)."""
        return _title_in(self.title, lang)

    def visibility_of(self, test_name: str) -> Visibility:
        for prefix, visibility in self.test_visibility.items():
            if test_name.startswith(prefix):
                return visibility
        return self.visibility

    @field_validator("points", mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        # strict mode refuses an int for a float field; points may be written either way
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    @model_validator(mode="after")
    def _code_or_questions(self) -> Task:
        if self.questions and (self.module is not None or self.covers):
            raise ValueError("a questions task has no `module` or `covers`: its tests are the unit's questions")
        if not self.questions and (self.module is None or not self.covers):
            raise ValueError("a task needs `module` and `covers` (or `questions: true`)")
        return self


class QuestionsSource(_Strict):
    """Where a unit's questions are, when not in its folder's ``questions.yaml`` and ``questions.py``: their file,
    and the generators of their numbers (both shipped)."""

    file: str | None = None
    generators: str | None = None


class Limits(_Strict):
    call_seconds: float = Field(default=5, gt=0)
    import_seconds: float = Field(default=10, gt=0)
    submission_seconds: float = Field(default=120, gt=0)
    cpu_seconds: int = Field(default=60, gt=0)
    memory_mb: int = Field(default=1024, ge=64)
    processes: int = Field(default=64, ge=1)
    file_size_mb: int = Field(default=16, ge=0)
    output_kb: int = Field(default=64, ge=1)
    source_kb: int = Field(default=256, ge=1)
    grading_cpu_seconds: float = Field(default=30, gt=0)  # the grader's own CPU time on one submission

    @field_validator("call_seconds", "import_seconds", "submission_seconds", "grading_cpu_seconds", mode="before")
    @classmethod
    def _seconds(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value


class Notebook(_Strict):
    """The unit as an nbgrader assignment: its names, and the Markdown that opens the notebook (when not the
    unit's ``notebook/intro.md``)."""

    assignment: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    name: str = Field(pattern=r"^[A-Za-z0-9_-]+$")
    intro: str | None = None


UNITS_FOLDER = "tests/units"  # each unit's folder is UNITS_FOLDER/<id> unless it names its own

# What a unit brings besides its modules, found in its folder by these names unless course.yaml names it (a path
# relative to the unit's folder): key -> (name in the folder, what it must be). A released bundle leaves out what
# stays with the instructors, and so has none of it.
CONVENTIONS: dict[str, tuple[str, str]] = {
    "public": ("public", "directory"),  # the public suites (shipped to students)
    "hidden": ("hidden", "directory"),  # the hidden suites (never released)
    "code": ("code", "package"),  # course code: reference, predictions, answers (never released)
    "hints": ("hints.yaml", "file"),
    "mistakes": ("mistakes.yaml", "file"),
    "survivors": ("survivors.yaml", "file"),  # mutants the hidden suites let through, each with why it is no bug
    "styles": ("styles", "directory"),
    "helpers": ("helpers.py", "file"),
    "data": ("data.json", "file"),
    "readme": ("student.md", "file"),
    "readme_zh": ("student.zh.md", "file"),  # the same in Chinese
    "questions": ("questions.yaml", "file"),
    "generators": ("questions.py", "file"),
    "book": ("public/predictions.json", "file"),  # a released bundle's record of predictions
    "intro": ("notebook/intro.md", "file"),
    "practice": ("practice.json", "file"),  # a released bundle's key of the practice questions
}


class UnitModel(_Strict):
    """One lesson: its modules and tasks, and where the course content it brings is, where that is not its
    folder's conventional place (``CONVENTIONS``).

    ``code`` is the unit's trusted course code, a package with ``reference`` and
    ``predictions`` modules that its suites reach through fixtures; it never
    reaches students. A released bundle carries ``book`` instead: the
    predictions its public suites asked for, recorded at release.
    """

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Titles
    default: bool = False
    folder: str | None = None  # the unit's folder, from the course root (default: tests/units/<id>)
    modules: list[str] = Field(default_factory=list)  # none for a unit of questions only
    demo: str | None = None  # a module of the student package that runs the lesson's own test
    suites: Suites | None = None
    tasks: list[Task] = Field(min_length=1)
    hints: str | None = None  # the hints catalogue of known mistakes (see grader.model.hints)
    mistakes: str | None = None  # the known wrong submissions, as edits of the solutions
    survivors: str | None = None  # the mutants of the solutions its hidden suites may let through, with why
    styles: str | None = None  # correct submissions written otherwise, one folder each: they must get full marks
    code: str | None = None
    book: str | None = None
    helpers: str | None = None  # Python sent into the sandbox: objects suites create there (submission.helper)
    data: str | None = None  # JSON: the ``unit_data`` fixture, and $placeholders of the notebook's test cells
    readme: str | None = None  # the student bundle's README (Markdown)
    readme_zh: str | None = None  # the same in Chinese
    questions: QuestionsSource | None = None  # the lesson's questions; their answers are in ``code``
    notebook: Notebook | None = None
    limits: Limits | None = None  # this unit's own limits, instead of the course's
    late: LatePolicy | None = None  # when it is due, and what lateness costs (see grader.model.late)

    def named(self, key: str) -> str | None:
        """The path course.yaml gives for content ``key`` (relative to the unit's folder), or None."""
        if key in ("public", "hidden"):
            return getattr(self.suites, key) if self.suites is not None else None
        if key in ("questions", "generators"):
            source = self.questions
            return None if source is None else source.file if key == "questions" else source.generators
        if key == "intro":
            return self.notebook.intro if self.notebook is not None else None
        if key == "practice":  # written by a release, always at its conventional place
            return None
        return getattr(self, key)  # type: ignore[no-any-return]

    def name(self, lang: str = "en") -> str:
        return _title_in(self.title, lang)

    @field_validator("tasks")
    @classmethod
    def _consistent(cls, tasks: list[Task], info: ValidationInfo) -> list[Task]:
        ids = [task.id for task in tasks]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"task ids must be unique; repeated: {', '.join(duplicates)}")
        modules = info.data.get("modules", [])
        unknown = [str(t.module) for t in tasks if t.module is not None and t.module not in modules]
        if unknown:
            raise ValueError(f"tasks name modules not listed in `modules`: {', '.join(unknown)}")
        if sum(task.questions for task in tasks) > 1:
            raise ValueError("at most one task holds the unit's questions")
        return tasks


CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")  # a Canvas gradebook's own


def _moodle_columns() -> dict[Literal["email", "idnumber"], str]:
    return {"email": "Email address", "idnumber": "ID number"}


class Roster(_Strict):
    """How the class list (a CSV file) is read for the LMS exports: the column holding each student's id, as
    their submission is named, and the roster column each LMS column is copied from. The defaults read a
    Canvas gradebook export as it comes, and Moodle's own column names."""

    id: str = "SIS Login ID"
    canvas: dict[str, str] = Field(default_factory=lambda: {name: name for name in CANVAS_COLUMNS})
    moodle: dict[Literal["email", "idnumber"], str] = Field(default_factory=_moodle_columns)

    @field_validator("canvas")
    @classmethod
    def _canvas(cls, columns: dict[str, str]) -> dict[str, str]:
        unknown = [name for name in columns if name not in CANVAS_COLUMNS]
        if unknown:
            raise ValueError(f"Canvas has no column {', '.join(map(repr, unknown))}; its columns are "
                             f"{', '.join(CANVAS_COLUMNS)}")
        return {**{name: name for name in CANVAS_COLUMNS}, **columns}


class CourseModel(_Strict):
    title: Titles
    language: Literal["en", "zh"] = "en"
    source: str | None = None  # the solutions; a released bundle or autograder has none
    stubs: str
    limits: Limits = Limits()
    roster: Roster = Roster()
    units: list[UnitModel] = Field(min_length=1)

    def name(self, lang: str = "en") -> str:
        return _title_in(self.title, lang)

    @field_validator("units")
    @classmethod
    def _distinct(cls, units: list[UnitModel]) -> list[UnitModel]:
        duplicates = repeated([unit.id for unit in units])
        if duplicates:
            raise ValueError(f"unit ids must be unique; repeated: {', '.join(duplicates)}")
        if sum(unit.default for unit in units) > 1:
            raise ValueError("at most one unit may be the default")
        return units


@dataclass(frozen=True)
class Course:
    """A loaded course: the validated model plus where it lives."""

    root: Path
    model: CourseModel

    @property
    def source_dir(self) -> Path:
        if self.model.source is None:
            raise CourseError([f"{COURSE_FILE}: this course has no `source` (solutions) here"])
        return self.root / self.model.source

    @property
    def stubs_dir(self) -> Path:
        return self.root / self.model.stubs

    @property
    def units(self) -> list[Unit]:
        return [Unit(self, model) for model in self.model.units]

    def unit(self, unit_id: str | None = None) -> Unit:
        """The unit ``unit_id``; without one, the course's only unit or the one marked default."""
        units = self.units
        if unit_id is None:
            defaults = [u for u in units if u.model.default]
            if len(units) == 1 or defaults:
                return defaults[0] if defaults else units[0]
            raise CourseError([f"{COURSE_FILE}: this course has {len(units)} units and none is the default: "
                               f"choose one with --unit ({', '.join(u.id for u in units)})"])
        for unit in units:
            if unit.id == unit_id:
                return unit
        raise CourseError([f"{COURSE_FILE}: no unit {unit_id!r}; the units are {', '.join(u.id for u in units)}"])

    def unit_of(self, path: Path) -> Unit | None:
        """The unit whose suites hold the test file ``path``."""
        resolved = path.resolve()
        for unit in self.units:
            for kind in ("public", "hidden"):
                folder = unit.content(kind)
                if folder is not None and resolved.is_relative_to(folder.resolve()):
                    return unit
        return None


@dataclass(frozen=True)
class Unit:
    """One unit of a course (a lesson), with the paths of what it brings resolved from the course root."""

    course: Course
    model: UnitModel

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def root(self) -> Path:
        return self.course.root

    @property
    def tasks(self) -> list[Task]:
        return self.model.tasks

    @property
    def modules(self) -> list[str]:
        return self.model.modules

    @property
    def limits(self) -> Limits:
        return self.model.limits or self.course.model.limits

    @property
    def language(self) -> Literal["en", "zh"]:
        return self.course.model.language

    @property
    def source_dir(self) -> Path:
        return self.course.source_dir

    @property
    def stubs_dir(self) -> Path:
        return self.course.stubs_dir

    @property
    def max_score(self) -> float:
        return sum(task.points for task in self.tasks)

    @property
    def has_questions(self) -> bool:
        return self.content("questions") is not None and any(task.questions for task in self.tasks)

    def name(self, lang: str = "en") -> str:
        return self.model.name(lang)

    @property
    def folder(self) -> Path:
        """The unit's own folder: everything it brings besides its modules."""
        return self.root / (self.model.folder or f"{UNITS_FOLDER}/{self.id}")

    def content(self, key: str) -> Path | None:
        """Where the unit's content ``key`` (one of ``CONVENTIONS``) is: the path course.yaml names, else its
        conventional place in the unit's folder if it is there; None when the unit has none."""
        named = self.model.named(key)
        if named is not None:
            return self.folder / named
        name, kind = CONVENTIONS[key]
        path = self.folder / name
        return path if _is(path, kind) else None

    def notebook_parts(self, task: Task) -> tuple[Path, Path]:
        """A task's Markdown and its test cell's template in the nbgrader notebook (they may not exist)."""
        given = task.notebook or TaskNotebook()
        return (self.folder / (given.text or f"notebook/{task.id}.md"),
                self.folder / (given.tests or f"notebook/{task.id}.test_cell.tmpl"))

    def shown(self, path: Path) -> str:
        """``path`` as a message names it: from the course root."""
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def suite_dir(self, kind: Literal["public", "hidden"]) -> Path:
        folder = self.content(kind)
        if folder is None:
            why = (" (grading with the hidden suites is the instructor's: a student bundle has none; "
                   "`grader check` runs the public checks)" if kind == "hidden" else "")
            raise CourseError([f"{COURSE_FILE}: unit {self.id} has no {kind} suites here "
                               f"({self.shown(self.folder / kind)}){why}"])
        return folder

    def suite_file(self, task: Task, kind: Literal["public", "hidden"]) -> Path:
        return self.suite_dir(kind) / task.tests

    def task(self, task_id: str) -> Task:
        for task in self.tasks:
            if task.id == task_id:
                return task
        raise KeyError(task_id)


def _is(path: Path, kind: str) -> bool:
    return {"file": path.is_file, "directory": path.is_dir, "package": (path / "__init__.py").is_file}[kind]()


def _where(key: str) -> tuple[str, ...]:
    """The key path in course.yaml that names content ``key`` of a unit."""
    return {"public": ("suites", "public"), "hidden": ("suites", "hidden"), "questions": ("questions", "file"),
            "generators": ("questions", "generators"), "intro": ("notebook", "intro")}.get(key, (key,))


def _missing_files(unit: Unit, at: tuple[Any, ...], lines: Lines) -> list[str]:
    """One line for each thing a unit needs that is not there: its folder, its public suites, what course.yaml
    names for it, and each task's suite files (with the key path and line)."""
    problems = []

    def problem(key_path: tuple[Any, ...], text: str) -> None:
        problems.append(lines.at(at + key_path, text))

    if not unit.folder.is_dir():
        problem(("folder",) if unit.model.folder else ("id",), f"the unit's folder {unit.shown(unit.folder)!r} does "
                "not exist (everything a unit brings besides its modules is there)")
        return problems
    model = unit.model
    for key, (_, kind) in CONVENTIONS.items():
        named = model.named(key)
        if named is not None and not _is(unit.folder / named, kind):
            what = "a package (a folder with __init__.py)" if kind == "package" else f"a {kind}"
            problem(_where(key), f"{unit.shown(unit.folder / named)!r} is not {what}")
    if unit.content("public") is None:
        problem(("suites",), f"the unit has no public suites: {unit.shown(unit.folder / 'public')!r} is not a folder")
        return problems
    if any(task.questions for task in model.tasks) and unit.content("questions") is None:
        problem(("tasks",), f"a questions task needs the unit's questions ({unit.shown(unit.folder)}/questions.yaml)")
    for index, task in enumerate(model.tasks):
        for kind in ("public", "hidden"):
            if unit.content(kind) is None:
                continue
            suite = unit.suite_file(task, kind)  # type: ignore[arg-type]
            if not suite.is_file():
                problem(("tasks", index, "tests"), f"{unit.shown(suite)} does not exist")
        if task.notebook is not None:
            for field_name, path in zip(("text", "tests"), unit.notebook_parts(task)):
                if getattr(task.notebook, field_name) is not None and not path.is_file():
                    problem(("tasks", index, "notebook", field_name), f"{unit.shown(path)!r} is not a file")
    return problems


def parse_course(text: str, root: Path, name: str = COURSE_FILE) -> Course:
    """Validate ``text`` as a course rooted at ``root``; raises ``CourseError``."""
    data, lines, problems = parse(text, name)
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise CourseError([f"{name}: the course must be a mapping of keys (title, units, ...), got {kind}"])
    model = validated(data, CourseModel, lines, problems)
    course = Course(root, model)
    for unit_index, unit in enumerate(course.units):
        problems += _missing_files(unit, ("units", unit_index), lines)
    for key in ("source", "stubs"):
        if getattr(model, key) is not None and not (root / getattr(model, key)).is_dir():
            problems.append(lines.at((key,), f"directory {getattr(model, key)!r} does not exist"))
    if not problems:
        problems += _shared_question_ids(course, lines)
    if problems:
        raise CourseError(problems)
    return course


def _shared_question_ids(course: Course, lines: Lines) -> list[str]:
    """Question ids are one namespace across a course's units (the solutions' ``answers.yaml`` answers them all):
    one line for each id a second unit asks again."""
    owner: dict[str, str] = {}
    problems = []
    for index, unit in enumerate(course.units):
        path = unit.content("questions")
        if path is None:
            continue
        try:
            data = load_yaml(path.read_text(encoding="utf-8"))
            ids = [str(q["id"]) for q in data["questions"] if isinstance(q, dict) and "id" in q]
        except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError):
            continue  # its own reading says what is wrong with it
        for question in ids:
            if question in owner and owner[question] != unit.id:
                problems.append(lines.at(("units", index), f"question {question!r} ({unit.shown(path)}) is a question "
                                         f"of unit {owner[question]} too: question ids are one namespace across "
                                         "units (the solutions' answers.yaml answers them all); rename one"))
            owner.setdefault(question, unit.id)
    return problems


def load_course(root: Path | None = None) -> Course:
    """Load ``course.yaml`` from ``root`` (default: found from here upwards, else the grader's checkout)."""
    if root is None:
        root = find_course_root()
    path = root / COURSE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CourseError([f"{path}: cannot read the course file ({error.strerror})"]) from None
    except UnicodeDecodeError:
        raise CourseError([f"{path}: the course file is not UTF-8 text"]) from None
    return parse_course(text, root.resolve(), COURSE_FILE)


def find_course_root(start: Path | None = None) -> Path:
    """The nearest folder holding course.yaml, from ``start`` (default: here) upwards; else the grader's checkout."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / COURSE_FILE).is_file():
            return candidate
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / COURSE_FILE).is_file():
        return checkout
    raise CourseError([f"no {COURSE_FILE} here or in any parent folder; pass --course DIR"])
