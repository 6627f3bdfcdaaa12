"""Fronts: who fronts when, as per-member intervals, and the switches derived from them."""
