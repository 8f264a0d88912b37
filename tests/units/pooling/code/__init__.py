"""The pooling unit's course code: trusted, run in the grader's process, never shipped to students.

- ``reference``: max pooling written with NumPy windows, apart from ``solutions/``;
- ``predictions``: what each known mistake of the unit would give.
"""
