"""IMAP: the session (imapclient, TLS, login), sync, the fetch stream, IDLE, folders, the guard
against hostile servers, and the backend.
"""
