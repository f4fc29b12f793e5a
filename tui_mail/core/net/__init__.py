"""Connections shared by every protocol, discovery and the doctor: TLS policy and deadlines."""
