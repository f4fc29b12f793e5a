"""Local mail in Maildir: the Maildir backend, and the pieces it (and POP3's local copy) is
built from.

- `layout`: where folders live (Maildir++ `.Sub.Folder` and nested `Sub/Folder`), file names
  and their flag letters, atomic delivery.
- `index`: the small SQLite index that gives every file a stable IMAP-style UID.
- `search`: a query tree (core/query.py) evaluated on the files themselves.
- `watch`: a filesystem watcher that says which folder changed (mbsync, offlineimap,
  a local delivery agent ...).
- `backend`: `MaildirBackend`, the tree read and changed in place behind the MailBackend
  protocol; the POP3 backend serves its downloads through one.
"""
