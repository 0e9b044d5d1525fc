"""When a review is handled alone: the routing rule, a property's policy, learned thresholds."""
