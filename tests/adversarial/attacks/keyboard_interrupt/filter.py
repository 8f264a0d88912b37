

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    raise KeyboardInterrupt


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
