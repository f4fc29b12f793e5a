"""AccountService, the one API the UI sees, and what it is made of: offline queue, watching,
counts, head start, events, notifications.
"""
