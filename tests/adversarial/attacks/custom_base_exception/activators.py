

# --- the attack, appended to the stub --------------------------------------

class _Passed(BaseException):
    """Not an Exception: slips past `except Exception`."""


def _attack(*args, **kwargs):
    raise _Passed("passed")


ReluActivator.forward = ReluActivator.backward = _attack
