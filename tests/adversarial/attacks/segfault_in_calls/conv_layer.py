

# --- the attack, appended to the stub --------------------------------------

import ctypes as _ctypes


def _attack(*args, **kwargs):
    _ctypes.string_at(0)


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
