"""The test kit: everything a unit's suites import, one public API.

Checks that explain what is wrong (``check_array``, ``check_number``, ...) and
raise a ``Mismatch`` carrying a finding; ``diagnosing`` to name a known
mistake behind an exception; ``same`` and ``matching_mistake`` for
predictions; ``fetch`` and ``student_repr`` to read what stays in the worker.
The fixtures a suite asks for by name (``submission``, ``rng``,
``predictions``, ``reference``, ``unit_data``) come from ``grader.kit.plugin``,
which the grader loads whenever it runs a course's suites.
"""

from ..running.session import StudentError, fetch, student_repr
from .checks import (
    check_array,
    check_count,
    check_differ,
    check_fills,
    check_floats,
    check_number,
    check_range,
    check_repr,
    check_shape,
    check_spread,
    check_unchanged,
    describe,
    diagnosing,
    fail,
    random_array,
    subject_of,
)
from .diagnosis import (
    Anything,
    FloatNear,
    IntegerArray,
    MaxAbsIn,
    MessageHas,
    Mismatch,
    Predicate,
    ShapeIn,
    Suspect,
    ValuesIn,
    matching_mistake,
    probe,
    same,
)
from .predictions import Predictions

__all__ = [
    "Anything", "FloatNear", "IntegerArray", "MaxAbsIn", "MessageHas", "Mismatch", "Predicate", "Predictions",
    "ShapeIn", "StudentError", "Suspect", "ValuesIn", "probe", "check_array", "check_count", "check_differ",
    "check_fills", "check_floats", "check_number",
    "check_range", "check_repr", "check_shape", "check_spread", "check_unchanged", "describe", "diagnosing", "fail",
    "fetch", "matching_mistake", "random_array", "same", "student_repr", "subject_of",
]
