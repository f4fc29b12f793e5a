"""Signed and encrypted mail: PGP/MIME, inline PGP (the user's own GnuPG) and S/MIME.

What comes out of here is a report of what is true about a message (who signed which
part, what was encrypted, what failed and why) and, for encrypted mail, the clear text to
render, held in memory only. Nothing here writes a decrypted body to disk or the cache.
"""
