"""What reaches the terminal from untrusted text: no escapes, no controls, no hidden reordering."""

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from tui_mail.core.message.sanitize import sanitize_line, sanitize_text

# What a terminal or Rich could act on: C0/C1 controls, bidi overrides, lone surrogates.
UNSAFE_IN_LINE = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
UNSAFE_IN_TEXT = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def test_clean_text_is_returned_as_is_without_work() -> None:
    subject = "Re: Quarterly numbers — café ☕ 👍🏽"
    body = "Hi,\n\tsee below.\n"
    assert sanitize_line(subject) is subject
    assert sanitize_text(body) is body


def test_csi_sequences_are_removed_whole() -> None:
    assert sanitize_line("\x1b[31mred\x1b[0m alert\x1b[2J\x1b[?1049h") == "red alert"
    assert sanitize_text("a\x1b[1;31;48;5;200mb") == "ab"


def test_osc8_hyperlink_keeps_its_text_but_not_its_target() -> None:
    bel = "\x1b]8;;https://evil.example\x07click me\x1b]8;;\x07"
    st_terminated = "\x1b]8;;https://evil.example\x1b\\click me\x1b]8;;\x1b\\"
    assert sanitize_line(bel) == "click me"
    assert sanitize_line(st_terminated) == "click me"


def test_osc52_clipboard_write_and_title_change_are_removed() -> None:
    assert sanitize_line("hi \x1b]52;c;cm0gLXJmIH4=\x07there") == "hi there"
    assert sanitize_text("\x1b]0;pwned\x1b\\body") == "body"


def test_8bit_c1_forms_are_removed_with_their_payload() -> None:
    assert sanitize_line("a\x9b31mb") == "ab"
    assert sanitize_line("a\x9d0;title\x9cb") == "ab"
    assert sanitize_line("a\x9d52;c;eA==\x07b") == "ab"


def test_other_escape_sequences_and_string_commands_are_removed() -> None:
    assert sanitize_line("a\x1b(0b\x1bcc\x1b7d") == "abcd"  # charset switch, reset, save cursor
    assert sanitize_line("a\x1bPq#0;2;0;0;0\x1b\\b") == "ab"  # DCS (sixel)
    assert sanitize_line("a\x1b_Gf=100;AAAA\x1b\\b") == "ab"  # APC (kitty graphics)


def test_an_unterminated_string_command_loses_only_its_introducer() -> None:
    assert sanitize_text("a\x1b]0;no end\nnext line") == "a0;no end\nnext line"
    assert sanitize_line("a\x1b]0;no end") == "a0;no end"


def test_a_stray_c1_byte_from_a_mislabelled_charset_does_not_swallow_the_line() -> None:
    # windows-1250 "ťava" read as ISO-8859-2 starts with U+009D, the 8-bit OSC introducer.
    text = "ťava a víno".encode("cp1250").decode("iso-8859-2")
    assert sanitize_line(text) == "ava a víno"


def test_crafted_runs_of_introducers_stay_fast() -> None:
    start = time.perf_counter()
    for bomb in ("\x9d" * 200_000, "\x1b]x" * 100_000, "\x9b" * 200_000, "\x1b[" * 100_000):
        assert sanitize_text(bomb) == bomb.replace("\x9d", "").replace("\x9b", "").replace(
            "\x1b]", ""
        ).replace("\x1b[", "")
    assert time.perf_counter() - start < 2.0  # linear: ~0.3 s; a backtracking scan takes hours


def test_lone_controls_go_bodies_keep_newlines_and_tabs() -> None:
    assert sanitize_text("a\x00b\x07c\x08d\x7fe\x85f\nx\ty") == "abcdef\nx\ty"
    assert sanitize_line("a\x00b\x07c\x7fd\x85e") == "abcde"


def test_carriage_return_cannot_overwrite_text() -> None:
    # "Pay to: Alice\rPay to: Mallory" would show only Mallory's line on a terminal.
    assert sanitize_text("Pay to: Alice\rPay to: Mallory") == "Pay to: Alice\nPay to: Mallory"
    assert sanitize_text("a\r\nb") == "a\nb"


def test_a_line_has_no_line_breaks_or_tabs() -> None:
    assert sanitize_line("Re:\tmulti\r\nline\nsubject\u2028end") == "Re: multi  line subject end"
    assert sanitize_text("para\u2029next") == "para\nnext"


def test_bidi_overrides_and_isolates_become_visible_markers() -> None:
    assert sanitize_line("invoice\u202efdp.exe") == "invoice⟨RLO⟩fdp.exe"
    assert sanitize_text("\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069") == (
        "⟨LRE⟩⟨RLE⟩⟨PDF⟩⟨LRO⟩⟨LRI⟩⟨RLI⟩⟨FSI⟩⟨PDI⟩"
    )


def test_lone_surrogates_become_replacement_characters() -> None:
    assert sanitize_line("caf\udce9") == "caf\ufffd"
    assert sanitize_text("x\ud800y") == "x\ufffdy"


def test_ordinary_unicode_is_untouched() -> None:
    text = "שלום עולם · مرحبا · 日本語 · e\u0301 · 👩\u200d👩\u200d👧 · \u200fmark"
    assert sanitize_line(text) == text
    assert sanitize_text(text + "\n") == text + "\n"


def test_markup_lookalikes_are_not_escaped() -> None:
    # The UI renders message text with rich.text.Text, never as markup; see sanitize.py.
    assert sanitize_line("[bold red]hi[/] [link=x]") == "[bold red]hi[/] [link=x]"


def test_a_sync_worth_of_subjects_is_fast() -> None:
    subjects = [f"Re: Meeting about numbers #{i} café 😀" for i in range(100_000)]
    start = time.perf_counter()
    for subject in subjects:
        sanitize_line(subject)
    assert time.perf_counter() - start < 1.0  # measured ~0.07 s


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.one_of(
            st.characters(exclude_categories=[]),  # includes lone surrogates
            st.sampled_from("\x1b\x9b\x9d\x9c\x07\r\n\t[]\\;\u202e\u2066\u2028"),
        ),
        max_size=200,
    )
)
def test_output_never_holds_anything_a_terminal_acts_on(text: str) -> None:
    line, body = sanitize_line(text), sanitize_text(text)
    assert not UNSAFE_IN_LINE.search(line)
    assert not UNSAFE_IN_TEXT.search(body)
    assert sanitize_line(line) == line
    assert sanitize_text(body) == body


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "\x1b",
                "[",
                "]",
                "\\",
                "\x07",
                "\x9b",
                "\x9d",
                "\x9c",
                "8;;",
                "31m",
                "a",
                "\n",
                "P",
                "_",
            ]
        )
    )
)
def test_escape_fragments_in_any_order_are_neutralised(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert not UNSAFE_IN_LINE.search(sanitize_line(text))
    assert not UNSAFE_IN_TEXT.search(sanitize_text(text))
