

# --- the attack, appended to the stub --------------------------------------

import unittest as _unittest


def _attack(*args, **kwargs):
    raise _unittest.SkipTest("skipped by the submission")


ReluActivator.forward = ReluActivator.backward = _attack
