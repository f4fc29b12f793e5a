"""Notice, as it happens, that mail arrived in (or left) a maildir.

mbsync, offlineimap, fdm, a local delivery agent or another mail client change the files;
`MaildirWatcher` turns their burst of file events into one call per changed folder. It uses
watchdog: inotify on Linux (FSEvents, kqueue elsewhere), falling back to watchdog's polling
observer when the kernel refuses more watches.

The callback runs on the watcher's own thread: a UI must hand the news over to its own
thread (Textual: `post_message`) and not touch widgets from there.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from tui_mail.core.maildir.layout import MaildirLayout

if TYPE_CHECKING:
    from watchdog.events import FileSystemEvent
    from watchdog.observers.api import BaseObserver

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 0.25
"""Events closer together than this are reported once: a sync of 100 messages is one call."""
POLL_SECONDS = 2.0
"""How often the polling fallback looks (when inotify is unavailable)."""


class MaildirWatcher:
    """Calls `on_change(folder_name)` when messages appear, move, change flags or vanish.

    `start()` returns at once (the watching happens on background threads); `stop()` waits
    for them to end. Also a context manager. A folder created after start is watched too.
    `polling` forces the polling observer (for network filesystems, where inotify sees only
    this machine's changes).
    """

    def __init__(
        self,
        root: Path,
        on_change: Callable[[str], None],
        *,
        debounce: float = DEBOUNCE_SECONDS,
        polling: bool = False,
        poll_interval: float = POLL_SECONDS,
    ) -> None:
        self.root = root
        self._layout = MaildirLayout(root)
        self._on_change = on_change
        self._debounce = debounce
        self._polling = polling
        self._poll_interval = poll_interval
        self._observer: BaseObserver | None = None
        self._pending: set[str] = set()
        self._wake = threading.Condition()
        self._stopping = False
        self._reporter: threading.Thread | None = None
        self._lifecycle = threading.Lock()
        """Held by start and stop: a quit while the watcher is starting (the UI starts it
        on a thread) waits for the start, then stops both threads, instead of joining a
        thread not yet started."""
        self._stopped = False
        """A stop is final: a quit that comes before the UI's thread got to `start` must
        keep that start from beginning threads nobody would stop (each account's
        watching makes new watchers to start again)."""

    def start(self) -> None:
        from watchdog.events import FileSystemEventHandler  # noqa: PLC0415  (start-up time)

        watcher = self

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                watcher._note(event)

        with self._lifecycle:
            if self._stopped:
                return
            self._stopping = False
            self._reporter = threading.Thread(
                target=self._report_loop, name="maildir-watch-report", daemon=True
            )
            self._reporter.start()
            self._observer = self._start_observer(_Handler())

    def _start_observer(self, handler: object) -> BaseObserver:
        from watchdog.observers import Observer  # noqa: PLC0415
        from watchdog.observers.polling import PollingObserver  # noqa: PLC0415

        if not self._polling:
            observer = Observer()
            try:
                observer.schedule(handler, str(self.root), recursive=True)  # type: ignore[arg-type]
                observer.start()
                return observer
            except OSError as error:  # inotify watch or instance limits
                log.warning("inotify unavailable for %s (%s); polling instead", self.root, error)
        observer = PollingObserver(timeout=self._poll_interval)
        observer.schedule(handler, str(self.root), recursive=True)  # type: ignore[arg-type]
        observer.start()
        return observer

    def stop(self) -> None:
        """Stop watching; pending changes are reported first. Safe to call twice."""
        with self._lifecycle:
            self._stopped = True
            if self._observer is not None:
                self._observer.stop()
                self._observer.join()
                self._observer = None
            with self._wake:
                self._stopping = True
                self._wake.notify_all()
            if self._reporter is not None:
                self._reporter.join()
                self._reporter = None

    def __enter__(self) -> MaildirWatcher:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _note(self, event: FileSystemEvent) -> None:
        """On watchdog's thread: remember which folder changed, nothing slow."""
        for raw in (event.src_path, event.dest_path):
            if not raw:
                continue
            folder = self._folder_of(Path(os.fsdecode(raw)), is_directory=event.is_directory)
            if folder is not None:
                with self._wake:
                    self._pending.add(folder)
                    self._wake.notify_all()

    def _folder_of(self, path: Path, *, is_directory: bool) -> str | None:
        # Messages live in FOLDER/new/NAME and FOLDER/cur/NAME; tmp/ is work in progress.
        if not is_directory and path.parent.name in ("new", "cur"):
            return self._layout.name_for(path.parent.parent)
        if is_directory and path.name in ("new", "cur"):
            return self._layout.name_for(path.parent)  # a folder appeared or went
        return None

    def _report_loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._stopping:
                    self._wake.wait()
                if self._stopping and not self._pending:
                    return
            # Let the burst finish, then report each folder once.
            with self._wake:
                self._wake.wait_for(lambda: self._stopping, timeout=self._debounce)
                folders, self._pending = self._pending, set()
            for folder in sorted(folders):
                try:
                    self._on_change(folder)
                except Exception:  # one failing callback must not end the watching
                    log.exception("maildir watcher callback failed for %s", folder)
