/**
 * The Python that turns a loaded Pyodide into a harness worker: it runs infra/python/sinas_harness.py
 * itself (the same handler contract, input() replay, output capture and limits as every other runner)
 * and feeds its serve() loop from the realm's protocol functions instead of fds 0 and 1. Expects the
 * globals read_request, write_reply, buffers_spent, harness_source and harness_path; leaves `harness`
 * among them (serve returns when read_request gives an empty line).
 */
export const HARNESS_BOOT_PYTHON = `
import sys
import types


def _resource_stub():
    """Pyodide has no resource module; the harness only sets rlimits with it, which the worker's caps replace."""
    m = types.ModuleType("resource")
    m.RLIMIT_AS = m.RLIMIT_FSIZE = m.RLIMIT_NOFILE = m.RLIMIT_CPU = m.RUSAGE_SELF = 0
    m.RLIM_INFINITY = -1
    m.getrusage = lambda who: types.SimpleNamespace(ru_utime=0.0, ru_stime=0.0)
    m.getrlimit = lambda kind: (m.RLIM_INFINITY, m.RLIM_INFINITY)
    m.setrlimit = lambda kind, limits: None
    return m


class ProtocolIn:
    def __init__(self, read):
        self._read = read

    def readline(self):
        return self._read().encode("utf-8")


class ProtocolOut:
    def __init__(self, write):
        self._write = write

    def write(self, data):
        self._write(data.decode("utf-8"))
        return len(data)

    def flush(self):
        pass


def _load_harness(source, path):
    sys.modules["resource"] = _resource_stub()
    try:
        harness = types.ModuleType("sinas_harness")
        harness.__file__ = path
        exec(compile(source, path, "exec"), harness.__dict__)
        return harness
    finally:
        del sys.modules["resource"]


def _fresh_randomness():
    """An interpreter booted from a memory snapshot starts with the snapshot's random state: draw anew."""
    import random
    import tempfile

    random.seed()
    tempfile._name_sequence = None


_fresh_randomness()
def _recycle_when_buffers_spent(harness, spent):
    """The harness marks a run dirty (the runner recycles the worker) when it left threads or child
    processes behind; here also when the worker's runs made more JavaScript buffers than one may."""
    children = harness.child_processes
    harness.child_processes = lambda: children() or (["javascript buffers"] if spent() else [])


harness = _load_harness(harness_source, harness_path)
_recycle_when_buffers_spent(harness, buffers_spent)
harness.serve(ProtocolIn(read_request), ProtocolOut(write_reply))
`;
