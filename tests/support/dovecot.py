"""Real Dovecot IMAP/POP3 servers for the test suite and the benchmarks.

Each :class:`DovecotServer` is a private Dovecot 2.3 instance (its own config, sockets,
state, log, certificate and free loopback ports) run from the Debian packages
(``dovecot-imapd``, ``dovecot-pop3d``).  It needs root: Dovecot's master must be root to
start login processes as ``dovenull`` and mail processes as ``nobody`` (uid 65534, which
owns the maildirs).  Nothing from ``/etc/dovecot`` or systemd is used, so any number of
servers can run side by side.  Import it as ``tests.support.dovecot`` (repository root on
``sys.path``; tests/conftest.py arranges that for pytest).

API::

    MailUser(name: str, password: str, maildir: Path)      # frozen dataclass

    DovecotServer(base_dir: Path, *, name: str = "main", capabilities: str | None = None,
                  ssl: bool = True, idle: bool = True, separator: str = "/", prefix: str = "",
                  max_connections_per_user: int = 100, mail_root: Path | None = None,
                  oauth2_introspection_url: str | None = None, compress: bool = False)
        host = "127.0.0.1"           alt_host = "127.0.0.2" (listened on, not in the cert)
        imap_port: int               cleartext; offers STARTTLS when ssl=True
        imaps_port: int              implicit TLS (RuntimeError when ssl=False)
        pop3_port: int               cleartext; offers STLS when ssl=True
        pop3s_port: int              implicit TLS (RuntimeError when ssl=False)
        ca_pem: Path                 trustme CA that signed the server certificate, whose
                                     names are "localhost" and IP 127.0.0.1 only
        config_path, log_path: Path; running: bool; users: dict[str, MailUser]
        start() -> None              waits until every port accepts and imap-login greets;
                                     RuntimeError with Dovecot's stderr and log tail
        stop() -> None               returns when every Dovecot process is gone; start()
                                     again reuses the same ports (reconnect tests)
        close() -> None              stop() and remove a private short socket dir, if any
        add_user(name=None, password=None, *, auto_folders=None) -> MailUser
                                     works while running; auto_folders: which of
                                     SPECIAL_USE_FOLDERS Dovecot auto-creates (all)
        create_folder(user, folder, *, special_use=None) -> None   (subscribed; idempotent;
                                     also while stopped)
        folder_path(user, folder) -> Path                 its Maildir++ directory
        deliver(user, messages, folder="INBOX", flags="", *, internaldate_from_header=True)
                                     -> None; flags: maildir letters, or a function of
                                     the message's index returning them
        kick(user) -> None           drops the user's IMAP/POP3 sessions
        doveadm(*args) -> str        ``doveadm -c <config> *args``; DoveadmError(.status);
                                     mail commands (-u USER) need the server running
        log_tail(n=50) -> str
        ssl_context() -> ssl.SSLContext    verifying client context trusting ca_pem
        context manager: ``with DovecotServer(path) as server: ...`` (start/close)

    make_message(i: int, **overrides: str) -> bytes    deterministic RFC 5322 message
    iter_messages(start: int, count: int) -> Iterator[bytes]
    tmpfs_dir(prefix=...) -> Path | None   fresh dir on /dev/shm, for ``mail_root``
    DEFAULT_CAPABILITIES: str    the post-login list this config advertises by default
    SPECIAL_USE_FOLDERS: dict    Drafts Sent Trash Junk Archive (auto = subscribe)
    DovecotFactory               Protocol: the ``dovecot_factory`` fixture's type

Users: login names are lowercase ``[a-z0-9][a-z0-9._@-]*`` (Dovecot lowercases logins),
``{PLAIN}`` passwords in one passwd-file per user under ``base_dir/passwd.d`` (Dovecot
stats a shared passwd-file at most once a second, so a user added just after a login would
stay unknown for up to a second).  Homes are ``mail_root/<name>`` (default
``base_dir/users``), maildirs ``<home>/Maildir``.  Maildirs on tmpfs
(``mail_root=tmpfs_dir()``) make ``deliver`` much faster than on a slow disk.

Things worth knowing (measured on Dovecot 2.3.19):

* Dovecot treats a connection as *secured* when the client's IP equals the server's IP,
  so on ``host`` (127.0.0.1 -> 127.0.0.1) cleartext LOGIN works without STARTTLS and no
  LOGINDISABLED is sent, even with ``disable_plaintext_auth = yes`` (also with ``ssl =
  required``).  Connect to ``alt_host`` (127.0.0.2; the kernel picks 127.0.0.1 as the
  source) to meet a server that refuses cleartext logins (LOGINDISABLED) -- but that name
  is not in the certificate, so TLS to it fails verification.
* ``capabilities`` becomes ``imap_capability``, which replaces the post-login list
  exactly (Dovecot adds nothing, not even LITERAL+ or SPECIAL-USE) and is also used for
  the pre-login banner, plus STARTTLS (ssl=True), LOGINDISABLED (not secured) and
  AUTH=PLAIN AUTH=LOGIN (secured).  ``idle=False`` advertises ``capabilities`` or
  DEFAULT_CAPABILITIES minus IDLE (Dovecot still accepts IDLE).
* Special-use flags come from the config only (the ``/private/specialuse`` METADATA
  attribute is read-only and userdb fields cannot add mailbox sections).  So
  ``create_folder(..., special_use=...)`` adds a ``mailbox "NAME" { special_use = ... }``
  block to this server's config, reloads it (SIGHUP) and waits until a new login sees the
  flag.  Every user of the server with a folder of that exact name sees the flag; asking
  for another flag on the same name raises ValueError (use a separate server).
* ``deliver`` writes each message into ``tmp/`` and renames it into ``cur/`` as
  ``TIME.M<n>P<pid>.HOST,S=<size>,W=<CRLF size>:2,<flags>``: Dovecot takes sizes from the
  name and opens no file to answer SELECT (100,000 messages: ~0.5 s), and sorts new files
  by name, so ``M<n>`` keeps UIDs in delivery order.  INTERNALDATE (the file's mtime,
  which SEARCH SINCE/BEFORE use) is set from the Date header.  Maildir letters:
  D \\Draft, F \\Flagged, R \\Answered, S \\Seen, T \\Deleted (P "passed" has no IMAP
  flag in Dovecot, so it is refused here).
* Stopping signals the whole process group: a SIGTERM to the master alone leaves IMAP
  sessions running for ~10 s and unauthenticated login processes for 30 s.
* ``compress=True`` (opt-in) loads the ``imap_zlib`` plugin: COMPRESS=DEFLATE (RFC 4978)
  is then advertised after login (also with ``capabilities``: the plugin appends it).
* ``oauth2_introspection_url`` (opt-in) adds Dovecot's oauth2 passdb for the XOAUTH2 and
  OAUTHBEARER mechanisms (``auth_mechanisms = plain login xoauth2 oauthbearer``; the
  passwd-file passdb keeps PLAIN/LOGIN).  Dovecot POSTs ``token=...&client_id=&client_secret=``
  to the URL (RFC 7662 introspection, ``introspection_mode = post``) and accepts the token
  when the JSON answer has ``"active": true`` and ``"username"`` naming an existing user.
  A plain http:// URL on loopback works; the answer is not cached (``auth_cache_size = 0``).
* A failed login still costs ~0.5 s (Dovecot answers auth failures in 0.5 s batches) even
  with ``auth_failure_delay = 0``; anvil's growing per-IP auth penalty is switched off.
  ``mail_max_userip_connections`` is ``max_connections_per_user`` (Dovecot's default is 10).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl as ssl_module
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol

import trustme

from tests.support.processes import group_members

__all__ = [
    "DEFAULT_CAPABILITIES",
    "SPECIAL_USE_FOLDERS",
    "DoveadmError",
    "DovecotFactory",
    "DovecotServer",
    "MailUser",
    "iter_messages",
    "make_message",
    "tmpfs_dir",
]

#: What Dovecot 2.3.19 advertises after login with this module's config and no
#: ``capabilities``.  ``imap_capability`` replaces the whole list (Dovecot appends nothing),
#: so build stripped-down lists from this one; ``idle=False`` uses it minus IDLE.  A test
#: (test_harness.py) checks it against what the installed Dovecot really sends.
DEFAULT_CAPABILITIES = (
    "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
    "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN "
    "NAMESPACE UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES "
    "WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW "
    "STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE"
)

#: Folders every user gets (created and subscribed at first login: ``auto = subscribe``).
SPECIAL_USE_FOLDERS: dict[str, str] = {
    "Drafts": "\\Drafts",
    "Sent": "\\Sent",
    "Trash": "\\Trash",
    "Junk": "\\Junk",
    "Archive": "\\Archive",
}

_SPECIAL_USE_FLAGS = frozenset(
    {"\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Important", "\\Junk", "\\Sent", "\\Trash"}
)
_MAILDIR_FLAGS = frozenset("DFRST")
# Dovecot lowercases login names (auth_username_format = %Lu) and allows these characters.
_USER_RE = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_SAFE_PATH_RE = re.compile(r"[A-Za-z0-9/._+-]+")
_LONGEST_SOCKET = 40  # longest name Dovecot puts under base_dir, with margin
_MAX_UNIX_PATH = 107
_EX_NOUSER = 68
_EX_TEMPFAIL = 75
_START_TIMEOUT = 15.0
_STOP_TIMEOUT = 10.0
_RELOAD_TIMEOUT = 10.0

_live_servers: set[DovecotServer] = set()
_live_lock = threading.Lock()


def _stop_live_servers() -> None:
    with _live_lock:
        servers = list(_live_servers)
    for server in servers:
        with contextlib.suppress(Exception):
            server.stop()


atexit.register(_stop_live_servers)


@dataclass(frozen=True)
class MailUser:
    """A mailbox owner on one :class:`DovecotServer`."""

    name: str
    password: str
    maildir: Path
    """The user's Maildir++ root: INBOX is the root, subfolders are ``.Name`` dirs."""


