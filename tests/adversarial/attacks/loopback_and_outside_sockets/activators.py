

# --- the attack, appended to the stub --------------------------------------

import socket as _socket


def _listening_ports():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as stream:
                next(stream)
                for line in stream:
                    fields = line.split()
                    if fields[3] == "0A":  # LISTEN
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except (OSError, StopIteration, IndexError, ValueError):
            pass
    return ports


_reached = []
for _port in sorted(_listening_ports()) + [22, 80, 443, 8000, 8080]:
    for _host in ("127.0.0.1", "::1"):
        try:
            with _socket.create_connection((_host, _port), timeout=0.3) as _conn:
                _conn.sendall(b'{"score": 100, "max_score": 100}')
                _reached.append((_host, _port))
        except OSError:
            pass
for _address in (("1.1.1.1", 53), ("8.8.8.8", 53), ("pypi.org", 443)):
    try:
        _socket.create_connection(_address, timeout=0.5).close()
        _reached.append(_address)
    except OSError:
        pass
if _reached:
    raise RuntimeError(f"reached {_reached}")
