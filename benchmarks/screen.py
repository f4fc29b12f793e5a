"""Measurements on screen: what a person at the terminal waits for.

All of them launch a client in a 120x40 tmux pane and watch ``capture-pane`` for text the
suite put in the mailbox: the newest message's subject (first rows), a freshly appended
message's subject (IDLE), or any change at all after a key press (scrolling).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.clients import Client
from benchmarks.fixture import ByteCountingProxy, Mailbox
from benchmarks.tmux import Pane, Tmux, peak_rss, wait_idle
from benchmarks.wire import Appender


@dataclass(frozen=True)
class Timeouts:
    first_rows: float
    """How long a launch may take to show the newest message before it counts as a miss."""
    settle: float
    """How long a client may keep working after its first rows before it counts as settled."""
    idle: float
    """How long one appended message may take to show up."""


def first_rows(
    tmux: Tmux, client: Client, mailbox: Mailbox, port: int, timeouts: Timeouts
) -> float | None:
    """Seconds from launch to the newest message on screen; None if it never showed.

    After the rows appear the client is left to finish what it does in the background
    (until it idles), so the cache it leaves is the warm cache the next launch gets.
    """
    pane = tmux.launch(client.pane_command(mailbox, port))
    try:
        seen = pane.wait_for_text(mailbox.marker, timeouts.first_rows)
        if seen is None:
            return None
        wait_idle(pane.pid, timeout=timeouts.settle)
        return seen.seconds
    finally:
        pane.close(client.quit_keys)


@dataclass(frozen=True)
class OpenFigures:
    peak_rss: int | None
    received: int
    scroll: list[float]


def open_settled(
    tmux: Tmux,
    client: Client,
    mailbox: Mailbox,
    proxy: ByteCountingProxy,
    timeouts: Timeouts,
    scroll_presses: int,
) -> OpenFigures | None:
    """Open the folder through the byte-counting proxy and let the client settle.

    Then read its peak RSS and the bytes it pulled, and time ``scroll_presses`` page-downs
    (each from a still screen to the first change).  None if the rows never showed.
    """
    proxy.reset()
    pane = tmux.launch(client.pane_command(mailbox, proxy.port))
    try:
        if pane.wait_for_text(mailbox.marker, timeouts.first_rows) is None:
            return None
        wait_idle(pane.pid, timeout=timeouts.settle)
        received = proxy.received
        rss = peak_rss(pane.pid)
        scroll = _scroll(pane, client, scroll_presses)
        return OpenFigures(rss, received, scroll)
    finally:
        pane.close(client.quit_keys)


def _scroll(pane: Pane, client: Client, presses: int) -> list[float]:
    latencies: list[float] = []
    for _ in range(presses):
        pane.wait_still()
        latency = pane.time_repaint(*client.scroll_keys)
        if latency is not None:
            latencies.append(latency)
    return latencies


def _shows(text: str) -> Callable[[str], bool]:
    return lambda screen: text in screen


def idle_latencies(
    tmux: Tmux,
    client: Client,
    mailbox: Mailbox,
    appender: Appender,
    port: int,
    count: int,
    timeouts: Timeouts,
) -> list[float] | None:
    """Seconds from another client's APPEND to the new row on screen, ``count`` times.

    None if the folder never showed, or the first new message never did (a client that
    does not watch the folder).
    """
    pane = tmux.launch(client.pane_command(mailbox, port))
    try:
        if pane.wait_for_text(mailbox.marker, timeouts.first_rows) is None:
            return None
        wait_idle(pane.pid, timeout=timeouts.settle)
        latencies: list[float] = []
        for index in range(count):
            subject = f"ZQX idle {index:03d} new"
            sent = time.perf_counter()
            appender.append(subject)
            seen = pane.wait_for(_shows(subject), timeouts.idle, sent)
            if seen is None:
                return latencies or None
            latencies.append(seen.seconds)
            # Let the client go back to IDLE before the next message.
            time.sleep(0.3)
        return latencies
    finally:
        pane.close(client.quit_keys)


RESORT_KEYS = ("from", "to", "subject", "size", "unread", "flagged")
"""tui-mail's sort keys measured, each followed by a sort back to date."""


