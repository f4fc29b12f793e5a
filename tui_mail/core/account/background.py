"""Work a list does on a background thread (ordering, threading, limiting a big folder),
its result handed back to the list's own thread."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Generic, TypeVar

T = TypeVar("T")

Deliver = Callable[[Callable[[], None]], None]
"""Runs a function on the list's own thread (the UI's), from any thread."""

_executors: dict[str, ThreadPoolExecutor] = {}


def background_thread(name: str) -> ThreadPoolExecutor:
    """One long-lived thread per kind of work ("threading", "limit"): the store opens a
    read connection per thread, kept until the store closes, so a thread per job would
    leak connections; kinds apart, a long limit does not hold up threading a folder."""
    executor = _executors.get(name)
    if executor is None:
        executor = _executors[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    return executor


class BackgroundJob(Generic[T]):
    """One job at a time on a named background thread, its result handed to the list's
    thread through `deliver` (`take`, or `failed` with the error). Started again while
    one runs, it calls `again()` once that one is done: the list changed meanwhile, and
    the job must see the change (a threaded view, a limit)."""

    def __init__(
        self,
        thread: str,
        deliver: Deliver,
        *,
        take: Callable[[T], None],
        again: Callable[[], None],
        failed: Callable[[BaseException], None] = lambda error: None,
    ) -> None:
        self._thread = thread
        self._deliver = deliver
        self._take = take
        self._again = again
        self._failed = failed
        self._running = False
        self._asked_again = False

    def start(self, job: Callable[[], T]) -> None:
        if self._running:
            self._asked_again = True
            return
        self._running = True
        future = background_thread(self._thread).submit(job)
        future.add_done_callback(lambda done: self._deliver(partial(self._finished, done)))

    def _finished(self, future: Future[T]) -> None:
        self._running = False
        error = future.exception()
        if error is None:
            self._take(future.result())
        else:
            self._failed(error)
        if self._asked_again:
            self._asked_again = False
            self._again()
