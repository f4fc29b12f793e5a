"""Real local servers for the account set-up tests: HTTPS (autoconfig, an OAuth2 provider
double), DNS (MX, SRV), SMTP submission (aiosmtpd with STARTTLS and AUTH), and a keyring
backend that keeps its entries in a file, so that separate processes share it.

Select the keyring in a subprocess with
``PYTHON_KEYRING_BACKEND=tests.support.setup_servers.FileKeyring`` and
``TUI_MAIL_TEST_KEYRING=/path/file.json`` (the repository root on PYTHONPATH).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.resolver
import dns.rrset
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword
from keyring.backend import KeyringBackend

# -- keyring ----------------------------------------------------------------------------


class FileKeyring(KeyringBackend):
    """Entries in the JSON file named by $TUI_MAIL_TEST_KEYRING (tests only: plaintext)."""

    priority = -10  # never chosen unless asked for

    @staticmethod
    def _path() -> Path:
        return Path(os.environ["TUI_MAIL_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path().read_text())
        except FileNotFoundError:
            return {}
        return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\t{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\t{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\t{username}", None)
        self._path().write_text(json.dumps(data))


def read_file_keyring(path: Path) -> dict[tuple[str, str], str]:
    if not path.exists():
        return {}
    raw: dict[str, str] = json.loads(path.read_text())
    return {tuple(key.split("\t", 1)): value for key, value in raw.items()}  # type: ignore[misc]


# -- certificates -----------------------------------------------------------------------


@dataclass
class LocalCA:
    """A trustme CA whose PEM is on disk, issuing server contexts for any names."""

    directory: Path
    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.ca.cert_pem.write_to_path(str(self.pem))

    @property
    def pem(self) -> Path:
        return self.directory / "test-ca.pem"

    def server_context(self, *names: str) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.ca.issue_cert(*names).configure_cert(context)
        return context

    def bundle_with(self, *others: Path) -> Path:
        """One PEM file trusting this CA and others (an account has one ca_file)."""
        bundle = self.directory / "bundle.pem"
        bundle.write_bytes(b"".join(p.read_bytes() for p in (self.pem, *others)))
        return bundle


# -- HTTP(S) ----------------------------------------------------------------------------

Route = Callable[["Request"], tuple[int, dict[str, str], bytes]]


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    host: str
    body: str = ""
    content_type: str = ""


class WebServer:
    """A threaded HTTP server on loopback, HTTPS when given a context; routes by path."""

    def __init__(self, context: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                request = Request(self.command, parts.path, parse_qs(parts.query),
                                  parse_qs(body), self.headers.get("Host", ""), body,
                                  self.headers.get("Content-Type", ""))  # fmt: skip
                outer.requests.append(request)
                route = outer.routes.get(parts.path)
                status, headers, payload = (
                    (404, {}, b"not here") if route is None else route(request)
                )
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _serve

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if context is not None:
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port: int = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def json_reply(status: int, data: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


# -- OAuth2 provider double -------------------------------------------------------------


class OAuthProvider:
    """Device authorization, token (device and refresh grants) and RFC 7662 introspection.

    `script` lists the answers to successive device-code polls ("pending", "slow_down",
    "expired", "denied", or "approve"); access tokens are issued as tok-1, tok-2...
    The introspection endpoint (plain HTTP: Dovecot calls it) accepts only tokens issued
    and not revoked, for `username`.
    """

    def __init__(self, ca: LocalCA, username: str, *, interval: float = 0.01,
                 expires_in: int = 600) -> None:  # fmt: skip
        self.https = WebServer(ca.server_context("localhost", "127.0.0.1"))
        self.http = WebServer()
        self.username = username
        self.interval = interval
        self.expires_in = expires_in
        self.script: list[str] = ["approve"]
        self.issued: list[str] = []
        self.refresh_tokens: set[str] = set()
        self.polls = 0
        self.token_lifetime = 3600
        self.codes: dict[str, tuple[str, str]] = {}
        """Authorization codes the "browser" got: code -> (PKCE challenge, redirect_uri)."""
        self.code_forms: list[dict[str, str]] = []
        self.https.routes["/device"] = self._device
        self.https.routes["/token"] = self._token
        self.http.routes["/introspect"] = self._introspect

    @property
    def device_endpoint(self) -> str:
        return f"https://localhost:{self.https.port}/device"

    @property
    def token_endpoint(self) -> str:
        return f"https://localhost:{self.https.port}/token"

    @property
    def introspection_url(self) -> str:
        return f"http://127.0.0.1:{self.http.port}/introspect"

    def issue(self) -> dict[str, Any]:
        access = f"tok-{len(self.issued) + 1}"
        refresh = f"refresh-{len(self.issued) + 1}"
        self.issued.append(access)
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "token_type": "Bearer", "refresh_token": refresh,
                "expires_in": self.token_lifetime}  # fmt: skip

    def _device(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        if request.form.get("client_id") != ["my-client"]:
            return json_reply(400, {"error": "invalid_client"})
        return json_reply(200, {
            "device_code": "dev-123", "user_code": "WDJB-MJHT",
            "verification_uri": "https://localhost/device",
            "expires_in": self.expires_in, "interval": self.interval,
        })  # fmt: skip

    def _token(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        grant = request.form.get("grant_type", [""])[0]
        if grant == "authorization_code":
            return self._code(request)
        if grant == "refresh_token":
            token = request.form.get("refresh_token", [""])[0]
            if token not in self.refresh_tokens:
                return json_reply(400, {"error": "invalid_grant",
                                        "error_description": "refresh token revoked"})  # fmt: skip
            self.refresh_tokens.discard(token)
            return json_reply(200, self.issue())
        self.polls += 1
        step = self.script.pop(0) if self.script else "approve"
        errors = {"pending": "authorization_pending", "slow_down": "slow_down",
                  "expired": "expired_token", "denied": "access_denied"}  # fmt: skip
        if step in errors:
            return json_reply(400, {"error": errors[step]})
        return json_reply(200, self.issue())

    def _code(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        """The loopback flow's exchange: the code from `codes`, with its PKCE verifier."""
        form = {key: values[0] for key, values in request.form.items()}
        expected = self.codes.pop(form.get("code", ""), None)
        if expected is None:
            return json_reply(400, {"error": "invalid_grant"})
        challenge, redirect_uri = expected
        digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != challenge:
            return json_reply(400, {"error": "invalid_grant", "error_description": "PKCE"})
        if form.get("redirect_uri") != redirect_uri or form.get("client_id") != "my-client":
            return json_reply(400, {"error": "invalid_request"})
        self.code_forms.append(form)
        return json_reply(200, self.issue())

    def _introspect(self, request: Request) -> tuple[int, dict[str, str], bytes]:
        token = request.form.get("token", [""])[0]
        if token in self.issued:
            return json_reply(200, {"active": True, "username": self.username})
        return json_reply(200, {"active": False})

    def close(self) -> None:
        self.https.close()
        self.http.close()