class DovecotFactory(Protocol):
    """The type of the ``dovecot_factory`` fixture (tests/conftest.py)."""

    def __call__(
        self,
        *,
        name: str | None = None,
        capabilities: str | None = None,
        ssl: bool = True,
        idle: bool = True,
        separator: str = "/",
        prefix: str = "",
        max_connections_per_user: int = 100,
        compress: bool = False,
    ) -> DovecotServer: ...


class DoveadmError(RuntimeError):
    """``doveadm`` exited with a non-zero ``status`` (sysexits: 68 = no such user...)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class _PortClashError(RuntimeError):
    pass


def _find_binary(name: str) -> str:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/bin"])
    found = shutil.which(name, path=search)
    if found is None:
        raise RuntimeError(
            f"{name} not found (install the Debian packages dovecot-imapd and dovecot-pop3d)"
        )
    return found


def _ensure_traversable(path: Path) -> None:
    """Let unprivileged Dovecot processes reach ``path`` (``o+x`` on it and its parents).

    pytest makes its temporary directories 0700; ``nobody`` (mail processes) and
    ``dovecot`` (auth) must be able to pass through them.  Only the search bit is added,
    so the directories stay unlistable.
    """
    for directory in [path, *path.parents]:
        st = directory.stat()
        if st.st_mode & 0o001:
            continue
        if st.st_uid != os.geteuid():
            raise RuntimeError(f"{directory} is not searchable by others and not ours to chmod")
        directory.chmod((st.st_mode & 0o7777) | 0o001)


def tmpfs_dir(prefix: str = "tui-mail-dovecot-") -> Path | None:
    """A new empty directory on tmpfs (``/dev/shm``), or None if there is no tmpfs there.

    Pass it as ``mail_root`` for big fixtures: creating a file on this project's VM disk
    costs 35-1000 us (noisy), on tmpfs 10-20 us.  The caller removes it when done.
    """
    shm = "/dev/shm"
    try:
        with open("/proc/self/mounts") as mounts:
            on_tmpfs = any(
                line.split()[1:3] == [shm, "tmpfs"] for line in mounts if line.count(" ") >= 2
            )
    except OSError:
        return None
    if not on_tmpfs or not os.access(shm, os.W_OK):
        return None
    return Path(tempfile.mkdtemp(prefix=prefix, dir=shm))


def _pick_ports(count: int) -> list[int]:
    """Free TCP ports that are bindable on both 127.0.0.1 and 127.0.0.2."""
    ports: list[int] = []
    held: list[socket.socket] = []
    try:
        while len(ports) < count:
            a = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(a)
            a.bind(("127.0.0.1", 0))
            port = int(a.getsockname()[1])
            b = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(b)
            try:
                b.bind(("127.0.0.2", port))
            except OSError:
                continue
            ports.append(port)
    finally:
        for s in held:
            s.close()
    return ports


def _imap_utf7(name: str) -> str:
    """Modified UTF-7 (RFC 3501 5.1.3), the way Dovecot names Maildir++ folders on disk."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode().rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


