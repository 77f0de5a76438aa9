"""The conformance properties and what runs them for a time budget (fuzz campaigns),
with time-bounded minimization of failures."""
