"""QEMU command-line building (XML -> argv) and parsing (argv -> XML), libvirt 0.8.3 rules."""
