"""Make untrusted text (from a message or a server) safe to put on a terminal.

What is removed or changed, and why:

- Terminal escape sequences are removed whole, not just their ESC, so nothing half-parsed
  is left on screen: CSI (``ESC [`` ... final byte, or 8-bit ``\\x9b``), string commands
  up to their terminator BEL, ``ESC \\`` or ``\\x9c`` (OSC ``ESC ]``/``\\x9d`` -- window
  titles, OSC 8 hyperlinks, OSC 52 clipboard writes -- and DCS, SOS, PM, APC), and every
  other ``ESC`` sequence (charset switches, ``ESC c`` reset ...). A string command with no
  terminator on its line loses only its introducer: a stray C1 byte from a mislabelled
  charset (``ť`` is 0x9D, OSC, in windows-1250 text labelled ISO-8859-2) must not swallow
  the rest of the line, and what is left is printable text.
- Any C0 or C1 control character left over is removed (bodies keep ``\\n`` and ``\\t``; a
  carriage return becomes a newline, so text it would have overwritten stays visible).
- Bidi embedding, override and isolate controls (U+202A-U+202E, U+2066-U+2069) are replaced
  by a visible marker such as ``⟨RLO⟩``: they can make ``invoice⟨RLO⟩fdp.exe`` look like
  ``invoiceexe.pdf``. The implicit marks LRM/RLM/ALM change no visible order and are kept.
- Lone surrogates (what a ``surrogateescape`` or ``utf-7`` decode can leave behind) become
  U+FFFD: writing one to a UTF-8 terminal would raise.

Everything else, including emoji, combining marks and right-to-left scripts, is kept.

Square brackets are not escaped: the UI never renders message text as Rich/Textual markup
(it builds `rich.text.Text` objects), so markup escaping would only show up as backslashes.
Code that does use markup must escape on its own.

Both functions run on every subject during a sync, so they answer with one C-level scan
when the text is clean, which is nearly always.
"""

from __future__ import annotations

import re

_BIDI_MARKERS = {
    "\u202a": "⟨LRE⟩",
    "\u202b": "⟨RLE⟩",
    "\u202c": "⟨PDF⟩",
    "\u202d": "⟨LRO⟩",
    "\u202e": "⟨RLO⟩",
    "\u2066": "⟨LRI⟩",
    "\u2067": "⟨RLI⟩",
    "\u2068": "⟨FSI⟩",
    "\u2069": "⟨PDI⟩",
}

_BIDI = "\u202a-\u202e\u2066-\u2069"
_SURROGATE = "\ud800-\udfff"

# Cheap first checks: does the text contain anything at all that needs work?
_NEEDS_WORK_TEXT = re.compile(
    f"[\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}{_SURROGATE}]"
)
_NEEDS_WORK_LINE = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029{_BIDI}{_SURROGATE}]")

# One pass over text that needs work. Order matters: whole sequences before lone controls.
_UNSAFE = re.compile(
    # CSI: parameter bytes, intermediate bytes, final byte (a cut-off one may lack it).
    r"(?:\x1b\[|\x9b)[\x30-\x3f]*[\x20-\x2f]*[\x40-\x7e]?"
    # OSC, DCS, SOS, PM, APC with their payload, when terminated by BEL, ESC \ or ST on the
    # same line. The payload excludes every control, so a scan never runs past the next one
    # and crafted input stays linear.
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x00-\x08\x0a-\x1f\x7f-\x9f]*(?:\x07|\x1b\\|\x9c)"
    # Any other escape sequence: intermediate bytes and a final byte, or a lone ESC.
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"
    f"|[\\x00-\\x1f\\x7f-\\x9f{_BIDI}{_SURROGATE}\\u2028\\u2029]"
)


def _replacement(match: re.Match[str], *, line: bool) -> str:
    found = match.group()
    if len(found) == 1:
        if found in _BIDI_MARKERS:
            return _BIDI_MARKERS[found]
        if "\ud800" <= found <= "\udfff":
            return "\ufffd"
        if found in "\t\n\r\u2028\u2029":
            return " " if line else ("\t" if found == "\t" else "\n")
    return ""


def _replace_in_text(match: re.Match[str]) -> str:
    return _replacement(match, line=False)


def _replace_in_line(match: re.Match[str]) -> str:
    return _replacement(match, line=True)


def sanitize_text(text: str) -> str:
    """Make a body safe for the terminal: keeps newlines and tabs, removes escapes and controls.

    Args:
        text: Decoded, untrusted text of any length.

    Returns:
        The text with escape sequences and control characters removed, ``\\r\\n`` and a lone
        ``\\r`` turned into ``\\n``, and bidi overrides replaced by visible markers.
    """
    if _NEEDS_WORK_TEXT.search(text) is None:
        return text
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _UNSAFE.sub(_replace_in_text, text)


def sanitize_line(text: str) -> str:
    """Make one display line safe (subjects, names, folder and file names).

    Args:
        text: Decoded, untrusted text.

    Returns:
        The text on one line: tabs, line breaks and line/paragraph separators become a
        space; escape sequences and control characters are removed; bidi overrides are
        replaced by visible markers.
    """
    # str.isprintable() is a single C loop and false for every character handled here
    # (controls, format characters, separators, surrogates), so clean text ends here.
    if text.isprintable() or _NEEDS_WORK_LINE.search(text) is None:
        return text
    return _UNSAFE.sub(_replace_in_line, text)