_DATE_RE = re.compile(rb"^date:[ \t]*([^\r\n]+)", re.IGNORECASE | re.MULTILINE)


def _header_date(message: bytes) -> float | None:
    """The Date header of ``message`` as a POSIX timestamp, or None."""
    end = message.find(b"\n\n")
    if end < 0:
        end = message.find(b"\r\n\r\n")
    match = _DATE_RE.search(message, 0, end if end >= 0 else len(message))
    if match is None:
        return None
    try:
        sent = parsedate_to_datetime(match.group(1).decode("ascii", "replace").strip())
    except (TypeError, ValueError):
        return None
    if sent.tzinfo is None:
        sent = sent.replace(tzinfo=UTC)
    return sent.timestamp()


def _virtual_size(message: bytes) -> int:
    """Size with CRLF line endings (the ``W=`` field)."""
    return len(message) + message.count(b"\n") - message.count(b"\r\n")


class DovecotServer:
    """One private Dovecot instance under ``base_dir``; see the module docstring."""

    host = "127.0.0.1"
    alt_host = "127.0.0.2"

    def __init__(
        self,
        base_dir: Path,
        *,
        name: str = "main",
        capabilities: str | None = None,
        ssl: bool = True,
        idle: bool = True,
        separator: str = "/",
        prefix: str = "",
        max_connections_per_user: int = 100,
        mail_root: Path | None = None,
        oauth2_introspection_url: str | None = None,
        compress: bool = False,
    ) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
            raise ValueError(f"server name must be [A-Za-z0-9_-]+, got {name!r}")
        if separator not in ("/", "."):
            raise ValueError("separator must be '/' or '.'")
        if prefix and (prefix != "INBOX" + separator):
            # Courier's layout: every folder under "INBOX." (users type "Archive").
            raise ValueError(f"prefix must be '' or 'INBOX{separator}'")
        if capabilities is not None and re.search(r'["\n\\]', capabilities):
            raise ValueError("capabilities must not contain quotes, backslashes or newlines")
        self.base_dir = Path(base_dir).resolve()
        if not _SAFE_PATH_RE.fullmatch(str(self.base_dir)):
            raise ValueError(f"base_dir must match {_SAFE_PATH_RE.pattern}: {self.base_dir}")
        self.name = name
        self.ssl = ssl
        self.idle = idle
        self.separator = separator
        self.prefix = prefix
        self.max_connections_per_user = max_connections_per_user
        if oauth2_introspection_url is not None and re.search(r"\s", oauth2_introspection_url):
            raise ValueError("oauth2_introspection_url must not contain white space")
        self.oauth2_introspection_url = oauth2_introspection_url
        self.compress = compress
        caps = capabilities
        if not idle:
            caps = " ".join(c for c in (caps or DEFAULT_CAPABILITIES).split() if c != "IDLE")
        self.capabilities = caps

        self.config_path = self.base_dir / "dovecot.conf"
        self._oauth2_config_path = self.base_dir / "dovecot-oauth2.conf.ext"
        self.log_path = self.base_dir / "dovecot.log"
        self.ca_pem = self.base_dir / "ssl" / "ca.pem"
        self._stderr_path = self.base_dir / "dovecot.stderr"
        self._passwd_dir = self.base_dir / "passwd.d"
        self._users_dir = Path(mail_root).resolve() if mail_root else self.base_dir / "users"
        if not _SAFE_PATH_RE.fullmatch(str(self._users_dir)):
            raise ValueError(f"mail_root must match {_SAFE_PATH_RE.pattern}: {self._users_dir}")
        self._state_dir = self.base_dir / "state"
        self._run_dir = self.base_dir / "run"
        self._own_run_dir = False
        self._instance = f"tuimail-{name}-{secrets.token_hex(3)}"

        self.users: dict[str, MailUser] = {}
        self._special_use: dict[str, str] = dict(SPECIAL_USE_FOLDERS)
        self._auto_folders = frozenset(SPECIAL_USE_FOLDERS)
        self._ports: dict[str, int] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._prepared = False
        self._lock = threading.RLock()
        self._counter = itertools.count(1)  # the M<n> of maildir file names
        self._user_counter = itertools.count(1)
        self._hostname = socket.gethostname().replace("/", "\\057").replace(":", "\\072")
        self._mail_uid, self._mail_gid = self._mail_ids()

    # -- ports -------------------------------------------------------------------------

    def _port(self, key: str) -> int:
        if self._ports is None:
            raise RuntimeError("ports are chosen by start()")
        if key not in self._ports:
            raise RuntimeError(f"{key} port: this server has ssl=False (no implicit TLS)")
        return self._ports[key]

    @property
    def imap_port(self) -> int:
        return self._port("imap")

    @property
    def imaps_port(self) -> int:
        return self._port("imaps")

    @property
    def pop3_port(self) -> int:
        return self._port("pop3")

    @property
    def pop3s_port(self) -> int:
        return self._port("pop3s")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    # -- set-up ------------------------------------------------------------------------

    @staticmethod
    def _mail_ids() -> tuple[int, int]:
        nobody = pwd.getpwnam("nobody")
        try:
            gid = grp.getgrnam("nogroup").gr_gid
        except KeyError:
            gid = nobody.pw_gid
        return nobody.pw_uid, gid

    def _check_environment(self) -> None:
        if os.geteuid() != 0:
            raise RuntimeError("DovecotServer must run as root (Dovecot's master needs it)")
        for user in ("dovecot", "dovenull"):
            try:
                pwd.getpwnam(user)
            except KeyError:
                raise RuntimeError(
                    f"system user {user!r} missing: is the dovecot-core package installed?"
                ) from None
        if self._mail_uid == 0:
            raise RuntimeError("user 'nobody' has uid 0; Dovecot refuses mail access as root")

    def _prepare(self) -> None:
        if self._prepared:
            return
        self._check_environment()
        self.base_dir.mkdir(parents=True, exist_ok=True)
        _ensure_traversable(self.base_dir)
        self.base_dir.chmod(0o711)
        self._state_dir.mkdir(exist_ok=True)
        self._users_dir.mkdir(mode=0o711, parents=True, exist_ok=True)
        _ensure_traversable(self._users_dir)
        if len(str(self._run_dir)) + _LONGEST_SOCKET > _MAX_UNIX_PATH:
            # UNIX socket paths are limited to 107 bytes: use a short directory instead.
            self._run_dir = Path(tempfile.mkdtemp(prefix="dovecot-run-"))
            self._run_dir.chmod(0o755)
            self._own_run_dir = True
        ssl_dir = self.ca_pem.parent
        ssl_dir.mkdir(exist_ok=True)
        ca = trustme.CA(organization_name="tui-mail test CA")
        cert = ca.issue_cert("localhost", "127.0.0.1")
        ca.cert_pem.write_to_path(str(self.ca_pem))
        chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
        (ssl_dir / "cert.pem").write_bytes(chain)
        key_path = ssl_dir / "key.pem"
        key_path.touch(mode=0o600)
        cert.private_key_pem.write_to_path(str(key_path))
        dovecot_gid = grp.getgrnam("dovecot").gr_gid
        self._passwd_dir.mkdir(mode=0o750, exist_ok=True)
        os.chown(self._passwd_dir, 0, dovecot_gid)
        self._prepared = True

    def _write_passwd(self, user: MailUser, userdb_fields: list[str]) -> None:
        # One passwd-file per user (the passdb path contains %u): Dovecot stats a
        # passwd-file at most once per second, so a user appended to a shared file right
        # after a login would stay unknown for up to a second.
        path = self._passwd_dir / user.name
        tmp = path.with_name(f".{user.name}.tmp")
        extra = " ".join(f"userdb_{field}" for field in userdb_fields)
        tmp.write_text(
            f"{user.name}:{{PLAIN}}{user.password}:{self._mail_uid}:{self._mail_gid}::"
            f"{self._users_dir / user.name}::{extra}\n"
        )
        os.chown(tmp, 0, grp.getgrnam("dovecot").gr_gid)
        tmp.chmod(0o640)
        tmp.replace(path)

    def _render_config(self) -> str:
        oauth2 = self.oauth2_introspection_url is not None
        ports = self._ports or {}  # no listeners yet: a config for doveadm before start()
        ssl_dir = self.ca_pem.parent
        lines = [
            "# Generated by tests/support/dovecot.py; rewritten on every start/reload.",
            f"base_dir = {self._run_dir}",
            f"state_dir = {self._state_dir}",
            f"instance_name = {self._instance}",
            f"log_path = {self.log_path}",
            'log_timestamp = "%Y-%m-%d %H:%M:%S "',
            "protocols = imap pop3",
            f"listen = {self.host}, {self.alt_host}",
            "default_login_user = dovenull",
            "default_internal_user = dovecot",
            f"first_valid_uid = {self._mail_uid}",
            f"last_valid_uid = {self._mail_uid}",
            f"ssl = {'yes' if self.ssl else 'no'}",
        ]
        if self.ssl:
            lines += [
                f"ssl_cert = <{ssl_dir / 'cert.pem'}",
                f"ssl_key = <{ssl_dir / 'key.pem'}",
            ]
        lines += [
            f"disable_plaintext_auth = {'yes' if self.ssl else 'no'}",
            f"auth_mechanisms = plain login{' xoauth2 oauthbearer' if oauth2 else ''}",
            "auth_cache_size = 0",
            "auth_failure_delay = 0",
            "auth_verbose = yes",
        ]
        if oauth2:
            # Bearer tokens go to the oauth2 passdb only; passwords to the passwd-file.
            lines += [
                "passdb {",
                "  driver = oauth2",
                "  mechanisms = xoauth2 oauthbearer",
                f"  args = {self._oauth2_config_path}",
                "}",
            ]
        lines += [
            "passdb {",
            "  driver = passwd-file",
            *(["  mechanisms = plain login"] if oauth2 else []),
            f"  args = scheme=PLAIN username_format=%u {self._passwd_dir}/%u",
            "}",
            "userdb {",
            "  driver = passwd-file",
            f"  args = username_format=%u {self._passwd_dir}/%u",
            "}",
            "mail_location = maildir:~/Maildir",
            "mail_fsync = never",  # a test server: no durability, less waiting on the disk
            "mailbox_idle_check_interval = 1 secs",
            f"mail_max_userip_connections = {self.max_connections_per_user}",
        ]
        if self.capabilities is not None:
            lines.append(f'imap_capability = "{self.capabilities}"')
        if self.compress:
            # The imap_zlib plugin adds COMPRESS=DEFLATE to the capabilities after login.
            lines += ["protocol imap {", "  mail_plugins = $mail_plugins imap_zlib", "}"]
        lines += ["namespace inbox {", "  inbox = yes", f"  separator = {self.separator}"]
        if self.prefix:
            lines.append(f"  prefix = {self.prefix}")
        for folder, flag in self._special_use.items():
            lines += [f'  mailbox "{folder}" {{', f"    special_use = {flag}"]
            if folder in self._auto_folders:
                lines.append("    auto = subscribe")
            lines.append("  }")
        lines.append("}")
        listeners = {
            "imap-login": (("imap", "imap", False), ("imaps", "imaps", True)),
            "pop3-login": (("pop3", "pop3", False), ("pop3s", "pop3s", True)),
        }
        for service, specs in listeners.items():
            lines.append(f"service {service} {{")
            for listener, key, implicit_tls in specs:
                if key not in ports:
                    continue
                lines += [f"  inet_listener {listener} {{", f"    port = {ports[key]}"]
                if implicit_tls:
                    lines.append("    ssl = yes")
                lines.append("  }")
            lines.append("}")
        lines += [
            "service anvil {",
            "  unix_listener anvil-auth-penalty {",
            "    mode = 0",  # no growing delays after failed logins from one IP
            "  }",
            "}",
        ]
        return "\n".join(lines) + "\n"

    def _write_config(self) -> None:
        if self.oauth2_introspection_url is not None:
            # RFC 7662 introspection: Dovecot POSTs token=... and reads the user name and
            # "active" from the JSON answer.
            self._oauth2_config_path.write_text(
                "introspection_mode = post\n"
                f"introspection_url = {self.oauth2_introspection_url}\n"
                "username_attribute = username\n"
                "active_attribute = active\n"
                "active_value = true\n"
            )
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(self._render_config())
        tmp.replace(self.config_path)

    # -- life cycle --------------------------------------------------------------------

    def start(self) -> None:
        """Start Dovecot and wait until all its ports accept connections."""
        with self._lock:
            if self.running:
                return
            self._prepare()
            restarting = self._ports is not None
            last_error: Exception | None = None
            for attempt in range(8):
                if self._ports is None or (attempt > 0 and not restarting):
                    keys = ["imap", "pop3"] + (["imaps", "pop3s"] if self.ssl else [])
                    self._ports = dict(zip(keys, _pick_ports(len(keys)), strict=True))
                self._write_config()
                try:
                    self._launch()
                    self._wait_ready()
                except _PortClashError as exc:
                    last_error = exc
                    self._terminate(signal.SIGKILL)
                    if restarting:
                        time.sleep(0.25)
                    continue
                except BaseException:
                    self._terminate(signal.SIGKILL)
                    raise
                with _live_lock:
                    _live_servers.add(self)
                return
            raise RuntimeError(f"Dovecot could not bind its ports: {last_error}")

    def _launch(self) -> None:
        with open(self._stderr_path, "wb") as err:
            self._proc = subprocess.Popen(
                [_find_binary("dovecot"), "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                start_new_session=True,
            )

    def _failure(self, what: str) -> str:
        stderr = ""
        with contextlib.suppress(OSError):
            stderr = self._stderr_path.read_text(errors="replace").strip()
        return (
            f"Dovecot {what} (config {self.config_path}).\n"
            f"--- stderr ---\n{stderr}\n--- log tail ({self.log_path}) ---\n{self.log_tail(30)}"
        )

    def _wait_ready(self) -> None:
        proc = self._proc
        assert proc is not None
        assert self._ports is not None
        deadline = time.monotonic() + _START_TIMEOUT
        pending = [(h, p) for h in (self.host, self.alt_host) for p in self._ports.values()]
        while pending:
            if proc.poll() is not None:
                message = self._failure(f"exited with status {proc.returncode} while starting")
                if "Address already in use" in message:
                    raise _PortClashError(message)
                raise RuntimeError(message)
            if time.monotonic() > deadline:
                raise RuntimeError(self._failure(f"did not listen on {pending} in time"))
            try:
                with socket.create_connection(pending[0], timeout=1):
                    pass
            except OSError:
                time.sleep(0.02)
                continue
            pending.pop(0)
        # A greeting proves imap-login can start, chroot, and reach the auth process.
        try:
            with socket.create_connection((self.host, self.imap_port), timeout=10) as sock:
                greeting = sock.makefile("rb").readline()
                sock.sendall(b"a LOGOUT\r\n")
        except OSError as exc:
            raise RuntimeError(self._failure(f"sent no IMAP greeting ({exc})")) from exc
        if not greeting.startswith(b"* OK"):
            raise RuntimeError(self._failure(f"sent a bad IMAP greeting {greeting!r}"))
        if proc.poll() is not None:  # what answered was not ours
            raise _PortClashError(self._failure("exited while starting"))

    def stop(self) -> None:
        """Stop Dovecot and wait until none of its processes is left.

        SIGTERM goes to the whole process group: signalled alone, the master exits but
        leaves IMAP sessions running for about 10 s and unauthenticated login processes
        for 30 s.  Clients get ``* BYE Server shutting down.``
        """
        with self._lock:
            with _live_lock:
                _live_servers.discard(self)
            self._terminate(signal.SIGTERM)

    def _terminate(self, sig: signal.Signals) -> None:
        """Signal Dovecot's process group and wait until it is gone (SIGKILL if slow)."""
        proc = self._proc
        if proc is None:
            return
        pgid = proc.pid  # start_new_session=True: the master leads its own group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + _STOP_TIMEOUT
        killed = False
        while proc.poll() is None or group_members(pgid):
            if time.monotonic() > deadline:
                if killed:
                    raise RuntimeError(f"Dovecot processes in group {pgid} will not die")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(pgid, signal.SIGKILL)
                killed = True
                deadline = time.monotonic() + 5
            time.sleep(0.01)
        self._proc = None

    def close(self) -> None:
        """stop() and remove the short socket directory if one was made."""
        self.stop()
        if self._own_run_dir:
            shutil.rmtree(self._run_dir, ignore_errors=True)

    def __enter__(self) -> DovecotServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- users and folders -------------------------------------------------------------

    def add_user(
        self,
        name: str | None = None,
        password: str | None = None,
        *,
        auto_folders: Iterable[str] | None = None,
    ) -> MailUser:
        """Create a user with an empty INBOX; works while the server runs.

        ``name`` defaults to a unique ``userN``, ``password`` to a random one.
        ``auto_folders``: which of SPECIAL_USE_FOLDERS Dovecot creates and subscribes for
        this user at login (default: all).  Dovecot re-creates an auto folder after it is
        deleted, so a test that needs a user *without* e.g. Archive passes
        ``auto_folders=["Drafts", "Sent", "Trash", "Junk"]``.
        """
        auto = set(SPECIAL_USE_FOLDERS if auto_folders is None else auto_folders)
        if not auto <= set(SPECIAL_USE_FOLDERS):
            raise ValueError(f"auto_folders must be among {list(SPECIAL_USE_FOLDERS)}")
        userdb_fields = [
            f"namespace/inbox/mailbox/{folder}/auto=no"
            for folder in SPECIAL_USE_FOLDERS
            if folder not in auto
        ]
        with self._lock:
            self._prepare()
            if name is None:
                name = f"user{next(self._user_counter)}"
                while name in self.users:
                    name = f"user{next(self._user_counter)}"
            if not _USER_RE.fullmatch(name):
                raise ValueError(f"user name must match {_USER_RE.pattern}: {name!r}")
            if name in self.users:
                raise ValueError(f"user {name!r} already exists")
            if password is None:
                password = secrets.token_urlsafe(12)
            if re.search(r"[:\s]", password) or not password:
                raise ValueError("password must be non-empty without ':' or whitespace")
            home = self._users_dir / name
            maildir = home / "Maildir"
            for directory in (home, maildir, maildir / "cur", maildir / "new", maildir / "tmp"):
                directory.mkdir(mode=0o700)
                os.chown(directory, self._mail_uid, self._mail_gid)
            user = MailUser(name=name, password=password, maildir=maildir)
            self._write_passwd(user, userdb_fields)
            self.users[name] = user
            return user

    def folder_path(self, user: MailUser, folder: str) -> Path:
        """The Maildir++ directory of ``folder`` (which may not exist yet)."""
        if folder.upper() == "INBOX":
            return user.maildir
        if self.prefix and folder.upper().startswith(self.prefix.upper()):
            folder = folder[len(self.prefix) :]  # INBOX.Archive is the directory .Archive
        return user.maildir / ("." + _imap_utf7(folder).replace(self.separator, "."))

    def create_folder(self, user: MailUser, folder: str, *, special_use: str | None = None) -> None:
        """Create (and subscribe) ``folder``; idempotent.

        ``special_use`` (e.g. ``"\\\\Archive"``) is set for this folder name server-wide:
        see the module docstring.
        """
        if special_use is not None:
            self._check_special_use(folder, special_use)
        if not self.folder_path(user, folder).is_dir():
            if self.running:
                try:
                    self.doveadm("mailbox", "create", "-s", "-u", user.name, folder)
                except DoveadmError as exc:
                    if "already exists" not in str(exc):
                        raise
            else:  # doveadm needs the running server's auth service for the userdb
                self._create_folder_on_disk(user, folder)
        if not self.folder_path(user, folder).is_dir():
            raise RuntimeError(
                f"{folder!r} was created but not at {self.folder_path(user, folder)}"
            )
        if special_use is not None and self._register_special_use(folder, special_use):
            self._wait_special_use(user, folder, special_use)

    def _create_folder_on_disk(self, user: MailUser, folder: str) -> None:
        """What ``doveadm mailbox create -s`` does, for a stopped server."""
        parts = folder.split(self.separator)
        if any(not part or (self.separator == "/" and "." in part) for part in parts):
            raise ValueError(f"invalid folder name for Maildir++: {folder!r}")
        uid, gid = self._mail_uid, self._mail_gid
        directory = self.folder_path(user, folder)
        for path in (directory, directory / "cur", directory / "new", directory / "tmp"):
            path.mkdir(mode=0o700, exist_ok=True)
            os.chown(path, uid, gid)
        marker = directory / "maildirfolder"
        marker.touch(mode=0o600)
        os.chown(marker, uid, gid)
        subscriptions = user.maildir / "subscriptions"
        lines = ["V\t2", ""]
        if subscriptions.exists():
            lines = subscriptions.read_text().splitlines()
        entry = "\t".join(_imap_utf7(part) for part in parts)
        if entry not in lines[2:]:
            tmp = subscriptions.with_name("subscriptions.harness-tmp")
            tmp.write_text("\n".join([*lines, entry]) + "\n")
            os.chown(tmp, uid, gid)
            tmp.chmod(0o600)
            tmp.replace(subscriptions)

    def _check_special_use(self, folder: str, flag: str) -> None:
        if flag not in _SPECIAL_USE_FLAGS:
            raise ValueError(
                f"unknown special-use flag {flag!r}; one of {sorted(_SPECIAL_USE_FLAGS)}"
            )
        if '"' in folder or "\\" in folder or "\n" in folder:
            raise ValueError(f"folder name not usable in the config: {folder!r}")
        current = self._special_use.get(folder, flag)
        if current != flag:
            raise ValueError(
                f"{folder!r} already has special-use {current} on this server; "
                "special-use is per server name, start another server for this test"
            )

    def _register_special_use(self, folder: str, flag: str) -> bool:
        """Add the flag to the config; True if a running server was told to reload."""
        with self._lock:
            self._check_special_use(folder, flag)
            if folder in self._special_use:
                return False
            self._special_use[folder] = flag
            if self._prepared:
                self._write_config()
            if not self.running:
                return False
            assert self._proc is not None
            self._proc.send_signal(signal.SIGHUP)
            return True

    def _wait_special_use(self, user: MailUser, folder: str, flag: str) -> None:
        """Wait until a new IMAP login sees the reloaded config (SIGHUP is asynchronous)."""
        deadline = time.monotonic() + _RELOAD_TIMEOUT
        quoted = '"' + _imap_utf7(folder) + '"'
        while True:
            found = False
            # Logins may fail while Dovecot swaps its processes: retry until the deadline.
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                client = imaplib.IMAP4(self.host, self.imap_port, timeout=5)
                try:
                    client.login(user.name, user.password)
                    _, lines = client.list('""', quoted)
                    found = any(isinstance(x, bytes) and flag.encode() in x for x in lines)
                finally:
                    with contextlib.suppress(Exception):
                        client.logout()
            if found:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(self._failure(f"did not show {flag} on {folder!r} after reload"))
            time.sleep(0.05)

    # -- delivery ----------------------------------------------------------------------

    def deliver(
        self,
        user: MailUser,
        messages: Iterable[bytes],
        folder: str = "INBOX",
        flags: str | Callable[[int], str] = "",
        *,
        internaldate_from_header: bool = True,
    ) -> None:
        """Put ``messages`` into ``folder`` as Maildir files, fast (no IMAP, no LDA).

        ``flags`` are maildir letters (D \\Draft, F \\Flagged, R \\Answered, S \\Seen,
        T \\Deleted), either one string for all messages or a function of the message's
        index in this call.  Dovecot sees the messages at the next SELECT/NOOP/IDLE check,
        in delivery order.  The folder is created (and subscribed) if it does not exist.

        INTERNALDATE (the file's mtime) is the message's Date header, as if each had been
        received when sent (so SEARCH SINCE/BEFORE behave like on a real mailbox); with
        ``internaldate_from_header=False``, or without a parsable Date, it is now.
        """
        directory = self.folder_path(user, folder)
        if not (directory / "cur").is_dir():
            self.create_folder(user, folder)
        tmp_dir = f"{directory}/tmp/"
        cur_dir = f"{directory}/cur/"
        uid, gid = self._mail_uid, self._mail_gid
        suffix = f"P{os.getpid()}.{self._hostname}"
        flag_cache: dict[str, str] = {}

        def normalise(value: str) -> str:
            cached = flag_cache.get(value)
            if cached is None:
                if not set(value) <= _MAILDIR_FLAGS:
                    raise ValueError(f"maildir flags must be letters from DFRST: {value!r}")
                cached = flag_cache[value] = "".join(sorted(set(value)))
            return cached

        fixed = normalise(flags) if isinstance(flags, str) else ""
        flag_for = None if isinstance(flags, str) else flags
        open_flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        with self._lock:
            counter = self._counter
            for index, message in enumerate(messages):
                letters = fixed if flag_for is None else normalise(flag_for(index))
                base = (
                    f"{int(time.time())}.M{next(counter):09d}{suffix},"
                    f"S={len(message)},W={_virtual_size(message)}"
                )
                tmp_path = tmp_dir + base
                fd = os.open(tmp_path, open_flags, 0o600)
                try:
                    view = memoryview(message)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fchown(fd, uid, gid)
                    if internaldate_from_header:
                        sent = _header_date(message)
                        if sent is not None:
                            os.utime(fd, (sent, sent))
                finally:
                    os.close(fd)
                os.rename(tmp_path, f"{cur_dir}{base}:2,{letters}")

    # -- administration ----------------------------------------------------------------

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm -c CONFIG *args`` and return its stdout.

        Raises :class:`DoveadmError` (a RuntimeError with ``status``) on failure.  Mail
        commands (``-u USER``) need the server running: doveadm asks its auth service for
        the userdb.  A failure to reach that service (a reload in progress) is retried
        for up to 3 s.
        """
        with self._lock:
            self._prepare()
            if not self.config_path.exists():
                self._write_config()
        deadline = time.monotonic() + 3
        while True:
            result = subprocess.run(
                [_find_binary("doveadm"), "-c", str(self.config_path), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            transient = result.returncode == _EX_TEMPFAIL and "connect(" in result.stderr
            if not transient or not self.running or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if result.returncode != 0:
            raise DoveadmError(
                f"doveadm {' '.join(args)} failed with status {result.returncode}: "
                f"{result.stderr.strip()}",
                result.returncode,
            )
        return result.stdout

    def kick(self, user: MailUser) -> None:
        """Disconnect every IMAP/POP3 session of ``user`` (no error if there is none).

        The sessions' processes get SIGTERM; a client sees ``* BYE Server shutting
        down.`` and then EOF.
        """
        try:
            self.doveadm("kick", user.name)
        except DoveadmError as exc:
            if exc.status != _EX_NOUSER:  # 68: nobody to kick
                raise

    def log_tail(self, n: int = 50) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 200 * n - 4096))
                data = f.read()
        except FileNotFoundError:
            return "(no log yet)"
        return "\n".join(data.decode("utf-8", "replace").splitlines()[-n:])

    def ssl_context(self) -> ssl_module.SSLContext:
        """A verifying client context that trusts this server's CA."""
        return ssl_module.create_default_context(cafile=str(self.ca_pem))

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<DovecotServer {self.name} {state} ports={self._ports} at {self.base_dir}>"


# -- messages ---------------------------------------------------------------------------

_PEOPLE = (
    ("Alice Martin", "alice.martin@example.com"),
    ("Bob Nakamura", "bob@example.org"),
    ("Carol Díaz", "carol.diaz@example.net"),
    ("Dave O'Brien", "dave@corp.example.com"),
    ("Erin Walsh", "erin.walsh@example.com"),
    ("Zoë Krüger", "zoe@example.de"),
    ("Frank Li", "frank.li@example.com"),
    ("Łukasz Wiśniewski", "lukasz@example.pl"),
    ("Grace Hopper", "grace@navy.example.mil"),
    ("GitHub", "notifications@github.example.com"),
    ("李雷", "lilei@example.cn"),
    ("Heidi Svensson", "heidi@example.se"),
)
_ME = ("Test User", "me@example.com")
_TOPICS = (
    "Quarterly report",
    "Lunch on Friday?",
    "[tui-mail] Build #{n} failed",
    "Invoice {n:06d}",
    "Meeting notes \u2013 roadmap",
    "Grüße aus München",
    "Café tomorrow?",
    "Your order {n} has shipped",
    "日本語の件名 {n}",
    "🎉 Release v{n}",
    "Re: design review",
    "Weekly digest #{n}",
    "Security alert for your account",
    "Photos from the trip",
)
_PARAGRAPHS = (
    "Thanks for the update. I had a look at the numbers and they match what we\n"
    "discussed last week, so let us go ahead with the plan.",
    "Could you send me the latest version of the document before the meeting?\n"
    "I would like to go through it once more.",
    "The build on main failed in the integration stage; the log says the IMAP\n"
    "server closed the connection during IDLE.",
    "Ich melde mich morgen früh noch einmal, dann können wir alles Weitere klären.",
    "Attached are the minutes. Action items are at the bottom; please reply if\n"
    "anything is missing.",
    "On est toujours d'accord pour le déjeuner de vendredi ? Dis-moi l'heure qui\nt'arrange.",
    "Reminder: the maintenance window starts at 22:00 UTC and lasts two hours.",
)
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ZONES = (0, 60, -300, 330, 540, 120, -420)
_DATE_BASE = 1_704_067_200  # 2024-01-01T00:00:00Z; message i is 487 s later than i - 1
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})
_THREAD = 4  # messages i, i+1, i+2, i+3 with i % 4 == 0 form one reply chain


