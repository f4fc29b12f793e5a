"""Folder sync: bring the cache in line with the server, as cheaply as the server allows.

- First sync: headers of the newest messages first (so a list can show them at once), then
  the rest, streamed and committed in batches so memory stays flat.
- Later syncs: new messages by UID; flag changes through CONDSTORE `CHANGEDSINCE`;
  expunges through QRESYNC `VANISHED` when offered, otherwise by a UID diff, which is only
  done when the counts say something disappeared.
- A changed UIDVALIDITY means the old UIDs mean nothing any more: the folder's cache goes.
- The folder's sync state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ) is recorded only after a
  complete pass: a later sync asks only for changes since then, so rows stored by a pass
  that was cut short (kill, crash, lost connection) must never look complete. Such a pass
  resumes: the server's UID list and flags reconcile what is cached (rows the server
  expunged meanwhile go) and only the headers not yet cached are fetched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tui_mail.core import seqset
from tui_mail.core.backend import SyncCache
from tui_mail.core.imap.fetch_stream import FetchedMessage
from tui_mail.core.imap.flags import parse_flags
from tui_mail.core.imap.session import ImapSession
from tui_mail.core.message.headers import SUMMARY_FIELDS, SummaryRow, summary_row
from tui_mail.core.models import FolderState, FolderSyncState, Progress, SyncResult

FIRST_BATCH = 200
"""How many of the newest messages are fetched (and committed) before the rest."""
COMMIT_EVERY = 2000
YIELD_EVERY = 32

_HEADERS = f"BODY.PEEK[HEADER.FIELDS ({' '.join(SUMMARY_FIELDS)})]"


@dataclass(slots=True)
class _Plan:
    session: ImapSession
    store: SyncCache
    folder_id: int
    progress: Progress | None
    expected: int
    done: int = 0


def sync_folder(
    session: ImapSession,
    store: SyncCache,
    folder: str,
    *,
    progress: Progress | None = None,
    first_batch: int = FIRST_BATCH,
) -> SyncResult:
    """Sync one folder's message summaries and flags into the store."""
    server = session.select(folder)
    cached = store.sync_state(folder)
    result = SyncResult(folder)
    if cached.uidvalidity is not None and cached.uidvalidity != server.uidvalidity:
        store.reset_folder(cached.folder_id)
        result.cache_reset = True
        cached = FolderSyncState(cached.folder_id, None, None, None)

    plan = _Plan(session, store, cached.folder_id, progress, expected=server.exists)
    if cached.uidvalidity is None:
        store.begin_first_pass(cached.folder_id, server.uidvalidity)
        stored = store.uids(cached.folder_id)
        if stored:
            _resume_full_sync(plan, server, result, first_batch, stored)
        else:
            _full_sync(plan, server, result, first_batch)
    else:
        _incremental_sync(plan, server, cached, result)

    store.save_sync_state(
        cached.folder_id, server.uidvalidity, server.uidnext, server.highestmodseq
    )
    result.total, result.unseen = store.counts(cached.folder_id)
    return result


def _full_sync(plan: _Plan, server: FolderState, result: SyncResult, first_batch: int) -> None:
    result.method = "full"
    if server.exists == 0:
        return
    # Sequence numbers, not UIDs: "the newest N" is a sequence range, and a message
    # expunged meanwhile only shifts numbers down, so nothing is skipped.
    split = max(1, server.exists - first_batch + 1)
    result.new += _fetch_headers(plan, f"{split}:{server.exists}", uid=False)
    if split > 1:
        result.new += _fetch_headers(plan, f"1:{split - 1}", uid=False)


def _resume_full_sync(
    plan: _Plan, server: FolderState, result: SyncResult, first_batch: int, stored: list[int]
) -> None:
    """Finish a first pass that was cut short: reconcile the rows it stored with the server
    (UIDs and flags of the whole folder: about 47 bytes a message on the wire), then fetch
    the headers still missing, newest first."""
    result.method = "resume"
    on_server: set[int] = set()
    if server.exists:
        stream = plan.session.fetch_stream("1:*", "UID FLAGS")
        result.flags_changed = plan.store.update_flags(
            plan.folder_id, _flag_changes(stream, on_server)
        )
    gone = sorted(set(stored) - on_server)
    if gone:
        result.vanished = plan.store.delete_uids(plan.folder_id, gone)
    missing = sorted(on_server - set(stored))
    plan.expected, plan.done = len(on_server), len(on_server) - len(missing)
    newest, rest = missing[-first_batch:], missing[:-first_batch]
    for part in (newest, rest):
        for message_set in seqset.chunked(part):
            result.new += _fetch_headers(plan, message_set, uid=True)


