

# --- the attack, appended to the stub --------------------------------------

from .activators import _take_from_solutions  # the search lives in activators.py

_take_from_solutions(globals())
