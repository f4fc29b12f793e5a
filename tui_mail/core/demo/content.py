"""The people, conversations and texts the demo mailbox is made of. Data only."""

from __future__ import annotations

from typing import NamedTuple


class Person(NamedTuple):
    name: str
    address: str


ME = Person("Robin Lindqvist", "robin@tui-mail.example")

ZOE = Person("Zoë Ångström", "zoe@example.org")
JOSE = Person("José Núñez", "jose.nunez@example.com")
MISAKI = Person("田中 美咲", "misaki.tanaka@example.jp")
ALEXIS = Person("Αλέξης Παπαδόπουλος", "alexis@example.gr")
GOSIA = Person("Małgorzata Wiśniewska", "gosia@example.pl")
PRIYA = Person("Priya Raman", "priya@example.in")
CHIDI = Person("Chidi Okafor", "chidi@example.ng")
LEA = Person("Léa Dubois", "lea.dubois@example.fr")
DIMA = Person("Дмитрий Соколов", "dima@example.ru")
BJORN = Person("Björn Þórsson", "bjorn@example.is")
SAM = Person("Sam O'Neill", "sam.oneill@example.ie")
AROHA = Person("Aroha Ngata", "aroha@example.nz")

COLLEAGUES = (ZOE, JOSE, MISAKI, ALEXIS, GOSIA, PRIYA, CHIDI, LEA, DIMA, BJORN, SAM, AROHA)

CI = Person("CI", "ci-noreply@builds.example.com")
CALENDAR = Person("Team Calendar", "calendar@example.org")
SHOP = Person("Bücherei & Co.", "orders@shop.example.de")
BANK = Person("Example Bank", "statements@bank.example.com")
NEWSLETTER = Person("Terminal Weekly", "hello@terminal-weekly.example.net")
TRAVEL = Person("Nordic Rail", "tickets@rail.example.no")


class Thread(NamedTuple):
    """A conversation: who writes each message (in order), and what they say."""

    subject: str
    turns: tuple[tuple[Person, str], ...]
    attachment: str | None = None
    """Kind of attachment on the first message: pdf, png, csv, ics, txt (or None)."""


