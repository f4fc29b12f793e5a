"""One message as the user reads it: MIME, charsets, HTML as text, sanitising, attachments,
file names, header rows.
"""
