"""The ``virtconform`` command line: ``main`` wires argparse; one module per command.

Each command's module is imported only when that command runs (start-up matters:
CI runs the tool once per file).
"""
