"""The Textual-free layer: everything a mail client does apart from drawing it.

Grouped by protocol (`imap/`, `pop3/`, `maildir/`) and by job (`account/` the AccountService
the UI and the CLI use, `store/` the SQLite cache, `message/`, `sending/`, `auth/`, `net/`,
`folders/`, `discovery/`, `doctor/`, `demo/`), over a few shared modules directly here
(errors, models, backend, query, seqset, process_group); docs/ARCHITECTURE.md is the map.
Nothing under this package may import textual (a test enforces it), so the headless CLI and
scripts start fast and the protocol code can be tested without a terminal.
"""
