"""Worker processes for the parts of a scan that split into independent shares (files to parse, root
modules, templates): shares submitted to a process pool, each share's outcome taken back in order,
and a worker that dies or cannot answer turned into an outcome the caller reports (fail closed)."""
from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

Share = TypeVar("Share")


def pool_context() -> Any:
    """fork where it is safe (Linux: workers inherit what is loaded), spawn elsewhere."""
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
    try:
        return ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(), initializer=initializer,
                                   initargs=initargs)
    except (OSError, ValueError, ImportError, NotImplementedError):
        return None


def stop_pool(executor: Executor) -> None:
    """Shut a pool down without waiting for the work in hand: shares not started are cancelled and
    running workers are ended (a worker left behind outlives the run, holding its output open)."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
    if callable(terminate):
        terminate()
        return
    running = getattr(executor, "_processes", None) or {}  # before 3.14: the pool's own table of them
    for process in list(running.values()):
        process.terminate()
    executor.shutdown(wait=True, cancel_futures=True)


class ForkedCall:
    """``work()`` run in a forked process while the caller goes on: a one-off job too small for a pool
    (a pool costs a pickled call queue, threads and a second import of what the job needs). Only where
    ``can_fork()``; its value must pickle. ``result()`` raises ``ForkedCallFailed`` when the process
    could not be started, raised, died or could not send its value, or when asked from another
    process (a worker forked meanwhile inherits this object, not the right to take the result): the
    caller then does the work itself."""

    def __init__(self, work: Callable[[], Any]) -> None:
        self.pid: int | None = None
        self._reader: int | None = None
        self._owner = os.getpid()
        reader, writer = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # the child: never returns (nor runs the parent's exit handlers or flushes its streams)
            status = 1
            try:
                os.close(reader)
                payload = pickle.dumps(work(), protocol=pickle.HIGHEST_PROTOCOL)
                with open(writer, "wb") as out:
                    out.write(payload)
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        self.pid, self._reader = pid, reader

    def result(self) -> Any:
        if self.pid is None or self._reader is None or os.getpid() != self._owner:
            raise ForkedCallFailed("the process was not started, or its result was taken or is not ours")
        pid, reader = self.pid, self._reader
        self.pid, self._reader = None, None
        try:
            with open(reader, "rb") as stream:
                payload = stream.read()
        finally:
            _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise ForkedCallFailed(f"the process failed (exit status {os.waitstatus_to_exitcode(status)})")
        try:
            return pickle.loads(payload)
        except Exception as exc:  # noqa: BLE001 - a cut payload
            raise ForkedCallFailed(f"the result could not be read ({type(exc).__name__})") from exc

    def close(self) -> None:
        """End the process if its result was not taken (a run that stops early leaves nothing behind)."""
        if self.pid is None or self._reader is None or os.getpid() != self._owner:
            return
        pid, reader = self.pid, self._reader
        self.pid, self._reader = None, None
        os.close(reader)
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:  # already gone
            pass


class ForkedCallFailed(Exception):
    pass


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
    if isinstance(exc, BrokenProcessPool):
        return f"the {what} process stopped unexpectedly (out of memory or killed?)"
    return f"the {what} process failed ({type(exc).__name__})"
