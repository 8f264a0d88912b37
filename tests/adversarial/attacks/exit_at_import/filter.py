

# --- the attack, appended to the stub --------------------------------------

import sys as _sys

_sys.exit(0)
