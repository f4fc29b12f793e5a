"""ImapSession: one imapclient connection, used from one thread only.

Holds the security policy (TLS by default, STARTTLS required when chosen, plaintext only when
the account allows it), login, folder listing with special-use roles (its answers read in
core/imap/folders.py), and every command the account service needs. Values from imapclient
are turned into our own types here (and in core/imap/folders.py) and nowhere else.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from functools import partial
from typing import Any, Final

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError

from tui_mail.config import AccountConfig
from tui_mail.core import seqset
from tui_mail.core.auth.secrets import SecretSource
from tui_mail.core.errors import (
    AuthenticationFailed,
    ConnectionFailed,
    ServerError,
    TuiMailError,
    UsageError,
)
from tui_mail.core.imap.compress import COMPRESS_DEFLATE, Deflate, start_deflate
from tui_mail.core.imap.fetch_stream import FetchStream
from tui_mail.core.imap.folders import (
    folder_name,
    folders_from_list,
    list_entries,
    parse_list_status,
)
from tui_mail.core.imap.guard import (
    HEADER_LITERAL_CAP,
    MESSAGE_LITERAL_CAP,
    GuardedClient,
    guarded,
    parsing,
    refusal,
    server_text,
    timed_out,
)
from tui_mail.core.imap.search import Criteria
from tui_mail.core.models import Folder, FolderState
from tui_mail.core.net.connect import open_failure, starttls_missing
from tui_mail.core.net.tls import refuse_plaintext, shared_context
from tui_mail.core.net.watchdog import Watchdog

CONNECT_TIMEOUT: Final = 15.0
LOGOUT_DEADLINE: Final = 3.0


class ImapSession:
    """A logged-in connection for one account. Not thread-safe: one thread owns it."""

    def __init__(
        self,
        account: AccountConfig,
        secret: SecretSource,
        *,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float | None = None,
        compress: bool = False,
    ) -> None:
        if account.imap is None:
            raise UsageError(f'Account "{account.name}" has no [accounts.imap] settings.')
        self.account = account
        self.server = account.imap
        self._secret = secret
        # Every command has a deadline (see core/imap/guard.py): the read timeout is only the
        # backstop for a single silent read.
        self.deadline = float(account.server_timeout_seconds)
        read = read_timeout if read_timeout is not None else self.deadline
        self._timeout = imapclient.SocketTimeout(connect=connect_timeout, read=read)
        self._watchdog = Watchdog()
        self._client: Any = None
        self.capabilities: frozenset[str] = frozenset()
        self.selected: str | None = None
        # Only connections that ask: see core/imap/compress.py for why IDLE ones do not.
        self.compress = compress and account.compress
        self.compression: Deflate | None = None
        """The counts of COMPRESS=DEFLATE while in use; None when not (or refused)."""

    # -- connection --------------------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            raise ConnectionFailed("Not connected to the IMAP server.")
        return self._client

    @property
    def connected(self) -> bool:
        return self._client is not None

    def connect(self) -> None:
        """Open the connection by the account's security policy and log in."""
        server = self.server
        if server.security == "plain" and not self.account.allow_insecure:
            raise refuse_plaintext(
                self.account.name, f"{server.host}:{server.port}", tls_port=993, starttls_port=143
            )
        try:
            with self.guard("the greeting"):
                self._client = self._open()
                self.capabilities = self._read_capabilities()
            self._login()
            with self.guard("CAPABILITY"):
                self.capabilities = self._read_capabilities()  # may grow after login
            if self.compress and self.has(COMPRESS_DEFLATE):
                self.compression = start_deflate(self.client._imap, self.guard, server.host)
            enable = [c for c in ("QRESYNC", "CONDSTORE") if c in self.capabilities]
            if "ENABLE" in self.capabilities and enable:
                # QRESYNC implies CONDSTORE; enabling it lets UID FETCH ask for VANISHED.
                with self.guard("ENABLE"):
                    self.client.enable(enable[0])
        except BaseException:
            self._abandon()
            raise

    def _open(self) -> Any:
        server = self.server
        where = f"{server.host}:{server.port}"
        context = shared_context(self.account.ca_file)
        try:
            if server.security == "tls":
                return GuardedClient(
                    self._watchdog, server.host, port=server.port, ssl=True,
                    ssl_context=context, timeout=self._timeout,
                )  # fmt: skip
            client = GuardedClient(
                self._watchdog, server.host, port=server.port, ssl=False, timeout=self._timeout
            )
            if server.security == "starttls":
                if b"STARTTLS" not in client.capabilities():
                    with contextlib.suppress(Exception):
                        client.shutdown()
                    raise starttls_missing("IMAP", where)
                client.starttls(context)
            return client
        except (OSError, IMAPClientError) as error:
            seconds = self._timeout.connect
            raise open_failure(error, "IMAP", server, seconds, str(error)) from None

    def _read_capabilities(self) -> frozenset[str]:
        return frozenset(c.decode("ascii", "replace").upper() for c in self.client.capabilities())

    def _login(self) -> None:
        username = self.account.username
        where = f"{self.server.host}:{self.server.port}"
        if self.server.security == "plain" and "LOGINDISABLED" in self.capabilities:
            raise AuthenticationFailed(
                f"{where} refuses logins without encryption (LOGINDISABLED). "
                'Use security = "starttls" or "tls".'
            )
        secret = self._secret()
        problem = self._authenticate(username, secret)
        if isinstance(problem, AuthenticationFailed) and self.account.auth == "oauth2":
            # A token can be revoked or expire early: refresh it and try once more.
            from tui_mail.core.auth import credentials  # noqa: PLC0415

            try:
                fresh = credentials.oauth2_token_after_rejection(self.account, secret)
            except TuiMailError as error:  # the refresh was refused: say so, without secret
                fresh, problem = None, error
            if fresh is not None:
                problem = self._authenticate(username, fresh)
            del fresh
        del secret
        if problem is not None:
            raise problem

    def _authenticate(self, username: str, secret: str) -> TuiMailError | None:
        """One login attempt; returns (never raises) the error, so no traceback holds secret."""
        where = f"{self.server.host}:{self.server.port}"
        self._watchdog.arm("LOGIN", self.deadline)
        try:
            if self.account.auth == "oauth2":
                if "AUTH=OAUTHBEARER" in self.capabilities:
                    self.client.oauthbearer_login(username, secret)
                else:
                    self.client.oauth2_login(username, secret)
            else:
                self.client.login(username, secret)
        except LoginError as error:
            if self._watchdog.expired:  # imapclient reports a cut login as a refusal
                return timed_out(self.server.host, self._watchdog)
            said = server_text(error)
            return AuthenticationFailed(
                f"{where} rejected the login for {username!r} (server said: {said}). Check the "
                "username and the password (or app password) stored for this account."
            )
        except (OSError, IMAPClientError, TuiMailError) as error:
            if self._watchdog.expired:
                return timed_out(self.server.host, self._watchdog)
            if isinstance(error, TuiMailError):
                return error
            return ConnectionFailed(
                f"The connection to {where} failed during login: {server_text(error)}."
            )
        finally:
            self._watchdog.disarm()
            del secret
        return None

    def close(self) -> None:
        """Log out politely, but wait no more than a few seconds for it; never raises."""
        if self._client is None:
            return
        with contextlib.suppress(Exception), self.guard("LOGOUT", LOGOUT_DEADLINE):
            self._client.logout()
        self._abandon()
        # A closed session may connect() again; one shut by interrupt() (quitting) may not.
        self._watchdog = Watchdog()

    def interrupt(self) -> None:
        """From any thread: shut the connection now (even while it is being opened), so
        whatever the owning thread waits for ends at once. The owner then sees a lost
        connection; nothing is logged out."""
        self._watchdog.kill()

    def _abandon(self) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.shutdown()
        self._watchdog.kill()
        self._client = None
        self.selected = None
        self.compression = None

    def _parsing(self, what: str) -> contextlib.AbstractContextManager[None]:
        return parsing(self.server.host, what, self._abandon)

    @contextlib.contextmanager
    def guard(self, what: str, seconds: float | None = None) -> Iterator[None]:
        """One command (or phase) under the deadline; see guard.guarded."""
        with guarded(
            self._watchdog, self.server.host, what, seconds or self.deadline, self._abandon
        ):
            yield

    def has(self, capability: str) -> bool:
        return capability.upper() in self.capabilities

    def _call(self, what: str, action: Callable[[], Any]) -> Any:
        """Run one imapclient call under the deadline, translating its failures."""
        with self.guard(what):
            return action()

    # -- folders -----------------------------------------------------------------------

    def list_folders(self, *, with_counts: bool = True) -> list[Folder]:
        """Every folder, with its special-use role, subscription and (optionally) counts."""
        with self._parsing("LIST"):
            return self._list_folders(with_counts)

    def _list_folders(self, with_counts: bool) -> list[Folder]:
        listed = self._call("LIST", partial(list_entries, self.client, "LIST"))
        subscribed = {
            name for _f, _d, name in self._call("LSUB", partial(list_entries, self.client, "LSUB"))
        }
        counts = self._folder_counts([name for _f, _d, name in listed]) if with_counts else {}
        return folders_from_list(listed, subscribed, counts)

    def _folder_counts(self, names: Iterable[Any]) -> dict[str, tuple[int, int]]:
        if self.has("LIST-STATUS"):
            return self._list_status()
        counts: dict[str, tuple[int, int]] = {}
        for name in names:
            with contextlib.suppress(ServerError):  # \Noselect folders have no status
                status = self._call(
                    "STATUS", partial(self.client.folder_status, name, [b"MESSAGES", b"UNSEEN"])
                )
                counts[folder_name(name)] = (status[b"MESSAGES"], status[b"UNSEEN"])
        return counts

    def status_counts(self, names: Iterable[str]) -> dict[str, tuple[int, int]]:
        """(MESSAGES, UNSEEN) of these folders by STATUS, one round trip each: after an
        action only the folders it touched are asked, however many the account has."""
        counts: dict[str, tuple[int, int]] = {}
        for name in names:
            with contextlib.suppress(ServerError):  # gone meanwhile, or \Noselect
                status = self._call(
                    "STATUS", partial(self.client.folder_status, name, [b"MESSAGES", b"UNSEEN"])
                )
                counts[name] = (int(status[b"MESSAGES"]), int(status[b"UNSEEN"]))
        return counts

    def _list_status(self) -> dict[str, tuple[int, int]]:
        """RFC 5819: one round trip for every folder's counts."""
        lines = self.raw_command(b'LIST "" "*" RETURN (STATUS (MESSAGES UNSEEN))')
        return parse_list_status(lines)

    def raw_command(self, command: bytes) -> list[bytes]:
        """Send a command imapclient has no method for; returns its untagged lines."""
        lines: list[bytes] = []
        imap = self.client._imap
        tag = imap._new_tag()
        # imaplib remembers every tag it hands out; we complete this one ourselves.
        imap.tagged_commands.pop(tag, None)
        with self.guard(command.split(b" ", 1)[0].decode("ascii", "replace")):
            imap.send(tag + b" " + command + b"\r\n")
            while True:
                line: bytes = imap.readline()
                if not line:
                    raise ConnectionFailed("The IMAP server closed the connection.")
                if line.startswith(tag + b" "):
                    status = line[len(tag) + 1 :]
                    if status.split(None, 1)[:1] != [b"OK"]:
                        raise ServerError(
                            refusal(
                                command.split(b" ", 1)[0].decode(),
                                status.decode("utf-8", "replace"),
                            )
                        )
                    return lines
                lines.append(line.rstrip(b"\r\n"))

    def create_folder(self, name: str) -> None:
        self._call("CREATE", lambda: self.client.create_folder(name))
        with contextlib.suppress(ServerError):
            self._call("SUBSCRIBE", lambda: self.client.subscribe_folder(name))

    def rename_folder(self, old: str, new: str) -> None:
        self._call("RENAME", lambda: self.client.rename_folder(old, new))

    def delete_folder(self, name: str) -> None:
        if self.selected == name:
            self._call("CLOSE", self.client.close_folder)
            self.selected = None
        self._call("DELETE", lambda: self.client.delete_folder(name))

    # -- selection and fetching --------------------------------------------------------

    def select(self, folder: str, *, readonly: bool = False) -> FolderState:
        response = self._call(
            f"SELECT {folder}", lambda: self.client.select_folder(folder, readonly=readonly)
        )
        with self._parsing(f"SELECT {folder}"):
            modseq = response.get(b"HIGHESTMODSEQ")
            state = FolderState(
                uidvalidity=int(response[b"UIDVALIDITY"]),
                uidnext=int(response[b"UIDNEXT"]) if b"UIDNEXT" in response else None,
                highestmodseq=int(modseq) if modseq is not None else None,
                exists=int(response.get(b"EXISTS", 0)),
            )
        self.selected = folder
        return state

    def ensure_selected(self, folder: str) -> None:
        if self.selected != folder:
            self.select(folder)

    def fetch_stream(
        self,
        message_set: str,
        items: str,
        *,
        uid: bool = True,
        modifiers: str = "",
        literal_cap: int = HEADER_LITERAL_CAP,
    ) -> FetchStream:
        """Stream FETCH responses (see fetch_stream); the caller must consume it."""
        command = f"{'UID ' if uid else ''}FETCH {message_set} ({items})"
        if modifiers:
            command += f" ({modifiers})"
        return FetchStream(
            self.client._imap,
            command.encode("ascii"),
            guard=self.guard,
            on_message=self._watchdog.next_message,
            literal_cap=literal_cap,
        )

    def fetch_body(self, uid: int) -> bytes | None:
        """The whole message (without setting \\Seen), or None if it no longer exists."""
        stream = self.fetch_stream(str(uid), "UID BODY.PEEK[]", literal_cap=MESSAGE_LITERAL_CAP)
        for message in stream:
            if message.uid == uid and message.section is not None:
                return message.section
        return None

    def search(self, criteria: Criteria) -> list[int]:
        charset = "UTF-8" if any(_non_ascii(c) for c in criteria) else None
        found = self._call("SEARCH", lambda: self.client.search(criteria, charset=charset))
        return sorted(int(uid) for uid in found)

    def all_uids(self) -> list[int]:
        """Every UID in the selected folder, as compactly as the server can say it."""
        with self._parsing("UID SEARCH"):
            return self._all_uids()

    def _all_uids(self) -> list[int]:
        if self.has("ESEARCH"):
            for line in self.raw_command(b"UID SEARCH RETURN (ALL) ALL"):
                if line.startswith(b"* ESEARCH"):
                    parts = line.split()
                    if b"ALL" in parts:
                        return seqset.expand(parts[parts.index(b"ALL") + 1].decode())
            return []
        return self.search(["ALL"])

    # -- changing messages -------------------------------------------------------------

    def store_flags(self, uids: Iterable[int], flags: list[str], *, add: bool) -> None:
        names = [flag.encode() for flag in flags]
        method = self.client.add_flags if add else self.client.remove_flags
        for chunk in seqset.chunked(uids):
            self._call("STORE", partial(method, chunk, names, silent=True))

    def copy(self, uids: Iterable[int], destination: str) -> None:
        for chunk in seqset.chunked(uids):
            self._call("COPY", partial(self.client.copy, chunk, destination))

    def move(self, uids: Iterable[int], destination: str) -> None:
        """MOVE when offered; else COPY, then remove exactly these messages."""
        uids = sorted(set(uids))
        if not uids:
            return
        if self.has("MOVE"):
            for chunk in seqset.chunked(uids):
                self._call("MOVE", partial(self.client.move, chunk, destination))
            return
        self.copy(uids, destination)
        self.expunge_only(uids)

    def expunge_only(self, uids: Iterable[int]) -> None:
        """Delete these messages for good without expunging others marked \\Deleted."""
        uids = sorted(set(uids))
        self.store_flags(uids, ["\\Deleted"], add=True)
        if self.has("UIDPLUS"):
            for chunk in seqset.chunked(uids):
                self._call("UID EXPUNGE", partial(self.client.uid_expunge, chunk))
            return
        # Plain EXPUNGE removes every \Deleted message; spare the ones the user marked
        # elsewhere by clearing their flag around it.
        others = [uid for uid in self.search(["DELETED"]) if uid not in set(uids)]
        self.store_flags(others, ["\\Deleted"], add=False)
        try:
            self._call("EXPUNGE", self.client.expunge)
        finally:
            self.store_flags(others, ["\\Deleted"], add=True)

    def append(
        self, folder: str, message: bytes, flags: Iterable[str] = (), when: datetime | None = None
    ) -> int | None:
        """APPEND; returns the new UID when the server says it (UIDPLUS)."""
        names = [flag.encode() for flag in flags]
        answer = self._call(
            "APPEND", lambda: self.client.append(folder, message, names, msg_time=when)
        )
        match = re.search(rb"\[APPENDUID \d+ (\d+)\]", answer or b"")
        return int(match.group(1)) if match else None

    def noop(self) -> None:
        self._call("NOOP", self.client.noop)

    def personal_prefix(self) -> str:
        """The first personal namespace's prefix ("INBOX." on Courier); "" without one."""
        if not self.has("NAMESPACE"):
            return ""
        personal = self._call("NAMESPACE", self.client.namespace).personal or ()
        prefix = personal[0][0] if personal else ""
        return prefix.decode("utf-8", "replace") if isinstance(prefix, bytes) else str(prefix)


def _non_ascii(value: Any) -> bool:
    return isinstance(value, str) and not value.isascii()
