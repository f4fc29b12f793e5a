"""IMAP: the session (imapclient, TLS, login), the guard against hostile servers, sync, the
fetch stream, IDLE, folder lists, flags and queries translated at this edge, and the backend.
"""
