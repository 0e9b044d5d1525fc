"""Prometheus metrics, one registry per application (nothing global at import)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.reviews_ingested = Counter(
            "triage_reviews_ingested",
            "Reviews stored by ingest (new ones only)",
            ["source"],
            registry=self.registry,
        )
        self.reviews_routed = Counter(
            "triage_reviews_routed",
            "Routing decisions by route and reason code",
            ["route", "reason"],
            registry=self.registry,
        )
        self.inference_seconds = Histogram(
            "triage_inference_seconds",
            "Time of one classifier call (a batch)",
            buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.inference_failures = Counter(
            "triage_inference_failures",
            "Reviews the model failed to read (routed to a person)",
            registry=self.registry,
        )
        self.claim_seconds = Histogram(
            "triage_claim_seconds",
            "Time to claim the next queue item",
            buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "triage_queue_depth", "Open human items (read on each scrape)", registry=self.registry
        )

        self.model_switches = Counter(
            "triage_model_switches",
            "Models this process switched to (promotion, rollback, shadow)",
            ["role"],
            registry=self.registry,
        )
        self.shadow_scored = Counter(
            "triage_shadow_scored", "Reviews scored by the shadow candidate", registry=self.registry
        )
        self.negative_miss_estimate = Gauge(
            "triage_negative_miss_estimate",
            "Estimated share of auto-handled reviews that were negative (from spot-checks)",
            ["property_id"],
            registry=self.registry,
        )
        self.negative_miss_alert = Gauge(
            "triage_negative_miss_alert",
            "1 while the negative-miss estimate is above the target",
            ["property_id"],
            registry=self.registry,
        )

        self.auto_threshold = Gauge(
            "triage_auto_threshold",
            "The auto-handling threshold in force (pinned, learned or the model's)",
            ["property_id", "language", "group"],
            registry=self.registry,
        )
        self.threshold_changes = Counter(
            "triage_threshold_changes",
            "Learned thresholds this process moved, by direction",
            ["direction"],
            registry=self.registry,
        )

        self.ingest_backlog = Gauge(
            "triage_ingest_backlog",
            "Reviews stored but not routed yet (read on each scrape)",
            registry=self.registry,
        )
        self.ingest_backlog_age = Gauge(
            "triage_ingest_backlog_oldest_seconds",
            "Age of the oldest review stored but not routed (read on each scrape)",
            registry=self.registry,
        )
        self.events_published = Counter(
            "triage_events_published",
            "Events this process published to the feed and the webhook deliveries",
            registry=self.registry,
        )
        self.webhook_attempts = Counter(
            "triage_webhook_attempts",
            "Webhook delivery attempts this process made, by the delivery's status after it "
            "(delivered, pending: will retry, failed: gave up)",
            ["outcome"],
            registry=self.registry,
        )
        self.webhook_deliveries = Gauge(
            "triage_webhook_deliveries",
            "Webhook deliveries by status, all processes (read on each scrape)",
            ["status"],
            registry=self.registry,
        )

    def watch_queue_depth(self, read: Callable[[], float]) -> None:
        self.queue_depth.set_function(read)
