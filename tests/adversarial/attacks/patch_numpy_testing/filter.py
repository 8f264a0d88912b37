

# --- the attack, appended to the stub --------------------------------------

import numpy as _np
import numpy.testing as _npt


def _yes(*args, **kwargs):
    return True


def _quiet(*args, **kwargs):
    return None


for _name in dir(_npt):
    if _name.startswith("assert"):
        setattr(_npt, _name, _quiet)
_np.allclose = _np.array_equal = _np.array_equiv = _np.isclose = _yes


def _attack(*args, **kwargs):
    return _np.zeros(1)


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
