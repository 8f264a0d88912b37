

# --- the attack, appended to the stub --------------------------------------

import sys as _sys


def _attack(*args, **kwargs):
    _sys.exit(0)


ReluActivator.forward = ReluActivator.backward = _attack
