"""The config file as users write it: what loads, and what each mistake tells them."""

from __future__ import annotations

import stat
import textwrap
from dataclasses import fields
from pathlib import Path

import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_mail.config import (
    DEFAULT_BODY_CACHE_MAX_BYTES,
    AccountConfig,
    AppConfig,
    OAuth2Config,
    Pop3Config,
    ServerConfig,
    config_path,
    data_path,
    load_config,
    save_config,
)
from tui_mail.core.errors import ConfigError, UsageError

WORK = """
[[accounts]]
name = "work"
email = "me@example.org"

[accounts.imap]
host = "imap.example.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


def with_imap(table: str) -> str:
    return f'[[accounts]]\nname = "work"\nemail = "me@example.org"\n\n[accounts.imap]\n{table}\n'


# What loads


def test_minimal_account_gets_the_documented_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, WORK))

    account = config.account(None)
    assert account == AccountConfig(
        name="work",
        email="me@example.org",
        username="me@example.org",
        imap=ServerConfig("imap.example.org", 993, "tls"),
    )
    assert account.display_name == ""
    assert account.auth == "password"
    assert account.type == "imap"
    assert account.allow_insecure is False
    assert account.body_cache_max_bytes == DEFAULT_BODY_CACHE_MAX_BYTES == 52428800
    assert config.keymap == {}
    assert config.theme is None


def test_full_account_as_documented(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    config = load_config(
        write(
            tmp_path,
            f"""
            [[accounts]]
            name = "work"
            email = "me@example.org"
            display_name = "Me"
            username = "me"
            auth = "oauth2"
            ca_file = "{ca}"
            body_cache_max_bytes = 1000

            [accounts.imap]
            host = "imap.example.org"
            port = 1993
            security = "tls"

            [accounts.smtp]
            host = "smtp.example.org"
            port = 587
            security = "starttls"

            [accounts.oauth2]
            token_command = "oama access me@example.org"

            [[accounts]]
            name = "home"
            email = "me@home.example"
            password_command = "pass show mail/home"
            allow_insecure = true

            [accounts.imap]
            host = "127.0.0.1"
            security = "plain"

            [keymap]
            quit = "ctrl+q"
            "app.compose" = "c"

            [ui]
            theme = "nord"
            """,
        )
    )

    work, home = config.accounts
    assert work.display_name == "Me"
    assert work.username == "me"
    assert work.auth == "oauth2"
    assert work.ca_file == ca
    assert work.body_cache_max_bytes == 1000
    assert work.imap == ServerConfig("imap.example.org", 1993, "tls")
    assert work.smtp == ServerConfig("smtp.example.org", 587, "starttls")
    assert work.oauth2 == OAuth2Config("oama access me@example.org")
    assert home.password_command == "pass show mail/home"
    assert home.imap == ServerConfig("127.0.0.1", 143, "plain")
    assert config.account("home") is home
    assert config.keymap == {"quit": "ctrl+q", "app.compose": "c"}
    assert config.theme == "nord"


@pytest.mark.parametrize(
    ("server", "expected"),
    [
        ('[accounts.imap]\nhost = "h"\nsecurity = "starttls"', ServerConfig("h", 143, "starttls")),
        ('[accounts.imap]\nhost = "h"\nport = 143', ServerConfig("h", 143, "starttls")),
        ('[accounts.smtp]\nhost = "h"', ServerConfig("h", 465, "tls")),
        ('[accounts.smtp]\nhost = "h"\nsecurity = "starttls"', ServerConfig("h", 587, "starttls")),
        ('[accounts.smtp]\nhost = "h"\nport = 587', ServerConfig("h", 587, "starttls")),
        ('[accounts.smtp]\nhost = "h"\nport = 25', ServerConfig("h", 25, "starttls")),
    ],
)
def test_ports_and_security_default_from_each_other(
    tmp_path: Path, server: str, expected: ServerConfig
) -> None:
    text = with_imap(server.removeprefix("[accounts.imap]\n")) if "imap" in server else WORK
    if "smtp" in server:
        text += f"\n{server}\n"
    account = load_config(write(tmp_path, text)).account("work")

    assert (account.imap if "imap" in server else account.smtp) == expected


def test_smtp_plain_defaults_to_port_25_when_allowed(tmp_path: Path) -> None:
    text = WORK.replace("[accounts.imap]", "allow_insecure = true\n[accounts.imap]")
    account = load_config(
        write(tmp_path, f'{text}\n[accounts.smtp]\nhost = "h"\nsecurity = "plain"\n')
    ).account(None)

    assert account.smtp == ServerConfig("h", 25, "plain")


def test_relative_and_home_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Mail" / "work").mkdir(parents=True)
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("pem")
    config = load_config(
        write(
            tmp_path,
            """
            [[accounts]]
            name = "local"
            email = "me@example.org"
            type = "maildir"
            path = "~/Mail/work"
            ca_file = "certs/ca.pem"
            """,
        )
    )

    account = config.account("local")
    assert account.path == tmp_path / "Mail" / "work"
    assert account.ca_file == tmp_path / "certs" / "ca.pem"
    assert account.imap is None


def test_pop3_account_needs_server_and_path_that_may_not_exist_yet(tmp_path: Path) -> None:
    account = load_config(
        write(
            tmp_path,
            f"""
            [[accounts]]
            name = "old"
            email = "me@example.org"
            type = "pop3"
            path = "{tmp_path / "pop"}"

            [accounts.pop3]
            host = "pop.example.org"
            """,
        )
    ).account("old")

    assert account.pop3 == Pop3Config("pop.example.org", 995, "tls")
    assert account.path == tmp_path / "pop"


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + WORK.encode())

    assert load_config(path).account(None).name == "work"


# Choosing an account


def test_unknown_account_names_the_known_ones(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, WORK))

    with pytest.raises(UsageError) as caught:
        config.account("wrok")

    assert str(caught.value) == (
        f'no account named "wrok" in {tmp_path / "config.toml"}; known accounts: "work" '
        '(did you mean "work"?)'
    )


# Finding the file


def test_config_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TUI_MAIL_CONFIG", raising=False)
    assert config_path() == tmp_path / "xdg" / "tui-mail" / "config.toml"

    monkeypatch.setenv("TUI_MAIL_CONFIG", str(tmp_path / "env.toml"))
    assert config_path() == tmp_path / "env.toml"
    assert config_path(tmp_path / "flag.toml") == tmp_path / "flag.toml"
    assert config_path(str(tmp_path / "flag.toml")) == tmp_path / "flag.toml"


def test_data_path_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("TUI_MAIL_DATA_DIR", raising=False)
    assert data_path() == tmp_path / "xdg" / "tui-mail"

    monkeypatch.setenv("TUI_MAIL_DATA_DIR", str(tmp_path / "data"))
    assert data_path() == tmp_path / "data"
    assert not (tmp_path / "data").exists()


# Saving


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    (tmp_path / "maildir").mkdir()
    ca = tmp_path / "ca.pem"
    ca.write_text("pem")
    config = AppConfig(
        path=tmp_path / "sub" / "config.toml",
        accounts=(
            AccountConfig(
                name="work",
                email="me@example.org",
                display_name='Me "Quoted" Person',
                username="me",
                auth="oauth2",
                ca_file=ca,
                imap=ServerConfig("imap.example.org", 993, "tls"),
                smtp=ServerConfig("smtp.example.org", 587, "starttls"),
                oauth2=OAuth2Config("oama access me@example.org"),
                body_cache_max_bytes=10,
                offline_days=30,
                offline_max_mb=200,
            ),
            AccountConfig(
                name="short", email="s@example.org", imap=ServerConfig("h", 143, "starttls")
            ),
            AccountConfig(
                name="local",
                email="l@example.org",
                password_command="pass show mail/local",
                allow_insecure=True,
                type="maildir",
                path=tmp_path / "maildir",
                smtp=ServerConfig("localhost", 25, "plain"),
            ),
        ),
        keymap={"quit": "ctrl+q", "app.compose": "c"},
        theme="nord",
    )

    save_config(config)

    assert load_config(config.path) == config
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600
    text = config.path.read_text()
    assert text.count("[[accounts]]") == 3  # block tables, not inline ones, even when short
    assert [p.name for p in config.path.parent.iterdir()] == ["config.toml"]  # no temp left


def test_offline_days_is_off_by_default_and_bounded(tmp_path: Path) -> None:
    account = load_config(write(tmp_path, WORK)).account(None)
    assert (account.offline_days, account.offline_max_mb) == (0, 1024)
    set_days = WORK.replace("[accounts.imap]", "offline_days = 30\n[accounts.imap]")
    assert load_config(write(tmp_path, set_days)).account(None).offline_days == 30
    too_many = WORK.replace("[accounts.imap]", "offline_days = 5000\n[accounts.imap]")
    assert "offline_days is 5000 (a number); expected an integer from 0 to 3650" in error_for(
        tmp_path, too_many
    )
    no_room = WORK.replace("[accounts.imap]", "offline_max_mb = 0\n[accounts.imap]")
    assert "offline_max_mb is 0 (a number); expected an integer from 1" in error_for(
        tmp_path, no_room
    )


def test_save_replaces_an_existing_file_and_keeps_a_dotfiles_symlink(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text(WORK)
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    config = load_config(link)
    renamed = AppConfig(
        link, (AccountConfig("job", "me@example.org", imap=config.accounts[0].imap),)
    )

    save_config(renamed)

    assert link.is_symlink()
    assert load_config(real).account(None).name == "job"
    assert stat.S_IMODE(real.stat().st_mode) == 0o600


def test_save_refuses_what_load_would_refuse_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = write(tmp_path, WORK)
    bad = AppConfig(
        path, (AccountConfig("work", "me@example.org", imap=ServerConfig("h", 0, "tls")),)
    )

    with pytest.raises(ConfigError, match=r"imap\.port is 0 \(a number\)"):
        save_config(bad)

    assert path.read_text() == textwrap.dedent(WORK)


# What each mistake says


def test_missing_file_says_how_to_create_one(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    message = str(caught.value)
    assert message.startswith(f"{path}: no configuration file. Create it")
    assert "[[accounts]]" in message
    assert 'name = "work"' in message
    assert "[accounts.imap]" in message
    assert "--config" in message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_toml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[[accounts]]\nname = "work"\nemail = me@example.org\n')

    assert message.endswith(
        "TOML syntax error at line 3, column 9: Invalid value "
        '(text values need quotes: name = "work")'
    )


def test_toml_syntax_error_does_not_echo_an_unquoted_password(tmp_path: Path) -> None:
    message = error_for(tmp_path, WORK + "password = hunter2\n")

    assert "hunter2" not in message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(WORK.encode() + b'display_name = "\xff"\n')

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert str(caught.value) == f"{path}: line 8 is not valid UTF-8; save the file as UTF-8"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            WORK.replace('email = "me@example.org"', 'emial = "me@example.org"'),
            'account "work": unknown key "emial" (did you mean "email"?); expected: name, email,',
        ),
        (
            with_imap('host = "h"\nhots = "h"\nsecurty = "tls"'),
            'account "work": unknown keys "imap.hots" (did you mean "imap.host"?), '
            '"imap.securty" (did you mean "imap.security"?); expected: imap.host, imap.port, '
            "imap.security",
        ),
        (
            WORK + '\n[colours]\nx = "red"\n',
            'unknown key "colours"; expected: accounts, keymap, bind, ui',
        ),
        (WORK + '\n[ui]\nthem = "nord"\n', 'unknown key "ui.them" (did you mean "ui.theme"?)'),
    ],
)
def test_unknown_keys_are_named_with_likely_typos(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_imap('host = "h"\nsecurity = "ssl"'),
            'account "work": imap.security is "ssl"; expected one of "tls", "starttls", "plain"',
        ),
        (
            with_imap('host = "h"\nport = "993"'),
            'account "work": imap.port is "993"; expected an integer from 1 to 65535 '
            "(without quotes)",
        ),
        (
            with_imap('host = "h"\nport = 99999'),
            'account "work": imap.port is 99999 (a number); expected an integer from 1 to 65535',
        ),
        (
            with_imap('host = "h"\nport = 0'),
            'account "work": imap.port is 0 (a number); expected an integer from 1 to 65535',
        ),
        (
            with_imap('host = "h"\nport = true'),
            'account "work": imap.port is true (a boolean); expected an integer from 1 to 65535',
        ),
        (
            WORK.replace("[accounts.imap]", 'allow_insecure = "yes"\n[accounts.imap]'),
            'account "work": allow_insecure is "yes"; expected true or false',
        ),
        (
            WORK.replace("[accounts.imap]", 'auth = "kerberos"\n[accounts.imap]'),
            'account "work": auth is "kerberos"; expected one of "password", "oauth2"',
        ),
        (
            WORK.replace("[accounts.imap]", 'type = "mbox"\n[accounts.imap]'),
            'account "work": type is "mbox"; expected one of "imap", "maildir", "pop3"',
        ),
        (
            WORK.replace("[accounts.imap]", "body_cache_max_bytes = -1\n[accounts.imap]"),
            'account "work": body_cache_max_bytes is -1 (a number); expected an integer from 0',
        ),
        (
            WORK.replace('email = "me@example.org"', "email = 42"),
            'account "work": email is 42 (a number); expected the address you send from',
        ),
        (
            WORK.replace('email = "me@example.org"', 'email = "me at example.org"'),
            'account "work": email is "me at example.org"; expected an address like',
        ),
        (
            WORK.replace('name = "work"', 'name = "my work"'),
            'account "my work": name is "my work"; expected up to 64 letters, digits and',
        ),
        (
            with_imap('host = "imaps://imap.example.org"'),
            'account "work": imap.host is "imaps://imap.example.org"; expected a bare host name',
        ),
        (
            with_imap('host = "imap.example.org:993"'),
            'imap.host is "imap.example.org:993"; expected a bare host name like '
            '"imap.example.org" (no scheme, user or port; the port goes in port = ...)',
        ),
        (
            with_imap('host = ""'),
            'account "work": imap.host is ""; expected the server name',
        ),
        (
            WORK.replace("[accounts.imap]", "imap = 3\n[accounts.imap2]"),
            'account "work": imap is 3 (a number); expected a table, e.g. [accounts.imap]',
        ),
        ('accounts = "work"\n', 'accounts is "work"; expected [[accounts]] tables'),
        ('[accounts]\nname = "work"\n', "accounts is a table; expected [[accounts]] tables (note"),
        ("accounts = [1]\n", "accounts[0] is 1 (a number); expected an [[accounts]] table"),
        (WORK + "\n[keymap]\nquit = 1\n", "keymap.quit is 1 (a number); expected a string of keys"),
        (
            WORK + '\n[keymap]\napp.quit = "q"\n',
            'keymap.app is a table; expected a string of keys, e.g. "ctrl+q" or "q,escape" '
            '(quote ids that contain dots: "app.quit" = "ctrl+q")',
        ),
        (WORK + "\n[ui]\ntheme = 1\n", "ui.theme is 1 (a number); expected a non-empty string"),
    ],
)
def test_wrong_values_name_account_field_value_and_expectation(
    tmp_path: Path, text: str, expected: str
) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "no accounts configured; add one, for example:"),
        (
            '[[accounts]]\nemail = "me@example.org"\n[accounts.imap]\nhost = "h"\n',
            "accounts[0] (the 1st [[accounts]] table): name is missing; expected a short name",
        ),
        (
            WORK + '[[accounts]]\nname = "x"\n[[accounts]]\nemail = "me@example.org"\n',
            'account "x": email is missing; expected the address you send from',
        ),
        (
            WORK + '[[accounts]]\nname = ""\nemail = "a@b"\n[accounts.imap]\nhost = "h"\n',
            'accounts[1] (the 2nd [[accounts]] table): name is ""; expected a short name',
        ),
        (
            '[[accounts]]\nname = "work"\nemail = "me@example.org"\n',
            'account "work": [accounts.imap] is missing; type = "imap" needs the server',
        ),
        (
            with_imap("port = 993"),
            'account "work": imap.host is missing; expected the server name, e.g. host = ',
        ),
        (
            WORK.replace("[accounts.imap]", 'type = "maildir"\n[accounts.smtp]'),
            'account "work": path is missing; type = "maildir" needs the mail directory',
        ),
        (
            WORK.replace("[accounts.imap]", 'type = "pop3"\npath = "/tmp"\n[accounts.smtp]'),
            'account "work": [accounts.pop3] is missing; type = "pop3" needs the server',
        ),
    ],
)
def test_missing_required_fields(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


def test_duplicate_account_names(tmp_path: Path) -> None:
    message = error_for(tmp_path, WORK + WORK)

    assert message.endswith(
        'account "work": name "work" is already used by accounts[0]; account names must be unique'
    )


def test_plain_without_allow_insecure_explains_why(tmp_path: Path) -> None:
    message = error_for(tmp_path, with_imap('host = "h"\nsecurity = "plain"'))

    assert 'account "work": imap.security is "plain", but allow_insecure is not true.' in message
    assert "unencrypted" in message
    assert 'Use "tls" or "starttls"' in message
    assert "set allow_insecure = true on the account" in message


def test_missing_ca_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pem"
    text = WORK.replace("[accounts.imap]", f'ca_file = "{missing}"\n[accounts.imap]')

    message = error_for(tmp_path, text)

    assert f'account "work": ca_file is "{missing}" ({missing}), which does not exist;' in message
    assert "expected a PEM file" in message


def test_ca_file_that_is_a_directory(tmp_path: Path) -> None:
    text = WORK.replace("[accounts.imap]", f'ca_file = "{tmp_path}"\n[accounts.imap]')

    assert "which is a directory" in error_for(tmp_path, text)


def test_maildir_path_must_exist(tmp_path: Path) -> None:
    text = WORK.replace("[accounts.imap]", 'type = "maildir"\npath = "nope"\n[accounts.smtp]')

    message = error_for(tmp_path, text)

    assert f'account "work": path is "nope" ({tmp_path / "nope"}), which does not exist;' in message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            WORK.replace("[accounts.imap]", 'path = "~/Mail"\n[accounts.imap]'),
            'account "work": path is set, but type is "imap"',
        ),
        (
            WORK + '[accounts.pop3]\nhost = "h"\n',
            'account "work": [accounts.pop3] is set, but type is "imap"',
        ),
        (
            WORK + '[accounts.oauth2]\ntoken_command = "x"\n',
            'account "work": [accounts.oauth2] is set, but auth is "password"',
        ),
        (
            WORK.replace(
                "[accounts.imap]",
                'auth = "oauth2"\npassword_command = "pass x"\n[accounts.imap]',
            ),
            'account "work": password_command is set, but auth is "oauth2"; use '
            "[accounts.oauth2] token_command",
        ),
    ],
)
def test_settings_that_do_not_fit_the_account(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in error_for(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (WORK.replace("[accounts.imap]", 'password = "hunter2"\n[accounts.imap]'), "password"),
        (with_imap('host = "h"\npassword = "hunter2"'), "imap.password"),
        (WORK + '[accounts.smtp]\nhost = "h"\npass = "hunter2"\n', "smtp.pass"),
        (
            WORK.replace("[accounts.imap]", 'auth = "oauth2"\n[accounts.imap]')
            + '[accounts.oauth2]\nrefresh_token = "hunter2"\n',
            "oauth2.refresh_token",
        ),
    ],
)
def test_a_password_in_the_config_is_refused_without_echoing_it(
    tmp_path: Path, text: str, field: str
) -> None:
    message = error_for(tmp_path, text)

    assert f'account "work": {field} is set, but secrets don\'t belong in the config file' in (
        message
    )
    assert '"tui-mail set-password -a work"' in message
    assert 'password_command = "pass show mail/work"' in message
    assert "hunter2" not in message


def test_password_in_an_unnamed_account_is_refused_before_anything_else(tmp_path: Path) -> None:
    message = error_for(tmp_path, '[[accounts]]\nbogus = 1\npassword = "hunter2"\n')

    assert message.startswith(
        f"{tmp_path / 'config.toml'}: accounts[0] (the 1st [[accounts]] table): password is set"
    )
    assert "hunter2" not in message


# Anything else


KEYS = st.sampled_from(
    sorted(
        {f.name for dc in (AccountConfig, ServerConfig, OAuth2Config) for f in fields(dc)}
        | {"accounts", "keymap", "ui", "theme", "x"}
    )
)
SCALARS = (
    st.integers(-(2**63), 2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.sampled_from(["work", "me@example.org", "h", "tls", "plain", "imap", "maildir", "pop3"])
    | st.sampled_from(["oauth2", "password", "~", "/nonexistent", "~nosuchuser/x", "", "a\x00b"])
    | st.text(max_size=5)
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=6)
)
VALID_ACCOUNT = {"name": "work", "email": "me@example.org", "imap": {"host": "h"}}


def mutated(base: dict[str, object], changes: dict[str, object], sub: dict[str, object]) -> dict:
    account = {**base, **changes}
    if isinstance(account.get("imap"), dict):
        account["imap"] = {**account["imap"], **sub}  # type: ignore[dict-item]
    return account


DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=4) | st.builds(
    lambda accounts, rest: {"accounts": accounts, **rest},
    st.lists(
        st.builds(
            mutated,
            st.just(VALID_ACCOUNT),
            st.dictionaries(KEYS, VALUES, max_size=3),
            st.dictionaries(KEYS, VALUES, max_size=2),
        ),
        min_size=1,
        max_size=2,
    ),
    st.dictionaries(st.sampled_from(["keymap", "ui"]), VALUES, max_size=2),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(document=DOCUMENTS)
def test_whatever_the_file_holds_the_user_gets_a_config_or_a_config_error(
    tmp_path: Path, document: dict[str, object]
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(tomli_w.dumps(document))
    try:
        load_config(path)
    except ConfigError as error:
        message = str(error)
    else:
        return
    assert message.startswith(f"{path}: ")


# OAuth2 sign-in settings (issue 6)

OAUTH2_ACCOUNT = WORK.replace(
    'email = "me@example.org"', 'email = "me@example.org"\nauth = "oauth2"'
)


def test_oauth2_sign_in_settings_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, OAUTH2_ACCOUNT + textwrap.dedent("""
        [accounts.oauth2]
        provider = "microsoft"
        client_id = "0f1e-my-app"
        token_endpoint = "https://login.example.org/token"
        scopes = ["https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"]
        """))  # fmt: skip

    config = load_config(path)
    oauth2 = config.accounts[0].oauth2
    save_config(config)

    assert oauth2 == OAuth2Config(
        provider="microsoft", client_id="0f1e-my-app",
        token_endpoint="https://login.example.org/token",
        scopes=("https://outlook.office.com/IMAP.AccessAsUser.All", "offline_access"),
    )  # fmt: skip
    assert load_config(path).accounts[0].oauth2 == oauth2


def test_oauth2_endpoints_must_be_https(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, OAUTH2_ACCOUNT + '[accounts.oauth2]\ntoken_endpoint = "http://x/t"\n'
    )

    assert message.endswith(
        'account "work": oauth2.token_endpoint is "http://x/t"; expected an https:// URL '
        "(tokens never travel unencrypted)"
    )


def test_oauth2_client_secret_is_not_kept_in_the_file(tmp_path: Path) -> None:
    message = error_for(
        tmp_path, OAUTH2_ACCOUNT + '[accounts.oauth2]\nclient_secret = "GOCSPX-1"\n'
    )

    assert "oauth2.client_secret is set, but secrets don't belong in the config file" in message
    assert "GOCSPX-1" not in message


def test_oauth2_unknown_provider(tmp_path: Path) -> None:
    message = error_for(tmp_path, OAUTH2_ACCOUNT + '[accounts.oauth2]\nprovider = "yahoo"\n')

    assert 'oauth2.provider is "yahoo"; expected one of "google", "microsoft"' in message


# -- sending settings (issue 5) -------------------------------------------------------------


def test_sending_settings_load_and_survive_a_save(tmp_path: Path) -> None:
    settings = (
        'save_sent = false\naliases = ["me@example.net", " Other@Example.com "]\n'
        'sendmail_command = "msmtp -oi"\nsignature = "Ada\\nhttps://ada.example"\n'
    )
    path = write(tmp_path, WORK.replace("\n[accounts.imap]", f"\n{settings}[accounts.imap]"))
    account = load_config(path).accounts[0]
    assert account.save_sent is False
    assert account.aliases == ("me@example.net", "Other@Example.com")
    assert account.sendmail_command == "msmtp -oi"
    assert account.signature == "Ada\nhttps://ada.example"
    save_config(load_config(path))
    assert load_config(path).accounts[0] == account
    defaults = load_config(write(tmp_path, WORK)).accounts[0]
    assert (defaults.save_sent, defaults.aliases, defaults.sendmail_command,
            defaults.signature) == (True, (), None, "")  # fmt: skip


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('aliases = "me@example.net"', 'aliases is "me@example.net"; expected a list'),
        ('aliases = ["not an address"]', 'aliases holds "not an address"; expected a list'),
        ('save_sent = "no"', 'save_sent is "no"; expected true or false'),
        ("signature = 3", "signature is 3 (a number); expected a string"),
    ],
)
def test_bad_sending_settings_say_what_is_expected(
    tmp_path: Path, line: str, expected: str
) -> None:
    text = WORK.replace('email = "me@example.org"\n', f'email = "me@example.org"\n{line}\n')
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text))
    assert expected in str(caught.value)


def test_smime_key_and_cert_come_as_a_pair_of_files(tmp_path: Path) -> None:
    (tmp_path / "me.key").write_text("key")
    (tmp_path / "me.pem").write_text("cert")

    def account(lines: str) -> str:
        return with_imap('host = "imap.example.org"').replace(
            "\n\n[accounts.imap]", f"\n{lines}\n\n[accounts.imap]"
        )

    config = load_config(write(tmp_path, account('smime_key = "me.key"\nsmime_cert = "me.pem"')))
    found = config.accounts[0]
    assert (found.smime_key, found.smime_cert) == (tmp_path / "me.key", tmp_path / "me.pem")
    lonely = error_for(tmp_path, account('smime_key = "me.key"'))
    assert "smime_key is set but smime_cert is not; S/MIME needs both PEM files" in lonely
    missing = error_for(tmp_path, account('smime_key = "me.key"\nsmime_cert = "gone.pem"'))
    assert f"smime_cert is {tmp_path / 'gone.pem'}, which is not a file" in missing


def test_compression_is_on_unless_turned_off_and_stays_off_after_a_save(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, WORK)).accounts[0].compress is True
    off = load_config(
        write(tmp_path, WORK.replace("[accounts.imap]", "compress = false\n[accounts.imap]"))
    )
    assert off.accounts[0].compress is False
    save_config(off)
    assert "compress = false" in off.path.read_text()
    assert load_config(off.path) == off
    quoted = WORK.replace("[accounts.imap]", 'compress = "no"\n[accounts.imap]')
    assert 'compress is "no"; expected true or false' in error_for(tmp_path, quoted)
