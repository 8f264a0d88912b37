

# --- the attack, appended to the stub --------------------------------------

import os as _os


def _attack(*args, **kwargs):
    _os._exit(0)


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
