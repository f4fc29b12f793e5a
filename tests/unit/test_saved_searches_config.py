"""[[saved_searches]] in the config file: read with errors naming file and field, added
and removed by tui-mail with the rest of the file (comments too) kept."""

from __future__ import annotations

import stat
import textwrap
from pathlib import Path

import pytest

from tui_mail.config import (
    SavedSearchConfig,
    forget_saved_search,
    load_config,
    save_config,
    store_saved_search,
)
from tui_mail.core.errors import ConfigError

ACCOUNTS = """\
# my accounts
[[accounts]]
name = "work"
email = "me@example.org"

[accounts.imap]
host = "imap.example.org"  # the office

[[accounts]]
name = "home"
email = "me@home.example"

[accounts.imap]
host = "imap.home.example"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    return path


def error_for(tmp_path: Path, extra: str) -> str:
    path = write(tmp_path, ACCOUNTS + extra)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message


def test_saved_searches_are_read_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        ACCOUNTS
        + '\n[[saved_searches]]\nname = "Flagged everywhere"\nquery = "is:flagged"\n'
        + '\n[[saved_searches]]\nname = "Team"\nquery = "from:team@example.org since:7d"\n'
        + 'accounts = ["work"]\n',
    )
    assert load_config(path).saved_searches == (
        SavedSearchConfig("Flagged everywhere", "is:flagged"),
        SavedSearchConfig("Team", "from:team@example.org since:7d", ("work",)),
    )


def test_saved_searches_must_be_tables(tmp_path: Path) -> None:
    path = write(tmp_path, 'saved_searches = "is:flagged"\n' + ACCOUNTS)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f'{path}: saved_searches is "is:flagged"; expected [[saved_searches]] '
        "tables (note the double brackets)"
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '\n[[saved_searches]]\nquery = "is:flagged"\n',
            "saved_searches[0] (the 1st [[saved_searches]] table): name is missing",
        ),
        ('\n[[saved_searches]]\nname = "F"\n', 'saved search "F": query is missing'),
        ('\n[[saved_searches]]\nname = "F"\nquery = 3\n', 'saved search "F": query is'),
        (
            '\n[[saved_searches]]\nname = "F"\nquery = "x"\naccounts = ["wrok"]\n',
            'saved search "F": accounts names "wrok", which is not an account here; '
            'known accounts: "work", "home"',
        ),
        ('\n[[saved_searches]]\nname = "F"\nquery = "x"\nacounts = []\n', '"acounts"'),
        (
            '\n[[saved_searches]]\nname = "F"\nquery = "x"\n'
            '\n[[saved_searches]]\nname = "F"\nquery = "y"\n',
            'name "F" is already used by another saved search',
        ),
    ],
)
def test_mistakes_name_the_file_the_search_and_the_field(
    tmp_path: Path, extra: str, expected: str
) -> None:
    assert expected in error_for(tmp_path, extra)


def test_store_appends_and_keeps_the_rest_of_the_file_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, ACCOUNTS)
    path.chmod(0o644)

    written = store_saved_search(path, SavedSearchConfig("Flagged", "is:flagged"))

    text = path.read_text()
    assert text.startswith(ACCOUNTS)  # comments and layout kept
    assert load_config(path) == written
    assert written.saved_searches == (SavedSearchConfig("Flagged", "is:flagged"),)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    store_saved_search(path, SavedSearchConfig("Work", "is:unread", ("work",)))
    store_saved_search(path, SavedSearchConfig("Flagged", "is:flagged since:7d"))
    assert load_config(path).saved_searches == (
        SavedSearchConfig("Work", "is:unread", ("work",)),
        SavedSearchConfig("Flagged", "is:flagged since:7d"),
    )
    assert path.read_text().startswith(ACCOUNTS)


def test_forget_cuts_out_only_that_table(tmp_path: Path) -> None:
    tail = '\n# keys\n[keymap]\nquit = "ctrl+q"\n'
    path = write(
        tmp_path,
        ACCOUNTS
        + '\n[[saved_searches]]\nname = "A"\nquery = "is:flagged"\n'
        + '\n[[saved_searches]]\nname = "B"\nquery = "is:unread"\n'
        + tail,
    )

    config = forget_saved_search(path, "A")

    assert config.saved_searches == (SavedSearchConfig("B", "is:unread"),)
    assert load_config(path) == config
    text = path.read_text()
    assert text.startswith(ACCOUNTS) and text.endswith(tail)
    assert '"A"' not in text
    with pytest.raises(ConfigError, match="no saved search named 'A'; saved searches: 'B'"):
        forget_saved_search(path, "A")


def test_an_unusual_layout_is_written_whole_rather_than_cut_wrongly(tmp_path: Path) -> None:
    # An inline array of tables: there is no [[saved_searches]] header to cut.
    path = write(
        tmp_path,
        ACCOUNTS.replace(
            "# my accounts\n",
            'saved_searches = [{name = "A", query = "x"}, {name = "B", query = "y"}]\n',
        ),
    )
    config = forget_saved_search(path, "A")
    assert load_config(path) == config
    assert config.saved_searches == (SavedSearchConfig("B", "y"),)


def test_save_config_keeps_saved_searches(tmp_path: Path) -> None:
    path = write(tmp_path, ACCOUNTS + '\n[[saved_searches]]\nname = "A"\nquery = "x"\n')
    config = load_config(path)
    save_config(config)
    assert load_config(path) == config
