"""Personal data: redaction of what guests wrote, retention and erasure."""
