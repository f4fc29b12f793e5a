from hypothesis import given
from hypothesis import strategies as st

from tui_mail.core import seqset


def test_compact_joins_runs() -> None:
    assert seqset.compact([5, 1, 2, 3, 7, 8, 3]) == "1:3,5,7:8"
    assert seqset.compact([]) == ""
    assert seqset.compact([42]) == "42"


def test_chunks_stay_under_the_limit_and_cover_everything() -> None:
    uids = list(range(1, 100_001, 2))  # no runs at all: the worst case for length
    chunks = list(seqset.chunked(uids, max_length=8000))
    assert all(len(chunk) <= 8000 for chunk in chunks)
    assert [uid for chunk in chunks for uid in seqset.expand(chunk)] == uids


def test_expand_reads_server_sets() -> None:
    assert seqset.expand("1:3,7,10:9") == [1, 2, 3, 7, 9, 10]


@given(st.sets(st.integers(min_value=1, max_value=5000)))
def test_round_trip(uids: set[int]) -> None:
    assert seqset.expand(seqset.compact(uids)) == sorted(uids)
