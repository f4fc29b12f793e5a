"""POP3: the session, and the backend that downloads into a local maildir and serves it from
there.
"""
