

# --- the attack, appended to the stub --------------------------------------

import unittest as _unittest


def _attack(*args, **kwargs):
    raise _unittest.SkipTest("skipped by the submission")


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
