"""Sinas function harness: runs user Python functions, one request at a time, for the function runners.

Standard library only (Python 3.11). One process serves many runs in sequence (a warm pool); each run
gets a fresh module namespace, and builtins are restored after it (modules it imported stay loaded). The runner recycles the process after N runs or after any failure.

Protocol (JSON lines; every message is one line of UTF-8 JSON ending in "\n"):

  harness -> runner, once at start:  {"ready": true, "pid": <int>, "python": "3.11.2"}
  runner -> harness, one per run:    {"id": str, "code": str, "function_name": str, "input": any,
                                      "context": object, "answers": [any, ...], "timeout_ms": int?,
                                      "output_limit": int?}
  harness -> runner, one per run:    {"id": str, "status": "completed" | "awaiting_input" | "failed",
                                      "output": any,               (completed)
                                      "prompt": str,               (awaiting_input)
                                      "error": str, "traceback": str | null,  (failed)
                                      "stdout": str, "stderr": str, "logs": [str],
                                      "dirty": bool}   (true: threads or child processes outlived the
                                                        run; the runner should recycle this process)

The protocol uses private copies of fds 0 and 1; fds 0 and 1 themselves are pointed at /dev/null, so
neither user code nor its child processes can write into (or read from) the protocol by accident.
print() and sys.stderr are captured per run, each up to `output_limit` bytes (default 64 KiB).

input(prompt): the n-th call returns answers[n]; the first call past the recorded answers ends the
run with status "awaiting_input" and the prompt (the runner re-runs with one more answer to resume).

Environment: SINAS_LIMIT_AS_BYTES (address space), SINAS_LIMIT_FSIZE_BYTES, SINAS_LIMIT_NOFILE set
hard rlimits at start; per run, the CPU-time soft limit is set to the run's timeout plus a second.
"""

import builtins
import io
import json
import linecache
import os
import resource
import sys
import threading
import time
import traceback
import types

DEFAULT_OUTPUT_LIMIT = 64 * 1024
HARNESS_PID = os.getpid()


class AwaitingInput(BaseException):
    """Raised by input() past the recorded answers; BaseException so `except Exception` can't eat it."""

    def __init__(self, prompt):
        super().__init__(prompt)
        self.prompt = prompt


class CappedText(io.TextIOBase):
    """A text sink that keeps the first `limit` bytes (UTF-8) and counts the rest."""

    def __init__(self, limit):
        self.limit = limit
        self.parts = []
        self.size = 0
        self.dropped = 0

    def writable(self):
        return True

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        room = self.limit - self.size
        data = s.encode("utf-8", "replace")
        if len(data) <= room:
            self.parts.append(s)
            self.size += len(data)
        else:
            if room > 0:
                self.parts.append(data[:room].decode("utf-8", "ignore"))
                self.size = self.limit
            self.dropped += len(data) - max(room, 0)
        return len(s)

    def flush(self):
        pass

    def text(self):
        return "".join(self.parts)


def set_limit(kind, value):
    if value:
        try:
            resource.setrlimit(kind, (int(value), int(value)))
        except (ValueError, OSError) as err:
            sys.__stderr__.write(f"sinas harness: cannot set rlimit {kind}: {err}\n")


def apply_process_limits():
    set_limit(resource.RLIMIT_AS, os.environ.get("SINAS_LIMIT_AS_BYTES"))
    set_limit(resource.RLIMIT_FSIZE, os.environ.get("SINAS_LIMIT_FSIZE_BYTES"))
    set_limit(resource.RLIMIT_NOFILE, os.environ.get("SINAS_LIMIT_NOFILE"))


def limit_cpu_for_run(timeout_ms):
    """Soft CPU limit = CPU used so far + the run's timeout + 1 s (the runner's wall clock is the real bound)."""
    if not timeout_ms:
        return
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = int(used.ru_utime + used.ru_stime + timeout_ms / 1000) + 1
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    try:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    except (ValueError, OSError):
        pass


def make_input(answers):
    calls = {"n": 0}

    def sinas_input(prompt=""):
        n = calls["n"]
        calls["n"] = n + 1
        if n < len(answers):
            return answers[n]
        raise AwaitingInput(str(prompt))

    return sinas_input