# -- DNS --------------------------------------------------------------------------------


class DnsServer:
    """Answers A/MX/SRV/... from `records` {(name, type): [rdata text]} over UDP; NXDOMAIN else."""

    def __init__(self, records: dict[tuple[str, str], list[str]]) -> None:
        self.records = {(name.rstrip(".").lower(), kind): data
                        for (name, kind), data in records.items()}  # fmt: skip
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.queries: list[tuple[str, str]] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.lifetime = 2.0
        return resolver

    def _serve(self) -> None:
        while True:
            try:
                data, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            query = dns.message.from_wire(data)
            response = dns.message.make_response(query)
            question = query.question[0]
            name = question.name.to_text(omit_final_dot=True).lower()
            kind = dns.rdatatype.to_text(question.rdtype)
            self.queries.append((name, kind))
            answers = self.records.get((name, kind))
            if answers:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, 60, dns.rdataclass.IN, kind, answers)
                )
            elif not any(known == name for known, _ in self.records):
                response.set_rcode(dns.rcode.NXDOMAIN)
            self.sock.sendto(response.to_wire(), peer)

    def close(self) -> None:
        self.sock.close()


# -- SMTP -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Authenticator:
    def __init__(self, users: dict[str, str]) -> None:
        self.users = users
        self.logins: list[str] = []

    def __call__(self, server: SMTP, session: Any, envelope: Any, mechanism: str,
                 data: Any) -> AuthResult:  # fmt: skip
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.users.get(user) == password:
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


class _Sink:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


class _BearerSink(_Sink):
    """Also offers XOAUTH2, accepting the tokens `accept(user, token)` approves."""

    def __init__(self, accept: Callable[[str, str], bool]) -> None:
        super().__init__()
        self.accept = accept
        self.bearer_logins: list[str] = []

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        decoded = base64.b64decode(args[1]).decode() if len(args) > 1 else ""
        said = dict(part.split("=", 1) for part in decoded.split("\x01") if "=" in part)
        user, token = said.get("user", ""), said.get("auth", "").removeprefix("Bearer ")
        ok = self.accept(user, token)
        if ok:
            self.bearer_logins.append(token)
        return AuthResult(success=ok, handled=False, auth_data=LoginPassword(user.encode(), b""))


@contextmanager
def smtp_server(
    ca: LocalCA, users: dict[str, str], *names: str,
    bearer: Callable[[str, str], bool] | None = None,
) -> Iterator[tuple[int, Any]]:  # fmt: skip
    """Submission on a loopback port: STARTTLS required, AUTH PLAIN/LOGIN after it (and
    XOAUTH2 with `bearer`; then the handler, with its bearer_logins, is yielded)."""
    authenticator = _Authenticator(users)
    context = ca.server_context(*(names or ("localhost", "127.0.0.1")))
    port = free_port()
    handler = _Sink() if bearer is None else _BearerSink(bearer)
    controller = Controller(
        handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator, auth_require_tls=True,
    )  # fmt: skip
    controller.start()
    try:
        yield port, authenticator if bearer is None else handler
    finally:
        controller.stop()


def xoauth2(user: str, token: str) -> str:
    return base64.b64encode(f"user={user}\1auth=Bearer {token}\1\1".encode()).decode()
