"""HTML mail as text: html2text with numbered links, image placeholders and phishing checks.

No remote content is ever fetched: images become `[image: alt]`, and links keep their real
target, flagged when their text names another host.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Protocol
from urllib.parse import urlsplit

from tui_mail.core.message.sanitize import sanitize_line

_MAX_URL_CHARS = 8192


@dataclass(frozen=True, slots=True)
class Link:
    """A link from an HTML body; the body shows `[number]` where its text was."""

    number: int
    url: str
    """The real target, sanitised."""
    text: str
    suspicious: bool
    """The link text names a different host than the target (a phishing tell)."""


_URL_IN_TEXT = re.compile(
    r"""(?i)\b[a-z][a-z0-9+.-]*://([^/\s?#)\]>,;'"]+)|\b(www\.[^/\s?#)\]>,;'"]+)"""
)
_BARE_HOST = re.compile(r"^<?((?:[\w-]+\.)+([^\W\d_]{2,63}))(?:[/:?#]\S*)?>?$")
_EMAIL_IN_TEXT = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[\w-]+)")
# "report.pdf" as link text names a file, not a host.
_FILE_SUFFIXES = frozenset(
    {"pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "csv", "htm", "html", "png"}
    | {"jpg", "jpeg", "gif", "svg", "zip", "gz", "tgz", "rar", "ics", "eml", "exe", "msi", "apk"}
)
META_CHARSET = re.compile(rb"""(?i)<meta[^>]{0,200}?charset\s*=\s*["']?([\w.:-]{1,40})""")


class LinkCollector:
    """Numbers links in order of appearance; one number per distinct URL."""

    def __init__(self) -> None:
        self.items: list[Link] = []
        self._numbers: dict[str, int] = {}

    def add(self, href: str, text: str) -> int | None:
        url = sanitize_line(re.sub(r"[\t\r\n]", "", href).strip())[:_MAX_URL_CHARS]
        if not url or url.startswith("#"):
            return None
        text = sanitize_line(" ".join(text.split()))[:1000]
        suspicious = _is_suspicious(url, text)
        number = self._numbers.get(url)
        if number is None:
            number = len(self.items) + 1
            self._numbers[url] = number
            self.items.append(Link(number, url, text, suspicious))
        elif suspicious and not self.items[number - 1].suspicious:
            # Keep the misleading text so the user can see why the link is flagged.
            self.items[number - 1] = Link(number, url, text, suspicious)
        return number


def _host_named_by(text: str, url: str) -> str | None:
    found = _URL_IN_TEXT.search(text)
    if found:
        host = found.group(1) or found.group(2)
        return host.rsplit("@", 1)[-1].split(":", 1)[0]
    bare = _BARE_HOST.match(text.strip())
    if bare and bare.group(2).lower() not in _FILE_SUFFIXES:
        return bare.group(1)
    if url[:7].lower() == "mailto:":
        email_address = _EMAIL_IN_TEXT.search(text)
        if email_address:
            return email_address.group(1)
    return None


def _normal_host(host: str) -> str:
    host = host.strip().rstrip(".").lower().removeprefix("www.")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_suspicious(url: str, text: str) -> bool:
    named = _host_named_by(text, url)
    if named is None:
        return False
    try:
        target = urlsplit(url)
        actual = target.hostname
        if target.scheme.lower() == "mailto":
            actual = target.path.rpartition("@")[2] or None
    except ValueError:
        actual = None
    if not actual:
        return True
    named, actual = _normal_host(named), _normal_host(actual)
    return not (actual == named or actual.endswith("." + named))


class _Converter(Protocol):
    def handle(self, data: str) -> str: ...
    def partial(self) -> str: ...


@cache
def _html_converter() -> Callable[[LinkCollector, int], _Converter]:
    import html2text  # noqa: PLC0415 -- only HTML mail pays for the import

    class HtmlToText(html2text.HTML2Text):
        """html2text with numbered links, image alt text, and no Markdown escaping."""

        def __init__(self, links: LinkCollector, limit: int) -> None:
            # Width 0: the reader and the terminal wrap to whatever width they have.
            super().__init__(bodywidth=0)
            self._room = limit
            self.unicode_snob = True
            # Mail uses tables for layout; as Markdown tables they become walls of "|".
            self.ignore_tables = True
            self._links = links
            self._open_links: list[tuple[str | None, list[str]]] = []
            # Text between two tags, gathered before html2text sees it: it would get
            # "Fr&ouml;sche" in three pieces, and inside <b>/<i> its emphasis logic takes
            # every piece after the first for text after the closing tag and puts a space
            # before it ("**Fr ösche**", "_AT &T_"; upstream aaronsw/html2text#122).
            self._text: list[str] = []

        def handle_charref(self, c: str) -> None:
            self._text.append(self.charref(c))

        def handle_entityref(self, c: str) -> None:
            self._text.append(self.entityref(c))

        def handle_data(self, data: str, entity_char: bool = False) -> None:
            self._text.append(data)

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self._flush_text()
            super().handle_starttag(tag, attrs)

        def handle_endtag(self, tag: str) -> None:
            self._flush_text()
            super().handle_endtag(tag)

        def close(self) -> None:
            super().close()
            self._flush_text()

        def _flush_text(self) -> None:
            data = "".join(self._text)
            self._text.clear()
            if data:
                self._in_links(data)
                # entity_char=True is html2text's way to skip Markdown escaping ("1\\."
                # "C:\\\\"), which on a terminal would only show up as stray backslashes.
                super().handle_data(data, True)

        def handle_tag(self, tag: str, attrs: dict[str, str | None], start: bool) -> None:
            if tag == "a":
                self.current_tag = tag
                if start:
                    self._open_links.append((attrs.get("href"), []))
                elif self._open_links:
                    href, text = self._open_links.pop()
                    number = self._links.add(href, "".join(text)) if href else None
                    if number is not None:
                        self.o(f"[{number}]")
            elif tag == "img":
                self.current_tag = tag
                label = _image_label(attrs) if start else ""
                if label:
                    self.o(label)
                    self._in_links(label)
            else:
                super().handle_tag(tag, attrs, start)
                if tag in ("td", "th") and not start:
                    self.o(" ")  # keep cells of a row apart

        def _in_links(self, data: str) -> None:
            for _href, text in self._open_links:
                text.append(data)

        def outtextf(self, s: str) -> None:
            # Nested lists and quotes indent every line by their depth, so a few kB of
            # "<ul><li>" can expand to gigabytes; stop once the body could not hold more.
            self._room -= len(s)
            if self._room < 0:
                raise _OutputFull
            super().outtextf(s)

        def partial(self) -> str:
            """What was written before conversion stopped early."""
            return "".join(self.outtextlist).replace(html2text.config.UNIFIABLE["nbsp"], "\xa0")

    return HtmlToText


class _OutputFull(Exception):
    """The converted HTML outgrew the room left in the body."""


def _image_label(attrs: dict[str, str | None]) -> str:
    alt = " ".join((attrs.get("alt") or attrs.get("title") or "").split())[:200]
    if alt:
        return f"[image: {alt}]"
    if {attrs.get("width"), attrs.get("height")} & {"0", "1", "0px", "1px"}:
        return ""  # a tracking pixel or spacer: nothing a reader wants to see
    return "[image]"


def html_to_text(html: str, links: LinkCollector, limit: int) -> tuple[str, str | None]:
    """Convert HTML to text of at most about `limit` characters; say why if it stopped early."""
    converter = _html_converter()(links, limit)
    problem = None
    try:
        text = converter.handle(html)
    except _OutputFull:
        text, problem = converter.partial(), "too long"
    except Exception:  # html.parser raises on some malformed markup ("<![foo]>")
        text, problem = converter.partial(), "broken"
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n"), problem
