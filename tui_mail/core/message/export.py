"""Mail out of tui-mail, shared by the `pipe` and `save` subcommands and the TUI's `:pipe`
and `:save`: what bytes a command or a file gets, and writing a file that never replaces
another one silently.

One message is its source, unchanged (an .eml is the message itself); several are one
mboxrd file (mbox.py), in the order given; "as shown" is the text `tui-mail read` prints.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from tui_mail.core.errors import TuiMailError


class SaveRefused(TuiMailError):
    """The target exists (and --force was not given), or it cannot be written."""

    exit_code = 2


def pipe_payload(raws: list[bytes], *, as_shown: bool = False) -> bytes:
    """What a command reads: one message raw, several as one mbox, or the rendered text."""
    if as_shown:
        from tui_mail.core.message.mime import format_rendered, render_message  # noqa: PLC0415

        return ("\n\n".join(format_rendered(render_message(raw)) for raw in raws) + "\n").encode()
    return save_payload(raws)


def save_payload(raws: list[bytes]) -> bytes:
    """What a file gets: one message's source unchanged, several as one mbox."""
    if len(raws) == 1:
        return raws[0]
    from tui_mail.core.message.mbox import to_mbox  # noqa: PLC0415

    return to_mbox(raws)


def save_target(path: Path, raws: list[bytes]) -> Path:
    """PATH itself, or for one message and an existing directory a name from its subject."""
    if not path.is_dir():
        return path
    if len(raws) > 1:
        raise SaveRefused(f"{path} is a directory; several messages go to one mbox file: "
                          "give its path.")  # fmt: skip
    from email.parser import BytesHeaderParser  # noqa: PLC0415
    from email.policy import default  # noqa: PLC0415

    from tui_mail.core.message.filenames import safe_filename  # noqa: PLC0415

    try:
        subject = str(BytesHeaderParser(policy=default).parsebytes(raws[0]).get("Subject") or "")
    except Exception:  # a hostile header must not stop a save: no subject
        subject = ""
    # A subject is not a path: "Re: a/b" keeps both words (safe_filename keeps a base name).
    subject = subject.replace("/", "_").replace("\\", "_")[:150]
    return path / safe_filename(subject + ".eml" if subject else "", "message.eml")


def write_new_private(path: Path, data: bytes, *, force: bool) -> None:
    """Write `data` to `path`, mode 0600, all or nothing (a temporary file in the same
    directory, then linked in place). An existing `path` is refused unless `force`."""
    directory = path.parent
    try:
        handle, temporary = tempfile.mkstemp(prefix=".tui-mail-", suffix=".part", dir=directory)
    except OSError as error:
        raise SaveRefused(f"Cannot write to {directory}: {error.strerror}.") from None
    try:
        with os.fdopen(handle, "wb") as file:  # mkstemp makes it 0600 whatever the umask
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        if force:
            if path.is_dir():
                raise SaveRefused(f"{path} is a directory; not replacing it.")
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails if anything is there: never a silent overwrite
    except FileExistsError:
        raise SaveRefused(f"{path} exists already; not overwriting it (--force would).") from None
    except OSError as error:
        raise SaveRefused(f"Could not write {path}: {error.strerror}.") from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)


def save_messages(raws: list[bytes], path: Path, *, force: bool = False) -> Path:
    """Save one message as .eml or several as one mbox at `path` (`~` expanded; for one
    message a directory works too); returns the path written. Raises SaveRefused."""
    target = save_target(path.expanduser(), raws)
    write_new_private(target, save_payload(raws), force=force)
    return target