def _mix(i: int, salt: int) -> int:
    return ((i + 1) * 2654435761 + salt * 40503) & 0xFFFFFFFF


def _encode_words(text: str) -> str:
    """RFC 2047 B-encoding (UTF-8) of ``text``; ASCII is returned as is."""
    if text.isascii():
        return text
    words: list[str] = []
    chunk = ""
    for ch in text:
        if len((chunk + ch).encode()) > 45:
            words.append(chunk)
            chunk = ""
        chunk += ch
    words.append(chunk)
    return "\n ".join(f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words)


def _address(name: str, addr: str) -> str:
    if name.isascii():
        return f'"{name}" <{addr}>' if "'" in name or "," in name else f"{name} <{addr}>"
    return f"{_encode_words(name)} <{addr}>"


def _date(i: int) -> str:
    offset = _ZONES[_mix(i, 3) % len(_ZONES)]
    t = time.gmtime(_DATE_BASE + 487 * i + offset * 60)
    sign = "-" if offset < 0 else "+"
    zone = f"{sign}{abs(offset) // 60:02d}{abs(offset) % 60:02d}"
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} {zone}"
    )


def _message_id(i: int) -> str:
    return f"<{i}.{_mix(i, 7):08x}@mail.example.com>"


def _base_subject(i: int) -> str:
    return _TOPICS[_mix(i, 1) % len(_TOPICS)].format(n=i)


