"""The conv unit's course code: trusted, run in the grader's process, never shipped to students.

- ``reference``: an independent implementation that computes expected values;
- ``predictions``: what each known mistake would give on a test's own input.
"""
