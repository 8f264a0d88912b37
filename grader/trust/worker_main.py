"""The program that runs inside the sandbox and hosts the student's code.

The grader does not run it in its own process: ``grader.trust.policy`` sends its text (with
``grader.trust.wire`` as a module named ``_grader_wire``) to a fresh interpreter
started with ``python -I -S``, because the sandbox cannot read the grader's
files, and that interpreter runs ``main`` with its config. It answers one request at a time (the requests of
``wire.REQUESTS``, each by its handler in ``HANDLERS``): import a student module, get or set an attribute, call,
index, fetch a value. Objects stay here behind handles; only plain data (see ``grader.trust.wire``) goes back.
The grader's tests import it as a module (then ``grader.trust.wire`` is its wire).

As a *zygote* (``"zygote"`` in the config) it imports NumPy once (with the
submodules in ``PRELOADED``) and runs the unit's helpers if it is given them, then forks
one worker per request on its control socket; the grader sends the
submission's sources to that worker, which imports them from memory. The
zygote makes itself non-dumpable (no one of its user may trace it or read its
memory) and empties ``/tmp`` and ``/dev/shm`` (the only places of the sandbox
a worker may write) before every fork, after the grader has killed the
previous worker and everything it started: one submission at a time.
"""

from __future__ import annotations

import base64
import ctypes
import importlib
import importlib.abc
import importlib.util
import inspect
import json
import marshal
import os
import shutil
import signal
import socket
import sys
import time
import types
from typing import Any

try:
    import _grader_decoding as decoding  # type: ignore[import-not-found]  # installed by the bootstrap
    import _grader_wire as wire  # type: ignore[import-not-found]  # installed by the bootstrap, in the sandbox
except ImportError:  # imported by the grader's own tests
    from grader.trust import decoding, wire

# Set by ``main`` from the config the grader passes: the pipes (their descriptors), the submission's package and
# where it is, the rlimits, and what kind of worker this is (a zygote, a portable worker).
CONFIG: dict[str, Any] = {}
FD_IN = FD_OUT = -1
PACKAGE = "submission"
ROOT = ""


def _limit_resources() -> None:
    # Soft and hard limits alike: without privileges they can never be raised again.
    if not CONFIG["rlimits"]:
        return  # the portable worker: no resource module where it runs
    import resource

    for name, value in CONFIG["rlimits"].items():
        limit = getattr(resource, name)
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            soft, hard = resource.getrlimit(limit)
            if hard == resource.RLIM_INFINITY or value < hard:
                resource.setrlimit(limit, (value, hard))


_pending = bytearray()


def _read_exact(size: int) -> bytes:
    """``size`` bytes of the request stream, reading ahead what is there (a request costs one read)."""
    while len(_pending) < size:
        chunk = os.read(FD_IN, max(size - len(_pending), 1 << 16))
        if not chunk:
            raise EOFError
        _pending.extend(chunk)
    data = bytes(_pending[:size])
    del _pending[:size]
    return data


def _receive() -> Any:
    (size,) = wire.HEADER.unpack(_read_exact(wire.HEADER.size))
    return wire.parse(_read_exact(size))


def _send(payload: Any) -> None:
    data = memoryview(wire.frame(payload))
    while data:
        written = os.write(FD_OUT, data)
        data = data[written:]


# --- the unit's helpers: objects its suites create here (activators, operations...) -------------------

HELPERS: dict[str, Any] = {}


def _install_helpers(source: str) -> None:
    """The unit's helper module (course code, sent by the grader): its public names become available."""
    namespace: dict[str, Any] = {"__name__": "_grader_helpers"}
    exec(compile(source, "grader-helpers", "exec", dont_inherit=True), namespace)
    HELPERS.clear()
    HELPERS.update({name: value for name, value in namespace.items() if not name.startswith("_")})


# --- handles ----------------------------------------------------------------

objects: dict[int, Any] = {}
next_id = [1]
STAGE = ["call"]  # of a callattr request: "lookup" while its method is looked up, then "call"
CALLING: list[Any] = [None]  # the method a callattr request calls


def _handle(value: Any, qualname: str = "") -> dict[str, Any]:
    ident = next_id[0]
    next_id[0] += 1
    objects[ident] = value
    kind = type(value).__name__
    if not qualname:
        qualname = getattr(value, "__qualname__", None) or kind
        if not isinstance(qualname, str):
            qualname = kind
    return {"$h": ident, "t": kind, "q": qualname}


def _out(value: Any, qualname: str = "") -> Any:
    """Plain data when possible, a handle otherwise."""
    try:
        return wire.encode_plain(value)
    except TypeError:
        return _handle(value, qualname)


