"""Worker processes for the parts of a scan that split into independent shares (files to parse, root
modules, templates): shares submitted to a process pool, each share's outcome taken back in order,
and a worker that dies or cannot answer turned into an outcome the caller reports (fail closed).
One-off jobs beside the scan (the rule check, the plan worker) run in a ``ForkedCall``. The pool's
libraries are imported only by runs that start a pool."""
from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Executor

Share = TypeVar("Share")


def pool_context() -> Any:
    """fork where it is safe (Linux: workers inherit what is loaded), spawn elsewhere."""
    import multiprocessing

    return multiprocessing.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def wanted(workers: int | None) -> int:
    """The processes asked for (``--workers``-like settings), else one per core."""
    return workers if workers is not None else (os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether workers inherit the parent's memory (needed to hand them a parsed tree or options)."""
    return sys.platform.startswith("linux")


def start_pool(workers: int, initializer: Callable[..., None] | None = None,
               initargs: tuple[Any, ...] = ()) -> Executor | None:
    """A pool of ``workers`` processes, or None where processes cannot be started (the caller then
    does the work itself)."""
    from concurrent.futures import ProcessPoolExecutor

    try:
        return ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=initializer,
                                   initargs=initargs)
    except (OSError, ValueError, ImportError, NotImplementedError):
        return None


class ForkedCall:
    """``steps`` run in turn in a forked process while the caller goes on: a one-off job too small for
    a pool (a pool costs its imports, a call queue, threads and a worker that joins it at the end).
    Only where ``can_fork()``; each step's value must pickle. ``result(i)`` gives step i's value as
    soon as it is made. Values go through an anonymous file in memory (the process never blocks on
    a reader) and a pipe carries one byte per value made, then end of file when the process is gone.
    ``result`` raises ``ForkedCallFailed`` when the process could not be started, or raised or died
    before making that value, or when asked from another process (a worker forked meanwhile inherits
    this object, not the right to take its results): the caller then does the work itself."""

    def __init__(self, *steps: Callable[[], Any]) -> None:
        self.pid: int | None = None
        self._owner = os.getpid()
        self._steps = len(steps)
        self._values: list[Any] = []
        self._read_at = 0
        try:  # an anonymous file in memory (Linux): nothing is written to disk
            values = os.memfd_create("iacgate-forked-call", os.MFD_CLOEXEC)
        except (AttributeError, OSError):
            return
        made, made_writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            for fd in (values, made, made_writer):
                os.close(fd)
            return
        if pid == 0:  # the child: never returns (nor runs the parent's exit handlers or flushes its streams)
            status = 1
            try:
                os.close(made)
                for step in steps:
                    payload = pickle.dumps(step(), protocol=pickle.HIGHEST_PROTOCOL)
                    _write_all(values, len(payload).to_bytes(8, "little") + payload)
                    os.write(made_writer, b".")
                status = 0
            finally:
                os._exit(status)
        os.close(made_writer)
        self.pid, self._made, self._values_fd = pid, made, values

    def result(self, index: int = 0) -> Any:
        if index < len(self._values):
            return self._values[index]
        if self.pid is None or os.getpid() != self._owner:
            raise ForkedCallFailed("the process was not started, has ended, or is not ours")
        try:
            while len(self._values) <= index:
                if not os.read(self._made, 1):  # end of file: the process ended before making it
                    raise ForkedCallFailed(f"the process ended before making value {index}")
                self._values.append(self._next_value())
        except ForkedCallFailed:
            self.close()
            raise
        if len(self._values) == self._steps:  # all made: the process is ending
            self.close()
        return self._values[index]

    def _next_value(self) -> Any:
        fd = self._values_fd
        try:
            size = int.from_bytes(_read_all(fd, 8, self._read_at), "little")
            payload = _read_all(fd, size, self._read_at + 8)
            self._read_at += 8 + size
            return pickle.loads(payload)
        except ForkedCallFailed:
            raise
        except Exception as exc:  # a value that does not read back
            raise ForkedCallFailed(f"a value could not be read ({type(exc).__name__})") from exc

    def close(self) -> None:
        """End the process, its steps done or not, and let go of its values' file (a run that stops
        early leaves nothing behind)."""
        if self.pid is None or os.getpid() != self._owner:
            return
        pid, self.pid = self.pid, None
        os.close(self._made)
        os.close(self._values_fd)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:  # already gone
            pass


class ForkedCallFailed(Exception):
    pass


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd: int, size: int, offset: int) -> bytes:
    chunks = []
    while size:
        chunk = os.pread(fd, size, offset)
        if not chunk:
            raise ForkedCallFailed("a value was cut short")
        chunks.append(chunk)
        size -= len(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def interleaved(items: Sequence[Share], workers: int) -> list[list[Share]]:
    """Four shares per worker, each taking every n-th item: neighbours (a folder's roots, a folder's
    templates) differ in size, so the shares come out about even."""
    count = workers * 4
    return [list(items[first::count]) for first in range(min(count, len(items)))]


def outcomes_in_order(executor: Executor, work: Callable[[Share], Any],
                      shares: Sequence[Share]) -> list[tuple[Share, Any | Exception]]:
    """Each share with ``work(share)``'s result, or the exception that stopped it (a worker that
    died, a result that could not be sent back, a pool broken before the share was submitted)."""
    submitted: list[tuple[Share, Any]] = []
    for share in shares:
        try:
            submitted.append((share, executor.submit(work, share)))
        except Exception as exc:  # noqa: BLE001 - the pool broke while shares were being submitted
            submitted.append((share, exc))
    out: list[tuple[Share, Any | Exception]] = []
    for share, future in submitted:
        if isinstance(future, Exception):
            out.append((share, future))
            continue
        try:
            out.append((share, future.result()))
        except Exception as exc:  # noqa: BLE001 - reported by the caller, share by share
            out.append((share, exc))
    return out


def failure(exc: Exception, what: str) -> str:
    """Why a share was not done, for an input error: ``what`` names the process (parser, ...)."""
    from concurrent.futures.process import BrokenProcessPool

    if isinstance(exc, BrokenProcessPool):
        return f"the {what} process stopped unexpectedly (out of memory or killed?)"
    return f"the {what} process failed ({type(exc).__name__})"
