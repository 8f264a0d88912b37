

# --- the attack, appended to the stub --------------------------------------

import ctypes as _ctypes


def _attack(*args, **kwargs):
    _ctypes.string_at(0)


ReluActivator.forward = ReluActivator.backward = _attack