def _in(value: Any) -> Any:
    return wire.decode(value, make_handle=lambda ident, _t, _q: objects[ident])


def _where(error: BaseException) -> str:
    """The last line of student code the error passed through."""
    tb = error.__traceback__
    found = ""
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.startswith(ROOT):
            found = f"{os.path.basename(code.co_filename)}:{tb.tb_lineno} in {_qualname(code)}"
        tb = tb.tb_next
    return found


QUALNAMES: dict[str, dict[tuple[int, str], str]] = {}  # file -> (first line, name) -> qualified name
CO_OPTIMIZED = 0x1  # a function's code; a class body's is not


def _qualname(code: types.CodeType) -> str:
    """``Class.method`` for a method's code, as ``co_qualname`` says from Python 3.11 on; before, found by
    compiling the module's source again and naming each code object from the classes and functions around it."""
    qualname = getattr(code, "co_qualname", None)
    if isinstance(qualname, str):
        return qualname
    names = QUALNAMES.get(code.co_filename)
    if names is None:
        names = QUALNAMES[code.co_filename] = {}
        try:
            _name_codes(compile(_source_of(code.co_filename), code.co_filename, "exec", dont_inherit=True), "", names)
        except (OSError, SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return names.get((code.co_firstlineno, code.co_name), code.co_name)


def _name_codes(code: types.CodeType, prefix: str, names: dict[tuple[int, str], str]) -> None:
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            qualname = prefix + const.co_name
            names.setdefault((const.co_firstlineno, const.co_name), qualname)
            _name_codes(const, qualname + (".<locals>." if const.co_flags & CO_OPTIMIZED else "."), names)


def _source_of(filename: str) -> str:
    """The source of a student module: as the worker received it, or else as a file."""
    for finder in sys.meta_path:
        if isinstance(finder, _Sources):
            name = os.path.basename(filename).removesuffix(".py")
            if filename == f"{ROOT}/{PACKAGE}/{name}.py" and name in finder.sources:
                return finder.sources[name]
    with open(filename, encoding="utf-8") as handle:
        return handle.read()


def _text(error: BaseException) -> str:
    try:
        text = str(error)
    except BaseException:  # a hostile __str__
        text = "<unprintable>"
    return text[:500]


def _parameter_names(target: Any) -> list[str]:
    """The names of a callable's positional parameters (``self`` left out), to say on what a call failed."""
    try:
        signature = inspect.signature(target)
        kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
        return [str(p.name)[:40] for p in signature.parameters.values() if p.kind in kinds][:20]
    except BaseException:  # noqa: B036 - a hostile __signature__ may raise anything: then no names
        return []


# --- the requests (``wire.REQUESTS``), each by its handler ------------------------------------------------


def _install_request(request: dict[str, Any]) -> None:
    _install(request["sources"], request.get("code"), request.get("magic"), request.get("shared"),
             request.get("preludes"), request.get("cell_seconds"))


def _decode(request: dict[str, Any]) -> Any:
    return decoding.decode(request)


def _commit(request: dict[str, Any]) -> Any:
    return decoding.commits.decode_commit(ROOT)


def _import(request: dict[str, Any]) -> Any:
    module = importlib.import_module(f"{PACKAGE}.{request['module']}")
    return _handle(module, request["module"])


def _helpers(request: dict[str, Any]) -> None:
    _install_helpers(str(request["source"]))


def _helper(request: dict[str, Any]) -> Any:
    return _handle(HELPERS[str(request["name"])], str(request["name"]))


def _put(request: dict[str, Any]) -> Any:
    return _handle(_in(request["value"]))


def _getattr(request: dict[str, Any]) -> Any:
    target = objects[request["obj"]]
    value = getattr(target, request["name"])
    qualname = getattr(value, "__qualname__", None)
    owner = request.get("q") or type(target).__name__
    return _out(value, qualname if isinstance(qualname, str) else f"{owner}.{request['name']}")


def _setattr(request: dict[str, Any]) -> None:
    setattr(objects[request["obj"]], request["name"], _in(request["value"]))


def _call(request: dict[str, Any]) -> Any:
    return _out(objects[request["obj"]](*_in(request["args"]), **_in(request["kwargs"])))


def _callattr(request: dict[str, Any]) -> Any:
    """A method looked up and called in one request (``STAGE`` says which of the two failed)."""
    STAGE[0] = "lookup"
    method = getattr(objects[request["obj"]], request["name"])
    STAGE[0], CALLING[0] = "call", method
    return _out(method(*_in(request["args"]), **_in(request["kwargs"])))


def _getitem(request: dict[str, Any]) -> Any:
    return _out(objects[request["obj"]][_in(request["key"])])


def _len(request: dict[str, Any]) -> int:
    return int(len(objects[request["obj"]]))


def _value(request: dict[str, Any]) -> Any:
    return wire.encode_plain(objects[request["obj"]])


def _repr(request: dict[str, Any]) -> str:
    text = repr(objects[request["obj"]])
    if type(text) is not str:
        raise TypeError("__repr__ did not return a str")
    return str.__str__(text)[:2000]


HANDLERS = {"install": _install_request, "decode": _decode, "commit": _commit, "import": _import, "helpers": _helpers,
            "helper": _helper, "put": _put, "getattr": _getattr, "setattr": _setattr, "call": _call,
            "callattr": _callattr, "getitem": _getitem, "len": _len, "value": _value, "repr": _repr}


def _handle_request(request: dict[str, Any]) -> Any:
    op = request.get("op") if isinstance(request, dict) else None
    handler = HANDLERS.get(op) if isinstance(op, str) else None
    if handler is None:
        raise ValueError("unknown request")
    return handler(request)


def _error_record(request: Any, error: BaseException) -> Any:
    """The error reply for ``error``, raised handling ``request``."""
    op = request.get("op") if isinstance(request, dict) else None
    params = stage = None
    if op == "call":
        params = _parameter_names(objects.get(request.get("obj")))
    elif op == "callattr":
        if STAGE[0] == "lookup":
            stage = "lookup"
        else:
            params = _parameter_names(CALLING[0])
    return wire.ErrorRecord(type(error).__name__, _text(error), _where(error), isinstance(error, NotImplementedError),
                            isinstance(error, SystemExit), params, stage).reply()


class _Overran(BaseException):
    """The student's own cells have had their time."""


def _overran(*_: Any) -> None:
    raise _Overran


class _Sources(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the submission's modules from their sources, as files under ``ROOT`` would be: from the code
    they were compiled to when they were checked, where it was sent, else compiled here. A module of a notebook
    runs as the notebook does: first with the names of the modules before it (``shared``; every cell sees what
    the cells above it defined, and a cell that raised leaves what it defined before it raised), then the
    student's own cells before it (``preludes``: a helper, an import; one that raises is passed, as Jupyter
    goes on to the next cell), then its answer cell, as the student wrote it, line for line."""

    def __init__(self, sources: dict[str, str], code: dict[str, bytes], shared: dict[str, list[str]],
                 preludes: dict[str, list[str]], cell_seconds: float) -> None:
        self.sources, self.code, self.shared, self.preludes = sources, code, shared, preludes
        self.left: dict[str, dict[str, Any]] = {}  # a module that raised: the names it had defined
        self.cell_seconds = cell_seconds  # what this worker may spend on the student's own cells, in all

    def _run_cells(self, name: str, namespace: dict[str, Any]) -> None:
        """The student's own cells before the cell ``name``, each in turn in its namespace, as Jupyter runs them:
        one that raises (``sys.exit`` too) is passed; within ``cell_seconds`` in all, so that an experiment left
        in a cell (a training run, a plot) costs no answer cell its time: one that runs past it is stopped, said
        on stderr, and what follows it is not run."""
        timed = hasattr(signal, "setitimer")
        for cell in self.preludes.get(name, ()):
            if self.cell_seconds <= 0:
                return
            started = time.monotonic()
            if timed:
                signal.signal(signal.SIGALRM, _overran)
                signal.setitimer(signal.ITIMER_REAL, self.cell_seconds)
            try:
                exec(compile(cell, f"{ROOT}/{PACKAGE}/<cell before {name}>", "exec", dont_inherit=True), namespace)
            except _Overran:
                self.cell_seconds = 0
            except BaseException:  # noqa: B036 - as in a notebook: the next cell runs, with what this one defined
                pass
            finally:
                if timed:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    signal.signal(signal.SIGALRM, signal.SIG_DFL)
                self.cell_seconds -= time.monotonic() - started
            if self.cell_seconds <= 0:
                sys.stderr.write(f"[grader] your own cells before the cell {name} ran longer than the time the "
                                 "grader gives them; it stopped them there (it runs them only for what the answer "
                                 "cells use: keep experiments out of them)\n")
                return

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:  # type: ignore[override]
        if fullname == PACKAGE:
            return importlib.util.spec_from_loader(fullname, self, is_package=True)
        parent, _, name = fullname.rpartition(".")
        if parent == PACKAGE and name in self.sources:
            return importlib.util.spec_from_loader(fullname, self, origin=f"{ROOT}/{PACKAGE}/{name}.py")
        return None

    def create_module(self, spec: Any) -> None:  # type: ignore[override]
        return None

    def _names_of(self, before: str) -> dict[str, Any]:
        """The names an earlier module of the notebook defined: the module's, or those it left when it raised."""
        if before not in self.left:
            try:
                return vars(importlib.import_module(f"{PACKAGE}.{before}"))
            except Exception:  # noqa: BLE001 - its failure is its own; a later cell sees what it left
                pass
        return self.left.get(before, {})

    def exec_module(self, module: Any) -> None:
        if module.__name__ == PACKAGE:
            module.__path__ = []
            return
        name = module.__name__.rpartition(".")[2]
        module.__file__ = f"{ROOT}/{PACKAGE}/{name}.py"
        for before in self.shared.get(name, ()):
            module.__dict__.update({key: value for key, value in self._names_of(before).items()
                                    if not key.startswith("__")})
        self._run_cells(name, module.__dict__)
        if name in self.code:
            code = _located(marshal.loads(self.code[name]), module.__file__)
        else:
            code = compile(self.sources[name], module.__file__, "exec", dont_inherit=True)
        try:
            exec(code, module.__dict__)
        except BaseException:
            self.left[name] = dict(module.__dict__)
            raise


def _located(code: types.CodeType, filename: str) -> types.CodeType:
    """``code`` (and every code object in it) as if compiled from ``filename``."""
    consts = tuple(_located(const, filename) if isinstance(const, types.CodeType) else const
                   for const in code.co_consts)
    return code.replace(co_filename=filename, co_consts=consts)


def _install(sources: dict[str, str], code: Any = None, magic: Any = None, shared: Any = None,
             preludes: Any = None, cell_seconds: Any = None) -> None:
    """The submission's modules, importable; ``code`` (base64 of each module's marshalled code) is used only if
    it was made by this very Python (``magic``, its bytecode's magic number), as the decoder's is."""
    compiled: dict[str, bytes] = {}
    if isinstance(code, dict) and isinstance(magic, str) and base64.b64decode(magic) == importlib.util.MAGIC_NUMBER:
        compiled = {str(name): base64.b64decode(data) for name, data in code.items()}
    names = {str(name): [str(before) for before in earlier] for name, earlier in (shared or {}).items()}
    cells = {str(name): [str(cell) for cell in before] for name, before in (preludes or {}).items()}
    seconds = float(cell_seconds) if isinstance(cell_seconds, (int, float)) else 0.0
    sys.meta_path.insert(0, _Sources(dict(sources), compiled, names, cells, seconds))


def _empty(folder: str) -> bool:
    """Remove everything in ``folder`` that the last worker left, whatever modes it gave it (a folder it made
    unreadable is made the owner's again first: the worker and the zygote are one user); whether it is empty."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return False
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                os.chmod(entry.path, 0o700)
                for top, folders, _ in os.walk(entry.path):  # top down: each folder opened before it is walked
                    for name in folders:
                        path = os.path.join(top, name)
                        if not os.path.islink(path):
                            os.chmod(path, 0o700)
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        except OSError:
            pass
    try:
        return not os.listdir(folder)
    except OSError:
        return False


# NumPy (and what student code reaches for in it), and PyYAML, with which a worker decodes answers files
PRELOADED = ("numpy", "numpy.random", "numpy.fft", "yaml")


def zygote() -> None:
    """Fork one worker per request; report each worker's end (see the module's docstring)."""
    global FD_IN, FD_OUT
    import select

    # The point of a zygote: every worker starts with NumPy loaded, and with the parts NumPy loads only on first
    # use that student code reaches for (``np.random`` alone costs a cold worker about 12 ms).
    for name in PRELOADED:
        importlib.import_module(name)
    helpers = False  # the unit's helpers, run once here rather than in every worker
    if isinstance(CONFIG.get("helpers"), str):
        try:
            _install_helpers(CONFIG["helpers"])
            helpers = True
        except BaseException:  # noqa: B036 - then each worker is sent them, and says what is wrong
            HELPERS.clear()

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0
    control = socket.socket(fileno=CONFIG["control_fd"])
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    for ignored in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(ignored, signal.SIG_IGN)
    serial: dict[int, int] = {}
    control.send(json.dumps({"ready": os.getpid(), "helpers": helpers}).encode())
    while True:
        ready = select.select([control.fileno(), wake_read], [], [])[0]
        if wake_read in ready:
            os.read(wake_read, 4096)
            while True:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                if pid in serial:
                    control.send(json.dumps({"exit": serial.pop(pid), "status": os.waitstatus_to_exitcode(status)})
                                 .encode())
        if control.fileno() in ready:
            message, fds, _, _ = socket.recv_fds(control, 1 << 16, 3)
            if not message:
                os._exit(0)
            request = json.loads(message)
            # the only places a worker may write, emptied: nothing of the last submission reaches the next one
            # (everything else of the sandbox is read-only); one that cannot be emptied ends the zygote, and
            # the grader starts the next worker afresh
            if not (_empty("/tmp") and _empty("/dev/shm")):
                os._exit(3)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                for restored in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(restored, signal.SIG_DFL)
                for fd in (control.fileno(), wake_read, wake_write):
                    os.close(fd)
                FD_IN, FD_OUT, output = fds
                os.dup2(output, 1)
                os.dup2(output, 2)
                os.close(output)
                os.setsid()
                try:  # if memory runs out, the kernel should pick this worker, never the zygote
                    with open("/proc/self/oom_score_adj", "w") as adjust:
                        adjust.write("1000")
                except OSError:
                    pass
                CONFIG["rlimits"] = request["rlimits"]
                serve()
            for fd in fds:
                os.close(fd)
            serial[pid] = request["serial"]
            control.send(json.dumps({"forked": request["serial"], "pid": pid}).encode())


def _portable_streams() -> None:
    """The portable worker's pipes: requests come on stdin and replies go on stdout, so the student's prints
    are moved to stderr, the output capture, and stdin is emptied (portable calls only: ``dup``, ``dup2``)."""
    global FD_IN, FD_OUT
    FD_IN, FD_OUT = os.dup(0), os.dup(1)
    os.dup2(2, 1)
    empty = os.open(os.devnull, os.O_RDONLY)
    os.dup2(empty, 0)
    os.close(empty)


class _RequestPrints:
    """What one request printed through ``sys.stdout`` and ``sys.stderr``, in order: the first
    ``wire.ECHO_CAP`` characters, and a count of the rest."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.kept = self.more = 0

    def add(self, text: str) -> None:
        room = wire.ECHO_CAP - self.kept
        if room > 0:
            self.parts.append(text[:room])
            self.kept += len(self.parts[-1])
        self.more += max(len(text) - max(room, 0), 0)


