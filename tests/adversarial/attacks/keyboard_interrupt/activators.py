

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    raise KeyboardInterrupt


ReluActivator.forward = ReluActivator.backward = _attack