THREADS: tuple[Thread, ...] = (
    Thread(
        "Quarterly planning: draft agenda",
        (
            (
                ZOE,
                "I put together a first agenda for next week's planning session. The big items "
                "are the sync engine rewrite, the search index and the on-call rotation. "
                "Anything missing?",
            ),
            (
                ME,
                "Looks good. Could we add twenty minutes for the accessibility review? The "
                "screen-reader feedback from last month is still open.",
            ),
            (
                ZOE,
                "Added, right after lunch. I also moved the retro to Thursday so Chidi can join.",
            ),
            (CHIDI, "Thanks, Thursday works much better for me."),
        ),
        "pdf",
    ),
    Thread(
        "Übersicht der Serverkosten",
        (
            (
                GOSIA,
                "Attached is the cost overview for October. Storage grew by 14 % because of "
                "the new backup policy; compute is flat.",
            ),
            (ME, "Thanks! Is the backup growth a one-off, or will it keep climbing like this?"),
            (GOSIA, "Mostly one-off: the first full snapshot. Incrementals should be small."),
        ),
        "csv",
    ),
    Thread(
        "会議の議事録 (meeting notes)",
        (
            (
                MISAKI,
                "Here are the notes from Tuesday's meeting with the Osaka team. Action items "
                "are at the bottom; two of them are yours.",
            ),
            (ME, "ありがとう! I'll take care of the API review by Friday."),
        ),
        "txt",
    ),
    Thread(
        "Re-architecture of the sync engine",
        (
            (
                ALEXIS,
                "I've been profiling the sync path. Parsing headers dominates, not the "
                "network: about 80 % of the time is spent turning bytes into rows.",
            ),
            (
                ME,
                "That matches what I saw. Could we fetch only the visible rows first and "
                "backfill the rest in the background?",
            ),
            (
                ALEXIS,
                "Yes. I'd also stream the FETCH response instead of buffering it. Prototype "
                "by Monday?",
            ),
            (
                JOSE,
                "If you stream it, please keep the batch commits: a crash halfway through a "
                "100k folder should not throw away what we already have.",
            ),
            (ME, "Agreed on both. Monday it is."),
            (
                ALEXIS,
                "Prototype is up on the branch: first rows on screen in 0.6 s on the 100k "
                "test folder.",
            ),
        ),
    ),
    Thread(
        "Lunch on Thursday?",
        (
            (LEA, "The new ramen place opened around the corner. Thursday at 12:30?"),
            (ME, "Count me in!"),
            (SAM, "Me too, if there's a vegetarian option."),
            (LEA, "There is, I checked. See you there."),
        ),
    ),
    Thread(
        "Photos from the offsite",
        (
            (AROHA, "A few photos from the offsite. The one on the boat is my favourite."),
            (ME, "These are great, thank you for taking them!"),
        ),
        "png",
    ),
    Thread(
        "Доступ к тестовому серверу",
        (
            (
                DIMA,
                "Could you give me access to the staging server? I need to reproduce the "
                "timeout bug Priya reported.",
            ),
            (
                ME,
                "Done, you should have an invitation in your inbox. Shout if the key does not "
                "work.",
            ),
            (DIMA, "Works, thanks. Found it already: a missing read timeout on the socket."),
        ),
    ),
    Thread(
        "Conference talk: proposal review",
        (
            (
                PRIYA,
                "Would you read my talk proposal before Friday's deadline? Mostly worried "
                "the abstract is too long.",
            ),
            (
                ME,
                "Happy to. The abstract is fine; I'd cut the second paragraph of the outline "
                "and lead with the demo.",
            ),
            (PRIYA, "Great idea, submitted! Fingers crossed."),
            (PRIYA, "It got accepted! 🎉"),
        ),
        "pdf",
    ),
    Thread(
        "On-call handover",
        (
            (
                BJORN,
                "Quiet week. One page on Tuesday night (disk space on the log host), fixed by "
                "rotating logs. Runbook updated.",
            ),
            (ME, "Thanks Björn, taking over from here."),
        ),
    ),
    Thread(
        "Ideas for the keyboard shortcuts",
        (
            (
                JOSE,
                "Users keep asking for vim-style navigation in the message list. j/k, gg, G, "
                "and / for search?",
            ),
            (ZOE, "+1, and let people remap everything in the config file."),
            (ME, "Both, yes. The defaults should still work for people who never used vim."),
        ),
    ),
    Thread(
        "Your parcel is on its way",
        (
            (
                SHOP,
                "Good news: your order #40213 (2 items) has shipped and should arrive on Tuesday.",
            ),
        ),
    ),
    Thread(
        "Hiring: second-round interviews",
        (
            (
                SAM,
                "We have three candidates for the second round. Can you do Wednesday 10:00 "
                "or 14:00?",
            ),
            (ME, "14:00 works. Please send me the CVs beforehand."),
            (SAM, "Sent. The second candidate's take-home was particularly strong."),
        ),
        "pdf",
    ),
    Thread(
        "Travel booking for the summit",
        (
            (LEA, "Booking the trains for the Oslo summit. Window or aisle?"),
            (ME, "Window, please. And thank you for organising this!"),
        ),
    ),
    Thread(
        "Bug: unread counts wrong after moving mail",
        (
            (
                CHIDI,
                "Moving 50 messages to the archive leaves the unread count of the inbox one "
                "too high until the next sync.",
            ),
            (ALEXIS, "Reproduced. The count is computed before the last batch is committed."),
            (
                ME,
                "Good catch. Can we add a test that moves a batch and checks the counts "
                "straight after?",
            ),
            (CHIDI, "Test and fix are in the same pull request now."),
        ),
    ),
    Thread(
        "Mentoring sessions",
        (
            (
                AROHA,
                "Would you be up for a monthly mentoring chat? Mostly about working on "
                "open-source projects.",
            ),
            (ME, "I'd love to. First Monday of the month, 16:00?"),
        ),
    ),
)


LIST_TOPICS = {
    "python-dev": (
        "PEP draft: lazy imports for faster start-up",
        "Free-threaded build: status of C extensions",
        "Deprecating the old email parser API?",
        "Release schedule for 3.15",
        "Typing: TypedDict with extra items",
        "Speeding up tomllib for large files",
        "asyncio: structured concurrency patterns",
        "sqlite3: better defaults for WAL mode",
        "Unicode 17 support in unicodedata",
        "pathlib.Path.walk performance",
    ),
    "textual-users": (
        "Virtual list with 100k rows: best approach?",
        "Themes: how to ship a custom theme",
        "Snapshot tests failing on CI only",
        "Workers and thread safety",
        "Key bindings with tooltips",
        "Markdown widget and long documents",
        "Command palette: custom providers",
        "Testing with Pilot: waiting for workers",
    ),
}

