"""Writing mail from scripts: send, reply, forward, postpone, and the outbox.

The body comes from --body-file FILE (``-`` for stdin), else from stdin. Replies put it
under the quoted original; forwards put it above the forwarded message. --dry-run prints
the message that would be sent (with its Bcc) and sends nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from tui_mail.cli.common import Parents, add_command, run_with_service
from tui_mail.core.errors import UsageError

if TYPE_CHECKING:
    from tui_mail.config import AccountConfig, AppConfig
    from tui_mail.core.account.service import AccountService
    from tui_mail.core.errors import CacheError
    from tui_mail.core.sending.compose import Draft
    from tui_mail.core.sending.outbox import Outbox
    from tui_mail.core.sending.send import SendReport


# -- commands -----------------------------------------------------------------------------


def _send(config: AppConfig, args: argparse.Namespace) -> int:
    account = config.account(args.account)
    if args.eml is not None:
        if args.postpone or args.dry_run or args.draft is not None:
            raise UsageError(
                "--eml sends a file as it is; it cannot be combined with "
                "--draft, --dry-run or postponing."
            )
        return asyncio.run(run_with_service(account, lambda s: _send_eml(s, args)))
    if args.draft is None and args.dry_run:  # nothing to fetch: no connection at all
        from tui_mail.core.sending.compose import compose_new  # noqa: PLC0415

        draft = compose_new(account, subject=args.subject or "", text=_read_body(args))
        _apply_fields(account, draft, args)
        return _print_message(account, draft)
    # A new message's text is read before the account's cache is opened: a cache that
    # cannot be opened (a full disk) must not take what the user typed with it.
    from tui_mail.core.errors import CacheError  # noqa: PLC0415

    text = _read_body(args) if args.draft is None else None
    opened: list[AccountService] = []

    async def send_new(service: AccountService) -> int:
        opened.append(service)
        return await _send_new(service, args, text)

    try:
        return asyncio.run(run_with_service(account, send_new))
    except CacheError as error:
        if opened or text is None:
            raise
        return _keep_unsent(account, args, text, error)


def _keep_unsent(
    account: AccountConfig, args: argparse.Namespace, text: str, error: CacheError
) -> int:
    """The cache could not be opened, so nothing was sent: the message goes to the outbox
    if it can be written there, else it is printed back, so it is not lost."""
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.sending.compose import build_message, compose_new  # noqa: PLC0415
    from tui_mail.core.sending.outbox import Outbox, OutboxError  # noqa: PLC0415
    from tui_mail.core.sending.send import queue_message  # noqa: PLC0415

    draft = compose_new(account, subject=args.subject or "", text=text)
    _apply_fields(account, draft, args)
    print(f"tui-mail: {error}", file=sys.stderr)
    try:
        entry = queue_message(
            build_message(account, draft), Outbox.for_account(data_path(), account)
        )
    except OutboxError as outbox_error:
        print(f"tui-mail: {outbox_error}", file=sys.stderr)
        print("tui-mail: the message was not sent; here it is, so it is not lost:", file=sys.stderr)
        _print_message(account, draft)
        return error.exit_code
    print(
        f"tui-mail: the message was not sent; it waits in the outbox ({entry.id}): "
        '"tui-mail outbox --flush" sends it once the cache can be opened again.',
        file=sys.stderr,
    )
    return error.exit_code


async def _send_new(service: AccountService, args: argparse.Namespace, text: str | None) -> int:
    from tui_mail.core.models import FolderRole  # noqa: PLC0415
    from tui_mail.core.sending.compose import compose_new, reopen_draft  # noqa: PLC0415

    account = service.account
    if args.draft is not None:
        folder = await service.role_folder(FolderRole.DRAFTS)
        if folder is None:
            raise UsageError(f"Account {account.name!r} has no Drafts folder.")
        raw = await service.fetch_raw(folder, args.draft)
        draft = reopen_draft(account, raw, folder=folder, uid=args.draft)
        if args.body_file is not None:  # a continued draft keeps its text unless told
            draft.body = _read_body(args)
        if args.subject is not None:
            draft.subject = args.subject
    else:
        body = _read_body(args) if text is None else text
        draft = compose_new(account, subject=args.subject or "", text=body)
    _apply_fields(account, draft, args)
    return await _finish(service, draft, args)


async def _send_eml(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.sending.outbox import Outbox  # noqa: PLC0415
    from tui_mail.core.sending.send import send  # noqa: PLC0415

    try:
        raw = Path(args.eml).read_bytes()
    except OSError as error:
        raise UsageError(f"Cannot read {args.eml}: {error.strerror or error}.") from None
    outbox = Outbox.for_account(data_path(), service.account)
    _report(await send(service, raw, outbox=outbox))
    return 0


async def _reply(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.core.sending.compose import compose_reply  # noqa: PLC0415
    from tui_mail.core.sending.lists import compose_list_reply  # noqa: PLC0415

    if args.all and args.list:
        raise UsageError("--all and --list are two different replies: give one of them.")
    raw = await service.fetch_raw(args.folder, args.uid)
    if args.list:  # to the List-Post address only; says why when the list takes no posts
        draft = compose_list_reply(
            service.account, raw, folder=args.folder, uid=args.uid, text=_read_body(args)
        )
        _apply_fields(service.account, draft, args)
        return await _finish(service, draft, args)
    draft = compose_reply(
        service.account,
        raw,
        folder=args.folder,
        uid=args.uid,
        reply_all=args.all,
        text=_read_body(args),
    )
    _apply_fields(service.account, draft, args)
    return await _finish(service, draft, args)


async def _forward(service: AccountService, args: argparse.Namespace) -> int:
    from tui_mail.core.sending.compose import compose_forward  # noqa: PLC0415

    raw = await service.fetch_raw(args.folder, args.uid)
    draft = compose_forward(
        service.account,
        raw,
        folder=args.folder,
        uid=args.uid,
        as_attachment=args.attach_original,
        text=_read_body(args),
    )
    _apply_fields(service.account, draft, args)
    return await _finish(service, draft, args)


def _outbox(config: AppConfig, args: argparse.Namespace) -> int:
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.sending.outbox import Outbox  # noqa: PLC0415

    account = config.account(args.account)
    outbox = Outbox.for_account(data_path(), account)
    if args.discard:
        for entry_id in args.discard:
            outbox.remove(outbox.get(entry_id))
            print(f"Removed {entry_id} from the outbox; it was not sent.", file=sys.stderr)
        return 0
    if args.flush:
        return asyncio.run(run_with_service(account, lambda s: _flush(s, outbox)))
    entries = outbox.entries()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "state": e.state,
                        "subject": e.subject,
                        "recipients": list(e.recipients),
                        "message_id": e.message_id,
                        "created": datetime.fromtimestamp(e.created).isoformat(),
                        "attempts": e.attempts,
                        "last_error": e.last_error,
                        "size": e.size,
                    }
                    for e in entries
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not entries:
        print("The outbox is empty.", file=sys.stderr)
    for e in entries:
        when = datetime.fromtimestamp(e.created).strftime("%Y-%m-%d %H:%M")
        to = ", ".join(e.recipients)
        print(f"{e.id}  {e.state:<12}  {when}  {to[:40]:<40}  {e.subject}")
        if e.last_error:
            print(f"    last error: {e.last_error}")
    return 0


async def _flush(service: AccountService, outbox: Outbox) -> int:
    from tui_mail.core.sending.send import NotSent, flush_outbox  # noqa: PLC0415

    results = await flush_outbox(service, outbox)
    if not results:
        print("Nothing to send.", file=sys.stderr)
    exit_code = 0
    for result in results:
        if isinstance(result, NotSent):
            print(f"tui-mail: {result}", file=sys.stderr)
            exit_code = exit_code or result.exit_code
        else:
            _report(result)
    return exit_code


# -- shared steps -------------------------------------------------------------------------


async def _finish(service: AccountService, draft: Draft, args: argparse.Namespace) -> int:
    """Print (--dry-run), postpone, or send the draft."""
    from tui_mail.config import data_path  # noqa: PLC0415
    from tui_mail.core.sending.outbox import Outbox, OutboxError  # noqa: PLC0415
    from tui_mail.core.sending.send import postpone, send_draft  # noqa: PLC0415

    if args.dry_run:
        return _print_message(service.account, draft)
    if args.postpone:
        uid = await _with_passphrase(lambda: postpone(service, draft))
        where = draft.drafts_copy[0] if draft.drafts_copy else "Drafts"
        print(f"Saved to {where}" + (f" as UID {uid}." if uid else "."), file=sys.stderr)
        if uid is not None:
            print(uid)
        return 0
    outbox = Outbox.for_account(data_path(), service.account)
    try:
        from tui_mail.core.crypto.autocrypt import autocrypt_store  # noqa: PLC0415

        learnt = autocrypt_store(data_path())
        report = await _with_passphrase(
            lambda: send_draft(service, draft, outbox=outbox, autocrypt=learnt)
        )
    except OutboxError:
        if args.body_file in (None, "-"):  # typed or piped text exists nowhere else
            print(
                "tui-mail: the message was not sent; here it is, so it is not lost:",
                file=sys.stderr,
            )
            _print_message(service.account, draft)
        raise
    _report(report)
    return 0


T = TypeVar("T")


async def _with_passphrase(job: Callable[[], Awaitable[T]]) -> T:
    """`job()`; when it needs a PGP key's passphrase and a terminal is here, gpg's own
    pinentry asks for it (the agent keeps it), and the job runs once more."""
    from tui_mail.core.crypto.gnupg import KeyLocked, prime_on_terminal  # noqa: PLC0415

    try:
        return await job()
    except KeyLocked as locked:
        if not sys.stdin.isatty():
            raise
        prime_on_terminal(locked)
        return await job()


def _report(report: SendReport) -> None:
    from tui_mail.core.sending.send import report_sentence  # noqa: PLC0415

    print(report_sentence(report), file=sys.stderr)


def _apply_fields(account: AccountConfig, draft: Draft, args: argparse.Namespace) -> None:
    """Command-line header options and attachments onto a draft."""
    from tui_mail.core.sending.compose import FileAttachment  # noqa: PLC0415

    for name in ("to", "cc", "bcc"):
        values: list[str] | None = getattr(args, name, None)
        if values:
            current = getattr(draft, name)
            setattr(draft, name, ", ".join([current, *values] if current else values))
    if getattr(args, "from_addr", None):
        from tui_mail.core.sending.identities import use_identity  # noqa: PLC0415

        use_identity(account, draft, args.from_addr)  # its name and signature too
    for path in args.attach or ():
        draft.attachments.append(FileAttachment.from_path(Path(path)))
    if getattr(args, "attach_key", False):
        from tui_mail.core.crypto.keys import public_key_file  # noqa: PLC0415

        draft.attachments.append(FileAttachment(*public_key_file(draft.from_addr)))
    draft.sign = draft.sign or bool(getattr(args, "sign", False))
    draft.encrypt = draft.encrypt or bool(getattr(args, "encrypt", False))


def _print_message(account: AccountConfig, draft: Draft) -> int:
    from tui_mail.core.message.sanitize import sanitize_text  # noqa: PLC0415
    from tui_mail.core.sending.compose import build_message  # noqa: PLC0415

    raw = build_message(account, draft).as_bytes()
    # Our own message, but its quote came from someone else: keep escapes off the terminal.
    print(sanitize_text(raw.decode("utf-8", "replace").replace("\r\n", "\n")), end="")
    return 0


def _read_body(args: argparse.Namespace) -> str:
    source = args.body_file
    try:
        if source is None or source == "-":
            if sys.stdin.isatty():
                print("Type the message; end it with Ctrl-D on a line of its own.", file=sys.stderr)
            data = sys.stdin.buffer.read()
        else:
            data = Path(source).expanduser().read_bytes()
    except OSError as error:
        raise UsageError(
            f"Cannot read the body from {source}: {error.strerror or error}."
        ) from None
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError:
        raise UsageError(f"The body ({source or 'stdin'}) is not UTF-8 text.") from None


# -- registration -------------------------------------------------------------------------


def _message_options(parser: argparse.ArgumentParser, *, recipients_required: bool) -> None:
    parser.add_argument(
        "--to",
        action="append",
        metavar="ADDRESS",
        required=recipients_required,
        help='recipient(s), e.g. "Ada <ada@example.org>, bob@example.org"; may be repeated',
    )
    parser.add_argument("--cc", action="append", metavar="ADDRESS", help="copy recipient(s)")
    parser.add_argument("--bcc", action="append", metavar="ADDRESS", help="blind copy recipient(s)")
    parser.add_argument(
        "--from",
        dest="from_addr",
        metavar="ADDRESS",
        help="send from this address of the account (an alias or identity), with its "
        "name and signature",
    )
    parser.add_argument(
        "--attach",
        action="append",
        metavar="FILE",
        help="attach a file (its MIME type is guessed from the name); may be repeated",
    )
    parser.add_argument(
        "--body-file", metavar="FILE", help="the text to send (- for stdin; default: stdin)"
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the message instead of sending it"
    )
    parser.add_argument(
        "--sign", action="store_true", help="sign with your PGP key (PGP/MIME, your gpg)"
    )
    parser.add_argument(
        "--attach-key", action="store_true", help="attach your PGP public key (From address)"
    )
    parser.add_argument(
        "--encrypt",
        action="store_true",
        help="encrypt to every recipient and yourself; refused (nothing sent) when a "
        "recipient has no key in your keyring",
    )


def register(commands: Any, parents: Parents) -> None:
    """Add this module's subcommands."""
    account, folder = parents.account, parents.folder
    for name, postponing, help_text in (
        ("send", False, "send a new message (or a postponed draft, with --draft)"),
        ("postpone", True, "save a message to the Drafts folder (--draft UID replaces one)"),
    ):
        sub = add_command(commands, name, help_text, _send, account, needs="config")
        _message_options(sub, recipients_required=False)
        sub.add_argument("--subject", help="the subject")
        sub.add_argument(
            "--draft",
            type=int,
            metavar="UID",
            help="continue this draft from the Drafts folder (its text is kept "
            "unless --body-file is given)",
        )
        if postponing:
            sub.set_defaults(postpone=True, eml=None)
        else:
            sub.add_argument("--eml", metavar="FILE", help="send this message file as it is")
            sub.add_argument("--postpone", action="store_true", help="save to Drafts instead")
    sub = add_command(
        commands,
        "reply",
        "reply to a message (the body goes under the quote)",
        _reply,
        account,
        folder,
    )
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument("--all", action="store_true", help="reply to all recipients too")
    sub.add_argument("--list", action="store_true", help="reply to the mailing list (List-Post)")
    sub.add_argument("--postpone", action="store_true", help="save to Drafts instead")
    _message_options(sub, recipients_required=False)
    sub = add_command(
        commands, "forward", "forward a message (the body goes above it)", _forward, account, folder
    )
    sub.add_argument("uid", type=int, metavar="UID")
    sub.add_argument(
        "--attach-original",
        action="store_true",
        help="attach the whole message instead of quoting it",
    )
    sub.add_argument("--postpone", action="store_true", help="save to Drafts instead")
    _message_options(sub, recipients_required=True)
    sub = add_command(
        commands,
        "outbox",
        "list messages waiting to be sent (--flush sends them)",
        _outbox,
        account,
        needs="config",
    )
    sub.add_argument("--flush", action="store_true", help="send everything waiting now")
    sub.add_argument("--discard", nargs="+", metavar="ID", help="remove messages unsent")
    sub.add_argument("--json", action="store_true", help="machine-readable output")
