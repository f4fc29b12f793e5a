"""AccountService, the one API the UI and the CLI use for an account, and the objects it is
made of: the link to its backend on one worker thread, the offline queue and its replay,
watching (and which watchers an account gets), folder counts, the cache view and the
message list's model, undoing a move, the head start, events, new-mail notifications, and
which backend and files an account gets.
"""