def _encode_override(header: str, value: str) -> str:
    if value.isascii():
        return value
    if header.lower() in _ADDRESS_HEADERS:
        return ", ".join(
            _address(name, addr) if name else addr for name, addr in getaddresses([value])
        )
    return _encode_words(value)


def make_message(i: int, **overrides: str) -> bytes:
    """A realistic, deterministic RFC 5322 message number ``i`` (LF line endings).

    Messages come in reply chains of four (``Re:`` subjects, In-Reply-To, References),
    dates advance 487 s per message from 2024-01-01 in assorted time zones, some
    subjects and display names are non-ASCII (RFC 2047), some bodies are 8-bit UTF-8 and
    every sixth message is multipart/alternative with an HTML part.

    ``overrides`` replace headers by name (``subject``, ``from_`` or ``from``, ``to``,
    ``cc``, ``date``, ``message_id``, ``in_reply_to``, ``references``; any other key
    becomes a header, ``x_mailer`` -> ``X-Mailer``) or the body (``body``, sent as
    text/plain UTF-8).  Non-ASCII values are RFC 2047-encoded; an empty value removes
    the header.
    """
    position = i % _THREAD
    root = i - position
    sender = _PEOPLE[_mix(i, 2) % len(_PEOPLE)]
    subject = _base_subject(root)
    if position:
        subject = "Re: " + subject
    headers: dict[str, str] = {
        "Date": _date(i),
        "From": _address(*sender),
        "To": _address(*_ME),
        "Subject": _encode_words(subject),
        "Message-ID": _message_id(i),
    }
    if _mix(i, 5) % 5 == 0:
        other = _PEOPLE[_mix(i, 6) % len(_PEOPLE)]
        headers["Cc"] = _address(*other)
    if position:
        headers["In-Reply-To"] = _message_id(i - 1)
        headers["References"] = " ".join(_message_id(j) for j in range(root, i))

    paragraphs = [_PARAGRAPHS[_mix(i, 10 + k) % len(_PARAGRAPHS)] for k in range(1 + i % 3)]
    first_name = sender[0].split()[0]
    text = "Hi,\n\n" + "\n\n".join(paragraphs) + f"\n\nBest,\n{first_name}\n\n-- \nmessage {i}\n"
    body_override = overrides.pop("body", None)
    if body_override is not None:
        text = body_override

    headers["MIME-Version"] = "1.0"
    eight_bit = not text.isascii()
    transfer = "8bit" if eight_bit else "7bit"
    if body_override is None and i % 6 == 5:
        boundary = f"=_alt_{_mix(i, 9):08x}"
        html_body = "".join(f"<p>{p.replace(chr(10), ' ')}</p>\n" for p in text.split("\n\n"))
        headers["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        body = (
            "This is a multi-part message in MIME format.\n\n"
            f"--{boundary}\n"
            "Content-Type: text/plain; charset=utf-8\n"
            f"Content-Transfer-Encoding: {transfer}\n\n"
            f"{text}\n"
            f"--{boundary}\n"
            "Content-Type: text/html; charset=utf-8\n"
            f"Content-Transfer-Encoding: {transfer}\n\n"
            f"<html><body>\n{html_body}</body></html>\n"
            f"--{boundary}--\n"
        )
    else:
        headers["Content-Type"] = "text/plain; charset=utf-8"
        headers["Content-Transfer-Encoding"] = transfer
        body = text
    for key, value in overrides.items():
        header = {
            "from_": "From",
            "message_id": "Message-ID",
        }.get(key) or "-".join(part.capitalize() for part in key.split("_"))
        for existing in list(headers):
            if existing.lower() == header.lower():
                del headers[existing]
        if value:
            headers[header] = _encode_override(header, value)
    head = "".join(f"{name}: {value}\n" for name, value in headers.items())
    return (head + "\n" + body).encode()


def iter_messages(start: int, count: int) -> Iterator[bytes]:
    """``make_message(i)`` for ``i`` in ``range(start, start + count)``."""
    return (make_message(i) for i in range(start, start + count))
