"""Diagnostics, suppression and reporters."""
