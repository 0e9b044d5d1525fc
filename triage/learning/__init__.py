"""The trainers' loop: labels with provenance, their queues, export, the model registry."""