@dataclass(frozen=True)
class Resorts:
    first: list[float]
    """Each key's first sort in this cache (its index is made then, once)."""
    again: list[float]
    """Later sorts, every index made: what a user waits for from the second time on."""


def resort_latencies(
    tmux: Tmux, client: Client, mailbox: Mailbox, port: int, timeouts: Timeouts
) -> Resorts | None:
    """Seconds from Enter on a `:sort KEY` line until the re-sorted
    rows are on screen (the status line's "Sorted by KEY." is drawn with them), two
    rounds over RESORT_KEYS with a sort back to date between; None if the folder never
    showed or a sort never did."""
    pane = tmux.launch(client.pane_command(mailbox, port))
    first: list[float] = []
    again: list[float] = []
    try:
        if pane.wait_for_text(mailbox.marker, timeouts.first_rows) is None:
            return None
        wait_idle(pane.pid, timeout=timeouts.settle)
        for round_number in range(2):
            for key in RESORT_KEYS:
                for word in (key, "date"):
                    seconds = _resort(pane, word, timeouts)
                    if seconds is None:
                        return None
                    if word != "date":
                        (first if round_number == 0 else again).append(seconds)
                    else:
                        again.append(seconds)
        return Resorts(first, again)
    finally:
        pane.close(client.quit_keys)


def _resort(pane: Pane, word: str, timeouts: Timeouts) -> float | None:
    # As a power user sorts: `:sort WORD`, Enter (the O picker costs a modal screen's
    # push and pop on top; docs/BENCHMARKS.md has both).
    pane.send_keys(":")
    if pane.wait_for(_shows("command (Tab"), timeouts.idle) is None:
        return None
    pane.send_keys("-l", f"sort {word}")
    pane.wait_still()
    sent = time.perf_counter()
    pane.send_keys("Enter")
    seen = pane.wait_for(_shows(f"Sorted by {word}."), timeouts.idle, sent)
    return None if seen is None else seen.seconds


TYPEAHEAD_WORDS = ("quarterly", "lunch", "roadmap")
"""Typed into tui-mail's search line a key at a time (subjects of the suite's mail)."""


def typeahead_latencies(
    tmux: Tmux,
    client: Client,
    mailbox: Mailbox,
    port: int,
    timeouts: Timeouts,
    words: tuple[str, ...] = TYPEAHEAD_WORDS,
) -> list[float] | None:
    """Seconds from each key typed into the `/` line until the status line shows that
    text's count of cached matches ("'qua': 7,143 in the cache ..."), drawn in the same
    frame as the rows; each key from a still screen. None if the folder never showed or a
    result never did."""
    pane = tmux.launch(client.pane_command(mailbox, port))
    latencies: list[float] = []
    try:
        if pane.wait_for_text(mailbox.marker, timeouts.first_rows) is None:
            return None
        wait_idle(pane.pid, timeout=timeouts.settle)
        for word in words:
            pane.send_keys("/")
            if pane.wait_for(_shows("Search in INBOX"), timeouts.idle) is None:
                return None
            for end in range(1, len(word) + 1):
                pane.wait_still()
                sent = time.perf_counter()
                pane.send_keys("-l", word[end - 1])
                seen = pane.wait_for(_shows(f"'{word[:end]}': "), timeouts.idle, sent)
                if seen is None:
                    return None
                latencies.append(seen.seconds)
            # A lone ESC waits for Textual's escape-sequence timeout: the next "/" must
            # not follow before the line has closed (it would be read as alt+/).
            pane.send_keys("Escape")
            if pane.wait_for(lambda screen: "Search in INBOX" not in screen, timeouts.idle) is None:
                return None
        return latencies
    finally:
        pane.close(client.quit_keys)
