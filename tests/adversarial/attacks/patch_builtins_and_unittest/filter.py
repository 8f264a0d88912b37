

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


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
