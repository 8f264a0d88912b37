

# --- the attack, appended to the stub --------------------------------------

import json as _json
import os as _os
import struct as _struct
import sys as _sys

_FD_OUT = _json.loads(_sys.argv[1])["fd_out"] if len(_sys.argv) > 1 else 1
_calls = [0]


def _frame(payload):
    data = _json.dumps(payload).encode()
    return _struct.pack(">Q", len(data)) + data


def _attack(*args, **kwargs):
    _calls[0] += 1
    kind = _calls[0] % 3
    if kind == 0:  # a reply claiming success, then the real one: the stream goes out of step
        _os.write(_FD_OUT, _frame({"ok": True}))
        return None
    if kind == 1:  # a length no one should believe
        _os.write(_FD_OUT, _struct.pack(">Q", 1 << 62))
        _os._exit(0)
    _os.write(_FD_OUT, b"\x00" * 8 + b"garbage")
    _os._exit(0)


Filter.__init__ = Filter.get_weights = Filter.get_bias = Filter.update = _attack
