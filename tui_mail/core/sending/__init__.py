"""From a draft to the server: starting and building drafts, sending and postponing, SMTP (or a
sendmail command), the outbox and its courier.
"""
