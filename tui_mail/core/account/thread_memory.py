"""The threads of the big folder last shown threaded, kept for the next look at it.

Threading a million messages reads and links every one (seconds); keeping the links
(core/store/thread_state.py, about 50 bytes a message) lets the next threaded look at the
folder (back from the flat view, or after a sync brought new mail) link only what is new,
and a folder unchanged since gets its last order back as it was. Only the last folder is
kept: a million messages' links and order are about 120 MB.

Whether the folder changed is told by its count and highest UID (UIDs only grow): new
mail raises both alike, a removal lowers the count, so the links are extended only when
every message above the last UID read is new and none went. Anything else (an older
message arriving, a removal, a folder emptied and refilled) threads the folder again.
Only the background thread ("threading", message_index.BackgroundJob) comes here.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

from tui_mail.core.sort import DEFAULT_SORT, SortSpec
from tui_mail.core.store.cache import Store
from tui_mail.core.store.thread_links import OutOfOrder
from tui_mail.core.store.thread_state import Linked
from tui_mail.core.store.threads import ThreadOrder, gc_paused, lay_out


@dataclass
class _Kept:
    folder_id: int
    linked: Linked
    max_uid: int
    order: ThreadOrder | None = None
    sort: SortSpec | None = None


_kept: weakref.WeakKeyDictionary[Store, _Kept] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def remembered_threads(store: Store, folder_id: int, sort: SortSpec) -> ThreadOrder:
    """The folder's threads in `sort`'s order, from what was kept where it can be."""
    with _lock, gc_paused():
        kept = _kept.pop(store, None)
        if kept is not None and kept.folder_id != folder_id:
            kept = None  # another folder's: let it go before reading this one
        count, top = store.count(folder_id), store.max_uid(folder_id)
        if kept is not None and (len(kept.linked), kept.max_uid) != (count, top):
            kept = _extended(store, folder_id, kept, count, top)
        if kept is None:
            linked = Linked(store.thread_fields(folder_id))
            kept = _Kept(folder_id, linked, max(linked.uids, default=0))
        # By another key than the date, the places can move without the folder changing
        # (flags, a re-sort): the threads are ordered again from the kept links.
        if kept.order is None or kept.sort != sort or sort.key != DEFAULT_SORT.key:
            kept.order = None  # the old order goes before the new one is made
            ranks = _ranks(store, folder_id, sort)
            kept.order, kept.sort = lay_out(kept.linked, ranks, reverse=sort.reverse), sort
        order = kept.order
        if len(kept.linked) == store.count(folder_id):  # else changed meanwhile: not kept
            _kept[store] = kept
        return order


def _extended(store: Store, folder_id: int, kept: _Kept, count: int, top: int) -> _Kept | None:
    if top <= kept.max_uid or count <= len(kept.linked):
        return None  # a removal (or an emptied and refilled folder)
    kept.order = None
    try:
        kept.linked.extend(store.thread_fields(folder_id, above_uid=kept.max_uid))
    except OutOfOrder:
        return None
    kept.max_uid = max(kept.linked.uids, default=0)
    return kept if (len(kept.linked), kept.max_uid) == (count, top) else None


def _ranks(store: Store, folder_id: int, sort: SortSpec) -> dict[int, int] | None:
    """UID -> place in the folder sorted by `sort`'s key, when that is not the date."""
    if sort.key == DEFAULT_SORT.key:
        return None
    sorted_uids = store.ordered_uids(folder_id, sort=sort.natural)
    return {uid: place for place, uid in enumerate(sorted_uids)}
