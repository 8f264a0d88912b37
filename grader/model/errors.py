"""The error of a course that cannot be used as it stands: one line per problem, each naming where it is."""

from __future__ import annotations


class CourseError(Exception):
    """``course.yaml`` or a file of a unit is missing, unreadable or invalid; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
