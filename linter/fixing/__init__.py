"""Edits, how they are applied, and the fix loop."""
