"""Secrets: passwords from the keyring or a command, OAuth2 device and loopback flows."""