def _incremental_sync(
    plan: _Plan, server: FolderState, cached: FolderSyncState, result: SyncResult
) -> None:
    session, store = plan.session, plan.store
    max_uid = store.max_uid(plan.folder_id)
    qresync = session.has("QRESYNC")
    condstore = qresync or session.has("CONDSTORE")

    if server.uidnext is None or server.uidnext > max_uid + 1:
        # "N:*" returns the last message even when its UID is below N; filter on UID.
        plan.expected = max(0, (server.uidnext or max_uid + 1) - max_uid - 1)
        result.new += _fetch_headers(
            plan, f"{max_uid + 1}:*", uid=True, above=max_uid, collect=result.new_uids
        )

    if max_uid == 0:
        result.method = "full"
        return

    vanished: set[int] = set()
    if condstore and cached.highestmodseq is not None:
        if server.highestmodseq == cached.highestmodseq:
            result.method = "unchanged"
        else:
            result.method = "qresync" if qresync else "condstore"
            modifiers = f"CHANGEDSINCE {cached.highestmodseq}" + (" VANISHED" if qresync else "")
            stream = session.fetch_stream(f"1:{max_uid}", "UID FLAGS", modifiers=modifiers)
            result.flags_changed = store.update_flags(plan.folder_id, _flag_changes(stream))
            for text in stream.vanished:
                vanished.update(seqset.expand(text.decode("ascii")))
        if not qresync:
            vanished |= _vanished_by_count(plan, server)
    else:
        result.method = "diff"
        stream = session.fetch_stream(f"1:{max_uid}", "UID FLAGS")
        seen_uids: set[int] = set()
        result.flags_changed = store.update_flags(plan.folder_id, _flag_changes(stream, seen_uids))
        vanished = set(store.uids(plan.folder_id)) - seen_uids
        vanished = {uid for uid in vanished if uid <= max_uid}

    if vanished:
        result.vanished = store.delete_uids(plan.folder_id, sorted(vanished))


def _vanished_by_count(plan: _Plan, server: FolderState) -> set[int]:
    """Without QRESYNC: a UID diff, but only when the counts disagree."""
    total, _unseen = plan.store.counts(plan.folder_id)
    if total == server.exists:
        return set()
    on_server = set(plan.session.all_uids())
    return {uid for uid in plan.store.uids(plan.folder_id) if uid not in on_server}


def _flag_changes(
    stream: Iterable[FetchedMessage], seen_uids: set[int] | None = None
) -> Iterator[tuple[int, int, str, int]]:
    for message in stream:
        if message.uid is None or message.flags is None:
            continue
        if seen_uids is not None:
            seen_uids.add(message.uid)
        mask, keywords = parse_flags(message.flags)
        yield message.uid, mask, keywords, message.modseq or 0


def _fetch_headers(
    plan: _Plan,
    message_set: str,
    *,
    uid: bool,
    above: int = 0,
    collect: list[int] | None = None,
) -> int:
    """Fetch summaries for a set, committing every COMMIT_EVERY rows; returns how many."""
    stream = plan.session.fetch_stream(
        message_set, f"UID FLAGS RFC822.SIZE INTERNALDATE {_HEADERS}", uid=uid
    )
    added = 0
    batch: list[SummaryRow] = []
    for message in stream:
        if message.uid is None or message.section is None or message.uid <= above:
            continue  # an unsolicited FETCH (a flag change) or the "N:*" quirk
        if collect is not None:
            collect.append(message.uid)
        if len(batch) % YIELD_EVERY == 0:
            # Parsing is pure Python: give the GIL to the UI thread regularly, so keys are
            # answered at once even while 100,000 headers stream in.
            time.sleep(0)
        mask, keywords = parse_flags(message.flags or ())
        batch.append(
            summary_row(
                message.uid,
                mask,
                keywords,
                message.size or 0,
                message.modseq or 0,
                message.section,
                message.internaldate,
            )
        )
        if len(batch) >= COMMIT_EVERY:
            added += _commit(plan, batch)
            batch = []
    if batch:
        added += _commit(plan, batch)
    return added


def _commit(plan: _Plan, batch: list[SummaryRow]) -> int:
    plan.store.add_summaries(plan.folder_id, batch)
    plan.done += len(batch)
    if plan.progress is not None:
        plan.progress(plan.done, max(plan.expected, plan.done))
    return len(batch)
