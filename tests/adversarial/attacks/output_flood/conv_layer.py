

# --- the attack, appended to the stub --------------------------------------

import os as _os
import sys as _sys

_chunk = "y" * (1 << 20)
for _ in range(1024):  # 1 GiB on stdout
    _sys.stdout.write(_chunk)
for _ in range(256):  # and 256 MiB on stderr, past Python's buffers
    _os.write(2, _chunk.encode())
