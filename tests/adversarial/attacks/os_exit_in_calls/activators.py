

# --- the attack, appended to the stub --------------------------------------

import os as _os


def _attack(*args, **kwargs):
    _os._exit(0)


ReluActivator.forward = ReluActivator.backward = _attack
