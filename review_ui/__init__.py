"""HTML for people: the review UI (sign-in, queue, review, auto-handled, dashboard)."""
