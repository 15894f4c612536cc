"""The page jail: one engine call in a process forked for it, with hard limits.

The worker loads its engines once; each page then runs in a child forked from it (copy-on-write,
so models are not loaded again) that, before it touches the page:
- closes every inherited file descriptor but its result pipe (no database or broker connection);
- gets rlimits on address space, CPU seconds and file size, and no core dumps;
- works in a private temporary folder (0700, removed afterwards);
- loads a seccomp filter: `socket` and `socketpair` fail (no network), and `execve`/`execveat`
  fail, unless the engine names programs it runs (`OcrEngine.programs`: Tesseract). Seccomp cannot
  read a path, so for such an engine exec stays open in the kernel and an audit hook lets the
  process start exactly those programs (they inherit the filter and the limits);
- dies with its parent (`PR_SET_PDEATHSIG`).
The parent waits for the result at most the call's time left, then kills the child, so a
timed-out engine stops for real. A child that dies is reported as `JailError` with the reason
(memory, cpu, file, signal); it never takes the worker down.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import pickle
import resource
import select
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from kernel import deadline
from kernel.errors import EngineFailedError, EngineTimeoutError, EngineUnavailableError, OcrgateError
from kernel.settings import Settings, load_settings

T = TypeVar("T")
MIB = 1024 * 1024
#: seconds the parent waits past the time limit for a child to answer before it is killed
GRACE_SECONDS = 1.0
_PR_SET_PDEATHSIG = 1
_SCMP_ACT_ALLOW = 0x7FFF0000
_SCMP_ACT_ERRNO = 0x00050000
NETWORK_SYSCALLS = ("socket", "socketpair")
EXEC_SYSCALLS = ("execve", "execveat")


class JailError(EngineFailedError):
    """A jailed page died: `reason` is memory, cpu, file (size) or signal."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:
        return type(self), (str(self), self.reason)


@dataclass(frozen=True)
class JailLimits:
    memory_bytes: int = 2048 * MIB
    cpu_seconds: int = 120
    file_bytes: int = 256 * MIB

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> JailLimits:
        """From OCRGATE_JAIL_MEMORY_MB, _CPU_SECONDS and _FILE_MB."""
        settings = settings or load_settings()
        return cls(settings.jail_memory_mb * MIB, settings.jail_cpu_seconds, settings.jail_file_mb * MIB)


def run_jailed(
    call: Callable[[], T], limits: JailLimits, timeout: float, programs: tuple[str, ...] = (), what: str = "page"
) -> T:
    """`call()` in a jailed child; its result, or its error raised here. `timeout` seconds at most
    (less if the current `kernel.deadline` ends first, or is cancelled)."""
    _seccomp()  # fail here, in the worker, if the filter cannot be built
    folder = tempfile.mkdtemp(prefix="ocrgate-jail-")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_end)
        _child(call, write_end, folder, limits, programs)
    os.close(write_end)
    try:
        payload, timed_out = _collect(read_end, pid, timeout)
        _, status, usage = os.wait4(pid, 0)
    finally:
        os.close(read_end)
        shutil.rmtree(folder, ignore_errors=True)
    if timed_out:
        raise EngineTimeoutError(f"{what} ran past its {timeout:g} s limit and was killed")
    if os.WIFSIGNALED(status) or not payload:
        raise _death(status, usage.ru_utime + usage.ru_stime, limits, what)
    kind, value = pickle.loads(payload)
    if kind == "ok":
        return value
    if kind == "memory":
        raise JailError(f"{what} ran out of memory (limit {limits.memory_bytes // MIB} MiB)", "memory")
    if kind == "file":
        raise JailError(f"{what} wrote a file over its {limits.file_bytes // MIB} MiB limit", "file")
    raise value


def _collect(fd: int, pid: int, timeout: float) -> tuple[bytes, bool]:
    """What the child writes until it closes the pipe; (b"", True) once it ran out of time (killed)."""
    current = deadline.current()
    ends = time.monotonic() + timeout + GRACE_SECONDS
    chunks: list[bytes] = []
    while True:
        left = ends - time.monotonic()
        if left <= 0 or (current is not None and current.remaining() <= 0):
            os.kill(pid, signal.SIGKILL)
            return b"", True
        ready, _, _ = select.select([fd], [], [], min(left, 0.1))
        if ready:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks), False
            chunks.append(chunk)


