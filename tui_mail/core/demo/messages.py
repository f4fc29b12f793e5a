"""Build the demo's messages: the same bytes every time (seeded, fixed dates and boundaries)."""

from __future__ import annotations

import random
import struct
import textwrap
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr

from tui_mail.core.demo import content as c
from tui_mail.core.demo.content import ME, Person

NOW = datetime(2026, 11, 20, 16, 45, tzinfo=UTC)
"""The demo's "now": fixed so screenshots and tests see the same mailbox."""
_DOMAIN = "demo.tui-mail.example"
_POLICY = default_policy.clone(linesep="\n")


@dataclass(frozen=True, slots=True)
class DemoMessage:
    folder: str
    letters: str | None
    """Maildir flag letters; None for a message still in new/."""
    when: datetime
    raw: bytes


class _Builder:
    def __init__(self) -> None:
        self.random = random.Random(20261120)  # noqa: S311  (repeatable, not secret)
        self.messages: list[DemoMessage] = []
        self.count = 0

    def message(
        self,
        sender: Person | tuple[str, str],
        to: list[Person],
        subject: str,
        when: datetime,
        *,
        cc: list[Person] | None = None,
        reply_to: list[str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        self.count += 1
        msg = EmailMessage(policy=_POLICY)
        msg["From"] = formataddr(sender)
        msg["To"] = ", ".join(formataddr(p) for p in to)
        if cc:
            msg["Cc"] = ", ".join(formataddr(p) for p in cc)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(when)
        msg["Message-ID"] = f"<demo.{self.count:04d}@{_DOMAIN}>"
        if reply_to:
            msg["In-Reply-To"] = reply_to[-1]
            msg["References"] = " ".join(reply_to[-10:])
        for name, value in (headers or {}).items():
            msg[name] = value
        return msg

    def file(self, folder: str, msg: EmailMessage, when: datetime, letters: str | None) -> None:
        # Fixed boundaries: the generator would otherwise pick random ones.
        for number, part in enumerate(msg.walk()):
            if part.is_multipart():
                part.set_boundary(f"demo-{self.count:04d}-{number}")
        raw = msg.as_bytes(policy=_POLICY)
        self.messages.append(DemoMessage(folder, letters, when, raw))


def build_messages() -> list[DemoMessage]:
    """Every message of the demo, oldest first within each kind."""
    builder = _Builder()
    _threads(builder)
    _short_notes(builder)
    _ci(builder)
    _reviews(builder)
    _html_mail(builder)
    _lists(builder)
    _old_mail(builder)
    _spam(builder)
    _drafts(builder)
    return builder.messages


def _body(text: str, sender: Person, *, quoted: tuple[Person, datetime, str] | None) -> str:
    lines = [textwrap.fill(text, 72), "", "Best,", sender.name.split()[0]]
    if quoted is not None:
        who, when, previous = quoted
        lines += ["", f"On {when:%a, %d %b %Y at %H:%M}, {who.name} wrote:"]
        lines += ["> " + line if line else ">" for line in previous.splitlines()]
    return "\n".join(lines) + "\n"


def _threads(b: _Builder) -> None:
    for number, thread in enumerate(c.THREADS):
        # Recent threads first in the list: the first ones end today, older ones earlier.
        start = NOW - timedelta(days=number * 2 + 1, hours=b.random.randint(0, 8))
        ids: list[str] = []
        previous: tuple[Person, datetime, str] | None = None
        archived = number >= 11  # the oldest conversations were filed away
        for turn, (sender, text) in enumerate(thread.turns):
            when = start + timedelta(hours=turn * 3 + b.random.randint(0, 2), minutes=turn * 7)
            others = [p for p, _t in thread.turns if p not in (sender, ME)]
            to = [ME] if sender != ME else (others[:1] or [c.ZOE])
            subject = thread.subject if turn == 0 else f"Re: {thread.subject}"
            msg = b.message(
                sender, to, subject, when, cc=others[1:3] if sender == ME else None, reply_to=ids
            )
            body = _body(text, sender, quoted=previous)
            msg.set_content(body)
            if turn == 0 and thread.attachment:
                _attach(msg, thread.attachment, b)
            ids.append(str(msg["Message-ID"]))
            previous = (sender, when, body)
            if sender == ME:
                b.file("Sent", msg, when, "S")
                continue
            replied = turn + 1 < len(thread.turns) and thread.turns[turn + 1][0] == ME
            recent = number < 3 and turn == len(thread.turns) - 1
            letters = ("" if recent else "S") + ("R" if replied else "")
            if number in (0, 3, 7) and turn == 0:
                letters += "F"
            b.file("Archive" if archived else "INBOX", msg, when, "".join(sorted(letters)))


def _attach(msg: EmailMessage, kind: str, b: _Builder) -> None:
    if kind == "pdf":
        name = "Übersicht Q4.pdf" if b.count % 2 else "agenda.pdf"
        msg.add_attachment(_pdf("Demo document"), "application", "pdf", filename=name)
    elif kind == "png":
        msg.add_attachment(_png(), "image", "png", filename="boat.png")
        msg.add_attachment(_png(shift=90), "image", "png", filename="team photo 2.png")
    elif kind == "csv":
        rows = [
            "service,september,october",
            "storage,1210.50,1380.00",
            "compute,2200.00,2195.10",
            "network,310.25,305.90",
        ]
        msg.add_attachment("\n".join(rows) + "\n", subtype="csv", filename="kosten-oktober.csv")
    elif kind == "txt":
        notes = "議事録\n\n1. API review (Robin)\n2. Load tests (Misaki)\n3. Docs (Robin)\n"
        msg.add_attachment(notes, filename="議事録.txt")
    elif kind == "ics":
        msg.add_attachment(_ics(), subtype="calendar", filename="invite.ics")


def _short_notes(b: _Builder) -> None:
    for number, (sender, subject, text) in enumerate(c.SHORT_NOTES):
        when = NOW - timedelta(days=number * 3, hours=b.random.randint(1, 20))
        msg = b.message(sender, [ME], subject, when)
        msg.set_content(_body(text, sender, quoted=None))
        if "attached" in text or "Slides" in subject:
            _attach(msg, "pdf", b)
        letters = "" if number < 2 else "S"
        if number in (1, 6):
            letters += "F"
        b.file("INBOX", msg, when, None if number == 0 else "".join(sorted(letters)))


def _ci(b: _Builder) -> None:
    for round_ in range(6):
        for number, (state, branch, detail) in enumerate(c.CI_EVENTS):
            build = 1200 + round_ * 10 + number
            when = NOW - timedelta(days=round_ * 4 + number * 0.5, hours=2)
            subject = f"[tui-mail] Build #{build} {state} on {branch}"
            msg = b.message(c.CI, [ME], subject, when, headers={"Auto-Submitted": "auto-generated"})
            msg.set_content(
                f"Build #{build} on {branch}: {state}.\n\n{detail}\n\n"
                f"Log: https://builds.example.com/tui-mail/{build}\n"
            )
            if state == "failed":
                msg.add_attachment(
                    f"== build {build} ==\n{detail}\n", filename=f"build-{build}.log"
                )
            b.file("INBOX", msg, when, "" if round_ == 0 and number < 3 else "S")


def _reviews(b: _Builder) -> None:
    for number in range(30):
        pull = 480 - number
        author = c.COLLEAGUES[number * 7 % len(c.COLLEAGUES)]
        title = c.PULL_REQUESTS[number % len(c.PULL_REQUESTS)]
        when = NOW - timedelta(days=number * 0.8, hours=1, minutes=number * 13)
        msg = b.message(
            (f"{author.name} (code review)", "reviews@code.example.com"),
            [ME],
            f"[tui-mail] {title} (PR #{pull})",
            when,
            headers={"List-Id": "<tui-mail.code.example.com>"},
        )
        action = ("requested your review on", "approved", "commented on")[number % 3]
        msg.set_content(
            f"{author.name} {action} this pull request.\n\n"
            f"https://code.example.com/tui-mail/pull/{pull}\n"
        )
        letters = "" if number < 6 else "S"
        b.file("INBOX", msg, when, letters + ("F" if number in (2, 11) else ""))


def _html_mail(b: _Builder) -> None:
    for issue in range(8):
        when = NOW - timedelta(days=issue * 7 + 2, hours=9)
        msg = b.message(
            c.NEWSLETTER,
            [ME],
            f"Terminal Weekly #{214 - issue}: tools for the keyboard-driven life",
            when,
            headers={"List-Unsubscribe": "<https://terminal-weekly.example.net/u>"},
        )
        msg.set_content(_newsletter_html(214 - issue), subtype="html")
        b.file("INBOX" if issue < 4 else "Archive", msg, when, "" if issue == 0 else "S")
    for number, (person, subject, lines) in enumerate(
        (
            (
                c.SHOP,
                "Your order #40213 has shipped",
                ["Die Büchersendung ist unterwegs.", "Tracking: DE-4021-3377"],
            ),
            (
                c.TRAVEL,
                "Your tickets: Stockholm → Oslo",
                ["Train 61, car 4, seat 27 (window).", "Departure 07:12, arrival 12:05."],
            ),
            (
                c.BANK,
                "Your November statement is ready",
                ["Your statement is attached.", "Balance: €2,418.07"],
            ),
        )
    ):
        when = NOW - timedelta(days=number * 5 + 1, hours=3)
        msg = b.message(person, [ME], subject, when)
        items = "".join(f"<tr><td style='padding:4px'>{line}</td></tr>" for line in lines)
        msg.set_content(
            f"<html><body><h2>{subject}</h2><table>{items}</table>"
            "<p><a href='https://example.com/account'>Manage your account</a></p>"
            "</body></html>",
            subtype="html",
        )
        if person == c.BANK:
            msg.add_attachment(_pdf("Statement"), "application", "pdf", filename="statement.pdf")
        b.file("INBOX", msg, when, "S" if number else "")
    invite = b.message(
        c.CALENDAR, [ME], "Invitation: Design review @ Mon 23 Nov 14:00", NOW - timedelta(hours=5)
    )
    invite.set_content("You have been invited to: Design review\nMonday 23 November, 14:00-15:00\n")
    _attach(invite, "ics", b)
    b.file("INBOX", invite, NOW - timedelta(hours=5), None)


def _newsletter_html(issue: int) -> str:
    items = (
        ("A faster terminal multiplexer", "https://example.net/mux"),
        ("Writing TUIs that work over SSH", "https://example.net/ssh-tui"),
        ("The state of terminal graphics", "https://example.net/graphics"),
    )
    links = "".join(f"<li><a href='{url}'>{title}</a></li>" for title, url in items)
    return (
        "<!DOCTYPE html><html><head><style>body{font-family:sans-serif}</style></head><body>"
        f"<h1>Terminal Weekly #{issue}</h1><p>Hello Robin, here is this week's pick of "
        f"<b>terminal tools</b> and <i>articles</i>:</p><ul>{links}</ul>"
        "<img src='https://example.net/banner.png' alt='Terminal Weekly banner'>"
        "<p style='color:#888'>You get this because you subscribed. "
        "<a href='https://terminal-weekly.example.net/u'>Unsubscribe</a></p></body></html>"
    )


def _lists(b: _Builder) -> None:
    for list_name, topics in c.LIST_TOPICS.items():
        folder = f"Lists/{list_name}"
        address = f"{list_name}@lists.example.org"
        for number, topic in enumerate(topics):
            start = NOW - timedelta(days=number * 2 + 0.5, hours=b.random.randint(0, 12))
            ids: list[str] = []
            for turn in range(b.random.randint(2, 6)):
                sender = c.LIST_PEOPLE[(number + turn * 5) % len(c.LIST_PEOPLE)]
                when = start + timedelta(hours=turn * 5)
                subject = f"[{list_name}] {'Re: ' if turn else ''}{topic}"
                msg = b.message(
                    sender,
                    [Person(list_name, address)],
                    subject,
                    when,
                    reply_to=ids,
                    headers={
                        "List-Id": f"<{list_name}.lists.example.org>",
                        "List-Post": f"<mailto:{address}>",
                    },
                )
                text = " ".join(b.random.sample(c.LIST_LINES, 3))
                msg.set_content(_body(text, sender, quoted=None))
                ids.append(str(msg["Message-ID"]))
                b.file(folder, msg, when, "S" if number > 2 else "")


def _old_mail(b: _Builder) -> None:
    for number in range(60):
        sender = c.COLLEAGUES[number % len(c.COLLEAGUES)]
        subject = c.OLD_SUBJECTS[number % len(c.OLD_SUBJECTS)]
        when = NOW - timedelta(days=40 + number * 5, hours=b.random.randint(0, 23))
        msg = b.message(sender, [ME], subject, when)
        msg.set_content(_body(" ".join(b.random.sample(c.LIST_LINES, 2)), sender, quoted=None))
        b.file("Archive", msg, when, "FS" if number % 9 == 0 else "S")


def _spam(b: _Builder) -> None:
    for number, (name, address, subject) in enumerate(c.SPAM * 2):
        when = NOW - timedelta(days=number * 3 + 1)
        msg = b.message((name, address), [ME], subject, when)
        msg.set_content(
            "<p>Click <a href='http://example.invalid/'>HERE</a> now!</p>", subtype="html"
        )
        b.file("Trash", msg, when, "S")


def _drafts(b: _Builder) -> None:
    for number, (person, subject, text) in enumerate(
        (
            (c.ZOE, "Re: Quarterly planning: draft agenda", "One more thing for the agenda: "),
            (c.MISAKI, "Visit in spring", "I'd be glad to come to Tokyo in "),
            (c.PRIYA, "Talk rehearsal", "Could we do a rehearsal of your talk on "),
        )
    ):
        when = NOW - timedelta(hours=number * 20 + 1)
        msg = b.message(ME, [person], subject, when)
        msg.set_content(text + "\n")
        b.file("Drafts", msg, when, "DS")


def _pdf(title: str) -> bytes:
    """A small, valid one-page PDF."""
    stream = f"BT /F1 24 Tf 72 720 Td ({title}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _png(size: int = 24, shift: int = 0) -> bytes:
    """A small gradient PNG."""
    rows = b"".join(
        b"\x00"
        + bytes(v for x in range(size) for v in ((x * 10 + shift) % 256, (y * 10) % 256, 160))
        for y in range(size)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def _ics() -> str:
    return (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//tui-mail//demo//EN\nMETHOD:REQUEST\n"
        "BEGIN:VEVENT\nUID:design-review@demo.tui-mail.example\nDTSTART:20261123T140000Z\n"
        "DTEND:20261123T150000Z\nSUMMARY:Design review\n"
        "ORGANIZER:mailto:calendar@example.org\nEND:VEVENT\nEND:VCALENDAR\n"
    )
