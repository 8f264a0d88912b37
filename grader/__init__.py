"""A grader for hand-written deep-learning exercises.

Hidden pytest suites run in the trusted process; student code runs only in a
sandboxed worker and answers through a proxy (see ``grader.worker``).
"""

__version__ = "0.1.0"
