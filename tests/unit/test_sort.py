"""Sorting: what people type (parse_sort), and the order a real SQLite cache gives back for
every key, flat, threaded and merged across accounts."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tui_mail.core.account.message_index import FolderMessages, MergedMessages, ThreadedMessages
from tui_mail.core.errors import UsageError
from tui_mail.core.message.headers import SummaryRow, strip_reply_prefix
from tui_mail.core.models import Flag
from tui_mail.core.sort import DEFAULT_SORT, SortKey, SortSpec, parse_sort
from tui_mail.core.store.cache import Store

# -- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], DEFAULT_SORT),
        (["from"], SortSpec(SortKey.FROM)),
        (["-r", "from"], SortSpec(SortKey.FROM, reverse=True)),
        (["from", "--reverse"], SortSpec(SortKey.FROM, reverse=True)),
        (["reverse-date"], SortSpec(SortKey.DATE, reverse=True)),
        (["SUBJECT"], SortSpec(SortKey.SUBJECT)),
        (["date-received"], SortSpec(SortKey.ARRIVAL)),
        (["read"], SortSpec(SortKey.UNREAD)),
        (["-r", "reverse-size"], SortSpec(SortKey.SIZE)),
        (["flagged"], SortSpec(SortKey.FLAGGED)),
    ],
)
def test_parse_sort_reads_aerc_and_neomutt_forms(args: list[str], expected: SortSpec) -> None:
    assert parse_sort(args) == expected


def test_every_completion_word_parses() -> None:
    from tui_mail.core.sort import sort_words  # noqa: PLC0415

    words = sort_words()
    assert words[:3] == ["-r", "date", "arrival"]
    for word in words[1:]:
        assert parse_sort(["-r", word]) == SortSpec(SortKey(word), reverse=True)


def test_a_spec_reads_back_from_its_own_words() -> None:
    for key in SortKey:
        for reverse in (False, True):
            spec = SortSpec(key, reverse)
            assert parse_sort(str(spec).split()) == spec
    assert SortSpec(SortKey.FROM, reverse=True).describe() == "from, reversed"


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["sender-name"], "Unknown sort key 'sender-name'"),
        (["-x", "date"], "Unknown option '-x'"),
        (["from", "date"], "one key at a time, not from and date"),
    ],
)
def test_bad_arguments_get_a_sentence_naming_the_keys(args: list[str], words: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_sort(args)
    message = str(raised.value)
    assert words in message
    assert "date, arrival, from, to, subject, size, unread, flagged" in message


# -- ordering in the cache --------------------------------------------------------------


def row(uid: int, date: int, name: str, subject: str, *, to: str = "", size: int = 10,
        flags: int = 0, refs: str = "") -> SummaryRow:  # fmt: skip
    return SummaryRow(uid, date, name, f"u{uid}@x.org", to, "", subject, f"<m{uid}@x>", "",
                      refs, size, flags, "", 0, 0)  # fmt: skip


ROWS = [
    row(1, 500, "carol", "Re: Budget", to='"Zed" <z@x>', size=300, flags=Flag.SEEN),
    row(2, 100, "Alice", "agenda", to="bob@x.org", size=5000, flags=Flag.SEEN | Flag.FLAGGED),
    row(3, 400, "", "RE[2]: AW: Cabbages", to="<anna@x.org>", size=20, flags=0),
    row(4, 300, "bob", "Fwd: apples", to="Mia <m@x>", size=700, flags=Flag.SEEN),
    row(5, 200, "Alice", "Zebra", to="Anna Ng <a@x>", size=700, flags=Flag.FLAGGED),
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "c.sqlite3")
    store.add_summaries(store.ensure_folder("INBOX"), ROWS)
    return store


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (SortKey.DATE, [1, 3, 4, 5, 2]),
        (SortKey.ARRIVAL, [5, 4, 3, 2, 1]),
        # No name: the address ("u3@x.org"); ties newest first.
        (SortKey.FROM, [5, 2, 4, 1, 3]),
        (SortKey.TO, [5, 3, 2, 4, 1]),
        (SortKey.SUBJECT, [2, 4, 1, 3, 5]),
        (SortKey.SIZE, [2, 4, 5, 1, 3]),
        (SortKey.UNREAD, [3, 5, 1, 4, 2]),
        (SortKey.FLAGGED, [5, 2, 1, 3, 4]),
    ],
)
def test_each_key_orders_the_folder_and_reversed_turns_it_over(
    store: Store, key: SortKey, expected: list[int]
) -> None:
    folder = store.folder_id("INBOX")
    assert store.ordered_uids(folder, sort=SortSpec(key)) == expected
    assert store.ordered_uids(folder, sort=SortSpec(key, reverse=True)) == expected[::-1]
    messages = FolderMessages("me", store, "INBOX", sort=SortSpec(key))
    assert [messages.row(i).ref.uid for i in range(len(messages))] == expected  # type: ignore[union-attr]


def test_the_sql_subject_key_agrees_with_strip_reply_prefix(store: Store) -> None:
    from tui_mail.core.store.ordering import sort_value  # noqa: PLC0415

    db = sqlite3.connect(":memory:")
    expression = sort_value(SortKey.SUBJECT)
    for subject in ["Re: Hi", "RE[2]:  AW: Hello", "  fwd : Fw: x", "Note: y", "Hello", "SV:VS: z"]:
        params = [subject] * expression.count("subject")
        (got,) = db.execute(f"SELECT {expression.replace('subject', '?')}", params).fetchone()
        assert got == strip_reply_prefix(subject).strip().lower(), subject


def test_each_sort_is_served_by_a_covering_index_made_at_first_use(store: Store) -> None:
    """The speed of a re-sort (benchmarks/) rests on this: no SQLite sort, no row lookups."""
    from tui_mail.core.store.ordering import order_by  # noqa: PLC0415

    folder = store.folder_id("INBOX")
    for key in SortKey:
        for reverse in (False, True):
            spec = SortSpec(key, reverse)
            store.ordered_uids(folder, sort=spec)
            db = sqlite3.connect(store.path)  # a connection that knows the new index
            plan = " ".join(
                str(step[-1])
                for step in db.execute(
                    f"EXPLAIN QUERY PLAN SELECT uid FROM messages WHERE folder_id = ?"  # noqa: S608
                    f" ORDER BY {order_by(spec)}",
                    (folder,),
                )
            )
            db.close()
            assert "TEMP B-TREE" not in plan, (spec, plan)
            assert "COVERING INDEX" in plan or "PRIMARY KEY" in plan, (spec, plan)


def test_threads_follow_the_sort_and_keep_their_replies_in_order(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.sqlite3")
    folder = store.ensure_folder("INBOX")
    store.add_summaries(folder, [
        row(1, 100, "Zoe", "Plans"),
        row(2, 500, "Adam", "Re: Plans", refs="<m1@x>"),
        row(3, 300, "Mary", "Lunch"),
        row(4, 400, "Bob", "Re: Lunch", refs="<m3@x>"),
        row(5, 200, "Yann", "Alone"),
    ])  # fmt: skip

    def order(sort: SortSpec) -> list[int]:
        threads = ThreadedMessages("me", store, "INBOX", sort=sort)
        return list(threads.uids())

    assert order(DEFAULT_SORT) == [1, 2, 3, 4, 5]  # newest message of each thread first
    assert order(SortSpec(SortKey.DATE, reverse=True)) == [5, 3, 4, 1, 2]
    # By sender: the thread holding Adam (2), then Bob's (4), then Yann alone.
    assert order(SortSpec(SortKey.FROM)) == [1, 2, 3, 4, 5]
    assert order(SortSpec(SortKey.FROM, reverse=True)) == [5, 3, 4, 1, 2]
    assert order(SortSpec(SortKey.SUBJECT)) == [5, 3, 4, 1, 2]  # Alone, Lunch, Plans


def test_the_unified_inbox_merges_accounts_by_the_key(tmp_path: Path) -> None:
    work, home = Store(tmp_path / "w.sqlite3"), Store(tmp_path / "h.sqlite3")
    work.add_summaries(work.ensure_folder("INBOX"), [
        row(1, 100, "Dora", "d", size=10), row(2, 300, "Bea", "b", size=40),
    ])  # fmt: skip
    home.add_summaries(home.ensure_folder("INBOX"), [
        row(7, 200, "Cyd", "c", size=30), row(8, 50, "Ann", "a", size=20),
    ])  # fmt: skip

    def merged(sort: SortSpec) -> list[tuple[str, int]]:
        sources = [FolderMessages("work", work, "INBOX"), FolderMessages("home", home, "INBOX")]
        inbox = MergedMessages(sources, sort)
        rows = [inbox.row(i) for i in range(len(inbox))]
        return [(r.ref.account, r.ref.uid) for r in rows if r is not None]

    assert merged(DEFAULT_SORT) == [("work", 2), ("home", 7), ("work", 1), ("home", 8)]
    by_sender = [("home", 8), ("work", 2), ("home", 7), ("work", 1)]
    assert merged(SortSpec(SortKey.FROM)) == by_sender
    assert merged(SortSpec(SortKey.FROM, reverse=True)) == by_sender[::-1]
    assert merged(SortSpec(SortKey.SIZE)) == [("work", 2), ("home", 7), ("home", 8), ("work", 1)]
    inbox = MergedMessages([FolderMessages("home", home, "INBOX")], SortSpec(SortKey.FROM))
    assert inbox.index_of(inbox.row(1).ref) == 1  # type: ignore[union-attr]


def test_remembered_orders_ignore_junk_drop_defaults_and_stay_bounded() -> None:
    from tui_mail.ui.main.folder_tree import UNIFIED, FolderKey  # noqa: PLC0415
    from tui_mail.ui.main.sorting import REMEMBERED, SortChoices  # noqa: PLC0415

    saved = [["work", "INBOX", "-r from"], ["work", "Lists"], "junk", ["a", "b", "sideways"],
             ["home", "INBOX", 3], ["", UNIFIED, "size"]]  # fmt: skip
    choices = SortChoices(saved)
    assert choices.saved() == [["work", "INBOX", "-r from"], ["", UNIFIED, "size"]]
    assert choices.get(FolderKey("work", "INBOX")) == SortSpec(SortKey.FROM, reverse=True)
    assert choices.get(FolderKey("anyone", UNIFIED)) == SortSpec(SortKey.SIZE)
    assert choices.get(FolderKey("work", "Lists")) == DEFAULT_SORT
    assert SortChoices({"not": "a list"}).saved() == []

    choices.set(FolderKey("work", "INBOX"), DEFAULT_SORT)  # back to date: forgotten
    assert choices.saved() == [["", UNIFIED, "size"]]
    for n in range(REMEMBERED + 5):
        choices.set(FolderKey("work", f"F{n}"), SortSpec(SortKey.TO))
    kept = choices.saved()
    assert len(kept) == REMEMBERED
    assert kept[-1] == ["work", f"F{REMEMBERED + 4}", "to"]  # the oldest went first
    assert ["", UNIFIED, "size"] not in kept
