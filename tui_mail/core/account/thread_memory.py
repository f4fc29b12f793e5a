"""The threads of the big folder last shown threaded, kept for the next look at it, in this
session (memory) and the next (the cache, core/store/thread_saved.py).

Threading a million messages reads and links every one (9.3-9.5 s of CPU); keeping the
links (core/store/thread_state.py, about 50 bytes a message) lets the next threaded look
at the folder (back from the flat view, or after a sync brought new mail) link only what
is new, and a folder unchanged since gets its last order back as it was. Only the last
folder is kept in memory: a million messages' links and order are about 120 MB.

The first look of a session at a folder threaded before finds them in the cache instead:
an unchanged folder gets the default order (newest thread first) as it was written, the
links not even read until something needs them; new mail extends the links read back,
and in the default order only the threads it changed are laid out again
(core/store/thread_growth.py: 0.3-0.4 s for 1,000 new in a million, against 1.2 s for
laying out all). After a look that made links or an order the cache does not have, they
are written on a thread of their own ("thread-saving"), after the order went to the
list, so the look does not wait for the writing; only folders of SAVE_OVER messages or
more are written.

Whether the folder changed is told by the removals the cache recorded since (for a folder
it keeps threads of, core/store/thread_saved.py), its count and its highest UID (UIDs only
grow): removed messages are taken out of the links where that is exact (Linked.remove:
those no other message's links name, the common case of a message deleted or moved out)
and in the default order only the threads they touched laid out again
(core/store/thread_shrink.py); new mail raises the count and the highest
UID alike, so the links are extended only when every message above the last UID read is
new. Anything else (an older message arriving, the removal of a message others answer, a
folder emptied and refilled) threads the folder again.
Only the background thread ("threading", message_index.BackgroundJob) comes here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import weakref
from dataclasses import dataclass

from tui_mail.core.account.background import background_thread
from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store import thread_saved
from tui_mail.core.store.cache import Store
from tui_mail.core.store.health import CacheError
from tui_mail.core.store.thread_growth import Laid, grow, lay_out_indexed
from tui_mail.core.store.thread_links import OutOfOrder
from tui_mail.core.store.thread_saved import Saved
from tui_mail.core.store.thread_shrink import shrink
from tui_mail.core.store.thread_state import Linked
from tui_mail.core.store.threads import ThreadOrder, gc_paused, lay_out

log = logging.getLogger(__name__)

SAVE_OVER = 20_000
"""Folders of this many messages or more have their threads kept in the cache (20,000
thread in about 0.15 s; a million in 9.5 s)."""


RESAVE_AFTER = 1_000
"""New messages and removed ones since the threads the cache has before they are written
again (a new session takes out and extends what came since): each
writing is 60 MB and 0.3-0.5 s of CPU for a million (not after every new message that
reaches a threaded view), and a new session extends what the cache has with at most
this many (0.4 s for a million)."""


@dataclass
class _Kept:
    folder_id: int
    linked: Linked | None
    """None: still in the cache only (read when an extension or another order needs it)."""
    count: int
    max_uid: int
    order: ThreadOrder | None = None
    sort: SortSpec | None = None
    laid: Laid | None = None
    """The default order of these links, with what growing it needs (thread_growth.py)."""
    saved: tuple[int, bool] | None = None
    """(count, with the default order) of what the cache holds of these threads."""
    mark: int = 0
    """The last removal recorded in the cache (thread_saved.removed_since) these links
    have taken out: 0 for the cache's copy itself."""
    removed: int = 0
    """Messages taken out since the cache's copy (worth writing again past RESAVE_AFTER)."""


_kept: weakref.WeakKeyDictionary[Store, _Kept] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def remembered_threads(store: Store, folder_id: int, sort: SortSpec) -> ThreadOrder:
    """The folder's threads in `sort`'s order, from what was kept where it can be."""
    with _lock, gc_paused():
        kept = _kept.pop(store, None)
        if kept is not None and kept.folder_id != folder_id:
            kept = None  # another folder's: let it go before reading this one
        mark = store.saved_threads.removal_mark(folder_id)  # (before the folder is read)
        count, top = store.count(folder_id), store.max_uid(folder_id)
        try:
            if kept is None:
                kept = _from_cache(store, folder_id, sort, Saved(count, top))
            if kept is not None:
                kept = _removals(store, kept)
            if kept is not None and (kept.count, kept.max_uid) != (count, top):
                kept = _extended(store, kept, count, top)
            if kept is not None and not _ordered(kept, sort) and not _read_links(store, kept):
                kept = None  # the cache's links did not read back: thread from scratch
        except (IndexError, KeyError, ValueError) as error:
            # Links read back as written (their CRC says so) that still do not fit what
            # they are extended with: never the user's problem, thread from scratch.
            log.warning("the kept threads of folder %s did not fit: %r", folder_id, error)
            kept = None
        if kept is None:
            linked = Linked(store.thread_fields(folder_id))
            kept = _Kept(folder_id, linked, len(linked), max(linked.uids, default=0), mark=mark)
        if not _ordered(kept, sort) and kept.linked is not None:
            kept.order = None  # the old order goes before the new one is made
            if sort == DEFAULT_SORT:
                kept.laid = kept.laid or lay_out_indexed(kept.linked)
                kept.order = kept.laid.order
            else:
                # By another key than the date, the places can move without the folder
                # changing (flags, a re-sort): the threads are ordered again.
                ranks = _ranks(store, folder_id, sort)
                kept.order = lay_out(kept.linked, ranks, reverse=sort.reverse)
            kept.sort = sort
        order = kept.order or ThreadOrder([], [], [], [], [])  # (it was made just above)
        # New mail meanwhile: not kept (its highest UID, from an index, where counting is
        # 33 ms at a million; a removal meanwhile is seen by the next look's count, and
        # the cache's copy is written only if the folder still is as it says).
        if kept.max_uid == store.max_uid(folder_id):
            _kept[store] = kept
            if kept.count >= SAVE_OVER and _worth_saving(kept):
                background_thread("thread-saving").submit(_save, store, kept)
        return order


