"""Secrets: one resolver for an account's password or OAuth2 token and the `Secret` that
carries it, passwords from a command or the keyring, OAuth2 device and loopback sign-in.
"""
