"""Events: what changed, for the systems that listen (webhooks, the changes feed)."""
