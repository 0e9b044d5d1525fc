"""The model the service is using now: swapped atomically, never half-loaded.

Reading `current` is a single attribute read, so requests in flight keep the
classifier they started with while a promotion or rollback swaps in another.
"""

from __future__ import annotations

import threading

from models import SentimentClassifier


class ModelSlot:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current: SentimentClassifier | None = None
        self._problem: str | None = "not loaded yet"

    @property
    def current(self) -> SentimentClassifier | None:
        return self._current

    @property
    def problem(self) -> str | None:
        """Why no model is in use (None while one is)."""
        return self._problem

    def use(self, classifier: SentimentClassifier) -> None:
        with self._lock:
            self._current = classifier
            self._problem = None

    def fail(self, problem: str) -> None:
        with self._lock:
            self._current = None
            self._problem = problem
