"""POP3: the session and the backend that keeps a local copy."""