def find_entry(namespace, function_name, logs):
    entry = namespace.get("handler")
    if callable(entry):
        return entry
    legacy = namespace.get(function_name)
    if function_name and callable(legacy):
        logs.append(
            f"DeprecationWarning: the entry point '{function_name}' is deprecated; "
            "define handler(input_data, context) instead"
        )
        return legacy
    raise NameError(f"the code defines no handler(input_data, context) (nor a function '{function_name}')")


def child_processes():
    try:
        with open(f"/proc/{HARNESS_PID}/task/{HARNESS_PID}/children") as f:
            return f.read().split()
    except OSError:
        return []


def execute(request, out, err, logs):
    """Runs one request; returns the status fields of the reply."""
    module = types.ModuleType("sinas_function")
    module.__dict__["__builtins__"] = builtins
    sys.modules["sinas_function"] = module
    saved_builtins = dict(builtins.__dict__)  # restored after the run: a run can't leave builtins changed
    builtins.input = make_input(list(request.get("answers") or []))
    sys.stdout, sys.stderr = out, err
    try:
        source = request["code"]
        linecache.cache["<function>"] = (len(source), None, source.splitlines(True), "<function>")
        code = compile(source, "<function>", "exec")
        exec(code, module.__dict__)
        entry = find_entry(module.__dict__, request.get("function_name") or "", logs)
        result = entry(request.get("input"), request.get("context") or {})
    except AwaitingInput as pause:
        return {"status": "awaiting_input", "prompt": pause.prompt}
    except BaseException as exc:  # noqa: BLE001 - the user's failure is the run's outcome
        if os.getpid() != HARNESS_PID:
            os._exit(1)  # a forked child of the user code must never answer for the harness
        return failure(exc)
    finally:
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        sys.modules.pop("sinas_function", None)
        builtins.__dict__.clear()
        builtins.__dict__.update(saved_builtins)
    if os.getpid() != HARNESS_PID:
        os._exit(0)
    try:
        return {"status": "completed", "output": json.loads(json.dumps(result, allow_nan=False))}
    except (TypeError, ValueError, RecursionError) as exc:
        return {
            "status": "failed",
            "error": f"the handler's return value is not JSON-serialisable: {exc}",
            "traceback": None,
        }


def failure(exc):
    frames = exc.__traceback__
    while frames is not None and frames.tb_frame.f_code.co_filename == __file__:
        frames = frames.tb_next  # the user's frames only
    tb = "".join(traceback.format_exception(type(exc), exc, frames))
    message = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    if isinstance(exc, MemoryError):
        message = "MemoryError: the function ran out of memory (memory limit reached)"
    return {"status": "failed", "error": message, "traceback": tb}


def serve(proto_in, proto_out):
    write = lambda msg: (proto_out.write(json.dumps(msg).encode() + b"\n"), proto_out.flush())  # noqa: E731
    write({"ready": True, "pid": HARNESS_PID, "python": sys.version.split()[0]})
    base_threads = threading.active_count()
    while True:
        line = proto_in.readline()
        if not line:
            return
        request = json.loads(line)
        limit = int(request.get("output_limit") or DEFAULT_OUTPUT_LIMIT)
        out, err, logs = CappedText(limit), CappedText(limit), []
        limit_cpu_for_run(request.get("timeout_ms"))
        started = time.monotonic()
        reply = execute(request, out, err, logs)
        for name, sink in (("stdout", out), ("stderr", err)):
            if sink.dropped:
                logs.append(f"{name} truncated: kept the first {sink.limit} bytes, dropped {sink.dropped}")
        reply.update(
            id=request.get("id"),
            stdout=out.text(),
            stderr=err.text(),
            logs=logs,
            duration_ms=round((time.monotonic() - started) * 1000, 3),
            dirty=threading.active_count() > base_threads or bool(child_processes()),
        )
        try:
            write(reply)
        except (TypeError, ValueError) as exc:  # unreachable in practice: every field is plain JSON
            write({"id": request.get("id"), "status": "failed", "error": str(exc), "dirty": True})


def main():
    proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
    proto_out = os.fdopen(os.dup(1), "wb")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.close(devnull)
    sys.stdin = open(os.devnull)
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(open(os.devnull, "wb"))
    apply_process_limits()
    serve(io.BufferedReader(proto_in), proto_out)


if __name__ == "__main__":
    main()
