"""Wrapped: monthly and yearly recaps of a system, in its time zone."""
