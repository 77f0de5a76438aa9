"""Manifest suites (libvirt's reference data in ../shared, the project's corpus/) and
the one rule for comparing their expected outputs."""