def _worth_saving(kept: _Kept) -> bool:
    """Whether the cache should have these threads: it has none, or not the default order
    this has, or RESAVE_AFTER messages fewer (what a new session extends them with)."""
    if kept.saved is None:
        return True
    count, with_order = kept.saved
    arrived = kept.count + kept.removed - count
    return (kept.laid is not None and not with_order) or arrived + kept.removed >= RESAVE_AFTER


def _ordered(kept: _Kept, sort: SortSpec) -> bool:
    """Whether the kept order is `sort`'s and still right (by the date only the folder's
    messages decide it, and those are what was kept)."""
    return kept.order is not None and kept.sort == sort and sort.key == DEFAULT_SORT.key


def _from_cache(store: Store, folder_id: int, sort: SortSpec, now: Saved) -> _Kept | None:
    """The threads the cache keeps for the folder: the default order (and what growing it
    needs) when that order is asked for; the links are read only when needed."""
    saved = store.saved_threads.saved(folder_id)
    if saved is None:
        return None
    kept = _Kept(folder_id, None, saved.size, saved.max_uid, saved=(saved.size, False))
    if sort == DEFAULT_SORT:
        kept.laid = store.saved_threads.laid(folder_id, saved)
        if kept.laid is not None:
            kept.saved = (saved.size, True)
            if saved == now:
                kept.order, kept.sort = kept.laid.order, sort
    return kept


def _read_links(store: Store, kept: _Kept) -> bool:
    """Whether the kept links are there, read from the cache if they were not yet."""
    if kept.linked is None:
        kept.linked = store.saved_threads.links(kept.folder_id, Saved(kept.count, kept.max_uid))
    return kept.linked is not None


def _removals(store: Store, kept: _Kept) -> _Kept | None:
    """The kept threads with the messages removed since taken out (Linked.remove, where
    that is exact); None: removals not recorded or not taken out exactly, thread again
    (unless nothing changed: the count tells)."""
    found = store.saved_threads.removed_since(kept.folder_id, kept.mark)
    if found is None:
        return kept  # not recorded: a removal lowers the count, which is seen next
    uids, mark = found
    if not uids:
        return kept
    if not _read_links(store, kept) or kept.linked is None:
        return None
    taken = kept.linked.remove(uids)
    if taken is None:
        return None
    kept.mark = mark
    if taken:
        # The default order: only the threads the removals touched are laid out again.
        kept.laid = None if kept.laid is None else shrink(kept.laid, kept.linked, taken)
        kept.order = None
        kept.count, kept.removed = len(kept.linked), kept.removed + len(taken)
        if kept.max_uid in uids:
            kept.max_uid = max(kept.linked.uids, default=0)
    return kept


def _extended(store: Store, kept: _Kept, count: int, top: int) -> _Kept | None:
    if top <= kept.max_uid or count <= kept.count or not _read_links(store, kept):
        return None  # a removal (or an emptied and refilled folder), or links unreadable
    linked = kept.linked
    if linked is None:
        return None
    kept.order = None
    try:
        growth = linked.extend(store.thread_fields(kept.folder_id, above_uid=kept.max_uid))
    except OutOfOrder:
        return None
    kept.count, kept.max_uid = len(linked), max(linked.uids, default=0)
    if (kept.count, kept.max_uid) != (count, top):
        return None
    # The default order: only the threads the new messages changed are laid out again.
    kept.laid = None if kept.laid is None else grow(kept.laid, linked, growth)
    return kept


def _save(store: Store, kept: _Kept) -> None:
    """Write the kept threads to the cache (on the "thread-saving" thread). Under the lock:
    the arrays are written from their own memory (a copy would add 60 MB at a million,
    near the issue's 250 MB), so an extension must wait; a look meanwhile waits for the
    writing (0.3-0.5 s of CPU at a million), the list showing its last order."""
    with _lock, gc_paused():
        if _kept.get(store) is not kept or kept.linked is None:
            return  # let go, or replaced, since: the newer look saves its own
        with_order = kept.laid is not None
        layout = thread_saved.laid_parts(kept.laid) if kept.laid is not None else None
        saved = Saved(kept.count, kept.max_uid)
        try:
            written = store.saved_threads.save(
                kept.folder_id, saved, kept.linked.parts(), layout, kept.mark
            )
        except (CacheError, sqlite3.Error) as error:  # a full disk, a closed store: next time
            log.info("the threads of folder %s were not kept: %s", kept.folder_id, error)
            return
        if written:
            kept.saved, kept.removed = (saved.size, with_order), 0


def _ranks(store: Store, folder_id: int, sort: SortSpec) -> dict[int, int] | None:
    """UID -> place in the folder sorted by `sort`'s key, when that is not the date."""
    if sort.key == DEFAULT_SORT.key:
        return None
    sorted_uids = store.ordered_uids(folder_id, sort=sort.natural)
    return {uid: place for place, uid in enumerate(sorted_uids)}
