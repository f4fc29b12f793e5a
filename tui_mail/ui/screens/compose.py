"""ComposeScreen: write, attach, preview, then send, postpone or cancel one message.

The screen edits a core `Draft` (tui_mail.core.sending.compose) and hands it to the core to send
(`sending.send_draft`: outbox first, then SMTP, Sent copy, flags) or to postpone
(`sending.postpone`: the Drafts folder). Nothing typed is lost: the draft is autosaved
locally every few seconds (see draft_autosave.py), a failed send keeps the screen as it
was (and the message in the outbox), and closing with unsaved text asks first.

The body is a TextArea, or `$VISUAL` / `$EDITOR` on a temporary file while the app is
suspended. Keys are priority bindings so they work from every field; none of them is one a
text field needs (ctrl+s reaches the app: Textual turns terminal flow control off).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from tui_mail.core.errors import TuiMailError, UsageError
from tui_mail.core.sending.compose import Draft, FileAttachment, preview
from tui_mail.core.sending.identities import from_line, swap_signature
from tui_mail.core.sending.outbox import Outbox, OutboxBusy
from tui_mail.core.sending.send import (
    NotSent,
    postpone,
    report_sentence,
    send_draft,
    worth_retrying,
)
from tui_mail.core.sending.smtp import transport_for
from tui_mail.ui.draft_autosave import AUTOSAVE_SECONDS, DraftAutosave, draft_copy
from tui_mail.ui.screens.compose_crypto import ComposeCrypto, security_line, with_passphrase
from tui_mail.ui.screens.compose_dialogs import ConfirmDiscard, PreviewScreen
from tui_mail.ui.screens.compose_style import COMPOSE_CSS
from tui_mail.ui.screens.external_editor import run_editor
from tui_mail.ui.widgets.address_input import (
    AddressInput,
    AddressSuggester,
    PathSuggester,
    address_line,
)

if TYPE_CHECKING:
    from tui_mail.core.account.service import AccountService

_ADDRESS_FIELDS = ("to", "cc", "bcc")


class ComposeScreen(Screen[str | None]):
    """Returns a sentence for the status bar ("Sent to ..."), or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True, id="compose.send",
                tooltip="Send the message now"),
        Binding("ctrl+p", "postpone", "Postpone", priority=True, id="compose.postpone",
                tooltip="Save it to the Drafts folder and close"),
        Binding("ctrl+t", "attach", "Attach", priority=True, id="compose.attach",
                tooltip="Attach a file (type its path)"),
        Binding("ctrl+r", "preview", "Preview", priority=True, id="compose.preview",
                tooltip="Show the message as it will be sent"),
        Binding("ctrl+o", "edit_externally", "Editor", priority=True, id="compose.editor",
                tooltip="Write the body in $VISUAL or $EDITOR"),
        Binding("ctrl+g", "security", "PGP", priority=True, id="compose.security",
                tooltip="Sign, encrypt, both, or neither (PGP/MIME, your gpg)"),
        Binding("ctrl+b", "attach_key", "My key", priority=True, id="compose.attach_key",
                tooltip="Attach your PGP public key (for the From address)"),
        Binding("delete", "remove_attachment", "Remove", show=False,
                id="compose.remove_attachment", tooltip="Remove the highlighted attachment"),
        Binding("escape", "cancel", "Cancel", id="compose.cancel",
                tooltip="Close without sending (asks before losing text)"),
    ]  # fmt: skip

    DEFAULT_CSS = COMPOSE_CSS

    def __init__(
        self,
        service: AccountService,
        draft: Draft,
        *,
        data_dir: Path,
        restored: bool = False,
        focus_body: bool = False,
    ) -> None:
        super().__init__()
        self.service = service
        self.account = service.account
        self.draft = draft
        self.initial = draft_copy(draft)
        self.restored = restored
        """Reopened from an autosave: the only copy, so cancelling always asks."""
        self.focus_body = focus_body
        self.outbox = Outbox.for_account(data_dir, self.account)
        self.crypto = ComposeCrypto(data_dir, mutual=self.account.autocrypt_mutual)
        self.autosave = DraftAutosave(DraftAutosave.directory_for(data_dir, self.account), draft)
        self.address_suggester = AddressSuggester(lookup=self._addresses_for)
        self.busy = False
        self.finished = False
        """Sent, postponed or discarded: nothing more to autosave."""
        self.failed_entry: str | None = None
        """The outbox entry of the last failed send: replaced, not doubled, by a retry."""
        self.cannot_send: str | None = None
        try:
            transport_for(self.account)
        except UsageError as error:
            self.cannot_send = str(error)

    # -- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        draft = self.draft
        with Vertical(id="compose-headers"):
            with Horizontal(classes="field"):
                yield Label("From")
                yield Select(
                    [(Text(a), a) for a in self._from_choices()],
                    value=draft.from_addr,
                    allow_blank=False,
                    compact=True,
                    id="from",
                )
            for name, label in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
                with Horizontal(classes="field"):
                    yield Label(label)
                    yield AddressInput(
                        getattr(draft, name),
                        placeholder="Name <address>, address, ...",
                        suggester=self.address_suggester,
                        compact=True,
                        id=name,
                    )
            with Horizontal(classes="field"):
                yield Label("Subject")
                yield Input(draft.subject, compact=True, id="subject")
            yield Static(security_line(draft), id="compose-security")
            yield OptionList(id="attachments")
            yield Input(
                placeholder="File to attach (→ completes, Enter attaches, Esc closes)",
                suggester=PathSuggester(),
                compact=True,
                id="attach-path",
            )
        yield TextArea(draft.body, soft_wrap=True, id="body")
        yield Static(id="compose-notice")
        yield Footer()

    def _from_choices(self) -> list[str]:
        choices = [from_line(identity) for identity in self.account.every_identity]
        if self.draft.from_addr not in choices:
            choices.insert(0, self.draft.from_addr)
        return choices

    def on_mount(self) -> None:
        what = self.draft.subject or "a new message"
        self.sub_title = f"{self.account.name}: {what}"
        self._show_attachments()
        if self.cannot_send:
            self.say(self.cannot_send + " Postponing to Drafts works.", error=True)
        elif self.restored:
            self.say("Reopened the message you were writing when tui-mail stopped.")
        elif self.account.local_only:
            self.say("Demo account: ctrl+s files the message in Sent; nothing leaves the machine.")
        else:
            self.say("ctrl+s sends, ctrl+p postpones to Drafts, Esc cancels.")
        if self.focus_body:
            body = self.query_one("#body", TextArea)
            body.focus()
            top = self.account.signature_position == "above"  # top-posting: write above
            body.move_cursor((0, 0) if top else _reply_cursor(self.draft.body))
        else:
            self.query_one("#to", Input).focus()
        self.set_interval(AUTOSAVE_SECONDS, self.save_locally)
        self._learn_addresses()

    @work(group="compose-addresses", exit_on_error=False)
    async def _learn_addresses(self) -> None:
        """Reads the cache's people once now, so the first key typed is answered at once."""
        found = await self.service.addresses("")
        self.address_suggester.addresses = [address_line(*pair) for pair in found.matches]

    async def _addresses_for(self, typed: str) -> list[str]:
        found = await self.service.addresses(typed)
        if found.problem:
            self.say(found.problem)
        return [address_line(*pair) for pair in found.matches]

    def say(self, message: str, *, error: bool = False) -> None:
        self.query_one("#compose-notice", Static).update(
            Text(message, style="bold red" if error else "")
        )

    # -- the draft ---------------------------------------------------------------------

    def collect(self) -> Draft:
        """The draft as the fields show it now (kept current by their Changed events, so it
        can still be read while the screen is being taken down)."""
        return self.draft

    @on(Input.Changed)
    def _field_changed(self, event: Input.Changed) -> None:
        if event.input.id in (*_ADDRESS_FIELDS, "subject"):
            setattr(self.draft, event.input.id, event.value)
        if event.input.id in _ADDRESS_FIELDS:  # what Autocrypt knows of the recipients
            self._show_security(self.crypto.recipients_changed(self.draft))

    @on(Select.Changed, "#from")
    def _from_changed(self, event: Select.Changed) -> None:
        if not isinstance(event.value, str) or event.value == self.draft.from_addr:
            return
        body = swap_signature(self.account, self.draft.body, self.draft.from_addr, event.value)
        self.draft.from_addr = event.value
        if body is None:
            self.say("The signature was edited, so it stays as it is (not the new From's).")
        elif body != self.draft.body:
            self.draft.body = body
            area = self.query_one("#body", TextArea)
            cursor = area.cursor_location
            area.load_text(body)
            area.move_cursor(cursor)

    @on(TextArea.Changed, "#body")
    def _body_changed(self, event: TextArea.Changed) -> None:
        self.draft.body = event.text_area.text

    @property
    def changed(self) -> bool:
        return self.restored or self.collect() != self.initial

    def on_unmount(self) -> None:
        # The app is quitting with the message open: keep the last seconds of typing too.
        if not self.finished:
            self.save_locally()

    def save_locally(self) -> None:
        """The autosave tick: only a draft worth keeping, only when it changed."""
        if self.busy or self.finished or not self.changed:
            return
        try:
            self.autosave.save(self.draft)
        except OSError as error:
            self.say(f"Could not autosave ({error.strerror or error}); the text is still here.")

    def _show_attachments(self) -> None:
        listing = self.query_one("#attachments", OptionList)
        listing.clear_options()
        listing.add_options(
            Option(Text(f"📎 {a.filename}  ({a.content_type}, {_human(a.size)})"))
            for a in self.draft.attachments
        )
        listing.set_class(bool(self.draft.attachments), "-some")
        if self.draft.attachments:
            listing.highlighted = 0

    # -- attachments -------------------------------------------------------------------

    def action_attach(self) -> None:
        path_input = self.query_one("#attach-path", Input)
        path_input.add_class("-open")
        path_input.focus()

    @work(group="compose-key", exclusive=True, exit_on_error=False)
    async def action_attach_key(self) -> None:
        from tui_mail.core.crypto.keys import public_key_file  # noqa: PLC0415

        try:
            attachment = await asyncio.to_thread(public_key_file, self.draft.from_addr)
        except UsageError as error:
            self.say(str(error), error=True)
            return
        self.draft.attachments.append(FileAttachment(*attachment))
        self._show_attachments()
        self.say(f"Attached your public key as {attachment[0]}.")

    @on(Input.Submitted, "#attach-path")
    def _attach_path(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            return
        try:
            attachment = FileAttachment.from_path(Path(event.value.strip()))
        except UsageError as error:
            self.say(str(error), error=True)
            return
        self.draft.attachments.append(attachment)
        self._show_attachments()
        event.input.value = ""
        event.input.remove_class("-open")
        self.query_one("#body", TextArea).focus()
        self.say(f"Attached {attachment.filename}. Delete on the list removes it.")

    def action_remove_attachment(self) -> None:
        listing = self.query_one("#attachments", OptionList)
        index = listing.highlighted
        if self.focused is not listing or index is None or index >= len(self.draft.attachments):
            return
        removed = self.draft.attachments.pop(index)
        self._show_attachments()
        self.say(f"Removed {removed.filename}.")
        if self.draft.attachments:
            listing.highlighted = min(index, len(self.draft.attachments) - 1)
        else:
            self.query_one("#body", TextArea).focus()

    # -- preview and editor ------------------------------------------------------------

    def action_preview(self) -> None:
        try:
            text = preview(self.account, self.collect())
        except UsageError as error:
            self.say(str(error), error=True)
            return
        self.app.push_screen(PreviewScreen(text))

    def action_edit_externally(self) -> None:
        body = self.query_one("#body", TextArea)
        try:
            with self.app.suspend():
                text = run_editor(body.text)
        except SuspendNotSupported:
            self.say("An external editor cannot run here (the terminal cannot be handed over).")
            return
        except UsageError as error:
            self.say(str(error), error=True)
            return
        self.app.refresh()
        body.load_text(text)
        self.say("Body taken from the editor.")

    # -- send, postpone, cancel --------------------------------------------------------

    def action_send(self) -> None:
        if self.busy:
            return
        if self.cannot_send:
            self.say(self.cannot_send, error=True)
            return
        if not self.draft.subject.strip():
            # As mutt and Thunderbird do: an empty subject is more often forgotten than meant.
            question = "This message has no subject. Send it anyway?"
            dialog = ConfirmDiscard(question, discard="Send", keep="Add a subject")
            self.app.push_screen(dialog, self._subjectless_answered)
            return
        self._start_sending()

    def _subjectless_answered(self, send: bool | None) -> None:
        if send:
            self._start_sending()
        else:
            self.query_one("#subject", Input).focus()

    def _start_sending(self) -> None:
        self.busy = True
        self.say("Sending…")
        self._send(self.collect())

    @work(group="compose-send", exclusive=True, exit_on_error=False)
    async def _send(self, draft: Draft) -> None:
        try:
            await asyncio.to_thread(self._drop_failed_entry)
            report = await with_passphrase(
                lambda: send_draft(self.service, draft, outbox=self.outbox,
                                   autocrypt=self.crypto.autocrypt),
                self.app.suspend,
            )  # fmt: skip
        except NotSent as error:
            if worth_retrying(error.cause) and not error.may_have_been_sent:
                # Nothing to fix here: the outbox sends it when the server can take it.
                self._finish(
                    f"Not sent yet: {error.cause} It waits in the Outbox and goes out by "
                    "itself when the server can take it."
                )
                return
            self.failed_entry = error.entry_id
            self.say(f"Not sent: {error}", error=True)
            return
        except TuiMailError as error:
            self.say(f"Not sent: {error}", error=True)
            return
        finally:
            self.busy = False
        self._finish(report_sentence(report))

    def _drop_failed_entry(self) -> None:
        """A retry from the screen sends what the screen shows now, so the copy left in the
        outbox by the failed attempt goes (unless it was sent or is being sent meanwhile)."""
        if self.failed_entry is None:
            return
        try:
            with self.outbox.claimed(self.failed_entry) as entry:
                if entry.state in ("queued", "transmitting"):
                    self.outbox.remove(entry)
        except OutboxBusy:
            raise UsageError(
                "The earlier attempt is being sent from the outbox right now; wait a moment."
            ) from None
        except UsageError:  # gone already (sent by a retry, or removed)
            pass
        self.failed_entry = None

    def action_security(self) -> None:
        self._show_security(self.crypto.toggle(self.draft))

    def _show_security(self, line: Text) -> None:
        shown = self.query_one("#compose-security", Static)
        if str(shown.render()) != line.plain:  # most keys in To change nothing here
            shown.update(line)

    def action_postpone(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.say("Saving to Drafts…")
        self._postpone(self.collect())

    @work(group="compose-send", exclusive=True, exit_on_error=False)
    async def _postpone(self, draft: Draft) -> None:
        try:
            await with_passphrase(lambda: postpone(self.service, draft), self.app.suspend)
        except (TuiMailError, ValueError) as error:
            self.say(f"Not saved to Drafts: {error}", error=True)
            return
        finally:
            self.busy = False
        folder = draft.drafts_copy[0] if draft.drafts_copy else "Drafts"
        self._finish(f"Saved to {folder}; e on it there continues it.")

    def action_cancel(self) -> None:
        path_input = self.query_one("#attach-path", Input)
        if path_input.has_class("-open"):
            path_input.remove_class("-open")
            self.query_one("#body", TextArea).focus()
            return
        if self.busy:
            self.say("Wait until the message is sent or saved.")
            return
        if not self.changed:
            self._finish(None)
            return
        question = "Discard this message? What you wrote will be lost."
        if self.failed_entry:
            question += " (The failed attempt stays in the outbox; `tui-mail outbox` lists it.)"
        self.app.push_screen(ConfirmDiscard(question), self._discard_answered)

    def _discard_answered(self, discard: bool | None) -> None:
        if discard:
            self._finish(None)

    def _finish(self, result: str | None) -> None:
        """The message is safe elsewhere (or knowingly dropped): the autosave goes."""
        self.finished = True
        self.autosave.remove()
        self.dismiss(result)


def _reply_cursor(body: str) -> tuple[int, int]:
    """Under the quote (bottom-posting), else the top."""
    lines = body.split("\n")
    quoted = [i for i, line in enumerate(lines) if line.startswith(">")]
    return (min(quoted[-1] + 2, len(lines) - 1), 0) if quoted else (0, 0)


def _human(size: float) -> str:
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} MB"
