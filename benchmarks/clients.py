"""The three clients under test, each with a config the suite writes for it.

Every client talks implicit TLS to the same loopback Dovecot and trusts the suite's CA
the way its users would make it trust a private CA; every prompt (certificate trust,
folder creation, "really quit?") is answered by the config, so a launch runs unattended.
Each (client, mailbox) pair has its own directory holding its config and its cache, so
"empty cache" is one ``rmtree`` away.
"""

from __future__ import annotations

import compileall
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

from benchmarks.fixture import Mailbox
from benchmarks.machine import REPO_ROOT

HOST = "localhost"  # a name in the server certificate


class ClientFailedError(RuntimeError):
    """A client (or one of its commands) failed: the figure it was for has none."""


class Client:
    """How to configure, launch and quit one mail client."""

    name = ""
    program = ""
    quit_keys: tuple[str, ...] = ()
    scroll_keys: tuple[str, ...] = ("NPage",)

    def __init__(self, work_dir: Path, ca_pem: Path) -> None:
        self.root = work_dir / "clients" / self.name
        self.ca_pem = ca_pem

    def installed(self) -> bool:
        return shutil.which(self.program) is not None

    def home(self, mailbox: Mailbox) -> Path:
        path = self.root / mailbox.user.name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def cache_dir(self, mailbox: Mailbox) -> Path:
        return self.home(mailbox) / "cache"

    def clear_cache(self, mailbox: Mailbox) -> None:
        shutil.rmtree(self.cache_dir(mailbox), ignore_errors=True)
        self.cache_dir(mailbox).mkdir(parents=True)

    def prime_warm_cache(self, mailbox: Mailbox, port: int) -> None:
        """Make sure the cache is warm; by default the previous launch left it so."""

    def environment(self, mailbox: Mailbox, port: int) -> dict[str, str]:
        raise NotImplementedError

    def argv(self, mailbox: Mailbox, port: int) -> list[str]:
        raise NotImplementedError

    def pane_command(self, mailbox: Mailbox, port: int) -> str:
        """A shell command that ``exec``s the client, so the pane's pid is the client's."""
        assignments = [f"{key}={value}" for key, value in self.environment(mailbox, port).items()]
        return "exec " + shlex.join(["env", *assignments, *self.argv(mailbox, port)])


def compile_tree(root: Path = REPO_ROOT) -> None:
    """Byte-compile the tui_mail under `root`, as installing it does (pip compiles a
    package's modules). Otherwise a shell with PYTHONDONTWRITEBYTECODE=1 (this machine's)
    makes every launch compile all of our modules again: 0.10-0.14 s of each start-up
    figure (docs/BENCHMARKS.md, "Start-up")."""
    compileall.compile_dir(root / "tui_mail", quiet=1)


