"""RELAX NG grammars as data: loading a compiled grammar, walking it into instances,
generating strings for its data patterns, and the paths it allows."""