def _death(status: int, cpu: float, limits: JailLimits, what: str) -> JailError:
    if not os.WIFSIGNALED(status):
        return JailError(f"{what} ended without an answer (exit status {os.WEXITSTATUS(status)})", "signal")
    number = os.WTERMSIG(status)
    name = signal.Signals(number).name if number in signal.Signals._value2member_map_ else str(number)
    if number == signal.SIGXCPU or (number == signal.SIGKILL and cpu >= limits.cpu_seconds):
        return JailError(f"{what} used up its {limits.cpu_seconds} CPU seconds and was killed", "cpu")
    return JailError(f"{what} was killed by {name}", "signal")


def _child(call: Callable[[], Any], fd: int, folder: str, limits: JailLimits, programs: tuple[str, ...]) -> None:
    code = 0
    try:
        _confine(fd, folder, limits, programs)
        data = pickle.dumps(_outcome(call))
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    except MemoryError:
        code = 3
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def _outcome(call: Callable[[], Any]) -> tuple[str, Any]:
    """What the child sends back: ("ok", result), ("memory"|"file", None) or ("error", an OcrgateError)."""
    try:
        return "ok", call()
    except MemoryError:
        return "memory", None
    except BaseException as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EFBIG:  # Python ignores SIGXFSZ: the write fails
            return "file", None
        error = exc if isinstance(exc, OcrgateError) else EngineFailedError(f"{type(exc).__name__}: {exc}")
        try:
            pickle.dumps(error)
        except Exception as problem:  # an error that cannot travel still says what it was
            error = EngineFailedError(f"{type(error).__name__}: {error} ({problem})")
        return "error", error


def _confine(fd: int, folder: str, limits: JailLimits, programs: tuple[str, ...]) -> None:
    """Everything the child gives up before it reads the page (see the module's docstring)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    os.closerange(3, fd)
    os.closerange(fd + 1, _max_fd())
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        signal.signal(getattr(signal, name), signal.SIG_DFL)
    os.environ["TMPDIR"] = folder
    tempfile.tempdir = folder
    os.chdir(folder)
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if programs:
        allowed = {path for program in programs if (path := shutil.which(program))} | set(programs)
        sys.addaudithook(_exec_guard(frozenset(allowed)))
    _seccomp().load(allow_exec=bool(programs))


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if 0 < soft < 1 << 20 else 65536


def _exec_guard(allowed: frozenset[str]) -> Callable[[str, tuple[Any, ...]], None]:
    """An audit hook: the process may start only `allowed` programs."""

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event == "subprocess.Popen":
            program = args[0] if args[0] is not None else _first(args[1])
        elif event in ("os.exec", "os.posix_spawn", "os.spawn"):
            program = args[1] if event == "os.spawn" else args[0]
        else:
            return
        if os.fsdecode(program) not in allowed:
            raise PermissionError(errno.EPERM, f"the jail does not allow running {os.fsdecode(program)!r}")

    return hook


def _first(args: Any) -> Any:
    return args if isinstance(args, (str, bytes, os.PathLike)) else list(args)[0]


class _Filter:
    """The seccomp filter, built with libseccomp (loaded once per worker)."""

    def __init__(self, library: ctypes.CDLL):
        self.lib = library
        self.lib.seccomp_init.restype = ctypes.c_void_p
        self.lib.seccomp_init.argtypes = [ctypes.c_uint32]
        self.lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint]
        self.lib.seccomp_load.argtypes = [ctypes.c_void_p]
        self.lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]

    def load(self, allow_exec: bool) -> None:
        context = self.lib.seccomp_init(_SCMP_ACT_ALLOW)
        if not context:
            raise OSError("seccomp_init failed")
        refused = NETWORK_SYSCALLS + (() if allow_exec else EXEC_SYSCALLS)
        for name in refused:
            number = self.lib.seccomp_syscall_resolve_name(name.encode())
            if self.lib.seccomp_rule_add(context, _SCMP_ACT_ERRNO | errno.EPERM, number, 0) != 0:
                raise OSError(f"seccomp_rule_add({name}) failed")
        if self.lib.seccomp_load(context) != 0:
            raise OSError("seccomp_load failed")


_filter: _Filter | None = None


def _seccomp() -> _Filter:
    global _filter
    if _filter is None:
        path = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
        try:
            _filter = _Filter(ctypes.CDLL(path))
        except OSError as exc:
            raise EngineUnavailableError(
                f"the page jail needs libseccomp ({exc}); apt-get install libseccomp2, or set OCRGATE_JAIL=0"
            ) from exc
    return _filter
