"""Polls: a system's members vote on options; results are always counted from the votes themselves."""
