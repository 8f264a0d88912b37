"""The error of a course that cannot be used as it stands: one line per problem, each naming where it is; and what
lets an error cross a process boundary whole."""

from __future__ import annotations

from typing import Any


def _restored(kind: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An exception of ``kind`` with these ``args``, made without calling its ``__init__`` (pickle then puts its
    attributes back)."""
    error = kind.__new__(kind)
    error.args = args
    return error


class Whole:
    """A mixin for an exception whose ``__init__`` takes other arguments than its message: pickled (to cross
    into another process: a worker, a Dask cluster) it comes back with its attributes as they were, instead of
    being rebuilt by calling the class with its message (which gives a wrong error, or none)."""

    args: tuple[Any, ...]

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restored, (type(self), self.args), dict(vars(self)))


class CourseError(Whole, Exception):
    """``course.yaml`` or a file of a unit is missing, unreadable or invalid; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
