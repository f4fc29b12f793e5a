"""The hostile corpus (tests/data/hostile/*.eml, plus big messages generated here).

One message per way a stranger's mail can go wrong or attack; each test asserts what the
user sees: what `tui-mail read`/`render` prints (format_rendered) and the reader's text.
Everything here is pure (no network); the end-to-end run through Dovecot and the TUI is in
tests/ui/test_reader_safety.py.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tui_mail.core.message.attachments import save_attachment
from tui_mail.core.message.mime import attachment_data, format_rendered, render_message
from tui_mail.ui.main.reader import INITIAL_BODY_CHARS, message_text

CORPUS = Path(__file__).parent.parent / "data" / "hostile"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")

# file -> (what the user must see, what must never be on screen)
EXPECTED: dict[str, tuple[list[str], list[str]]] = {
    "charset_lie": (["Café crème, 20 €"], ["\ufffd"]),
    "unknown_charset": (["Naïve résumé"], []),
    "broken_rfc2047": (["Subject: Hello worldcafé", "=?utf-8?B?4pyT"], []),
    "rfc2231_traversal": (
        ["[1] bashrc (", "[2] evil (", "[3] evil.dll (", "[4] _CON.txt ("],
        ["..", "/etc", "\\", ".bashrc"],
    ),
    "bidi_filename": (["invoice⟨RLO⟩fdp.exe"], ["\u202e"]),
    "escape_in_attachment_name": (["[1] notes.txt (text/plain"], ["52;c"]),
    "bad_base64": (["Hello from base64", "damaged (invalid base64)"], []),
    "bad_quoted_printable": (["café =ZZ broken soft break", "a trailing"], []),
    "missing_content_type": (["Just text, no MIME headers at all."], []),
    "format_flowed": (
        ["This paragraph is soft-wrapped over three lines.", "> quoted and flowed too.\n-- \nsig"],
        [],
    ),
    "osc52_subject": (["Subject: clipboard please"], ["52;", "cm0gLXJmIH4"]),
    "osc52_encoded_subject": (["Subject: pay  now"], ["52;"]),
    "escapes_in_body": (["before", "red click", "after"], ["2J", "[31m", "8;;", "0;title"]),
    "markup_subject": (
        [
            "Subject: [bold red]x[/] [link=file:///etc/passwd]click[/link]",
            "[reverse]body[/reverse] [@click=app.quit]quit[/]",
        ],
        [],
    ),
    "html_phishing": (
        [
            "Log in at https://bank.example[1].",
            '[1] https://evil.example/login  (warning: the link text says "https://bank.example")',
            "[image: logo]",
        ],
        ["alert(2)", "tracker.example"],
    ),
    "nested_rfc822": (
        ["---------- Attached message ----------", "Subject: inner red [bold]x[/]", "inner body"],
        ["[31m"],
    ),
    "encrypted": (["This message is encrypted (OpenPGP)", "[1] encrypted.asc"], []),
}


def test_every_corpus_file_has_expectations() -> None:
    assert sorted(p.stem for p in CORPUS.glob("*.eml")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_shows_what_it_should_and_nothing_dangerous(name: str) -> None:
    raw = (CORPUS / f"{name}.eml").read_bytes()
    rendered = render_message(raw)
    printed = format_rendered(rendered)
    on_screen = message_text(rendered).plain
    must_see, never = EXPECTED[name]
    for text in (printed, on_screen):
        assert "\x1b" not in text
        assert CONTROL.search(text) is None, CONTROL.findall(text)
        for wanted in must_see:
            assert wanted in text
        for unwanted in never:
            body_and_attachments = text.split("\n", 4)[-1]  # past From/To/Date/Subject
            assert unwanted not in body_and_attachments


def test_hostile_attachment_names_are_saved_inside_the_download_directory(tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    raw = (CORPUS / "rfc2231_traversal.eml").read_bytes()
    rendered = render_message(raw)
    for item in rendered.attachments:
        save_attachment(attachment_data(raw, item.index) or b"", item.filename, downloads)
    names = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())
    assert names == ["_CON.txt", "bashrc", "evil", "evil.dll"]
    assert (downloads / "bashrc").read_bytes() == b"echo pwned\n"


def test_the_bidi_trick_cannot_hide_the_real_extension_on_disk(tmp_path: Path) -> None:
    raw = (CORPUS / "bidi_filename.eml").read_bytes()
    item = render_message(raw).attachments[0]
    path = save_attachment(attachment_data(raw, 1) or b"", item.filename, tmp_path)
    assert path.name == "invoice⟨RLO⟩fdp.exe"


# -- big and deep ones, generated (no megabytes in the repository) ------------------------


def _plain(body: bytes, subject: bytes = b"big") -> bytes:
    return b"From: a@example.org\nSubject: " + subject + b"\nContent-Type: text/plain\n\n" + body


def nesting_bomb(depth: int = 3000) -> bytes:
    head = b"From: a@example.org\nSubject: bomb\nContent-Type: multipart/mixed; boundary=b0\n\n"
    parts = [head]
    for level in range(1, depth):
        parts.append(b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (level - 1, level))
    parts.append(b"--b%d\nContent-Type: text/plain\n\ndeep down\n" % (depth - 1))
    return b"".join(parts)


def huge_single_line(size: int = 5_000_000) -> bytes:
    return _plain(b"A" * size + b"END\n", b"one long line")


def ten_megabytes() -> bytes:
    line = b"The quick brown fox jumps over the lazy dog, again and again.\n"
    return _plain(line * (10_000_000 // len(line)) + b"LAST LINE\n", b"ten megabytes")


def five_megabyte_html() -> bytes:
    cell = b"<tr><td><a href='https://example.org/x'>row</a></td><td>text &amp; more</td></tr>\n"
    html = b"<html><body><table>" + cell * (5_000_000 // len(cell)) + b"</table></body></html>"
    return b"From: a@example.org\nSubject: html\nContent-Type: text/html\n\n" + html


def _render_timed(raw: bytes) -> tuple[str, float]:
    started = time.perf_counter()
    rendered = render_message(raw, max_body_chars=INITIAL_BODY_CHARS)
    elapsed = time.perf_counter() - started
    return message_text(rendered).plain, elapsed


def test_a_nesting_bomb_shows_a_note_instead_of_hanging() -> None:
    shown, elapsed = _render_timed(nesting_bomb())
    assert "nested more than 20 levels deep are not shown" in shown
    assert elapsed < 5  # a generous bound on a shared machine; unbounded work takes minutes


@pytest.mark.parametrize(
    ("make", "marker"),
    [(huge_single_line, "AAAA"), (ten_megabytes, "quick brown fox"), (five_megabyte_html, "row")],
)
def test_big_messages_open_truncated_with_the_load_all_hint(make: object, marker: str) -> None:
    assert callable(make)
    shown, elapsed = _render_timed(make())
    assert marker in shown
    assert "[Truncated" in shown
    assert "[L loads all of it]" in shown
    assert len(shown) < INITIAL_BODY_CHARS + 10_000
    assert elapsed < 5


def test_load_all_renders_the_whole_ten_megabytes() -> None:
    raw = ten_megabytes()
    rendered = render_message(raw, max_body_chars=50_000_000)
    assert rendered.body.endswith("LAST LINE")
    assert not any(note.startswith("Truncated") for note in rendered.notes)
