"""Webhooks: endpoints admins register, signed deliveries from the outbox, retries."""
