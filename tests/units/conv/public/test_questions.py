"""Public checks, the questions: each one answered, in a form that can be graded.

Your numbers: `grader questions --student YOUR_ID`. Your answers: `answers.yaml` beside your modules. Whether
they are right is for the graded tests: the public checks have no answer key.
"""

from grader.kit.questions import test_answer_is_well_formed  # noqa: F401 - pytest collects it here
