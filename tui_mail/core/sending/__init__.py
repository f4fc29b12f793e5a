"""From a draft to the server: compose, drafts, SMTP, the outbox and its courier."""
