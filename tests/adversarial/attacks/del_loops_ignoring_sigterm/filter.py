

# --- the attack, appended to the stub --------------------------------------

import signal as _signal


class _Sticky:
    def __del__(self):
        _signal.signal(_signal.SIGTERM, _signal.SIG_IGN)
        while True:
            pass


def _attack(*args, **kwargs):
    _Sticky()  # dropped at once: its __del__ runs here
    return _Sticky()


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