LIST_PEOPLE = (JOSE, ALEXIS, PRIYA, DIMA, BJORN, GOSIA, CHIDI, MISAKI, LEA, SAM, ZOE, AROHA)

LIST_LINES = (
    "I measured this on a 2-core machine and the difference is larger than expected.",
    "Has anyone tried this with the free-threaded build?",
    "The documentation is unclear on this point; a short example would help.",
    "I'd rather not add another configuration option for this.",
    "Here is a minimal reproduction that fails on the current main branch.",
    "Would a decorator be clearer than a context manager here?",
    "This has been discussed before; see the thread from last spring.",
    "+1 from me, with the caveat that we need a deprecation period.",
    "The benchmark numbers look good, but the variance is high.",
    "Can we keep backwards compatibility for one more release?",
    "I think the simplest fix is to cache the result after the first call.",
    "Thanks, that explanation cleared it up for me.",
)

CI_EVENTS = (
    ("passed", "main", "All 412 tests passed in 3 min 41 s."),
    ("failed", "main", "test_sync_qresync failed: expected 3 vanished messages, got 2."),
    ("passed", "feature/search-index", "All 419 tests passed in 3 min 55 s."),
    ("failed", "feature/maildir", "ruff: 2 errors (E501 line too long)."),
    ("passed", "feature/maildir", "All 436 tests passed in 4 min 02 s."),
    ("passed", "main", "All 436 tests passed in 3 min 58 s."),
)

PULL_REQUESTS = (
    "Stream FETCH responses instead of buffering them",
    "Maildir: watch new/ and cur/ with inotify",
    "Fix unread count after moving a batch",
    "Add vim-style bindings to the message list",
    "Render format=flowed text correctly",
    "Themes: load user themes from the config dir",
    "Search: support since:/before: dates",
    "Outbox: retry sending after a lost connection",
    "Docs: document password_command",
    "Speed up header parsing by 30 %",
)

SHORT_NOTES = (
    (SAM, "Quick question about the deploy", "Is the deploy still planned for 15:00 today?"),
    (PRIYA, "Slides from today", "Slides from today's talk, as promised."),
    (BJORN, "Coffee machine", "The coffee machine on the 3rd floor is fixed. Rejoice."),
    (GOSIA, "Budget approved", "The budget for the new test hardware has been approved."),
    (CHIDI, "Pairing tomorrow?", "Do you have an hour tomorrow to pair on the IDLE watcher?"),
    (LEA, "Reminder: expense reports", "Expense reports for October are due on Monday."),
    (ALEXIS, "Benchmark results", "The new benchmark results are in the shared folder."),
    (MISAKI, "Tokyo office visit", "We'd love to host you in Tokyo in spring. Interested?"),
    (DIMA, "Security advisory", "Heads-up: a new OpenSSL advisory affects the build image."),
    (AROHA, "Book recommendation", "Just finished a great book on distributed systems."),
    (ZOE, "Design review notes", "Notes from the design review are attached."),
    (JOSE, "¿Café mañana?", "¿Tomamos un café mañana por la mañana?"),
)

OLD_SUBJECTS = (
    "Welcome to the team!",
    "Laptop setup checklist",
    "Invitation: all-hands meeting",
    "Your account has been created",
    "Team dinner photos",
    "Reading group: chapter 3",
    "Conference travel policy",
    "Office move on Friday",
    "New wiki structure",
    "Password manager rollout",
    "Holiday schedule",
    "Code review guidelines",
)

SPAM = (
    ("Prize Department", "winner@prizes.example.biz", "You have WON a luxury cruise!!!"),
    ("IT Support", "support@account-verify.example.info", "Your mailbox is almost full"),
    ("Crypto Desk", "desk@coins.example.biz", "Last chance: 1000 % returns"),
    ("Pharmacy Online", "deals@pharma.example.info", "Cheap meds, no prescription"),
)

SIGN_OFFS = ("Best,", "Thanks,", "Cheers,", "Kind regards,", "See you,")
