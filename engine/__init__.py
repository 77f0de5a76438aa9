"""virtconform engine: the libvirt 0.8.3 QEMU driver behaviour, as a library.

Nothing in here knows about the command line or Hypothesis; conformance/ uses it.
"""
