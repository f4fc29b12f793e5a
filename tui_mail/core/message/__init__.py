"""One message as the user reads it: MIME parts and their quirks, charsets, HTML as text,
format=flowed, sanitising, attachments, file names, the header rows sync stores, and who a
message is with.
"""
