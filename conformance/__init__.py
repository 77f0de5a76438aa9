"""virtconform conformance layer: CLI glue, suite runner, generators, properties."""
# importing the engine first keeps lxml from loading rnc2rng (see engine/__init__.py)
from virtconform import engine as _engine  # noqa: F401
