"""Folders independent of protocol: which is the Inbox or Sent (roles), and names as users type
them.
"""
