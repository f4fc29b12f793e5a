"""What every connection shares (the sessions, discovery, the doctor): TLS contexts, the
connection layer and the words for a failed connection, the watchdog and deadlines.
"""
