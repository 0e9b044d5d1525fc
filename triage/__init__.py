"""Guest Triage domain: reviews, routing policy, review queue, labels, accounts, storage."""
