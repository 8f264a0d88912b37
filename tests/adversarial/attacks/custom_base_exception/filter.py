

# --- the attack, appended to the stub --------------------------------------

class _Passed(BaseException):
    """Not an Exception: slips past `except Exception`."""


def _attack(*args, **kwargs):
    raise _Passed("passed")


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
