"""One benchmark run: set up the server, measure every client round by round, tidy up.

Rounds interleave the clients (rotating who goes first) so that all of them see the same
machine state within a round; ratios between clients are taken within a round.  An
optional warm-up round (not recorded) lets Dovecot build its index caches and the OS its
page cache, so round 1 is not penalised for being first.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from dataclasses import dataclass

from benchmarks import scale
from benchmarks.cli_runs import CommandFailedError, cli_round
from benchmarks.clients import Aerc, Client, ClientFailedError, Neomutt, TuiMail
from benchmarks.fixture import (
    BenchServer,
    ByteCountingProxy,
    Mailbox,
    counting_proxy,
    scratch_dir,
    size_label,
)
from benchmarks.results import IDLE_SIZE, NOT_AVAILABLE, Results
from benchmarks.screen import (
    TYPEAHEAD_WORDS,
    Timeouts,
    first_rows,
    idle_latencies,
    open_settled,
    resort_latencies,
    typeahead_latencies,
)
from benchmarks.tmux import PaneExitedError, Tmux
from benchmarks.wire import Appender, wire_fetch

WIRE = "wire"
WARM_UP_ONLY_THE_WIRE_OVER = 200_000
"""Above this, the warm-up round only fetches the headers raw (Dovecot builds its cache:
about 3 minutes for a million messages here); the clients' own warm-up would cost
several more minutes and leave nothing the first round needs."""
NO_LIST = f"{NOT_AVAILABLE} (the TUI does not show a message list)"
NO_NEW_MAIL = f"{NOT_AVAILABLE} (new mail does not appear on screen)"


@dataclass(frozen=True)
class Options:
    sizes: tuple[int, ...]
    runs: int
    peers: bool
    warmup: bool
    idle_count: int
    scroll_presses: int
    timeouts: Timeouts
    keep: bool = False
    compress: bool = True
    """tui-mail asks for COMPRESS=DEFLATE (its default); False: the figures without it."""
    search_words: int = 3
    """How many of TYPEAHEAD_WORDS are typed into the search line (smoke: one)."""


_STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[bench {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr, flush=True)


class Suite:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.results = Results()
        self.work = scratch_dir()
        self.server: BenchServer | None = None
        self.tmux: Tmux | None = None
        self.clients: list[Client] = []
        # (client, size, cache state) whose rows never showed: not tried again.
        self._gave_up: set[tuple[str, int, str]] = set()

    # -- set-up ------------------------------------------------------------------------

    def run(self) -> Results:
        try:
            self._set_up()
            self._rounds()
            self._open_figures()
            self._idle()
        finally:
            self._tear_down()
        return self.results

    def _set_up(self) -> None:
        server = self.server = BenchServer(self.work)
        for size in self.options.sizes:
            started = time.perf_counter()
            server.fill(size)
            log(f"INBOX of {size:,} messages written in {time.perf_counter() - started:.1f} s")
        self.tmux = Tmux(self.work)
        self.clients = [TuiMail(self.work, server.ca_pem, compress=self.options.compress)]
        if self.options.peers:
            for peer in (Aerc(self.work, server.ca_pem), Neomutt(self.work, server.ca_pem)):
                if peer.installed():
                    self.clients.append(peer)
                else:
                    self._all_missing(peer.name, f"{peer.program} is not installed")
                    self.results.notes.append(
                        f"{peer.name} is not installed (`make bench` installs it with apt-get)."
                    )

    def _timeouts(self, size: int) -> Timeouts:
        """The options' timeouts; a folder over 200k may take longer to settle (a client
        loading all of it in the background), up to 10 minutes."""
        given = self.options.timeouts
        settle = min(600.0, given.settle * max(1.0, size / 200_000))
        return Timeouts(first_rows=given.first_rows, settle=settle, idle=given.idle)

    def _all_missing(self, client: str, reason: str) -> None:
        for size in self.options.sizes:
            for metric in ("first_rows_empty", "first_rows_warm"):
                self.results.mark_missing(metric, client, size, reason)
        for size in self.options.sizes:
            for metric in ("rss_open", "scroll", "bytes_open_empty", "bytes_open_warm"):
                self.results.mark_missing(metric, client, size, reason)
        self.results.mark_missing("idle", client, IDLE_SIZE, reason)

    def _tear_down(self) -> None:
        if self.tmux is not None:
            self.tmux.close()
        if self.server is not None:
            self.server.close()
        if not self.options.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    @property
    def _server(self) -> BenchServer:
        assert self.server is not None
        return self.server

    @property
    def _tmux(self) -> Tmux:
        assert self.tmux is not None
        return self.tmux

    # -- rounds ------------------------------------------------------------------------

    def _rounds(self) -> None:
        rounds = ([-1] if self.options.warmup else []) + list(range(self.options.runs))
        for run in rounds:
            name = "warm-up round" if run < 0 else f"round {run + 1}/{self.options.runs}"
            for size in self.options.sizes:
                mailbox = self._server.mailboxes[size]
                log(f"{name}, {size_label(size)}")
                self._wire(mailbox, run)
                if run < 0 and size > WARM_UP_ONLY_THE_WIRE_OVER:
                    continue
                self._cli(mailbox, run)
                turn = max(run, 0) % len(self.clients)
                for client in self.clients[turn:] + self.clients[:turn]:
                    self._first_rows(client, mailbox, run)

    def _wire(self, mailbox: Mailbox, run: int) -> None:
        fetched = wire_fetch(mailbox, self._server.port, self._server.client_context())
        if run >= 0:
            self.results.add("wire", WIRE, mailbox.size, fetched.seconds, run)
            self.results.add("wire_bytes", WIRE, mailbox.size, fetched.received, run)
        log(f"  wire: {fetched.seconds:.3f} s, {fetched.received / 1e6:.1f} MB")

    def _cli(self, mailbox: Mailbox, run: int) -> None:
        client = self.clients[0]
        assert isinstance(client, TuiMail)
        size = mailbox.size
        try:
            done = cli_round(client, mailbox, self._server.port)
        except CommandFailedError as error:
            for metric in ("sync_full", "resync", "list50"):
                self.results.mark_missing(metric, client.name, size, f"failed: {error}")
            log(f"  tui-mail CLI failed: {error}")
            return
        log(
            f"  tui-mail sync {done.sync.wall:.2f} s ({done.sync.in_process} s in-process), "
            f"re-sync {done.resync.wall:.2f} s, list {done.list50.wall:.2f} s"
        )
        if run < 0:
            return
        add = self.results.add
        add("sync_full", client.name, size, done.sync.wall, run)
        add("sync_full_rss", client.name, size, done.sync.peak_rss, run)
        add("resync", client.name, size, done.resync.wall, run)
        add("list50", client.name, size, done.list50.wall, run)
        if done.sync.in_process is not None:
            add("sync_full_inproc", client.name, size, done.sync.in_process, run)
        if done.resync.in_process is not None:
            add("resync_inproc", client.name, size, done.resync.in_process, run)
        self._probe(client, mailbox, run)

    def _probe(self, client: TuiMail, mailbox: Mailbox, run: int) -> None:
        """In-process figures of the cache the sync left (benchmarks/scale.py)."""
        env = client.cli_env(mailbox, self._server.port)
        try:
            figures = scale.probe_subprocess(client.cache_dir(mailbox), env)
        except (RuntimeError, OSError, ValueError) as error:
            for metric in scale.PROBE_METRICS:
                self.results.mark_missing(metric, client.name, mailbox.size, f"failed: {error}")
            log(f"  cache probe failed: {_one_line(str(error))}")
            return
        for metric, name in scale.PROBE_METRICS.items():
            value = figures.get(name)
            if isinstance(value, int | float):
                self.results.add(metric, client.name, mailbox.size, float(value), run)
        log(
            f"  cache probe: open {figures['open_first']:.3f} s, index caught up "
            f"{figures.get('index_wait', 0.0):.1f} s, search {figures['search_median']:.3f} s"
            f" (first screen {figures.get('search_first_median', 0.0):.4f} s), cache "
            f"{figures['cache_bytes']} bytes"
        )

    def _first_rows(self, client: Client, mailbox: Mailbox, run: int) -> None:
        port = self._server.port
        for state in ("empty", "warm"):
            metric = f"first_rows_{state}"
            key = (client.name, mailbox.size, state)
            if key in self._gave_up:
                continue
            try:
                if state == "empty":
                    client.clear_cache(mailbox)
                else:
                    client.prime_warm_cache(mailbox, port)
                seconds = first_rows(
                    self._tmux, client, mailbox, port, self._timeouts(mailbox.size)
                )
            except PaneExitedError as error:
                self._give_up(key, metric, f"exited: {_one_line(str(error))}")
                continue
            except ClientFailedError as error:
                self._give_up(key, metric, f"failed: {_one_line(str(error))}")
                continue
            if seconds is None:
                self._give_up(key, metric, self._no_rows_reason(client))
                continue
            log(f"  {client.name}, {state} cache: first rows in {seconds:.3f} s")
            if run >= 0:
                self.results.add(metric, client.name, mailbox.size, seconds, run)

    def _no_rows_reason(self, client: Client) -> str:
        if isinstance(client, TuiMail):
            return NO_LIST
        return f"the newest message did not show within {self.options.timeouts.first_rows:.0f} s"

    def _give_up(self, key: tuple[str, int, str], metric: str, reason: str) -> None:
        client, size, state = key
        self._gave_up.add(key)
        self.results.mark_missing(metric, client, size, reason)
        log(f"  {client}, {state} cache: {reason}")

    # -- once per suite ----------------------------------------------------------------

    _OPEN_METRICS = ("rss_open", "scroll", "bytes_open_empty", "bytes_open_warm")

    def _open_figures(self) -> None:
        """Peak RSS, bytes from the server, scrolling and re-sorting, in each folder (how
        they grow with it is part of the point)."""
        for size in self.options.sizes:
            self._open_figures_of(self._server.mailboxes[size])

    def _open_figures_of(self, mailbox: Mailbox) -> None:
        size = mailbox.size
        with counting_proxy(self._server.port) as proxy:
            for client in self.clients:
                reason: str | None = None
                if (client.name, size, "empty") in self._gave_up:
                    reason = self.results.missing("first_rows_empty", client.name, size)
                else:
                    try:
                        self._open_one(client, mailbox, proxy)
                    except PaneExitedError as error:
                        reason = f"exited: {_one_line(str(error))}"
                    except ClientFailedError as error:
                        reason = f"failed: {_one_line(str(error))}"
                for metric in self._OPEN_METRICS:
                    self.results.mark_missing(metric, client.name, size, reason or "no figure")
                if isinstance(client, TuiMail) and reason is None:
                    self._resort(client, mailbox)
                    self._typeahead(client, mailbox)

    def _resort(self, client: TuiMail, mailbox: Mailbox) -> None:
        """Re-sorting the biggest folder from a warm cache (tui-mail only: the peers sort
        by their own commands)."""
        size = mailbox.size
        found = resort_latencies(
            self._tmux, client, mailbox, self._server.port, self._timeouts(size)
        )
        if found is None:
            for metric in ("resort", "resort_first"):
                self.results.mark_missing(metric, client.name, size, "the sorted rows never showed")
            log(f"  {client.name}: re-sort: the sorted rows never showed")
            return
        for latency in found.again:
            self.results.add("resort", client.name, size, latency)
        for latency in found.first:
            self.results.add("resort_first", client.name, size, latency)
        log(
            f"  {client.name}: re-sort {statistics.median(found.again) * 1000:.0f} ms median, "
            f"first use of a key {statistics.median(found.first) * 1000:.0f} ms median"
        )

    def _typeahead(self, client: TuiMail, mailbox: Mailbox) -> None:
        """Search as you type in the biggest folder from a warm cache (tui-mail only)."""
        words = TYPEAHEAD_WORDS[: self.options.search_words]
        found = typeahead_latencies(
            self._tmux, client, mailbox, self._server.port, self.options.timeouts, words
        )
        if not found:
            self.results.mark_missing("typeahead", client.name, mailbox.size, "no result showed")
            log(f"  {client.name}: search as you type: no result showed")
            return
        for latency in found:
            self.results.add("typeahead", client.name, mailbox.size, latency)
        log(
            f"  {client.name}: search as you type {statistics.median(found) * 1000:.0f} ms "
            f"median, {max(found) * 1000:.0f} ms at most (n={len(found)})"
        )

    def _open_one(self, client: Client, mailbox: Mailbox, proxy: ByteCountingProxy) -> None:
        size = mailbox.size
        client.clear_cache(mailbox)
        timeouts = self._timeouts(size)
        opened = open_settled(
            self._tmux, client, mailbox, proxy, timeouts, self.options.scroll_presses
        )
        if opened is None:
            return
        if opened.peak_rss is not None:
            self.results.add("rss_open", client.name, size, opened.peak_rss)
        self.results.add("bytes_open_empty", client.name, size, opened.received)
        for latency in opened.scroll:
            self.results.add("scroll", client.name, size, latency)
        if not opened.scroll:
            self.results.mark_missing(
                "scroll", client.name, size, f"{NOT_AVAILABLE} (PageDown changed nothing)"
            )
        client.prime_warm_cache(mailbox, self._server.port)
        warm = open_settled(self._tmux, client, mailbox, proxy, timeouts, 0)
        if warm is not None:
            self.results.add("bytes_open_warm", client.name, size, warm.received)
        log(
            f"  {client.name}: peak RSS {(opened.peak_rss or 0) / 1e6:.0f} MB, "
            f"{opened.received / 1e6:.2f} MB received to open "
            f"({(warm.received / 1e3 if warm else float('nan')):.1f} kB with a warm cache)"
        )

    def _idle(self) -> None:
        """New mail from another client, until the row is on screen (own small folder)."""
        for client in self.clients:
            smallest = min(self.options.sizes)
            if (client.name, smallest, "empty") in self._gave_up:
                reason = self.results.missing("first_rows_empty", client.name, smallest)
                self.results.mark_missing("idle", client.name, IDLE_SIZE, reason or "")
                continue
            mailbox = self._server.small_user(IDLE_SIZE)
            client.clear_cache(mailbox)
            appender = Appender(mailbox, self._server.port, self._server.client_context())
            try:
                latencies = idle_latencies(
                    self._tmux,
                    client,
                    mailbox,
                    appender,
                    self._server.port,
                    self.options.idle_count,
                    self.options.timeouts,
                )
            except PaneExitedError as error:
                self.results.mark_missing(
                    "idle", client.name, IDLE_SIZE, f"exited: {_one_line(str(error))}"
                )
                continue
            finally:
                appender.close()
            if latencies is None:
                reason = NO_NEW_MAIL if isinstance(client, TuiMail) else "new mail never showed"
                self.results.mark_missing("idle", client.name, IDLE_SIZE, reason)
                log(f"  {client.name}: IDLE: {reason}")
                continue
            for latency in latencies:
                self.results.add("idle", client.name, IDLE_SIZE, latency)
            log(f"  {client.name}: IDLE, {len(latencies)} messages")


def _one_line(text: str, limit: int = 160) -> str:
    """An error short enough for a table cell."""
    flat = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