class TuiMail(Client):
    name = "tui-mail"
    program = "tui-mail"
    quit_keys = ("q",)

    def __init__(self, work_dir: Path, ca_pem: Path, *, compress: bool = True) -> None:
        super().__init__(work_dir, ca_pem)
        self.compress = compress
        compile_tree()

    def installed(self) -> bool:
        return True  # run from this checkout with the benchmark's own interpreter

    def _config(self, mailbox: Mailbox, port: int) -> Path:
        home = self.home(mailbox)
        secret = home / "password"
        secret.write_text(mailbox.user.password + "\n")
        secret.chmod(0o600)
        config = home / f"config-{port}.toml"
        config.write_text(
            "[[accounts]]\n"
            'name = "bench"\n'
            f'email = "{mailbox.user.name}@example.com"\n'
            f'username = "{mailbox.user.name}"\n'
            f"password_command = {_toml_string('cat ' + shlex.quote(str(secret)))}\n"
            f"ca_file = {_toml_string(str(self.ca_pem))}\n"
            + ("" if self.compress else "compress = false\n")
            + "\n[accounts.imap]\n"
            f'host = "{HOST}"\n'
            f"port = {port}\n"
            'security = "tls"\n'
        )
        return config

    def environment(self, mailbox: Mailbox, port: int) -> dict[str, str]:
        return {
            "TUI_MAIL_CONFIG": str(self._config(mailbox, port)),
            "TUI_MAIL_DATA_DIR": str(self.cache_dir(mailbox)),
            # The tui-mail next to this benchmark, even when the venv has another checkout
            # installed (a copy of the tree benchmarked while the original keeps changing).
            "PYTHONPATH": str(REPO_ROOT),
        }

    def argv(self, mailbox: Mailbox, port: int) -> list[str]:
        return self.cli_argv()

    def cli_argv(self, *args: str) -> list[str]:
        """``tui-mail ARGS`` as a user runs it: the console script next to our Python."""
        script = Path(sys.executable).with_name("tui-mail")
        if script.exists():
            return [str(script), *args]
        return [sys.executable, "-m", "tui_mail", *args]

    def cli_env(self, mailbox: Mailbox, port: int) -> dict[str, str]:
        return {**os.environ, **self.environment(mailbox, port)}

    def prime_warm_cache(self, mailbox: Mailbox, port: int) -> None:
        # Whatever the TUI leaves behind, a synced folder is what "warm" means here.
        done = subprocess.run(
            [*self.cli_argv("sync"), "-f", "INBOX"],
            env=self.cli_env(mailbox, port),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if done.returncode != 0:
            raise ClientFailedError(f"tui-mail sync exited with {done.returncode}: {done.stderr}")


class Aerc(Client):
    name = "aerc"
    program = "aerc"
    quit_keys = (":quit", "Enter")

    def environment(self, mailbox: Mailbox, port: int) -> dict[str, str]:
        home = self.home(mailbox)
        config = home / "config" / "aerc"
        config.mkdir(parents=True, exist_ok=True)
        user = quote(mailbox.user.name, safe="")
        password = quote(mailbox.user.password, safe="")
        accounts = config / "accounts.conf"
        accounts.write_text(
            "[bench]\n"
            f"source = imaps://{user}:{password}@{HOST}:{port}\n"
            "outgoing = /bin/true\n"
            "default = INBOX\n"
            f"from = Bench <{mailbox.user.name}@example.com>\n"
            "cache-headers = true\n"
        )
        accounts.chmod(0o600)  # aerc refuses a readable accounts.conf
        (config / "aerc.conf").touch()
        return {
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(self.cache_dir(mailbox)),
            # Go's crypto/tls reads extra roots from here: how aerc trusts a private CA.
            "SSL_CERT_FILE": str(self.ca_pem),
        }

    def argv(self, mailbox: Mailbox, port: int) -> list[str]:
        return ["aerc"]


class Neomutt(Client):
    name = "neomutt"
    program = "neomutt"
    quit_keys = ("q",)

    def environment(self, mailbox: Mailbox, port: int) -> dict[str, str]:
        return {"HOME": str(self.home(mailbox))}

    def argv(self, mailbox: Mailbox, port: int) -> list[str]:
        home = self.home(mailbox)
        muttrc = home / "muttrc"
        settings = {
            "imap_user": mailbox.user.name,
            "imap_pass": mailbox.user.password,
            "folder": f"imaps://{HOST}:{port}/",
            "spoolfile": "+INBOX",
            "ssl_ca_certificates_file": str(self.ca_pem),
            "certificate_file": str(home / "certificates"),
            "header_cache": str(self.cache_dir(mailbox)) + "/",
            # Newest first, like the other two, so the newest rows are on the first screen.
            "sort": "reverse-date",
            "record": "",
            "postponed": "",
            "mbox": "",
            "move": "no",
            "quit": "yes",
            "imap_check_subscribed": "no",
            "mail_check_stats": "no",
            # IDLE, and look at the socket every second: the quickest neomutt notices mail.
            "imap_idle": "yes",
            "timeout": "1",
            "mail_check": "1",
        }
        muttrc.write_text(
            "".join(f"set {key} = {_mutt_string(v)}\n" for key, v in settings.items())
        )
        muttrc.chmod(0o600)
        return ["neomutt", "-n", "-F", str(muttrc)]


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _mutt_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


ALL_CLIENTS: tuple[type[Client], ...] = (TuiMail, Aerc, Neomutt)
