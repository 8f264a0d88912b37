

# --- the attack, appended to the stub --------------------------------------

from .activators import _attack  # the attack lives in activators.py


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
