

# --- the attack, appended to the stub --------------------------------------

import sys as _sys


def _attack(*args, **kwargs):
    _sys.exit(0)


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
