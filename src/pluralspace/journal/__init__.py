"""Journal: markdown entries written by members, with tags, pins, per-entry privacy and full-text search."""
