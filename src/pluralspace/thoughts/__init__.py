"""Thought of the day: short notes dated by the system's local day."""
