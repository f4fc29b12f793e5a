"""The Textual-free layer: IMAP, the SQLite cache, rendering, credentials.

Nothing under this package may import textual (a test enforces it), so the headless CLI and
scripts start fast and the protocol code can be tested without a terminal.
"""
