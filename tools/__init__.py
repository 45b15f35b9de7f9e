"""Capabilities the agents use: research over user memory, scoring, citation validation, rendering."""
