"""DaemonWorker: a one-thread executor whose thread never holds the process open.

ThreadPoolExecutor's threads are joined when the interpreter exits, so a worker blocked in
a network read (a stalled server) kept the process alive after the UI had quit, for as
long as the read took. An account's work is network I/O that the exit abandons anyway
(the sockets are shut first, see AccountService.close), so its thread is a daemon.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

from tui_mail.core.errors import TuiMailError

T = TypeVar("T")
log = logging.getLogger(__name__)

_Item = tuple[Future[Any], Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class DaemonWorker(Executor):
    """Runs submitted calls one at a time, in order, on one daemon thread."""

    def __init__(self, name: str) -> None:
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False
        self._name = name

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            future: Future[T] = Future()
            self._queue.put((future, fn, args, kwargs))
            if not self._started:
                self._started = True
                self._thread.start()
            return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                while True:
                    try:
                        item = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is not None:
                        item[0].cancel()
            self._queue.put(None)
        if wait and self._started:
            self._thread.join()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` for the thread to end (after shutdown); True if it did."""
        if not self._started:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)


def log_failure(future: Future[Any]) -> None:
    """A done-callback for background work nobody waits for: a TuiMailError was said where
    it happened (or is expected: the server went away); anything else is a bug, logged."""
    error = future.exception()
    if error is not None and not isinstance(error, TuiMailError):
        log.error("background work failed", exc_info=error)
