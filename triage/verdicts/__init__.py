"""People's verdicts as training labels: every verdict a row, with its provenance."""
