

# --- the attack, appended to the stub --------------------------------------

import ctypes as _ctypes

_ctypes.string_at(0)
