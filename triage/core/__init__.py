"""The service-wide basics every capability uses: settings, domain errors, metrics, the audit
log."""
