"""The Textual interface: thin, it only talks to tui_mail.core.account.service."""
