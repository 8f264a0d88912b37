

# --- the attack, appended to the stub --------------------------------------

import threading as _threading
import time as _time


def _attack(self=None, *args, **kwargs):
    def later():
        _time.sleep(0.05)
        if hasattr(self, "__dict__"):
            self.output_array = "changed after the answer"
    _threading.Thread(target=later, daemon=True).start()
    raise NotImplementedError("implemented in a thread")


ReluActivator.forward = ReluActivator.backward = _attack
