"""The human review queue and what people need to work it: claims, escalation, context,
spot-checks, figures."""
