"""virtconform conformance layer: CLI glue, suite runner, generators, properties."""
