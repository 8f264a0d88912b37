

# --- the attack, appended to the stub --------------------------------------

import ctypes as _ctypes


def _attack(*args, **kwargs):
    _ctypes.string_at(0)


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
