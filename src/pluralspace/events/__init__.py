"""Events: one stored record per change to a system, streamed to subscribers and delivered to webhooks."""
