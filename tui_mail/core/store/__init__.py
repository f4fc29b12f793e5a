"""The SQLite cache: folders, summaries, bodies, the pending-actions record, the message index,
conversation threads.
"""
