

# --- the attack, appended to the stub --------------------------------------

import unittest as _unittest


def _attack(*args, **kwargs):
    raise _unittest.SkipTest("skipped by the submission")


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
