"""``python -m virtconform.conformance.cli``: the same as the ``virtconform`` script."""
import sys

from virtconform.conformance.cli.main import main

sys.exit(main())
