"""Exporting a system: the whole of it, as a file."""
