"""The outbox on disk, and what goes on the wire (no network)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tui_mail.core.models import Flag
from tui_mail.core.sending.compose import Origin
from tui_mail.core.sending.outbox import Outbox, OutboxBusy, OutboxError
from tui_mail.core.sending.send import without_bcc

MESSAGE = b"From: me@example.org\r\nTo: a@example.org\r\nSubject: Hi\r\n\r\nBody\r\n"


def add(outbox: Outbox, raw: bytes = MESSAGE) -> str:
    entry = outbox.add(
        raw, sender="me@example.org", recipients=["a@example.org"], subject="Hi",
        message_id="<m@example.org>", origin=Origin("INBOX", 7, Flag.ANSWERED),
        drafts_copy=("Drafts", 3),
    )  # fmt: skip
    return entry.id


def test_an_entry_survives_a_restart_and_goes_through_its_states(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    entry_id = add(outbox)
    path = tmp_path / "outbox" / f"{entry_id}.eml"
    assert path.read_bytes() == MESSAGE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    reopened = Outbox(tmp_path / "outbox")  # as after a crash: only the disk remains
    [entry] = reopened.entries()
    assert (entry.id, entry.state, entry.recipients) == (entry_id, "queued", ("a@example.org",))
    assert entry.origin == Origin("INBOX", 7, Flag.ANSWERED)
    assert entry.drafts_copy == ("Drafts", 3)
    assert reopened.message(entry) == MESSAGE

    updated = reopened.update(entry, state="transmitting", attempts=1, last_error="boom")
    [again] = Outbox(tmp_path / "outbox").entries()
    assert again == updated and again.may_have_been_sent
    reopened.remove(again)
    assert reopened.entries() == []
    assert os.listdir(tmp_path / "outbox") == []


def test_retries_back_off_from_thirty_seconds_to_an_hour(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    [entry] = [outbox.get(add(outbox))]
    assert entry.retry_at() == entry.created + 30.0  # its first attempt may be under way
    assert [
        outbox.update(entry, attempts=n, last_attempt=1000.0).retry_at() - 1000.0
        for n in (1, 2, 3, 10)
    ] == [30.0, 60.0, 120.0, 3600.0]


def test_an_entry_being_sent_cannot_be_claimed_twice(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = add(outbox)
    with outbox.claimed(entry_id) as entry:
        assert entry.id == entry_id
        with pytest.raises(OutboxBusy, match="being sent by another tui-mail"), \
                outbox.claimed(entry_id):  # fmt: skip
            pass
    with outbox.claimed(entry_id) as entry:
        outbox.remove(entry)
    with pytest.raises(Exception, match="has left the outbox already"), outbox.claimed(entry_id):
        pass


def test_a_full_disk_is_a_clear_error_and_leaves_no_half_entry(tmp_path: Path) -> None:
    # The kernel refuses writes past RLIMIT_FSIZE (EFBIG): a disk that fills up mid-write.
    script = textwrap.dedent(f"""
        import resource, signal, sys
        from pathlib import Path
        from tui_mail.core.sending.outbox import Outbox, OutboxError
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            Outbox(Path({str(tmp_path / "outbox")!r})).add(
                b"x" * 100_000, sender="me@example.org", recipients=["a@example.org"],
                subject="big", message_id="<m@x>")
        except OutboxError as error:
            print(error)
            sys.exit(0)
        sys.exit("no error")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Cannot save the message to the outbox in {tmp_path}")
    assert "File too large. Nothing was sent." in result.stdout
    assert os.listdir(tmp_path / "outbox") == []


def test_an_unusable_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "outbox").write_text("not a directory")
    with pytest.raises(OutboxError, match=r"a file is in the way .*\. Nothing was sent"):
        add(Outbox(tmp_path / "outbox"))


def test_leftovers_of_a_crash_are_cleaned_up_once_old(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    kept = add(outbox)
    old, fresh = tmp_path / "20200101T000000-0000dead.eml", tmp_path / ".tmp-abc.json"
    old.write_bytes(MESSAGE)  # its .json was never written
    fresh.write_bytes(b"{}")
    long_ago = time.time() - 2 * 3600
    os.utime(old, (long_ago, long_ago))
    (tmp_path / "20200101T000001-0000beef.json").write_text("{not json")
    assert [entry.id for entry in outbox.entries()] == [kept]
    assert not old.exists() and fresh.exists()


def test_metadata_is_readable_json(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path)
    entry_id = add(outbox)
    data = json.loads((tmp_path / f"{entry_id}.json").read_text())
    assert data["origin"] == {"folder": "INBOX", "uid": 7, "flag": "ANSWERED"}
    assert data["state"] == "queued" and data["size"] == len(MESSAGE)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            b"To: a@x\r\nBcc: b@x,\r\n c@x\r\nSubject: s\r\n\r\nBcc: in body\r\n",
            b"To: a@x\r\nSubject: s\r\n\r\nBcc: in body\r\n",
        ),
        (b"To: a@x\r\nBCC: b@x\r\n\r\nbody\r\n", b"To: a@x\r\n\r\nbody\r\n"),
        (b"Bcc: b@x\nTo: a@x\n\nbody\n", b"To: a@x\n\nbody\n"),
        (b"To: a@x\r\nBcc-Like: kept\r\n\r\nbody", b"To: a@x\r\nBcc-Like: kept\r\n\r\nbody"),
    ],
)
def test_the_wire_copy_drops_only_the_bcc_header(raw: bytes, expected: bytes) -> None:
    assert without_bcc(raw) == expected


def test_only_network_failures_and_unfiled_copies_retry_by_themselves(tmp_path: Path) -> None:
    from tui_mail.core.sending.send import retries_by_itself  # noqa: PLC0415

    outbox = Outbox(tmp_path)
    entry = outbox.get(add(outbox))
    tried = outbox.update(entry, attempts=1, last_attempt=1000.0)
    network = outbox.update(tried, retries_itself=True)
    accepted = outbox.update(tried, state="accepted")
    uncertain = outbox.update(tried, state="transmitting")
    assert not retries_by_itself(entry, entry.created + 1)  # the sender may be at it now
    assert retries_by_itself(entry, entry.created + 31)
    assert [retries_by_itself(e, 1010.0) for e in (tried, network, accepted, uncertain)] == [
        False, False, False, False,  # not due for 30 s
    ]  # fmt: skip
    assert [retries_by_itself(e, 1031.0) for e in (tried, network, accepted, uncertain)] == [
        False, True, True, False,  # a refusal and a maybe-delivered message wait for the user
    ]  # fmt: skip
    assert retries_by_itself(network, 1010.0, due_only=False)  # the connection came back
    outbox.update(network)  # the state on disk (the others overwrote it) ...
    assert outbox.get(network.id).retries_itself  # ... survives a restart
