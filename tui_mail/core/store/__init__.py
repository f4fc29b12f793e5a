"""The SQLite cache and what keeps it safe: schema and migrations, folders, summaries, bodies,
its health (damage, a full disk), conversation threads, and the offline queue's record,
kept in a file of its own.
"""