class _Echo:
    """``sys.stdout`` or ``sys.stderr`` while a request runs: every write goes on to the stream it stands for
    (the output capture, as before), and kept for the reply; anything else is the stream's own."""

    def __init__(self, stream: Any, kept: _RequestPrints) -> None:
        self._stream, self._kept = stream, kept

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        written = self._stream.write(text)
        self._kept.add(text)
        return int(written)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def serve() -> None:
    if CONFIG.get("portable"):
        _portable_streams()
    _limit_resources()  # the submission's modules are imported from memory (_Sources): nothing on sys.path is its
    streams = sys.stdout, sys.stderr
    while True:
        try:
            request = _receive()
        except EOFError:
            os._exit(0)
        prints = _RequestPrints()
        sys.stdout, sys.stderr = _Echo(streams[0], prints), _Echo(streams[1], prints)
        try:
            reply: dict[str, Any] = {"ok": _handle_request(request)}
        except BaseException as error:  # noqa: B036 - student code may raise anything, even SystemExit
            reply = _error_record(request, error)
        sys.stdout, sys.stderr = streams  # what the student's code put there lasts no longer than its request
        STAGE[0], CALLING[0] = "call", None
        for stream in streams:
            try:  # the student's prints must reach the capture before a kill can lose them
                stream.flush()
            except BaseException:  # noqa: B036 - a replaced stream may raise anything
                pass
        if prints.parts or prints.more:
            reply["printed"] = ["".join(prints.parts), prints.more]
        try:
            _send(reply)
        except TypeError:
            _send(wire.ErrorRecord("TypeError", "the answer cannot be sent as plain data").reply())


def main(config: str) -> None:
    """Run as the config (JSON) says: a zygote, or a worker serving requests until its pipe closes."""
    global CONFIG, FD_IN, FD_OUT, PACKAGE, ROOT
    CONFIG = json.loads(config)
    FD_IN, FD_OUT = CONFIG.get("fd_in", -1), CONFIG.get("fd_out", -1)
    PACKAGE, ROOT = CONFIG["package"], CONFIG["root"]
    if CONFIG.get("zygote"):
        zygote()
    else:
        serve()


if __name__ == "__main__":
    main(sys.argv[1])
