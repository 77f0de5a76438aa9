"""Gatekeeping of configuration changes in CI: may a new document replace an old one."""
